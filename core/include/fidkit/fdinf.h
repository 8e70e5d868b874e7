/* fidkit — FD-infinity (Chong and Forsyth 2020), as dgm-eval computes it.
 *
 * FD grows like a + b/N with the number N of generated samples (the bias of
 * the covariance estimate). FD-infinity evaluates FD_N for `num_points` (15)
 * sizes of random subsets of the GENERATED set, against statistics of the
 * whole REFERENCE set, fits FD_N = a + b (1/N) by ordinary least squares and
 * reports the intercept a, with its standard error from the fit:
 *   se(a) = sqrt( RSS/(n-2) * (1/n + mean(1/N)^2 / Sxx) ).
 *
 * Sizes (dgm-eval): N_i = int32(linspace(min(5000, max(N2 // 10, 2)), N2, 15)),
 * i.e. start + i * (N2 - start) / 14 truncated toward zero, the last exactly
 * N2; each subset is drawn without replacement. dgm-eval draws them with an
 * unseeded numpy default_rng; fidkit uses its seeded generator (rng.h):
 * subset i is choice(N2, N_i) in order i = 0..14 from one stream.
 * FD is fk_frechet with the given options (default: AUTO, no eps). */
#ifndef FIDKIT_FDINF_H
#define FIDKIT_FDINF_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "features.h"
#include "frechet.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_fdinf_options {
    int num_points;        /* 15 */
    int64_t min_size;      /* 0: dgm-eval's min(5000, max(N2 // 10, 2)) */
    uint64_t seed;         /* 2020 */
    fk_fd_options fd;
} fk_fdinf_options;

FK_API fk_fdinf_options fk_fdinf_default_options(void);

typedef struct fk_fdinf_result {
    double fd_inf;         /* the intercept */
    double std_error;      /* its standard error from the fit */
    double slope;          /* b: FD_N ~ fd_inf + slope / N */
    int num_points;
} fk_fdinf_result;

/* The subset sizes for n2 generated rows (num_points entries). */
FK_API fk_status fk_fdinf_sizes(int64_t n2, const fk_fdinf_options *opt, int64_t *sizes, fk_error *e);

/* Reference given as statistics (mean d, covariance d x d) of the full set.
 * sizes and fds (optional, num_points entries) receive each point. */
FK_API fk_status fk_fd_infinity_stats(int d, const double *mu_ref, const double *sigma_ref,
                                      const fk_features *generated, const fk_fdinf_options *opt,
                                      fk_fdinf_result *r, int64_t *sizes, double *fds, fk_error *e);

/* Same with the reference given as rows (its moments are computed here). */
FK_API fk_status fk_fd_infinity(const fk_features *reference, const fk_features *generated,
                                const fk_fdinf_options *opt, fk_fdinf_result *r, int64_t *sizes,
                                double *fds, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
