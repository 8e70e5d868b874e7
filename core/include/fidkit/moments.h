/* fidkit — streaming first and second moments of feature rows.
 *
 * Rows arrive in batches of any size (float32, row-major n x d) and are
 * accumulated in double: count, mean and the scatter matrix
 * M2 = sum (x - mean)(x - mean)^T, so that memory is O(d^2) whatever N is.
 * Each batch is centred on its own mean and folded in with Chan et al.'s
 * pairwise update, which is also how two partial accumulators merge: shards,
 * threads or ranks combined give the whole set's moments up to rounding. */
#ifndef FIDKIT_MOMENTS_H
#define FIDKIT_MOMENTS_H

#include "export.h"

#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_moments {
    int d;
    int64_t n;
    double *mean;   /* d */
    double *m2;     /* d x d; lower triangle is kept, upper is scratch */
    double *work;   /* a block of centred rows */
} fk_moments;

FK_API fk_status fk_moments_init(fk_moments *m, int d, fk_error *e);
FK_API void fk_moments_free(fk_moments *m);
FK_API void fk_moments_reset(fk_moments *m);

/* Adds n rows. A NaN or Inf in any row is an error naming the row. */
FK_API fk_status fk_moments_add(fk_moments *m, const float *rows, int64_t n, fk_error *e);
/* Same, for rows already in double. */
FK_API fk_status fk_moments_add_f64(fk_moments *m, const double *rows, int64_t n, fk_error *e);
/* dst += src (same d). */
FK_API fk_status fk_moments_merge(fk_moments *dst, const fk_moments *src, fk_error *e);

/* mean (d) and unbiased covariance M2 / (n - 1) (d x d, full and symmetric),
 * as numpy.cov(rowvar=False). Needs n >= 2. Either output may be NULL. */
FK_API fk_status fk_moments_result(const fk_moments *m, double *mean, double *cov, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
