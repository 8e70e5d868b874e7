/* Internal: squared Euclidean distances between tiles of float32 rows.
 *
 * Rows are widened to double and each tile is |a|^2 + |b|^2 - 2 a.b from one
 * DGEMM, clamped at 0. Double keeps the cancellation error of near neighbours
 * far below the gaps that decide a k-NN ball (float32, as the peers use, loses
 * about 7 digits of |a|^2 there). Callers walk a row block against column
 * blocks, so memory is O(tile), never O(N^2). */
#ifndef FK_PAIRDIST_H
#define FK_PAIRDIST_H

#include <stdint.h>
#include "fidkit/error.h"

typedef struct fk__pd {
    int d;
    int64_t rows, cols; /* tile capacity */
    double *a, *b;      /* widened rows */
    double *tile;       /* rows x cols, leading dimension = the tile's column count */
} fk__pd;

fk_status fk__pd_init(fk__pd *p, int d, int64_t rows, int64_t cols, fk_error *e);
void fk__pd_free(fk__pd *p);

/* out[i] = |scale_i * x_i|^2 (scale may be NULL: 1). */
void fk__pd_norms(const float *x, int64_t n, int d, const double *scale, double *out);

/* p->tile[i * nb + j] = |sa_i a_i - sb_j b_j|^2 for i < na, j < nb, where
 * a, b point at the first row of each block and norm_a, norm_b at their
 * norms from fk__pd_norms; sa, sb are per-row scales or NULL. */
void fk__pd_tile(fk__pd *p, const float *a, const double *sa, const double *norm_a, int64_t na,
                 const float *b, const double *sb, const double *norm_b, int64_t nb);

#endif
