/* fidkit — rank agreement between two orderings of the same items (e.g. two
 * backbones' scores of the same generated sets), as scipy.stats computes it.
 *
 *   Spearman rho   Pearson correlation of the average ranks (ties share the
 *                  mean of the ranks they span): scipy.stats.spearmanr.
 *   Kendall tau-b  (P - Q) / sqrt((n0 - n1)(n0 - n2)), n0 = n(n-1)/2, n1 and
 *                  n2 the pairs tied in x and in y, P and Q the concordant and
 *                  discordant pairs (pairs tied in either are neither):
 *                  scipy.stats.kendalltau(variant='b').
 *
 * Both are undefined when either vector is constant (scipy returns NaN):
 * fidkit returns FK_ERR_NUMERIC instead, naming the constant side. O(n^2)
 * pairs for tau-b: meant for tens of models, not millions. */
#ifndef FIDKIT_RANKSTATS_H
#define FIDKIT_RANKSTATS_H

#include "export.h"

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Average ranks (1-based) of x[0..n) into r. */
FK_API fk_status fk_rank_average(const double *x, int n, double *r, fk_error *e);
FK_API fk_status fk_spearman(const double *x, const double *y, int n, double *rho, fk_error *e);
FK_API fk_status fk_kendall_tau_b(const double *x, const double *y, int n, double *tau, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
