/* A restricted unpickler for tensor state dicts (internal to libfidkit).
 *
 * It decodes the binary opcodes of pickle protocols 2-5 into a small object
 * tree and never calls anything: the only globals it accepts are the few that
 * torch.save emits for a state dict (collections.OrderedDict, the
 * torch._utils._rebuild_* functions and the torch.*Storage types), and their
 * "calls" are interpreted here. Any other global is refused with its module
 * and name. numpy arrays (pickled dicts of mu/sigma) are read as PK_NDARRAY
 * without calling numpy. Persistent ids (torch's storage references) become PK_STORAGE
 * objects whose bytes the caller resolves afterwards. */
#ifndef FK_PICKLE_H
#define FK_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "fidkit/array.h"
#include "fidkit/error.h"

typedef enum pk_kind {
    PK_NONE, PK_BOOL, PK_INT, PK_BIGINT, PK_FLOAT, PK_STR, PK_BYTES,
    PK_TUPLE, PK_LIST, PK_DICT, PK_GLOBAL, PK_STORAGE, PK_TENSOR, PK_MARK,
    PK_NDARRAY,   /* a numpy array: dtype, ndim, size, data in s (len bytes, C order) */
    PK_NPDTYPE    /* a numpy dtype: dtype (little-endian or byte-sized only) */
} pk_kind;

typedef enum pk_global {
    PKG_ORDERED_DICT,
    PKG_REBUILD_TENSOR_V2,
    PKG_REBUILD_TENSOR,
    PKG_REBUILD_PARAMETER,
    PKG_REBUILD_PARAMETER_WITH_STATE,
    PKG_STORAGE_TYPE,
    /* numpy arrays, as pickle.dump writes them (reference statistics: EDM2's
     * .pkl): _reconstruct(ndarray, (0,), b'b') + BUILD (protocols 2-4),
     * _frombuffer(bytes, dtype, shape, order) (protocol 5), dtype(...) + BUILD.
     * No call runs: the array's bytes are checked against its shape. */
    PKG_NP_RECONSTRUCT,
    PKG_NP_NDARRAY,
    PKG_NP_DTYPE,
    PKG_NP_FROMBUFFER
} pk_global;

typedef struct pk_obj pk_obj;
struct pk_obj {
    pk_kind kind;
    int64_t i;                /* PK_INT, PK_BOOL */
    double f;                 /* PK_FLOAT */
    const char *s;            /* PK_STR, PK_BYTES, PK_BIGINT (little-endian bytes),
                                 PK_GLOBAL (the name) */
    size_t len;
    pk_obj **items;           /* PK_TUPLE, PK_LIST; PK_DICT: key, value, key, ... */
    size_t n, cap;
    pk_global global;         /* PK_GLOBAL */
    fk_dtype dtype;           /* PK_GLOBAL storage types, PK_STORAGE */
    const char *key;          /* PK_STORAGE: the root storage's key */
    uint64_t root_numel;      /* PK_STORAGE: elements in the root storage */
    uint64_t base, numel;     /* PK_STORAGE: the (legacy view) slice used */
    pk_obj *storage;          /* PK_TENSOR */
    int64_t offset;           /* PK_TENSOR: in elements of the storage slice */
    int ndim;
    int64_t size[FK_MAX_DIMS], stride[FK_MAX_DIMS];
};

typedef struct pk_ctx pk_ctx;

/* path only names the file in messages. NULL when out of memory. */
pk_ctx *pk_new(const char *path);
/* Frees every object made by every pk_load on this context. */
void pk_free(pk_ctx *c);

/* Unpickles one pickle from buf[0..len); file_off is buf's offset in the file
 * and what names the pickle (both for messages). *used is the number of bytes
 * up to and including STOP. Objects stay valid until pk_free. */
fk_status pk_load(pk_ctx *c, const uint8_t *buf, size_t len, uint64_t file_off,
                  const char *what, size_t *used, pk_obj **out, fk_error *e);

/* How many objects the context holds: bounds walks over the object graph,
 * which shared references could otherwise make exponential. */
size_t pk_count(const pk_ctx *c);

/* Dict lookup by string key; NULL if absent. */
const pk_obj *pk_dict_get(const pk_obj *d, const char *key);
const char *pk_kind_name(pk_kind k);

#endif
