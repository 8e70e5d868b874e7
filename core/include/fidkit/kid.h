/* fidkit — Kernel Inception Distance (Bińkowski et al. 2018): the unbiased
 * estimate of MMD^2 with the polynomial kernel k(x, y) = (gamma x.y + coef0)^degree,
 * gamma = 1/d, coef0 = 1, degree 3, averaged over random subsets.
 *
 * Per subset (m rows from each set, drawn without replacement):
 *   MMD^2 = [sum_{i!=j} Kxx + sum_{i!=j} Kyy] / (m (m-1)) - 2 sum_{i,j} Kxy / m^2
 * (the diagonal of Kxy is kept: torch-fidelity's and clean-fid's "unbiased").
 * The result is the mean over subsets and their standard deviation (ddof 0,
 * as np.std), as torch-fidelity prints them.
 *
 * Subsets come from fidkit's seeded generator (rng.h), drawn in this order:
 * for s = 0..subsets-1: choice(n1, m) for set 1, then choice(n2, m) for set 2.
 * They are not torch-fidelity's RandomState(2020) subsets; the mean agrees
 * within the spread of the estimate, not digit for digit.
 * fk_kid_subset_indices exposes the draws so that any other implementation
 * can be fed the same subsets.
 *
 * Kernel matrices are formed in double (DSYRK / DGEMM) one subset at a time:
 * memory is O(m^2 + m d). */
#ifndef FIDKIT_KID_H
#define FIDKIT_KID_H

#include <stdint.h>
#include "error.h"
#include "features.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_kid_options {
    int subsets;          /* 100 */
    int64_t subset_size;  /* 1000 */
    /* 0 (default): a set with fewer rows than subset_size is an error.
     * 1: clean-fid's convention, m = min(n1, n2, subset_size). */
    int shrink_to_fit;
    uint64_t seed;        /* 2020 */
    int degree;           /* 3 */
    double gamma;         /* 0: 1/d */
    double coef0;         /* 1 */
} fk_kid_options;

fk_kid_options fk_kid_default_options(void);

typedef struct fk_kid_result {
    double mean;
    double std;           /* over subsets, ddof 0 */
    int subsets;
    int64_t subset_size;  /* the m actually used */
} fk_kid_result;

/* mmd2 (optional, `subsets` entries) receives each subset's estimate. */
fk_status fk_kid(const fk_features *x, const fk_features *y, const fk_kid_options *opt,
                 fk_kid_result *r, double *mmd2, fk_error *e);

/* The subsets fk_kid draws: idx1 and idx2 hold subsets * m indices each
 * (subset s at [s*m, (s+1)*m)), m = the subset size fk_kid would use. */
fk_status fk_kid_subset_indices(int64_t n1, int64_t n2, const fk_kid_options *opt,
                                int64_t *idx1, int64_t *idx2, fk_error *e);

/* One subset's unbiased MMD^2 on given row indices (m each, distinct). */
fk_status fk_kid_mmd2(const fk_features *x, const int64_t *idx1, const fk_features *y,
                      const int64_t *idx2, int64_t m, const fk_kid_options *opt,
                      double *mmd2, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
