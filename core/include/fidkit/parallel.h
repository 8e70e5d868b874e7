/* fidkit — the seam through which a front end that runs several processes
 * (the MPI build of the fidkit command, core/src/mpi/) takes over the two
 * expensive loops: extraction and FD bootstrap replicates. libfidkit knows
 * nothing of MPI; it calls these when they are set, and each must produce
 * exactly what the library computes alone (docs/scale.md).
 *
 * It travels in fk_extract_options.parallel, which every front end already
 * passes down (fk_eval_options.extract), and is copied into the bootstrap
 * options by the evaluation. */
#ifndef FIDKIT_PARALLEL_H
#define FIDKIT_PARALLEL_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fk_backbone;
struct fk_extract_options;
struct fk_feature_set;
struct fk_features;
struct fk_boot_options;

typedef struct fk_parallel {
    void *user;
    /* fk_extract's work: every process extracts its shard (whole blocks),
     * sets receive the partials merged in listing order and the rows in
     * listing order. o has parallel cleared. NULL: extract here. */
    fk_status (*extract)(void *user, struct fk_backbone *b, const char *dataset,
                         const struct fk_extract_options *o, struct fk_feature_set *sets,
                         fk_error *e);
    /* fk_bootstrap_fd's replicates: values[0..o->replicates) in replicate
     * order, each as fk_bootstrap_fd_replicates computes it. o has parallel
     * cleared. NULL: compute here. */
    fk_status (*fd_replicates)(void *user, const struct fk_features *x,
                               const struct fk_features *y, const struct fk_boot_options *o,
                               double *values, fk_error *e);
} fk_parallel;

#ifdef __cplusplus
}
#endif
#endif
