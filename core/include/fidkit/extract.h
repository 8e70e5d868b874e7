/* fidkit — one pass from a dataset to features: the loader decodes, resizes
 * and normalises on worker threads, the backbone computes every requested
 * output at once, and each output's rows go into streaming moments and, on
 * request, into a kept matrix (for metrics beyond FD). */
#ifndef FIDKIT_EXTRACT_H
#define FIDKIT_EXTRACT_H

#include "export.h"

#include <stdint.h>
#include "dataset.h"
#include "error.h"
#include "featset.h"
#include "loader.h"
#include "moments.h"
#include "parallel.h"
#include "partials.h"
#include "perturb.h"
#include "registry.h"
#include "stats.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called after each batch with the images done so far and the total. */
typedef void (*fk_progress_fn)(void *user, int64_t done, int64_t total);

typedef struct fk_extract_options {
    fk_dataset_options dataset;
    fk_loader_options loader;   /* batch_size 0: the config's */
    int keep_rows;              /* 1: keep every output's feature rows */
    fk_progress_fn progress;
    void *progress_user;
    /* Several processes share the work (parallel.h); NULL: this one alone. */
    const fk_parallel *parallel;
    /* Images disturbed as they are decoded (perturb.h; kind NONE or level 0:
     * none), each by its index in the whole listing, so shards and ranks
     * draw what one process draws. Data, not a hook, so it travels to other
     * ranks. Contamination replaces items by those of the dataset
     * `contaminant`. Not with loader.hook. */
    fk_perturbation perturb;
    const char *contaminant;
} fk_extract_options;

FK_API fk_extract_options fk_extract_default_options(void);

typedef struct fk_feature_set {
    fk_tag tag;
    int d;
    int64_t n;
    fk_moments moments;
    float *rows;          /* n x d when kept, else NULL */
    int64_t skipped;      /* items skipped as undecodable (skip_bad) */
    fk_partials parts;    /* the block partials of the items extracted */
    fk_dataset_listing listing; /* the listing and the share extracted */
} fk_feature_set;

/* sets: fk_backbone_n_outputs(b) of them, filled in output order.
 * Moments are the fixed-tree merge of the block partials (partials.h), so
 * they do not depend on batch sizes, threads or how the listing is shared
 * among processes. A shard (o->dataset.shard_count > 0) may be empty: its
 * sets then have n = 0 and no partials. */
FK_API fk_status fk_extract(fk_backbone *b, const char *dataset, const fk_extract_options *o,
                            fk_feature_set *sets, fk_error *e);
FK_API void fk_feature_set_free(fk_feature_set *s);

/* Moves the kept rows of an extraction into a tagged feature set (s->rows
 * becomes NULL); source names the dataset. */
FK_API fk_status fk_featset_take(fk_feature_set *s, const char *source, fk_featset *out, fk_error *e);

/* mean, covariance, N and tag of a feature set, as a stats file holds them.
 * The caller frees with fk_stats_free. */
FK_API fk_status fk_feature_set_stats(const fk_feature_set *s, fk_stats *out, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
