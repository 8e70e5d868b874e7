/* Shared between the weight readers (internal to libfidkit). */
#ifndef FK_WEIGHTS_INTERNAL_H
#define FK_WEIGHTS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fidkit/weights.h"
#include "formats/pickle.h"

typedef struct wt_entry {
    char *name;
    fk_array a;               /* data points into the mapping or an owned buffer */
} wt_entry;

struct fk_weights {
    char *path;
    const char *format;
    const uint8_t *map;       /* the whole file, read-only */
    size_t size;
    wt_entry *t;
    int n, cap;
    int *order;               /* indices of t sorted by name, for lookups */
    void **owned;             /* buffers freed at close */
    size_t nowned, capowned;
    char *inner;              /* "state_dict." etc., or "" */
};

/* malloc'ed, freed by fk_weights_close; NULL when out of memory. */
void *wt_alloc(fk_weights *w, size_t n);

/* Adds the tensor `name` viewing a storage of storage_numel elements at base
 * through (offset, size, stride): checks every index against the storage,
 * then points into base when the view is contiguous and aligned, or copies it
 * into an owned contiguous buffer. */
fk_status wt_add_view(fk_weights *w, const char *name, fk_dtype dt, const uint8_t *base,
                      uint64_t storage_numel, int64_t offset, int ndim, const int64_t *size,
                      const int64_t *stride, fk_error *e);

/* Finds the bytes of a torch storage: root_numel elements of dtype dt,
 * aligned to the element size. */
typedef fk_status (*wt_storage_fn)(void *ctx, const char *key, fk_dtype dt,
                                   uint64_t root_numel, const uint8_t **data, fk_error *e);

/* Exposes every tensor reachable from an unpickled torch object by its dotted
 * path, and picks the obvious inner state dict (docs/weights.md). nobj is
 * pk_count(): a graph whose walk visits far more nodes than it has objects
 * (shared references nested on purpose) is refused. */
fk_status wt_torch_collect(fk_weights *w, const pk_obj *root, size_t nobj, wt_storage_fn fn,
                           void *ctx, fk_error *e);

/* The walk budget for a graph of nobj objects. */
#define WT_MAX_VISITS(nobj) (8 * (size_t)(nobj) + 1024)

fk_status wt_open_safetensors(fk_weights *w, fk_error *e);
fk_status wt_open_torch_zip(fk_weights *w, fk_error *e);
fk_status wt_open_torch_legacy(fk_weights *w, fk_error *e);

#endif
