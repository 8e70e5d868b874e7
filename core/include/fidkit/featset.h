/* fidkit — a feature set: the rows one output of a backbone gave for a set
 * of images, with the tag of the ruler that measured them and where they
 * came from.
 *
 * Every metric of the tagged layer (fidkit/score.h, fidkit/eval.h) takes
 * feature sets or stats (fidkit/stats.h), never bare arrays, so the refusal
 * rule is the library's, not its callers'. A feature set is made only by the
 * functions below, each of which sets the tag: from an extraction, from a
 * features file (whose tag it reads, or an assumed one for clean-fid files),
 * or from rows the caller computed, with the tag the caller declares.
 *
 * The struct is open so callers can read it; a set whose has_tag is 0 (a
 * foreign file read without an assumed tag) is refused by every metric. */
#ifndef FIDKIT_FEATSET_H
#define FIDKIT_FEATSET_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "features.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FK_SOURCE_MAX 1024

typedef struct fk_featset {
    fk_tag tag;
    int has_tag;                /* 0: untagged foreign rows, refused by the metrics */
    int d;
    int64_t n;
    float *rows;                /* n x d, row-major, owned by the set */
    char source[FK_SOURCE_MAX]; /* provenance: a dataset or file path, or "memory" */
    int64_t skipped;            /* undecodable images skipped on the way (--skip-bad) */
} fk_featset;

/* Copies n x d rows computed elsewhere (a user's own model) under the tag
 * the caller declares. Rows must be finite; source may be NULL ("memory"). */
FK_API fk_status fk_featset_from_rows(const float *rows, int64_t n, int d, const fk_tag *tag,
                                      const char *source, fk_featset *out, fk_error *e);

/* Reads the member of a features file holding output `layer` (NULL: the main
 * `feats`). An untagged file (clean-fid) takes `assumed` when it is not NULL
 * and stays untagged otherwise. */
FK_API fk_status fk_featset_read(const char *path, const char *layer, const fk_tag *assumed,
                                 fk_featset *out, fk_error *e);

/* Writes sets[0] as `feats` and the others as `feats_LAYER`, atomically;
 * every set must be tagged and have the same n. */
FK_API fk_status fk_featset_write(const char *path, const fk_featset *sets, int n,
                                  const char *extra_json, fk_error *e);

FK_API void fk_featset_free(fk_featset *s);

/* A read-only view of the rows for the kernels (fidkit/features.h). */
static inline fk_features fk_featset_view(const fk_featset *s)
{
    return fk_features_view(s->rows, s->n, s->d);
}

/* The untagged-input message every metric gives: FK_ERR_TAG naming the set. */
FK_API fk_status fk_featset_require_tag(const fk_featset *s, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
