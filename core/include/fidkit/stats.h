/* fidkit — statistics files: (mu, sigma) of a feature set, in the .npz layout
 * pytorch-fid and clean-fid read and write (members `mu` (d,) and `sigma`
 * (d, d), float64), plus one member `fidkit` those tools never look at: a
 * uint8 array holding JSON with the tag, N, preprocessing and the fidkit
 * version. Files written by other tools have no `fidkit` member and so no
 * tag. */
#ifndef FIDKIT_STATS_H
#define FIDKIT_STATS_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "moments.h"
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
    char source[1024];  /* provenance: the file read, or what the moments came from */
} fk_stats;

/* Reads and validates: shapes, dtype (float32 is widened), finite values,
 * symmetry of sigma (relative 1e-6), non-negative diagonal. */
FK_API fk_status fk_stats_read(const char *path, fk_stats *s, fk_error *e);

/* Writes atomically. extra_json (may be NULL) is a JSON object merged into the
 * metadata (preprocessing, dataset, ...). */
FK_API fk_status fk_stats_write(const char *path, const fk_stats *s, const char *extra_json,
                                fk_error *e);

/* Same, with further members (names[i] = arrays[i]) that pytorch-fid and
 * clean-fid ignore: the block partials of a shard (fidkit/shard.h). */
struct fk_array;
FK_API fk_status fk_stats_write_with(const char *path, const fk_stats *s, const char *extra_json,
                                     const char *const *names, const struct fk_array *arrays,
                                     int n_arrays, fk_error *e);

FK_API void fk_stats_free(fk_stats *s);

/* Stats of the moments of a feature set, tagged with its tag (n >= 2).
 * fk_feature_set_stats (extract.h) does the same for an extraction. */
FK_API fk_status fk_stats_from_moments(const fk_moments *m, const fk_tag *tag, const char *source,
                                       fk_stats *out, fk_error *e);
/* The stats of kept rows (float64 moments of the rows). */
struct fk_featset;
FK_API fk_status fk_stats_from_featset(const struct fk_featset *f, fk_stats *out, fk_error *e);

/* Declares the tag of an untagged (foreign) file; a tagged one keeps its own. */
FK_API void fk_stats_assume_tag(fk_stats *s, const fk_tag *t);
/* FK_ERR_TAG naming the file when s carries no tag. */
FK_API fk_status fk_stats_require_tag(const fk_stats *s, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
