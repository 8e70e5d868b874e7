/* fidkit — statistics files: (mu, sigma) of a feature set, in the .npz layout
 * pytorch-fid and clean-fid read and write (members `mu` (d,) and `sigma`
 * (d, d), float64), plus one member `fidkit` those tools never look at: a
 * uint8 array holding JSON with the tag, N, preprocessing and the fidkit
 * version. Files written by other tools have no `fidkit` member and so no
 * tag. */
#ifndef FIDKIT_STATS_H
#define FIDKIT_STATS_H

#include <stdint.h>
#include "error.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_stats {
    int d;
    int64_t n;          /* number of samples; 0 if unknown (foreign file) */
    double *mu;         /* d */
    double *sigma;      /* d x d */
    int has_tag;
    fk_tag tag;
    char *meta_json;    /* the whole `fidkit` member, NULL for foreign files */
} fk_stats;

/* Reads and validates: shapes, dtype (float32 is widened), finite values,
 * symmetry of sigma (relative 1e-6), non-negative diagonal. */
fk_status fk_stats_read(const char *path, fk_stats *s, fk_error *e);

/* Writes atomically. extra_json (may be NULL) is a JSON object merged into the
 * metadata (preprocessing, dataset, ...). */
fk_status fk_stats_write(const char *path, const fk_stats *s, const char *extra_json,
                         fk_error *e);

void fk_stats_free(fk_stats *s);

#ifdef __cplusplus
}
#endif
#endif
