/* Times one FD (moments of both sets + fk_frechet) and a bootstrap interval
 * for FD with fk_bootstrap_fd, on simulated features.
 *
 *   bench_fd_bootstrap [N [d [B [K]]]]   (10000 2048 200 3)
 *
 * Prints seconds for each and their ratio, so that machines of different
 * speed can be compared (DESIGN.md: report ratios), then reruns the first K
 * replicates with the scatter in double to show what float32 SYRK changes.
 * Build: cc -O2 -Icore/include bench/bench_fd_bootstrap.c -Lbuild -lfidkit -lm */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fidkit/bootstrap.h"
#include "fidkit/rng.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Process CPU seconds (all threads): on a shared machine, CPU / cores is a
 * fairer estimate of the unloaded wall time than the wall time itself. */
static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Rows with correlated, non-negative coordinates, like pooled CNN features:
 * relu(z + 0.5 * shared), shared a per-row factor over groups of columns. */
static float *features(fk_rng *r, int64_t n, int d, double shift)
{
    float *x = malloc(sizeof(float) * (size_t)n * (size_t)d);
    if (!x)
        return NULL;
    for (int64_t i = 0; i < n; i++) {
        double shared[16];
        for (int g = 0; g < 16; g++)
            shared[g] = fk_rng_normal(r);
        for (int j = 0; j < d; j++) {
            double v = fk_rng_normal(r) + 0.5 * shared[j % 16] + shift;
            x[(size_t)i * (size_t)d + (size_t)j] = (float)(v > 0 ? v : 0);
        }
    }
    return x;
}

int main(int argc, char **argv)
{
    int64_t n = argc > 1 ? atoll(argv[1]) : 10000;
    int d = argc > 2 ? atoi(argv[2]) : 2048;
    int b = argc > 3 ? atoi(argv[3]) : 200;
    int k = argc > 4 ? atoi(argv[4]) : 3;
    fk_rng r;
    fk_rng_seed(&r, 1);
    float *a = features(&r, n, d, 0), *c = features(&r, n, d, 0.05);
    if (!a || !c) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    fk_features x = fk_features_view(a, n, d), y = fk_features_view(c, n, d);
    fk_error e;
    double fd, t0 = now(), c0 = cpu();
    if (fk_boot_stat_fd(&x, &y, NULL, &fd, &e) != FK_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    double t_fd = now() - t0, c_fd = cpu() - c0;
    fk_boot_options o = fk_boot_default_options();
    o.replicates = b;
    fk_boot_result res;
    double *v32 = malloc(sizeof(double) * (size_t)(b + k)), *v64 = v32 + b;
    t0 = now();
    c0 = cpu();
    if (fk_bootstrap_fd(&x, &y, &o, &res, v32, &e) != FK_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    double t_boot = now() - t0, c_boot = cpu() - c0;
    printf("N=%lld d=%d B=%d\n", (long long)n, d, b);
    printf("one FD (moments + frechet): %.2f s wall, %.2f s CPU, FD = %.4f\n", t_fd, c_fd, fd);
    printf("bootstrap %.0f%% interval: %.1f s (%.2f s per replicate, %.1f x one FD): "
           "[%.4f, %.4f], std %.4f, bias %.4f\n",
           100 * o.level, t_boot, t_boot / b, t_boot / b / t_fd, res.lo, res.hi, res.std, res.bias);
    printf("CPU: %.2f s per replicate (%.2f x one FD); B = 200 on 2 idle cores ~ %.0f s\n",
           c_boot / b, c_boot / b / c_fd, 200 * c_boot / b / 2);
    if (k > 1 && k <= b) {
        o.replicates = k;
        o.single_precision = 0;
        t0 = now();
        if (fk_bootstrap_fd(&x, &y, &o, &res, v64, &e) != FK_OK) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        double t64 = (now() - t0) / k, worst = 0;
        for (int i = 0; i < k; i++)
            if (fabs(v32[i] - v64[i]) / fabs(v64[i]) > worst)
                worst = fabs(v32[i] - v64[i]) / fabs(v64[i]);
        printf("double scatter: %.2f s per replicate; float32 changed the first %d replicate "
               "FDs by at most %.2e relative\n", t64, k, worst);
    }
    free(v32);
    free(a);
    free(c);
    return 0;
}
