/* fidkit demo: the built-in default job, runnable with nothing downloaded.
 *
 * It draws two small image sets — "real" and "fake", the second with
 * shifted colours, stronger noise and fewer shapes — and writes them as
 * uint8 NHWC sample arrays (the .npy layout of ADM/DiT sampling scripts).
 * Then it runs a small TTUR-style disturbance sweep on the real set
 * (Gaussian noise and blur at three levels, FID against the undisturbed set
 * with 95 % bootstrap intervals) through the FID Inception architecture with
 * seeded random weights, leaving a table, plots and a report. Random weights
 * are a different ruler from FID with the official weights, and the tag
 * says so. --fid-only prints the FID between the two sets instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fidkit/fidkit.h"
#include "fidkit/fileio.h"

static const char usage_text[] =
    "usage: fidkit demo [--out DIR] [--n N] [--backbone CONFIG] [--json]\n"
    "\n"
    "The built-in default job; nothing is downloaded. Generates two sets of N\n"
    "64x64 images into DIR (default ./fidkit-demo) as real.npy and fake.npy,\n"
    "then runs the sweep DIR/demo_sweep.yaml: the real set disturbed by\n"
    "Gaussian noise and Gaussian blur at levels 0, 0.5 and 1, scored by FID\n"
    "against the undisturbed set with 95 % intervals, through the FID\n"
    "Inception architecture with seeded random weights (inception_v3_random).\n"
    "It leaves DIR/sweep/report.md, results.csv/json and plots; run again, it\n"
    "resumes or reuses what is done. Scores with random weights carry their\n"
    "own tag and are never compared with FID.\n"
    "\n"
    "  --n N                   images per set (default 60)\n"
    "  --device D              cpu, cuda, cuda:N or auto (default: the config's)\n"
    "  --fid-only              instead of the sweep, print the FID between\n"
    "                          the two generated sets (N default 200)\n"
    "  --stats-only            instead, write two stats files of synthetic\n"
    "                          Gaussian features and score them (no network)\n";

/* The old default, kept for a run without any plugin: two stats files of
 * Gaussian features whose exact FD is known. */
static int stats_only(const char *dir, int json)
{
    enum { D = 64, N = 5000 };
    fk_error e = {0};
    const double shift[2] = {0.0, 0.1}, scale[2] = {1.0, 1.2};
    const char *names[2] = {"real_stats.npz", "fake_stats.npz"};
    char paths[2][1024];
    float *rows = malloc(sizeof(float) * D * N);
    if (!rows)
        return FK_EXIT_ERROR;
    uint64_t seed = 2026;
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < D * N; i++)
            rows[i] = (float)(shift[k] + scale[k] * fk_cli_demo_normal(&seed));
        fk_moments m;
        fk_stats s = {.d = D, .n = N, .has_tag = 1};
        if (fk_moments_init(&m, D, &e) || fk_moments_add(&m, rows, N, &e)) {
            free(rows);
            return fk_cli_report("demo", &e);
        }
        s.mu = malloc(sizeof(double) * D);
        s.sigma = malloc(sizeof(double) * D * D);
        fk_tag_parse("demo/gaussian:features@random-2026/1/none", &s.tag, &e);
        snprintf(paths[k], sizeof paths[k], "%s/%s", dir, names[k]);
        fk_status st = fk_moments_result(&m, s.mu, s.sigma, &e);
        if (!st)
            st = fk_stats_write(paths[k], &s, "{\"source\": \"fidkit demo: synthetic Gaussian features\"}", &e);
        fk_moments_free(&m);
        fk_stats_free(&s);
        if (st) {
            free(rows);
            return fk_cli_report("demo", &e);
        }
    }
    free(rows);
    /* real ~ N(0, I), fake ~ N(0.1, 1.2^2 I): FD = 64 (0.01 + 0.04) = 3.2. */
    if (!json)
        printf("fidkit demo: wrote %s and %s (%d samples of %d-d features each)\n"
               "exact FD of the two Gaussians: 3.200000; the estimate from %d samples is\n"
               "larger by FD's small-sample bias, which shrinks like 1/N:\n\n",
               paths[0], paths[1], N, D, N);
    char *fd_argv[] = {"fd", paths[0], paths[1], json ? "--json" : NULL, NULL};
    return fk_cmd_fd(json ? 4 : 3, fd_argv);
}

/* The sweep's results.csv as a table on the terminal: the numbers a new user
 * came for, before opening the report. Columns: point, perturbation, level,
 * metric, value, lo, hi, n_real, n_fake, tag. */
static void print_results(const char *out)
{
    char path[1100], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/results.csv", out);
    if (fk_read_file(path, 1 << 20, &text, &len, NULL))
        return;
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    const char *tag = NULL;
    printf("\n%-16s %6s %12s   %s\n", "perturbation", "level", "FID", "95 % interval");
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[10], *fs = NULL;
        int k = 0;
        for (char *t = strtok_r(line, ",", &fs); t && k < 10; t = strtok_r(NULL, ",", &fs))
            f[k++] = t;
        if (k < 10)
            continue;
        printf("%-16s %6s %12.4f   [%.4f, %.4f]\n", f[1], f[2], strtod(f[4], NULL), strtod(f[5], NULL),
               strtod(f[6], NULL));
        tag = f[9];
    }
    if (tag)
        printf("tag: %s\n", tag);
    free(text);
}

int fk_cmd_demo(int argc, char **argv)
{
    const char *dir = "fidkit-demo", *backbone = "inception_v3_random", *device = NULL;
    int json = 0, n = 0, stats = 0, fid_only = 0, npos;
    const fk_opt own[] = {
        {"--json", FK_ARG_FLAG, &json, 0, NULL},
        {"--stats-only", FK_ARG_FLAG, &stats, 0, NULL},
        {"--fid-only", FK_ARG_FLAG, &fid_only, 0, NULL},
        {"--out", FK_ARG_STR, &dir, 0, NULL},
        {"--backbone", FK_ARG_STR, &backbone, 0, NULL},
        {"--n", FK_ARG_INT, &n, 2, NULL},
        {"--device", FK_ARG_STR, &device, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("demo", argc, argv, tables, usage_text, NULL, 0, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    fk_cli_device_apply(device, NULL);
    if (mkdir(dir, 0777) && access(dir, W_OK))
        return fk_cli_usage_error("demo", "cannot create folder '%s'", dir);
    if (stats)
        return stats_only(dir, json);
    if (!n)
        n = fid_only ? 200 : 60;

    fk_error e = {0};
    char real[1024], fake[1024];
    snprintf(real, sizeof real, "%s/real.npy", dir);
    snprintf(fake, sizeof fake, "%s/fake.npy", dir);
    if (fk_cli_demo_write_set(real, n, 64, 1, 0, &e) ||
        fk_cli_demo_write_set(fake, n, 64, 2, 1, &e))
        return fk_cli_report("demo", &e);
    if (fid_only) {
        if (!json)
            printf("fidkit demo: wrote %s and %s (%d generated 64x64 images each);\n"
                   "their FID through %s (seeded random weights, nothing downloaded):\n\n",
                   real, fake, n, backbone);
        char *fid_argv[] = {"fid", real, fake, "--backbone", (char *)backbone, json ? "--json" : NULL, NULL};
        return fk_cmd_fid(json ? 6 : 5, fid_argv);
    }

    /* The sweep file lives beside the images, so its relative paths hold
     * wherever the demo runs. */
    char sweep[1024], out[1024], cfg[1024];
    snprintf(sweep, sizeof sweep, "%s/demo_sweep.yaml", dir);
    snprintf(out, sizeof out, "%s/sweep", dir);
    if (fk_config_find(backbone, cfg, sizeof cfg, &e))
        return fk_cli_report("demo", &e);
    char text[4096];
    int len = snprintf(text, sizeof text,
        "# Written by `fidkit demo`: a TTUR-style check that FID grows with the\n"
        "# disturbance of a set, through the random-weights FID Inception.\n"
        "fidkit_sweep: 1\n"
        "name: demo\n"
        "description: >-\n"
        "  The demo's generated 'real' images against copies of themselves disturbed\n"
        "  by Gaussian noise and Gaussian blur: the distance should grow with the level.\n"
        "real: real.npy\n"
        "fake: real.npy\n"
        "backbones: [%s]\n"
        "metrics: [fid]\n"
        "n: %d\n"
        "seed: 0\n"
        "ci: bootstrap\n"
        "replicates: 20\n"
        "axes:\n"
        "  perturbation: [gaussian_noise, gaussian_blur]\n"
        "  level: [0, 0.5, 1]\n", cfg, n);
    const void *parts[1] = {text};
    size_t sizes[1] = {(size_t)len};
    if (fk_write_file_atomic(sweep, parts, sizes, 1, &e))
        return fk_cli_report("demo", &e);
    if (!json)
        printf("fidkit demo: wrote %s and %s (%d generated 64x64 images each) and the sweep %s;\n"
               "running it (%s: seeded random weights, nothing downloaded):\n\n",
               real, fake, n, sweep, backbone);
    char *sweep_argv[] = {"sweep", sweep, "--out", out, json ? "--json" : NULL, NULL};
    int rc = fk_cmd_sweep(json ? 5 : 4, sweep_argv);
    if (rc == 0 && !json) {
        print_results(out);
        printf("\nfidkit demo: the report is %s/report.md; the plots and results.csv are beside it.\n", out);
    }
    return rc;
}
