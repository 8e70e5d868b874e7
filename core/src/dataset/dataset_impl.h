/* Internal: the shape shared by the dataset kinds (dataset_*.c).
 *
 * Every kind fills the same per-item arrays, then dataset.c applies `limit` /
 * the random subset by compacting them, so the public index i is always
 * 0..n-1 of the kept items, in dataset order. */
#ifndef FK_DATASET_IMPL_H
#define FK_DATASET_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "fidkit/dataset.h"

typedef struct ds_ops {
    fk_status (*load)(fk_dataset *ds, int64_t i, fk_image *out, fk_error *e);
    void (*close)(fk_dataset *ds); /* frees priv only */
} ds_ops;

struct fk_dataset {
    char *path;
    const char *kind;
    fk_decode_options decode;
    int64_t n;
    char **names;    /* n display names; npz fills them after the subset */
    char **files;    /* n paths to open, or NULL (zip, npz) */
    char **captions; /* n captions (manifests), or NULL */
    int64_t *src;    /* n source indices (zip entry, npz row), or NULL */
    const ds_ops *ops;
    void *priv;
    fk_dataset_listing listing;
};

/* A growable array of owned strings. */
typedef struct ds_strvec {
    char **v;
    int64_t n, cap;
} ds_strvec;

fk_status ds_strvec_push(ds_strvec *s, char *owned, fk_error *e);
fk_status ds_strvec_pushdup(ds_strvec *s, const char *str, size_t len, fk_error *e);
void ds_strvec_free(ds_strvec *s);

/* Case-insensitive: does name (a path) end in one of the image extensions? */
int ds_is_image_name(const char *name);
/* dir of path (without the trailing slash; "." when none) joined with rel,
 * unless rel is absolute. malloc'ed; NULL on allocation failure. */
char *ds_resolve(const char *listpath, const char *rel);
/* Whole file into memory (NUL-terminated). */
fk_status ds_read_file(const char *path, char **buf, size_t *len, fk_error *e);
/* Loads files[i] with fk_image_load. */
fk_status ds_load_file(fk_dataset *ds, int64_t i, fk_image *out, fk_error *e);

/* The kinds: each sets n, names/files/captions/src, ops, priv and kind. */
fk_status ds_open_folder(fk_dataset *ds, fk_error *e);
fk_status ds_open_zip(fk_dataset *ds, fk_error *e);
fk_status ds_open_npy(fk_dataset *ds, const char *member, fk_error *e);
fk_status ds_npy_name_items(fk_dataset *ds, fk_error *e);
fk_status ds_open_list(fk_dataset *ds, fk_error *e);
fk_status ds_open_csv(fk_dataset *ds, fk_error *e);
fk_status ds_open_jsonl(fk_dataset *ds, fk_error *e);

/* Chooses k of n items in increasing order, seeded, identically on every
 * platform (splitmix64 + selection sampling). keep has room for k. */
void ds_select_subset(int64_t n, int64_t k, uint64_t seed, int64_t *keep);

#endif
