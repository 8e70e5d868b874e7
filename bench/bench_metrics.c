/* Times the metric family on simulated features at realistic sizes.
 *
 *   bench_metrics [N [d]]   (10000 2048)
 *
 * KID (100 subsets of 1000), precision/recall (ADM convention, k = 3),
 * PRDC (dgm-eval, k = 5), CMMD, FD-infinity (15 points), and IS from
 * N x 1008 logits. Build: cmake --build build --target bench_metrics
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fidkit/cmmd.h"
#include "fidkit/fdinf.h"
#include "fidkit/inception_score.h"
#include "fidkit/kid.h"
#include "fidkit/prdc.h"
#include "fidkit/rng.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *features(fk_rng *r, int64_t n, int d, double shift)
{
    float *x = malloc(sizeof(float) * (size_t)n * (size_t)d);
    for (int64_t i = 0; i < n * d; i++) {
        double v = fk_rng_normal(r) + shift;
        x[i] = (float)(v > 0 ? v : 0);
    }
    return x;
}

#define RUN(name, call)                                                                     \
    do {                                                                                    \
        double t0_ = now();                                                                 \
        if ((call) != FK_OK) {                                                              \
            fprintf(stderr, "%s: %s\n", name, e.msg);                                       \
            return 1;                                                                       \
        }                                                                                   \
        printf("%-28s %8.2f s", name, now() - t0_);                                         \
    } while (0)

int main(int argc, char **argv)
{
    int64_t n = argc > 1 ? atoll(argv[1]) : 10000;
    int d = argc > 2 ? atoi(argv[2]) : 2048;
    const char *only = argc > 3 ? argv[3] : "";
    fk_rng r;
    fk_rng_seed(&r, 3);
    float *a = features(&r, n, d, 0), *b = features(&r, n, d, 0.05);
    fk_features x = fk_features_view(a, n, d), y = fk_features_view(b, n, d);
    fk_error e;
    printf("N = %lld per set, d = %d\n", (long long)n, d);
    if (!*only || only[0] == 'k') {
        fk_kid_options ko = fk_kid_default_options();
        fk_kid_result kr;
        RUN("KID 100 x 1000", fk_kid(&x, &y, &ko, &kr, NULL, &e));
        printf("   %.6f +- %.6f\n", kr.mean, kr.std);
    }
    if (!*only || only[0] == 'p') {
        fk_prdc_options po = fk_prdc_default_options(FK_PR_ADM);
        fk_prdc_result pr;
        RUN("precision/recall (ADM)", fk_prdc(&x, &y, &po, &pr, &e));
        printf("   P %.4f R %.4f\n", pr.precision, pr.recall);
    }
    if (!*only || only[0] == 'c') {
        fk_cmmd_options co = fk_cmmd_default_options();
        fk_cmmd_result cr;
        RUN("CMMD", fk_cmmd(&x, &y, &co, &cr, &e));
        printf("   %.6f\n", cr.cmmd);
    }
    if (!*only || only[0] == 'f') {
        fk_fdinf_options fo = fk_fdinf_default_options();
        fk_fdinf_result fr;
        RUN("FD-infinity (15 points)", fk_fd_infinity(&x, &y, &fo, &fr, NULL, NULL, &e));
        printf("   %.4f +- %.4f\n", fr.fd_inf, fr.std_error);
    }
    if (!*only || only[0] == 'i') {
        int64_t ni = 5 * n;
        float *l = malloc(sizeof(float) * (size_t)ni * 1008);
        for (int64_t i = 0; i < ni * 1008; i++)
            l[i] = (float)(3 * fk_rng_normal(&r));
        fk_features lf = fk_features_view(l, ni, 1008);
        fk_is_options io = fk_is_default_options(FK_IS_TORCH_FIDELITY);
        fk_is_result ir;
        char name[64];
        snprintf(name, sizeof name, "IS %lld x 1008", (long long)ni);
        RUN(name, fk_inception_score(&lf, &io, &ir, NULL, &e));
        printf("   %.4f +- %.4f\n", ir.mean, ir.std);
        free(l);
    }
    free(a);
    free(b);
    return 0;
}
