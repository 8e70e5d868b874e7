/* fidkit — features files: the feature rows of a dataset, kept so that
 * metrics beyond FD (KID, precision/recall, IS, ...) can be computed without
 * extracting again.
 *
 * An .npz whose member `feats` (N x d float32) is the config's main output,
 * as clean-fid stores features, plus `feats_OUTPUT` for each further output
 * extracted in the same pass (e.g. feats_logits_unbiased, feats_spatial),
 * and `fidkit`: JSON with the format, N, and the tag of every member. */
#ifndef FIDKIT_FEATFILE_H
#define FIDKIT_FEATFILE_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "featset.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes sets[0] as `feats` and sets[1..n) as `feats_LAYER`, atomically.
 * extra_json (may be NULL) is merged into the metadata. */
FK_API fk_status fk_featfile_write(const char *path, const fk_featset *sets, int n,
                                   const char *extra_json, fk_error *e);

/* Whether path is a features file (an .npz with `feats`). */
FK_API int fk_featfile_is(const char *path);

/* Reads the member holding output `layer` (NULL: `feats`) into rows
 * (malloc'ed, n x d) with its tag; has_tag is 0 for clean-fid files. */
FK_API fk_status fk_featfile_read(const char *path, const char *layer, float **rows, int64_t *n,
                                  int *d, fk_tag *tag, int *has_tag, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
