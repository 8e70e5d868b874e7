/* Internal: what the sweep runner hands to its journal and report writers. */
#ifndef FK_SWEEP_INTERNAL_H
#define FK_SWEEP_INTERNAL_H

#include <stdint.h>
#include "fidkit/sweep.h"
#include "fidkit/tag.h"

/* One score of one point. */
typedef struct sweep_row {
    int point;
    fk_sweep_metric metric;
    double value, lo, hi;
    int has_ci;
    int64_t n_real, n_fake;
    char tag[FK_TAG_STR_MAX];
} sweep_row;

/* Results per point: rows[point] holds n_rows[point] rows (one per metric)
 * once the point is done. */
typedef struct sweep_results {
    int n_points;
    int *done;
    int *n_rows;
    sweep_row **rows;
    char (*key)[65];       /* point keys (SHA-256 hex) */
} sweep_results;

/* SHA-256 of a string as hex. */
void sweep_sha256_str(const char *s, char hex[65]);
/* The content key of a dataset (see sweep.h). */
fk_status sweep_dataset_key(const char *path, char hex[65], fk_error *e);

/* journal.json: loads finished points whose keys match (missing file: none). */
fk_status sweep_journal_load(const char *path, sweep_results *r, fk_error *e);
fk_status sweep_journal_save(const char *path, const char *sweep_path, const sweep_results *r,
                             const fk_sweep_counters *c, fk_error *e);

/* results.csv, results.json, plots and report.md into out_dir. */
fk_status sweep_write_outputs(const fk_sweep_spec *s, const sweep_results *r, const char *out_dir,
                              fk_error *e);

/* Shortest "%.{15,16,17}g" text that reads back as v. */
void sweep_fmt_double(double v, char *buf, size_t n);

#endif
