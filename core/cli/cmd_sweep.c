/* fidkit sweep FILE.yaml: an ablation sweep that resumes, caches and ends in
 * tables, plots and a report (sweep.h, docs/experiments.md). */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fidkit/sweep.h"

int fk_cmd_sweep(int argc, char **argv);

static const char usage_text[] =
    "usage: fidkit sweep FILE.yaml [--out DIR] [--dry-run] [--json] [--threads N] [--block N]\n"
    "                  [--device D] [--precision P] [--quiet] [--no-cache]\n"
    "\n"
    "Runs every point of the sweep FILE.yaml describes (docs/experiments.md):\n"
    "the Cartesian product of its axes (in file order, the last varying\n"
    "fastest). Feature sets are cached in DIR/cache, so points that share one\n"
    "extract it once; DIR/journal.json records each finished point, so an\n"
    "interrupted sweep resumes where it stopped when run again. The end:\n"
    "DIR/results.csv, DIR/results.json, plots (PNG and SVG) and DIR/report.md.\n"
    "\n"
    "  --out DIR      output folder (default: sweep-NAME, NAME from the file)\n"
    "  --dry-run      list the points, which are finished and which feature\n"
    "                 sets are cached; compute nothing\n"
    "  --json         print a JSON summary (counters and the output folder)\n"
    "  --threads N    decode/resize threads (default: all cores)\n"
    "  --block N      items per block, the unit MPI ranks share (default 1024;\n"
    "                 changes no number). Under mpirun every point's\n"
    "                 extraction is shared by the ranks; rank 0 keeps the\n"
    "                 journal, cache and report (docs/scale.md)\n"
    "  --device D     cpu, cuda, cuda:N or auto; --precision fp32|tf32|bf16\n"
    "  --quiet        no progress line\n"
    "  --no-cache     do not use the feature cache (`fidkit cache`; unperturbed sets\n"
    "                 are read from it and stored there); OUT/cache is still used\n"
    "\n"
    "Ctrl-C stops at once: every finished point is already in the journal; the\n"
    "message says how many and prints the command that resumes (exit status 130).\n"
    "Relative paths in FILE resolve against FILE's folder; --out against the\n"
    "current folder.\n";

typedef struct bar {
    double t0;
    int shown;
    int draw;       /* 1: a progress line on the terminal */
} bar;

/* Ctrl-C: the journal is rewritten atomically after every point, so what is
 * finished is safe; the handler says so (async-signal-safe writes of text
 * prepared before the run) and ends with 130, as a shell expects. */
static volatile sig_atomic_t g_done, g_total;
static char g_resume[2400];

static void put_num(char *buf, size_t *k, long v)
{
    char t[24];
    int n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < 20);
    while (n)
        buf[(*k)++] = t[--n];
}

static void on_sigint(int sig)
{
    (void)sig;
    char buf[3000];
    size_t k = 0;
    static const char a[] = "\nfidkit sweep: interrupted; ", b[] = " of ",
                      c[] = " points are finished and saved in the journal. Resume with:\n  ";
    memcpy(buf + k, a, sizeof a - 1), k += sizeof a - 1;
    put_num(buf, &k, g_done);
    memcpy(buf + k, b, sizeof b - 1), k += sizeof b - 1;
    put_num(buf, &k, g_total);
    memcpy(buf + k, c, sizeof c - 1), k += sizeof c - 1;
    size_t r = strlen(g_resume);
    memcpy(buf + k, g_resume, r), k += r;
    buf[k++] = '\n';
    ssize_t ig = write(2, buf, k);
    (void)ig;
    _exit(130);
}

/* The command as a shell takes it back: each word quoted when needed. */
static void shell_word(char *out, size_t n, const char *w)
{
    size_t k = strlen(out);
    int plain = *w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                 "_-./=:,+@") == strlen(w);
    if (plain) {
        snprintf(out + k, n - k, " %s", w);
        return;
    }
    k += (size_t)snprintf(out + k, n - k, " '");
    for (; *w && k + 5 < n; w++)
        k += (size_t)snprintf(out + k, n - k, *w == '\'' ? "'\\''" : "%c", *w);
    snprintf(out + k, n - k, "'");
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void draw(void *user, const fk_sweep_progress *p)
{
    bar *b = user;
    g_done = p->points_done;
    g_total = p->n_points;
    if (!b->draw)
        return;
    double el = now() - b->t0;
    fprintf(stderr, "\r\033[K[%d/%d done] point %d: %s", p->points_done, p->n_points, p->point,
            p->phase);
    if (p->total)
        fprintf(stderr, " %lld/%lld", (long long)p->done, (long long)p->total);
    fprintf(stderr, "  %d:%02d elapsed", (int)el / 60, (int)el % 60);
    b->shown = 1;
}

int fk_cmd_sweep(int argc, char **argv)
{
    const char *out = NULL, *pos[1];
    const char *device = NULL, *precision = NULL;
    int json = 0, quiet = 0, no_cache = 0, npos;
    fk_sweep_options o = fk_sweep_default_options();
    const fk_opt own[] = {
        {"--out", FK_ARG_STR, &out, 0, NULL},
        {"--dry-run", FK_ARG_FLAG, &o.dry_run, 0, NULL},
        {"--json", FK_ARG_FLAG, &json, 0, NULL},
        {"--quiet", FK_ARG_FLAG, &quiet, 0, NULL},
        {"--no-cache", FK_ARG_FLAG, &no_cache, 0, NULL},
        {"--threads", FK_ARG_INT, &o.threads, 0, NULL},
        {"--block", FK_ARG_I64, &o.block, 1, NULL},
        {"--device", FK_ARG_STR, &device, 0, NULL},
        {"--precision", FK_ARG_STR, &precision, 0, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    const fk_opt *tables[] = {own, NULL};
    int r = fk_cli_parse("sweep", argc, argv, tables, usage_text, pos, 1, &npos);
    if (r)
        return r > 0 ? FK_EXIT_OK : FK_EXIT_USAGE;
    fk_cli_device_apply(device, precision);
    if (npos != 1)
        return fk_cli_usage_error("sweep", "a sweep file (YAML) is needed");
    const char *file = pos[0];
    if (no_cache) /* the sweep's own OUT/cache stays; the feature cache is not used */
        setenv("FIDKIT_NO_CACHE", "1", 1);
    fk_error e = {0};
    fk_sweep_spec s;
    if (fk_sweep_load(file, &s, &e))
        return fk_cli_fail("sweep", &e, json);
    char dflt[256];
    snprintf(dflt, sizeof dflt, "sweep-%s", s.name);
    /* "out/" and "out" are one folder: messages name it once, without "//". */
    char out_buf[4096];
    snprintf(out_buf, sizeof out_buf, "%s", out ? out : dflt);
    for (size_t l = strlen(out_buf); l > 1 && out_buf[l - 1] == '/'; l--)
        out_buf[l - 1] = 0;
    o.out_dir = out_buf;
    bar b = {now(), 0, !quiet && !json && isatty(2)};
    o.progress = draw;
    o.progress_user = &b;
    snprintf(g_resume, sizeof g_resume, "fidkit sweep");
    shell_word(g_resume, sizeof g_resume, file);
    shell_word(g_resume, sizeof g_resume, "--out");
    shell_word(g_resume, sizeof g_resume, o.out_dir);
    g_total = fk_sweep_n_points(&s);
    if (!o.dry_run)
        signal(SIGINT, on_sigint);
    /* Under mpirun the points' extractions are shared by the ranks. */
    fk_extract_options ranks = fk_extract_default_options();
    fk_cli_mpi_attach(&ranks);
    o.parallel = ranks.parallel;
    fk_sweep_counters c;
    char *plan = NULL;
    fk_status st = fk_sweep_run(&s, &o, &c, &plan, &e);
    if (b.shown)
        fputs("\r\033[K", stderr);
    fk_sweep_free(&s);
    if (st) {
        free(plan);
        if (!o.dry_run)
            fprintf(stderr, "fidkit sweep: the finished points are kept in %s/journal.json; run "
                            "the same command again to resume\n", o.out_dir);
        return fk_cli_fail("sweep", &e, json);
    }
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "sweep", file);
        cJSON_AddStringToObject(j, "out", o.out_dir);
        cJSON_AddBoolToObject(j, "dry_run", o.dry_run);
        cJSON_AddNumberToObject(j, "points", c.points);
        cJSON_AddNumberToObject(j, "points_resumed", c.points_resumed);
        cJSON_AddNumberToObject(j, "points_computed", c.points_computed);
        cJSON_AddNumberToObject(j, "extractions", c.extractions);
        cJSON_AddNumberToObject(j, "cache_loads", c.cache_loads);
        if (o.dry_run) {
            cJSON_AddNumberToObject(j, "sets_cached", c.sets_cached);
            cJSON_AddNumberToObject(j, "sets_to_extract", c.sets_missing);
            cJSON_AddStringToObject(j, "plan", plan ? plan : "");
        }
        fk_cli_emit_json("sweep", cJSON_PrintUnformatted(j), NULL);
        cJSON_Delete(j);
    } else if (o.dry_run) {
        fputs(plan ? plan : "", stdout);
    } else {
        if (c.points_resumed)
            printf("fidkit sweep: resumed: %d of %d points reused from %s/journal.json\n",
                   c.points_resumed, c.points, o.out_dir);
        printf("fidkit sweep: %d points (%d computed now, %d resumed from the journal); "
               "%d feature sets extracted, %d read from the cache\n",
               c.points, c.points_computed, c.points_resumed, c.extractions, c.cache_loads);
        printf("  results  %s/results.csv, %s/results.json\n  report   %s/report.md\n",
               o.out_dir, o.out_dir, o.out_dir);
    }
    free(plan);
    return FK_EXIT_OK;
}
