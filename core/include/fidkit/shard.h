/* fidkit — shards without MPI: `fidkit stats DATASET --shard I/K` (or
 * `extract`) on each task of a job array, then `fidkit merge part_*` gives
 * the file one process writes.
 *
 * A shard's stats file is an ordinary stats file (mu, sigma of its own
 * images, readable by pytorch-fid and clean-fid) whose `fidkit` metadata
 * holds a "shard" object (index, count, items, block, blocks, first_block,
 * n_blocks, fingerprint, skipped) and four more members with its block
 * partials (fidkit/partials.h): fidkit_part_span (k, 2) int64 block spans,
 * fidkit_part_n (k,) int64, fidkit_part_mean (k, d) and fidkit_part_m2
 * (k, d, d) float64 (lower triangle). A shard's features file is an
 * ordinary features file with the same "shard" object.
 *
 * The merge refuses, writing nothing: parts of different tags (FK_ERR_TAG),
 * parts of different listings (fingerprint, item count, block size) or
 * shard counts, duplicated or missing shards, and files that are not shards
 * (FK_ERR_ARG); corrupt partials (FK_ERR_FORMAT). The order the parts are
 * given in does not matter. Stats: the partials are pushed in shard order
 * through the one tree, so mu and sigma are the bits one process computes.
 * Features: rows are concatenated in shard order. */
#ifndef FIDKIT_SHARD_H
#define FIDKIT_SHARD_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "eval.h"
#include "extract.h"
#include "featset.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* extra_json (may be NULL) with the "shard" object of l added (malloc'ed). */
FK_API char *fk_shard_meta_json(const char *extra_json, const fk_dataset_listing *l, int64_t skipped);

/* Writes the stats file of a shard's extraction (set->n >= 2), atomically. */
FK_API fk_status fk_stats_part_write(const char *path, const fk_feature_set *set, const char *extra_json,
                                     fk_error *e);

/* One shard of a dataset through a backbone (o->extract.dataset.shard_*),
 * written to path; out (may be NULL) receives the shard's own stats. */
FK_API fk_status fk_dataset_stats_part(const char *dataset, const fk_eval_options *o, const char *path,
                                       fk_stats *out, int64_t *skipped, fk_error *e);

typedef struct fk_merged {
    int is_features;          /* 0: stats parts, 1: features parts */
    fk_stats stats;           /* stats parts: the whole listing's */
    fk_featset sets[16];      /* features parts: every output, all rows */
    int n_sets;
    int parts;
    int64_t skipped;
    char *meta_json;          /* the metadata the merged file records */
} fk_merged;

FK_API fk_status fk_merge_parts(const char *const *paths, int n, fk_merged *out, fk_error *e);
FK_API fk_status fk_merged_write(const char *path, const fk_merged *m, fk_error *e);
FK_API void fk_merged_free(fk_merged *m);

#ifdef __cplusplus
}
#endif
#endif
