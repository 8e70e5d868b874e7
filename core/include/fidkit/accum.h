/* fidkit — a streaming accumulator: for callers that hold images or
 * features in memory (the Python package, a training loop, an MPI rank).
 *
 * Open one for a backbone config and push batches of uint8 RGB images (HWC,
 * any size: each is preprocessed exactly as the loader would preprocess
 * the decoded file), or open one for a declared tag and push feature rows
 * computed elsewhere. Read the tagged stats or feature set at any time;
 * merge two accumulators of the same tag (shards) exactly as their
 * moments merge (fidkit/moments.h). Results equal fk_extract's on the same
 * images: the same preprocessing, the same forward, the same moments. */
#ifndef FIDKIT_ACCUM_H
#define FIDKIT_ACCUM_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "featset.h"
#include "moments.h"
#include "stats.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_accum fk_accum;

/* backbone: a config name or path (NULL: the default FID Inception);
 * outputs: NULL for the config's output; keep_rows: 1 to keep every row
 * (needed for metrics beyond FD). */
FK_API fk_status fk_accum_open(const char *backbone, const char *const *outputs, int n_outputs,
                               int keep_rows, fk_accum **out, fk_error *e);
/* For features computed elsewhere, under the tag the caller declares. */
FK_API fk_status fk_accum_open_features(const fk_tag *tag, int d, int keep_rows, fk_accum **out,
                                        fk_error *e);
FK_API void fk_accum_close(fk_accum *a);
FK_API void fk_accum_reset(fk_accum *a);

/* n images of h x w x 3 uint8, contiguous. Only for backbone accumulators. */
FK_API fk_status fk_accum_push_images(fk_accum *a, const uint8_t *hwc, int n, int h, int w,
                                      fk_error *e);
/* n x d rows of output `output` (0 for feature accumulators). */
FK_API fk_status fk_accum_push_features(fk_accum *a, int output, const float *rows, int64_t n, int d,
                                        fk_error *e);
/* Folds src's moments (and kept rows) into dst: same tags, or FK_ERR_TAG. */
FK_API fk_status fk_accum_merge(fk_accum *dst, const fk_accum *src, fk_error *e);

FK_API int fk_accum_n_outputs(const fk_accum *a);
FK_API int fk_accum_dim(const fk_accum *a, int output);
FK_API int64_t fk_accum_count(const fk_accum *a);
FK_API void fk_accum_tag(const fk_accum *a, int output, fk_tag *tag);
/* The float64 moments of an output: what a shard hands to a merge. */
FK_API const fk_moments *fk_accum_moments(const fk_accum *a, int output);
/* Adds moments computed by another process under the same tag. */
FK_API fk_status fk_accum_add_moments(fk_accum *a, int output, const fk_moments *m, fk_error *e);

FK_API fk_status fk_accum_stats(const fk_accum *a, int output, fk_stats *out, fk_error *e);
/* A copy of the kept rows (keep_rows), tagged. */
FK_API fk_status fk_accum_featset(const fk_accum *a, int output, fk_featset *out, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
