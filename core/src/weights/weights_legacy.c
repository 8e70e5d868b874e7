/* torch.save legacy files (torch < 1.6, or _use_new_zipfile_serialization=False):
 * a sequence of pickles, then raw storages:
 *   1. the magic number 0x1950a86a20f9469cfc6c (a LONG1 of 10 bytes)
 *   2. the protocol version, 1001
 *   3. sys info: {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {...}}
 *   4. the object; storages are persistent ids
 *      ('storage', torch.FloatStorage, KEY, location, numel, view_metadata)
 *   5. the list of storage keys, in the order their bytes follow
 *   6. for each key: int64 element count, then count * element size bytes. */
#include "weights/weights_internal.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

typedef struct stored {
    const char *key;
    const uint8_t *data;
    uint64_t numel;
} stored;

typedef struct lctx {
    fk_weights *w;
    stored *s;
    size_t n;
} lctx;

static fk_status storage(void *ctx, const char *key, fk_dtype dt, uint64_t numel,
                         const uint8_t **data, fk_error *e)
{
    lctx *l = ctx;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->s[i].key, key) != 0)
            continue;
        if (l->s[i].numel != numel)
            return fk_fail(e, FK_ERR_FORMAT, "%s: storage %s holds %llu elements, its "
                           "reference says %llu", l->w->path, key,
                           (unsigned long long)l->s[i].numel, (unsigned long long)numel);
        size_t es = fk_dtype_size(dt);
        const uint8_t *p = l->s[i].data;
        /* Storages follow pickles of any length: copy the misaligned ones. */
        if ((uintptr_t)p % es) {
            uint8_t *copy = wt_alloc(l->w, (size_t)(numel * es));
            if (!copy)
                return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", l->w->path);
            memcpy(copy, p, (size_t)(numel * es));
            l->s[i].data = p = copy;
        }
        *data = p;
        return FK_OK;
    }
    return fk_fail(e, FK_ERR_FORMAT, "%s: storage %s is referenced but not stored", l->w->path,
                   key);
}

/* The element type of the storage called key, from the references made by
 * the object's pickle (the stored bytes do not say). */
static fk_dtype key_dtype(pk_obj *const *refs, size_t nrefs, const char *key)
{
    for (size_t i = 0; i < nrefs; i++)
        if (strcmp(refs[i]->key, key) == 0)
            return refs[i]->dtype;
    return FK_DTYPE_INVALID;
}

/* Every PK_STORAGE reachable from o, appended to *refs. */
static fk_status find_refs(const pk_obj *o, pk_obj ***refs, size_t *n, size_t *cap, int depth,
                           size_t *budget)
{
    /* wt_torch_collect reports deep nesting and an exhausted budget. */
    if (depth > 64 || *budget == 0)
        return FK_OK;
    --*budget;
    if (o->kind == PK_TENSOR) {
        if (*n == *cap) {
            size_t c = *cap ? 2 * *cap : 64;
            pk_obj **r = realloc(*refs, c * sizeof *r);
            if (!r)
                return FK_ERR_NOMEM;
            *refs = r;
            *cap = c;
        }
        (*refs)[(*n)++] = o->storage;
        return FK_OK;
    }
    if (o->kind == PK_DICT || o->kind == PK_LIST || o->kind == PK_TUPLE)
        for (size_t i = 0; i < o->n; i++) {
            fk_status s = find_refs(o->items[i], refs, n, cap, depth + 1, budget);
            if (s)
                return s;
        }
    return FK_OK;
}

static fk_status read_storages(lctx *l, const pk_obj *keys, pk_obj *const *refs, size_t nrefs,
                               size_t pos, fk_error *e)
{
    fk_weights *w = l->w;
    if (keys->kind != PK_LIST)
        return fk_fail(e, FK_ERR_FORMAT, "%s: the storage key list is a %s", w->path,
                       pk_kind_name(keys->kind));
    l->s = calloc(keys->n ? keys->n : 1, sizeof *l->s);
    if (!l->s)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    for (size_t i = 0; i < keys->n; i++) {
        const pk_obj *k = keys->items[i];
        if (k->kind != PK_STR)
            return fk_fail(e, FK_ERR_FORMAT, "%s: storage key %zu is not a string", w->path, i);
        fk_dtype dt = key_dtype(refs, nrefs, k->s);
        if (dt == FK_DTYPE_INVALID)
            return fk_fail(e, FK_ERR_FORMAT, "%s: storage %s is stored but never referenced",
                           w->path, k->s);
        if (w->size - pos < 8)
            return fk_fail(e, FK_ERR_FORMAT, "%s: storage %s: the file ends at byte %zu, "
                           "before its size (truncated?)", w->path, k->s, w->size);
        uint64_t numel = 0, nbytes;
        for (int b = 7; b >= 0; b--)
            numel = numel << 8 | w->map[pos + (size_t)b];
        pos += 8;
        if (__builtin_mul_overflow(numel, (uint64_t)fk_dtype_size(dt), &nbytes) ||
            nbytes > w->size - pos)
            return fk_fail(e, FK_ERR_FORMAT, "%s: storage %s of %llu %s elements runs past the "
                           "end of the file at byte %zu (truncated?)", w->path, k->s,
                           (unsigned long long)numel, fk_dtype_name(dt), w->size);
        l->s[l->n++] = (stored){k->s, w->map + pos, numel};
        pos += (size_t)nbytes;
    }
    return FK_OK;
}

fk_status wt_open_torch_legacy(fk_weights *w, fk_error *e)
{
    w->format = "torch-legacy";
    pk_ctx *pk = pk_new(w->path);
    if (!pk)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    lctx l = {.w = w};
    pk_obj *o[5], **refs = NULL;
    size_t pos = 0, used, nrefs = 0, caprefs = 0;
    fk_status s = FK_OK;
    static const char *const what[5] = {"the magic number", "the protocol version",
                                        "the system information", "the state dict",
                                        "the storage key list"};
    for (int i = 0; i < 5 && !s; i++) {
        s = pk_load(pk, w->map + pos, w->size - pos, pos, what[i], &used, &o[i], e);
        if (s == FK_ERR_FORMAT && i == 0)
            s = fk_fail(e, FK_ERR_FORMAT, "%s: wrong magic number: a pickle, but not a "
                        "torch.save file", w->path);
        if (s)
            break;
        pos += used;
        if (i == 0 && (o[0]->kind != PK_BIGINT || o[0]->len != sizeof magic ||
                       memcmp(o[0]->s, magic, sizeof magic) != 0))
            s = fk_fail(e, FK_ERR_FORMAT, "%s: wrong magic number: a pickle, but not a "
                        "torch.save file", w->path);
        if (i == 1 && (o[1]->kind != PK_INT || o[1]->i != 1001))
            s = fk_fail(e, FK_ERR_UNSUPPORTED, "%s: torch.save protocol version %lld (fidkit "
                        "reads 1001)", w->path, o[1]->kind == PK_INT ? (long long)o[1]->i : -1LL);
        if (i == 2) {
            const pk_obj *le = pk_dict_get(o[2], "little_endian");
            if (o[2]->kind != PK_DICT)
                s = fk_fail(e, FK_ERR_FORMAT, "%s: system information is not a dict", w->path);
            else if (le && le->kind == PK_BOOL && !le->i)
                s = fk_fail(e, FK_ERR_UNSUPPORTED, "%s was saved on a big-endian machine, "
                            "which fidkit does not read", w->path);
        }
        size_t budget = WT_MAX_VISITS(pk_count(pk));
        if (i == 3 && find_refs(o[3], &refs, &nrefs, &caprefs, 0, &budget))
            s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    }
    if (!s)
        s = read_storages(&l, o[4], refs, nrefs, pos, e);
    if (!s)
        s = wt_torch_collect(w, o[3], pk_count(pk), storage, &l, e);
    free(refs);
    free(l.s);
    pk_free(pk);
    return s;
}
