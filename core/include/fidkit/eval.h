/* fidkit — one evaluation: "these inputs, this backbone config, these
 * metrics with their options, this interval" gives a list of tagged
 * results. Every front end (the fidkit command's fid, is, score; sweeps;
 * the Python package) builds an fk_eval_options and calls fk_evaluate, so
 * they all compute the same numbers the same way.
 *
 * An input is a path (a dataset: folder, zip, npz/npy of uint8 samples, list
 * or manifest; a stats file; a features file) or an object in memory (stats
 * or feature sets). Datasets are extracted once, through the config's
 * backbone, with every output the requested metrics need. Results carry
 * the tag of their space; inputs with different tags are refused with
 * FK_ERR_TAG by the tagged metric layer (score.h).
 *
 * Results serialise to JSON (schema "fidkit-result/1", docs/cli.md) through
 * fk_results_json, the one serialiser of every command's --json. */
#ifndef FIDKIT_EVAL_H
#define FIDKIT_EVAL_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>
#include "defaults.h"
#include "error.h"
#include "extract.h"
#include "featset.h"
#include "config.h"
#include "frechet.h"
#include "inception_score.h"
#include "kid.h"
#include "stats.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif


typedef enum fk_metric {
    FK_METRIC_FD = 0,   /* "fid": FID, or FD_<space> for other backbones */
    FK_METRIC_SFID,     /* "sfid" */
    FK_METRIC_KID,      /* "kid" */
    FK_METRIC_PR,       /* "pr": precision and recall (ADM, k=3) */
    FK_METRIC_PRDC,     /* "prdc": + density and coverage (dgm-eval, k=5) */
    FK_METRIC_IS,       /* "is": of the last input */
    FK_METRIC_FDINF,    /* "fd-inf" */
    FK_METRIC_CMMD,     /* "cmmd" */
    FK_METRIC_COUNT
} fk_metric;

#define FK_METRIC_BIT(m) (1u << (m))

FK_API const char *fk_metric_name(fk_metric m);
/* "fid,kid,pr" to a bit mask; an unknown name is FK_ERR_ARG listing them. */
FK_API fk_status fk_metric_parse_list(const char *list, unsigned *mask, fk_error *e);

/* One side of the comparison: exactly one of path, stats, sets. */
typedef struct fk_eval_input {
    const char *path;
    const fk_stats *stats;
    const fk_featset *sets;   /* one per output the metrics need, any order */
    int n_sets;
    const char *role;         /* "real", "generated"; NULL: by position */
} fk_eval_input;

typedef struct fk_eval_options {
    size_t struct_size;         /* sizeof(fk_eval_options), set by the default */
    const char *backbone;       /* config name or path; NULL: FK_DEFAULT_BACKBONE */
    fk_extract_options extract; /* dataset, loader, progress */
    unsigned metrics;           /* FK_METRIC_BIT mask */
    int interval;               /* 1: 95 % bootstrap intervals */
    int replicates_fd;          /* 200 */
    int replicates_other;       /* 20 */
    uint64_t seed;              /* subsets, splits and resamples: 2020 */
    int64_t kid_subset_size;    /* 0: 1000, shrunk to the smaller set (said in the result) */
    int kid_subsets;            /* 0: 100 */
    fk_kid_convention kid_convention; /* whose subset draws: torch-fidelity (default) */
    fk_is_convention is_convention;
    int is_splits;              /* 0: the convention's */
    const char *is_output;      /* NULL: FK_IS_DEFAULT_OUTPUT */
    const fk_tag *assume;       /* the tag of untagged (foreign) inputs, or NULL */
    fk_fd_options fd;
} fk_eval_options;

FK_API fk_eval_options fk_eval_default_options(void);

typedef struct fk_interval {
    int present;
    double level, lo, hi;
    int replicates;
    double bias;                /* replicate mean - estimate */
    char method[160];
} fk_interval;

typedef struct fk_result {
    char metric[16];            /* the request's name: fid, sfid, kid, pr, prdc, is, fd-inf, cmmd */
    char name[48];              /* the label: FID, FD_CLIP, sFID, KID, precision, ... */
    double value;
    fk_interval interval;
    int n_sides;
    int64_t n[2];               /* samples on each side (0: unknown) */
    char convention[320];
    fk_tag tag;
    double seconds;             /* time to compute it (and its interval) */
    /* details, where the metric has them */
    int has_fd;
    fk_fd_result fd;            /* FD diagnostics */
    int d;
    double std;                 /* KID: over subsets; IS: over splits; NaN: none */
    int splits, subsets;
    int64_t subset_size;
    uint64_t seed;
    int has_seed;
    char extra[512];            /* a JSON object merged into "details", "" for none */
} fk_result;

typedef struct fk_side_info {
    char role[16];
    char path[FK_SOURCE_MAX];
    int64_t n;
    int64_t skipped;
} fk_side_info;

typedef struct fk_results {
    int n;
    fk_result *items;
    char backbone[1024];        /* the config used for extraction, "" when none was */
    int n_sides;
    fk_side_info sides[2];
    double extract_seconds, metric_seconds;
    char notes[4][256];         /* what the user should know (a KID subset shrunk, ...) */
    int n_notes;
} fk_results;

/* inputs: 2 (real, generated) or, for IS alone, 1. */
FK_API fk_status fk_evaluate(const fk_eval_input *inputs, int n_inputs, const fk_eval_options *opt,
                             fk_results *out, fk_error *e);
FK_API void fk_results_free(fk_results *r);

/* Appends one result (copied); for front ends that compute a metric
 * themselves through score.h (clipscore, adm). */
FK_API fk_status fk_results_add(fk_results *r, const fk_result *item, fk_error *e);
FK_API fk_result fk_result_init(const char *metric, const char *name, const fk_tag *tag);

/* The "fidkit-result/1" JSON of r (malloc'ed; free with free()). command
 * names the front end ("score"); pretty: indented. NULL when out of memory. */
FK_API char *fk_results_json(const fk_results *r, const char *command, int pretty);
/* {"schema": ..., "error": {"message", "status", "exit_code"}} */
FK_API char *fk_error_json(const fk_error *e, const char *command, int exit_code, int pretty);

/* ---- the ADM evaluator's five numbers --------------------------------- */

/* IS (chunks of 5000), FID and sFID against the reference batch's mu/sigma
 * and mu_s/sigma_s, precision and recall (k=3) against its images, from an
 * ADM reference batch (.npz with arr_0, mu, sigma, mu_s, sigma_s) and a
 * sample batch. The reference statistics carry no tag: they are taken as
 * measured by the backbone of o (the ADM evaluator's network, config
 * inception_v3_fid_tf), which is what asking for the ADM numbers asserts. */
FK_API fk_status fk_adm_evaluate(const char *reference, const char *sample, const fk_eval_options *o,
                                 fk_results *out, fk_error *e);

/* ---- one dataset through a backbone (fidkit stats, fidkit extract) ---- */

/* The tagged stats of a dataset's main output (o: backbone, extract). */
FK_API fk_status fk_dataset_stats(const char *dataset, const fk_eval_options *o, fk_stats *out,
                                  int64_t *skipped, char **provenance_json, fk_error *e);
/* The tagged rows of outputs (NULL: the config's) of a dataset; *n_sets
 * filled (at most 16). */
FK_API fk_status fk_dataset_features(const char *dataset, const fk_eval_options *o,
                                     const char *const *outputs, int n_outputs, fk_featset *sets,
                                     int *n_sets, char **provenance_json, fk_error *e);
/* The metadata a stats or features file records beside its tags: dataset,
 * config, preprocessing, skipped images (malloc'ed JSON object). */
FK_API char *fk_provenance_json(const fk_config *c, const char *dataset, int64_t skipped);

/* The --json of a command that wrote a file: schema, file, and each
 * output's n, d and tag. */
FK_API char *fk_written_json(const char *command, const char *path, const fk_featset *sets, int n,
                             const fk_stats *stats, int64_t skipped, int pretty);

#ifdef __cplusplus
}
#endif
#endif
