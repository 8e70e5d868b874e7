/* fidkit — a read-only view of a feature matrix: n rows of d float32 values,
 * row-major, as backbones produce them. The metrics (KID, precision/recall,
 * IS, CMMD, FD-infinity, bootstrap) take views, never copies, so that the
 * caller keeps ownership of the rows. */
#ifndef FIDKIT_FEATURES_H
#define FIDKIT_FEATURES_H

#include "export.h"

#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_features {
    const float *x;   /* n x d, row-major */
    int64_t n;
    int d;
} fk_features;

static inline fk_features fk_features_view(const float *x, int64_t n, int d)
{
    fk_features f;
    f.x = x;
    f.n = n;
    f.d = d;
    return f;
}

/* Checks a view before a metric touches it: non-NULL data, d >= 1, at least
 * min_rows rows, every value finite (a NaN or Inf is named by row and
 * column). `what` names the set in the message ("KID: generated features"). */
FK_API fk_status fk_features_check(const fk_features *f, const char *what, int64_t min_rows,
                                   fk_error *e);

/* Both views, plus equal dimensions. */
FK_API fk_status fk_features_check_pair(const fk_features *a, const char *what_a,
                                        const fk_features *b, const char *what_b,
                                        int64_t min_rows, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
