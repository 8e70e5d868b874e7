/* Inside the evaluation engine: one side's features, resolved from
 * whatever the caller gave (a path or objects), and the metric routines
 * that turn sides into results. */
#ifndef FK_EVAL_INTERNAL_H
#define FK_EVAL_INTERNAL_H

#include "fidkit/eval.h"
#include "fidkit/registry.h"
#include "fidkit/score.h"

#define FK_EVAL_MAX_LAYERS 3

/* The layers a request needs: [0] the main output, then logits, spatial. */
typedef struct eval_layers {
    const char *name[FK_EVAL_MAX_LAYERS]; /* "" : the main output, named by the inputs */
    int n;
    int i_main, i_logits, i_spatial;      /* -1: not needed */
} eval_layers;

typedef struct eval_side {
    fk_featset sets[FK_EVAL_MAX_LAYERS];  /* rows per layer (when kept) */
    int has_rows;
    fk_stats stats[FK_EVAL_MAX_LAYERS];   /* moments per layer (FD) */
    int has_stats[FK_EVAL_MAX_LAYERS];
    int stats_only;                       /* the input was a stats file or object */
    int64_t n, skipped;
    int cache;                            /* a dataset's FK_CACHE_* */
    int extracted;                        /* 1: a dataset */
    char *skipped_files;   /* JSON array, owned; NULL: none */
} eval_side;

/* One metric on resolved sides; appends its results. */
fk_status fk__eval_metric(fk_metric m, const fk_eval_options *o, const eval_layers *L,
                          eval_side *s, int nsides, fk_results *out, fk_error *e);

#endif
