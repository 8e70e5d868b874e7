/* Times the inception_v3 plugin: images per second of pool3 extraction.
 * Built and driven by bench/inception_bench.sh, which runs the Python
 * reference on the same weights and inputs and prints the ratio.
 *
 *   inception_bench PLUGIN.so [--weights FILE | --seed S] [--variant V]
 *       [--input RAW.f32 --n N] [--batch B] [--reps R] [--threads T]
 *       [--nchw] [--dump OUT.f32]
 *
 * RAW.f32 holds N x 3 x 299 x 299 little-endian float32 values; without it
 * the inputs are a fixed pattern. After one untimed pass, prints
 * images_per_s (wall clock), cpu_images_per_s (process CPU time) and
 * page_faults_per_image over R timed passes. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fidkit/error.h"
#include "fidkit/plugin.h"

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of the whole process (every thread): on a shared machine it
 * measures the work done, where wall time also counts the waiting. */
static double cpu_now(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* Minor page faults so far: a forward pass that faults its activations in
 * again each time spends a tenth of its time zeroing pages. */
static long faults_now(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN.so [options]\n", argv[0]);
        return 2;
    }
    const char *weights = NULL, *variant = "fid", *input = NULL, *dump = NULL;
    unsigned long long seed = 1;
    int n = 16, batch = 8, reps = 1, threads = 0, nchw = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--nchw")) {
            nchw = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--weights")) weights = v;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--variant")) variant = v;
        else if (!strcmp(a, "--input")) input = v;
        else if (!strcmp(a, "--dump")) dump = v;
        else if (!strcmp(a, "--n")) n = atoi(v);
        else if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--reps")) reps = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else {
            fprintf(stderr, "unknown option %s\n", a);
            return 2;
        }
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    fk_plugin_entry_fn entry = (fk_plugin_entry_fn)dlsym(h, FK_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        fprintf(stderr, "no %s in %s\n", FK_PLUGIN_ENTRY_SYMBOL, argv[1]);
        return 1;
    }
    const fk_plugin *pl = entry();
    const int side = 299;
    size_t per = (size_t)3 * side * side;
    float *x = malloc((size_t)n * per * sizeof *x);
    float *feat = malloc((size_t)n * 2048 * sizeof *feat);
    if (!x || !feat)
        return 1;
    if (input) {
        FILE *f = fopen(input, "rb");
        if (!f || fread(x, sizeof *x, (size_t)n * per, f) != (size_t)n * per) {
            fprintf(stderr, "cannot read %d images from %s\n", n, input);
            return 1;
        }
        fclose(f);
    } else {
        for (size_t i = 0; i < (size_t)n * per; i++)
            x[i] = (float)sin(0.001 * (double)i);
    }
    const char *outs[1] = {"pool3"};
    fk_option_value opt = {.i = !nchw};
    fk_plugin_params p = {
        .struct_size = sizeof p,
        .config_path = "inception_bench", .variant = variant, .weights_path = weights,
        .random_weights = weights == NULL, .random_seed = seed, .device = "cpu",
        .threads = threads, .input_size = side, .n_outputs = 1, .outputs = outs, .options = &opt,
    };
    fk_error e = {0};
    void *inst = NULL;
    double t0 = now();
    if (pl->open(&p, &inst, &e) != FK_OK) {
        fprintf(stderr, "open: %s\n", e.msg);
        return 1;
    }
    double t_open = now() - t0;
    /* One warm-up pass: oneDNN creates its kernels on first use of each
     * batch shape, and the heap grows to the pass's peak once; a long
     * extraction runs in that steady state. */
    double t1 = 0, c1 = 0;
    long f1 = 0;
    for (int r = -1; r < reps; r++) {
        if (r == 0) {
            t1 = now();
            c1 = cpu_now();
            f1 = faults_now();
        }
        for (int i = 0; i < n; i += batch) {
            int b = n - i < batch ? n - i : batch;
            float *o = feat + (size_t)i * 2048;
            if (pl->extract(inst, x + (size_t)i * per, b, &o, &e) != FK_OK) {
                fprintf(stderr, "extract: %s\n", e.msg);
                return 1;
            }
        }
    }
    double dt = now() - t1, dc = cpu_now() - c1;
    long df = faults_now() - f1;
    printf("open_s %.3f\nimages_per_s %.3f\ncpu_images_per_s %.3f\npage_faults_per_image %.1f\n", t_open,
           (double)n * reps / dt, (double)n * reps / dc, (double)df / ((double)n * reps));
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (!f || fwrite(feat, sizeof *feat, (size_t)n * 2048, f) != (size_t)n * 2048) {
            fprintf(stderr, "cannot write %s\n", dump);
            return 1;
        }
        fclose(f);
    }
    pl->close(inst);
    free(x);
    free(feat);
    return 0;
}
