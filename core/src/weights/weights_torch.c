/* From an unpickled torch object to named tensors: shared by the zip and
 * legacy readers. */
#include "weights/weights_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

typedef struct resolved {
    const char *key;
    fk_dtype dtype;
    uint64_t root_numel;
    const uint8_t *data;
} resolved;

typedef struct walker {
    fk_weights *w;
    wt_storage_fn fn;
    void *ctx;
    resolved *cache;          /* storages already resolved, by key */
    size_t ncache, capcache;
    char *path;               /* the dotted path being built */
    size_t cap;
    size_t budget;            /* nodes left to visit */
    fk_error *e;
} walker;

static fk_status storage_bytes(walker *k, const pk_obj *st, const uint8_t **data)
{
    for (size_t i = 0; i < k->ncache; i++) {
        resolved *r = &k->cache[i];
        if (strcmp(r->key, st->key) == 0) {
            if (r->dtype != st->dtype || r->root_numel != st->root_numel)
                return fk_fail(k->e, FK_ERR_FORMAT,
                               "%s: storage %s is referenced as %s x %llu and as %s x %llu",
                               k->w->path, st->key, fk_dtype_name(r->dtype),
                               (unsigned long long)r->root_numel, fk_dtype_name(st->dtype),
                               (unsigned long long)st->root_numel);
            *data = r->data;
            return FK_OK;
        }
    }
    fk_status s = k->fn(k->ctx, st->key, st->dtype, st->root_numel, data, k->e);
    if (s)
        return s;
    if (k->ncache == k->capcache) {
        size_t cap = k->capcache ? 2 * k->capcache : 64;
        resolved *c = realloc(k->cache, cap * sizeof *c);
        if (!c)
            return fk_fail(k->e, FK_ERR_NOMEM, "%s: out of memory", k->w->path);
        k->cache = c;
        k->capcache = cap;
    }
    k->cache[k->ncache++] = (resolved){st->key, st->dtype, st->root_numel, *data};
    return FK_OK;
}

/* Appends ".part" (no dot at the root) to the path; returns the old length. */
static fk_status path_push(walker *k, size_t at, const char *part, size_t plen)
{
    size_t need = at + 1 + plen + 1;
    if (need > k->cap) {
        size_t cap = k->cap ? k->cap : 256;
        while (cap < need)
            cap *= 2;
        char *p = realloc(k->path, cap);
        if (!p)
            return fk_fail(k->e, FK_ERR_NOMEM, "%s: out of memory", k->w->path);
        k->path = p;
        k->cap = cap;
    }
    size_t pos = at;
    if (at)
        k->path[pos++] = '.';
    memcpy(k->path + pos, part, plen);
    k->path[pos + plen] = 0;
    return FK_OK;
}

static fk_status walk(walker *k, const pk_obj *o, size_t at, int depth);

static fk_status walk_child(walker *k, const pk_obj *key, const pk_obj *v, size_t at,
                            int depth)
{
    char num[32];
    const char *part;
    size_t plen;
    if (key->kind == PK_STR) {
        part = key->s;
        plen = key->len;
        if (memchr(part, 0, plen))
            return fk_fail(k->e, FK_ERR_FORMAT, "%s: a key holds a NUL byte", k->w->path);
    } else if (key->kind == PK_INT) {
        plen = (size_t)snprintf(num, sizeof num, "%lld", (long long)key->i);
        part = num;
    } else {
        /* Other keys (tuples, floats, None) never name weights. */
        return FK_OK;
    }
    fk_status s = path_push(k, at, part, plen);
    if (s)
        return s;
    return walk(k, v, strlen(k->path), depth + 1);
}

static fk_status walk(walker *k, const pk_obj *o, size_t at, int depth)
{
    if (depth > MAX_DEPTH)
        return fk_fail(k->e, FK_ERR_FORMAT, "%s: objects nested deeper than %d levels at %s",
                       k->w->path, MAX_DEPTH, k->path);
    if (k->budget == 0)
        return fk_fail(k->e, FK_ERR_FORMAT, "%s: the pickled objects are shared so often that "
                       "they would expand beyond bounds (corrupt or hostile file)", k->w->path);
    k->budget--;
    switch (o->kind) {
    case PK_TENSOR: {
        const pk_obj *st = o->storage;
        const uint8_t *data;
        fk_status s = storage_bytes(k, st, &data);
        if (s)
            return s;
        size_t es = fk_dtype_size(st->dtype);
        return wt_add_view(k->w, k->path, st->dtype, data + st->base * es, st->numel,
                           o->offset, o->ndim, o->size, o->stride, k->e);
    }
    case PK_DICT:
        for (size_t i = 0; i + 1 < o->n; i += 2) {
            fk_status s = walk_child(k, o->items[i], o->items[i + 1], at, depth);
            if (s)
                return s;
            k->path[at] = 0;
        }
        return FK_OK;
    case PK_LIST:
    case PK_TUPLE:
        for (size_t i = 0; i < o->n; i++) {
            pk_obj idx = {.kind = PK_INT, .i = (int64_t)i};
            fk_status s = walk_child(k, &idx, o->items[i], at, depth);
            if (s)
                return s;
            k->path[at] = 0;
        }
        return FK_OK;
    default:
        /* Numbers, strings, None: checkpoint bookkeeping (epoch, lr), not
         * weights. */
        return FK_OK;
    }
}

static int holds_tensor(const pk_obj *o, int depth, size_t *budget)
{
    if (depth > MAX_DEPTH || *budget == 0)
        return 0;
    --*budget;
    if (o->kind == PK_TENSOR)
        return 1;
    if (o->kind == PK_DICT) {
        for (size_t i = 1; i < o->n; i += 2)
            if (holds_tensor(o->items[i], depth + 1, budget))
                return 1;
    } else if (o->kind == PK_LIST || o->kind == PK_TUPLE) {
        for (size_t i = 0; i < o->n; i++)
            if (holds_tensor(o->items[i], depth + 1, budget))
                return 1;
    }
    return 0;
}

/* The obvious inner state dict: the top level holds no tensor itself and
 * exactly one of the usual wrapper keys holds a dict with tensors. */
static const char *inner_key(const pk_obj *root, size_t budget)
{
    static const char *const keys[] = {"state_dict", "model_state_dict", "model", "module",
                                       "net"};
    if (root->kind != PK_DICT)
        return NULL;
    for (size_t i = 1; i < root->n; i += 2)
        if (root->items[i]->kind == PK_TENSOR)
            return NULL;
    const char *found = NULL;
    for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++) {
        const pk_obj *v = pk_dict_get(root, keys[j]);
        if (v && v->kind == PK_DICT && holds_tensor(v, 0, &budget)) {
            if (found)
                return NULL;
            found = keys[j];
        }
    }
    return found;
}

fk_status wt_torch_collect(fk_weights *w, const pk_obj *root, size_t nobj, wt_storage_fn fn,
                           void *ctx, fk_error *e)
{
    if (root->kind == PK_TENSOR)
        return fk_fail(e, FK_ERR_UNSUPPORTED,
                       "%s holds a single tensor, not a state dict of named tensors", w->path);
    if (root->kind != PK_DICT && root->kind != PK_LIST && root->kind != PK_TUPLE)
        return fk_fail(e, FK_ERR_FORMAT, "%s holds a %s, not a state dict", w->path,
                       pk_kind_name(root->kind));
    walker k = {.w = w, .fn = fn, .ctx = ctx, .e = e, .budget = WT_MAX_VISITS(nobj)};
    fk_status s = path_push(&k, 0, "", 0);
    if (!s)
        s = walk(&k, root, 0, 0);
    free(k.cache);
    free(k.path);
    if (s)
        return s;
    const char *in = inner_key(root, WT_MAX_VISITS(nobj));
    if (in) {
        size_t n = strlen(in);
        w->inner = malloc(n + 2);
        if (!w->inner)
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
        memcpy(w->inner, in, n);
        memcpy(w->inner + n, ".", 2);
    }
    return FK_OK;
}
