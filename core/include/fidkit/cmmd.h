/* fidkit — CMMD (Jayasumana et al. 2024, google-research/cmmd): the biased
 * MMD^2 estimate with a Gaussian RBF kernel k(x, y) = exp(-|x - y|^2 / (2 sigma^2)),
 * sigma = 10, means over the full kernel matrices with their diagonals, times
 * 1000:
 *
 *   CMMD = 1000 * (mean Kxx + mean Kyy - 2 mean Kxy)
 *
 * The reference embeds with CLIP ViT-L/14 at 336 px and L2-normalises every
 * embedding inside its embedding model, before this formula. fidkit's CLIP
 * backbone output is what the plugin gives; set `normalize` = 1 to have the
 * rows L2-normalised here (the default, 0, takes them as given, so that
 * normalised input is not normalised twice).
 *
 * Kernel sums are accumulated tile by tile (double DGEMM tiles of 1024 x 4096),
 * so memory stays O(tile) at any N; a set against itself forms only the
 * tiles on and right of the diagonal. */
#ifndef FIDKIT_CMMD_H
#define FIDKIT_CMMD_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "features.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_cmmd_options {
    double sigma;     /* 10 */
    double scale;     /* 1000 */
    int normalize;    /* 0: rows as given; 1: L2-normalise each row first */
    int64_t block_rows, block_cols; /* tile, 0: 1024 x 4096 */
} fk_cmmd_options;

FK_API fk_cmmd_options fk_cmmd_default_options(void);

typedef struct fk_cmmd_result {
    double cmmd;      /* scale * mmd2 */
    double kxx, kyy, kxy; /* the three kernel means */
} fk_cmmd_result;

/* x: reference embeddings, y: generated ones (the formula is symmetric). */
FK_API fk_status fk_cmmd(const fk_features *x, const fk_features *y, const fk_cmmd_options *opt,
                         fk_cmmd_result *r, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
