/* fidkit — ablation sweeps: one YAML file describes a base job (datasets,
 * backbones, metrics, sample count, seed) and axes to vary; the runner scores
 * every point of their Cartesian product, caches feature sets on disk so that
 * points sharing one extract it once, journals each finished point so that an
 * interrupted sweep resumes, and ends in results.csv/json, plots and a report.
 *
 *     fidkit_sweep: 1                  # format version
 *     name: ttur_disturbances          # optional, for titles
 *     description: ...                 # optional, copied into the report
 *     real: data/real                  # datasets; relative to the YAML's folder
 *     fake: data/real                  # the set that is perturbed
 *     other: data/other                # contamination's replacement images
 *     backbones: [inception_v3_random] # config names or paths
 *     metrics: [fid, kid]              # fid, kid, fd-inf
 *     n: 200                           # use the first n items of each set (0: all)
 *     seed: 0                          # perturbation, bootstrap and metric seed
 *     ci: bootstrap                    # bootstrap | none
 *     replicates: 50                   # bootstrap replicates
 *     kid_subsets: 100                 # optional: KID's subsets (as score's --kid-subsets)
 *     kid_subset_size: 1000            # optional: rows per subset; default min(1000, n)
 *     perturbation: none               # base perturbation kind (perturb.h names)
 *     level: 0                         # base level in [0, 1]
 *     resize: clean                    # optional: overrides every config's input.resize
 *     axes:                            # name -> list of values
 *       perturbation: [gaussian_noise, gaussian_blur]
 *       level: [0, 0.5, 1]
 *
 * Axes: backbone, resize, n, perturbation, level, seed, fake. Points are the
 * Cartesian product with the axes in file order, the last varying fastest
 * (a base `backbones` list of more than one entry is an implicit first axis
 * `backbone`). Unknown keys and bad values are errors naming file, line, key.
 *
 * A point's feature sets are cached in OUT/cache as features files
 * (featfile.h) named by the SHA-256 of a key made of: the dataset's content
 * key (fcache.h: its kind, listing and a hash of every byte), the
 * sample limit, the perturbation (kind, level, seed; "none" at level 0 and
 * the seed only for random kinds), the contamination source's content key,
 * the SHA-256 of the backbone config file, the resize override, and the tag.
 * OUT/journal.json holds every finished point's results, rewritten
 * atomically after each point; a point whose key is in it is never
 * recomputed. Results hold no timestamps: an interrupted and resumed sweep
 * writes byte-identical results.csv/json to an uninterrupted one. */
#ifndef FIDKIT_SWEEP_H
#define FIDKIT_SWEEP_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "parallel.h"
#include "perturb.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FK_SWEEP_VERSION 1
#define FK_SWEEP_MAX_BACKBONES 16
#define FK_SWEEP_MAX_METRICS 16
#define FK_SWEEP_PATH_MAX 1024

typedef enum fk_sweep_axis_kind {
    FK_AXIS_BACKBONE,
    FK_AXIS_RESIZE,
    FK_AXIS_N,
    FK_AXIS_PERTURBATION,
    FK_AXIS_LEVEL,
    FK_AXIS_SEED,
    FK_AXIS_FAKE,
    FK_AXIS_COUNT
} fk_sweep_axis_kind;

/* "backbone", "resize", ...; NULL for others. */
FK_API const char *fk_sweep_axis_name(fk_sweep_axis_kind k);
/* 1 for the numeric axes (n, level, seed): numbers in results.json; plots
 * put level and n on their x axis. */
FK_API int fk_sweep_axis_numeric(fk_sweep_axis_kind k);

typedef struct fk_sweep_axis {
    fk_sweep_axis_kind kind;
    int n_values;
    char **values;        /* normalised text: resolved paths, "%.17g" numbers */
    int line;
} fk_sweep_axis;

/* Rank agreement across backbones (report.md) needs at least this many
 * fake sets; with fewer it is not reported. */
#define FK_SWEEP_MIN_RANK_POINTS 4
#define FK_SWEEP_MAX_LABELS 32

/* One number per point each. The sweep file names them as `fidkit score`
 * does: fid, kid, fd-inf, cmmd, pr (precision and recall, k=3: two rows) and
 * prdc (precision, recall, density, coverage, k=5: four rows). sfid and is
 * need outputs beyond the main one (spatial, logits), which sweeps do not
 * extract: the schema refuses them with that reason. */
typedef enum fk_sweep_metric {
    FK_SM_FID, FK_SM_KID, FK_SM_FDINF, FK_SM_CMMD,
    FK_SM_PRECISION, FK_SM_RECALL,                                   /* pr */
    FK_SM_PRDC_PRECISION, FK_SM_PRDC_RECALL, FK_SM_DENSITY, FK_SM_COVERAGE, /* prdc */
    FK_SM_COUNT
} fk_sweep_metric;
/* "fid", "kid", "fd-inf", "cmmd", "precision", "recall", "prdc_precision",
 * "prdc_recall", "density", "coverage" */
FK_API const char *fk_sweep_metric_name(fk_sweep_metric m);

typedef struct fk_sweep_spec {
    char path[FK_SWEEP_PATH_MAX];
    char name[128];
    char description[2048];
    char real[FK_SWEEP_PATH_MAX];
    char fake[FK_SWEEP_PATH_MAX];
    char other[FK_SWEEP_PATH_MAX];     /* "" when absent */
    int n_backbones;
    char backbones[FK_SWEEP_MAX_BACKBONES][FK_SWEEP_PATH_MAX];
    int n_metrics;
    fk_sweep_metric metrics[FK_SWEEP_MAX_METRICS];
    int64_t n;
    uint64_t seed;
    int ci;                            /* 1: bootstrap */
    int replicates;
    int kid_subsets;                   /* 0: 100 */
    int64_t kid_subset_size;           /* 0: min(1000, the smaller set) */
    fk_perturb_kind perturbation;
    double level;
    char resize[32];                   /* "" = the config's */
    int n_axes;
    fk_sweep_axis axes[FK_AXIS_COUNT];
    /* `plot:` title, x_label, y_label and labels (legend entry as fidkit
     * writes it -> the user's text); "" / 0: fidkit's own. */
    char plot_title[256];
    char plot_xlabel[128], plot_ylabel[128];
    int n_series_labels;
    char series_key[FK_SWEEP_MAX_LABELS][128], series_label[FK_SWEEP_MAX_LABELS][128];
} fk_sweep_spec;

FK_API fk_status fk_sweep_load(const char *path, fk_sweep_spec *s, fk_error *e);
FK_API void fk_sweep_free(fk_sweep_spec *s);

/* One point: the base with the axis values of its coordinates applied. */
typedef struct fk_sweep_point {
    int index;
    int coord[FK_AXIS_COUNT];          /* value index per axis of the spec, in spec order */
    char backbone[FK_SWEEP_PATH_MAX];
    char resize[32];
    int64_t n;
    fk_perturbation perturbation;
    char fake[FK_SWEEP_PATH_MAX];
} fk_sweep_point;

FK_API int fk_sweep_n_points(const fk_sweep_spec *s);
FK_API fk_status fk_sweep_point_at(const fk_sweep_spec *s, int index, fk_sweep_point *p, fk_error *e);

/* Progress of a run, for a progress bar. */
typedef struct fk_sweep_progress {
    int point, n_points;       /* point being worked on (0-based) */
    int points_done;           /* finished so far, resumed ones included */
    const char *phase;         /* "extracting real", "extracting fake", "scoring" */
    int64_t done, total;       /* images of the current extraction */
} fk_sweep_progress;
typedef void (*fk_sweep_progress_fn)(void *user, const fk_sweep_progress *p);

typedef struct fk_sweep_options {
    const char *out_dir;       /* created if missing */
    int dry_run;               /* plan only: fills the counters' plan fields */
    int threads;               /* loader threads; 0 = all cores */
    fk_sweep_progress_fn progress;
    void *progress_user;
    /* Test hook: stop (FK_ERR_INTERNAL) after this many points were computed
     * in this run; 0 = never. Lets a test interrupt a sweep without a signal. */
    int stop_after;
    /* Points' extractions shared by several processes (parallel.h, e.g. MPI
     * ranks); NULL: this one. The journal, cache and report stay here. */
    const fk_parallel *parallel;
    /* Items per block of the listing (partials.h), the unit shared among
     * ranks; 0: FK_BLOCK_DEFAULT. Scores are computed from the rows, so it
     * changes no number. */
    int64_t block;
} fk_sweep_options;
FK_API fk_sweep_options fk_sweep_default_options(void);

/* What a run did (also written to journal.json under "last_run"). */
typedef struct fk_sweep_counters {
    int points;                /* points of the sweep */
    int points_resumed;        /* found finished in the journal */
    int points_computed;       /* computed in this run */
    int extractions;           /* feature sets extracted in this run */
    int cache_loads;           /* feature sets read from OUT/cache or the feature cache */
    int sets_cached;           /* dry run: distinct sets already in the cache */
    int sets_missing;          /* dry run: distinct sets still to extract */
} fk_sweep_counters;

/* Runs (or, with dry_run, plans) the sweep. plan_text (optional) receives a
 * malloc'ed description of every point and its cache state. */
FK_API fk_status fk_sweep_run(const fk_sweep_spec *s, const fk_sweep_options *o, fk_sweep_counters *c,
                              char **plan_text, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
