#include "formats/pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pk_ctx {
    const char *path;
    pk_obj **all;             /* every object made, for pk_free */
    size_t nall, capall;
    pk_obj **stack;
    size_t sp, capstack;
    pk_obj **memo;
    size_t capmemo, nmemo;
    pk_obj mark;              /* the MARK sentinel pushed on the stack */
};

/* Everything one pk_load needs to report an error where it happened. */
typedef struct rd {
    pk_ctx *c;
    const uint8_t *buf;
    size_t len, pos, op_pos;
    uint64_t file_off;
    const char *what;
    fk_error *e;
} rd;

static const struct {
    const char *module, *name;
    pk_global g;
    fk_dtype dtype;
} allowed[] = {
    {"collections", "OrderedDict", PKG_ORDERED_DICT, FK_DTYPE_INVALID},
    {"torch._utils", "_rebuild_tensor_v2", PKG_REBUILD_TENSOR_V2, FK_DTYPE_INVALID},
    {"torch._utils", "_rebuild_tensor", PKG_REBUILD_TENSOR, FK_DTYPE_INVALID},
    {"torch._utils", "_rebuild_parameter", PKG_REBUILD_PARAMETER, FK_DTYPE_INVALID},
    {"torch._utils", "_rebuild_parameter_with_state", PKG_REBUILD_PARAMETER_WITH_STATE,
     FK_DTYPE_INVALID},
    {"torch", "FloatStorage", PKG_STORAGE_TYPE, FK_F32},
    {"torch", "DoubleStorage", PKG_STORAGE_TYPE, FK_F64},
    {"torch", "HalfStorage", PKG_STORAGE_TYPE, FK_F16},
    {"torch", "BFloat16Storage", PKG_STORAGE_TYPE, FK_BF16},
    {"torch", "LongStorage", PKG_STORAGE_TYPE, FK_I64},
    {"torch", "IntStorage", PKG_STORAGE_TYPE, FK_I32},
    {"torch", "ShortStorage", PKG_STORAGE_TYPE, FK_I16},
    {"torch", "CharStorage", PKG_STORAGE_TYPE, FK_I8},
    {"torch", "ByteStorage", PKG_STORAGE_TYPE, FK_U8},
    {"torch", "BoolStorage", PKG_STORAGE_TYPE, FK_BOOL},
};

const char *pk_kind_name(pk_kind k)
{
    static const char *const names[] = {
        "None", "bool", "int", "int", "float", "str", "bytes", "tuple", "list",
        "dict", "global", "storage", "tensor", "mark"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

pk_ctx *pk_new(const char *path)
{
    pk_ctx *c = calloc(1, sizeof *c);
    if (c) {
        c->path = path;
        c->mark.kind = PK_MARK;
    }
    return c;
}

void pk_free(pk_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nall; i++) {
        free(c->all[i]->items);
        free(c->all[i]);
    }
    free(c->all);
    free(c->stack);
    free(c->memo);
    free(c);
}

static fk_status fail(rd *r, fk_status code, const char *what)
{
    return fk_fail(r->e, code, "%s: %s: pickle opcode at byte %llu: %s", r->c->path, r->what,
                   (unsigned long long)(r->file_off + r->op_pos), what);
}

static fk_status nomem(rd *r)
{
    return fail(r, FK_ERR_NOMEM, "out of memory");
}

/* A new object; extra bytes after it hold a string copy. */
static pk_obj *new_obj(rd *r, pk_kind kind, size_t extra)
{
    pk_ctx *c = r->c;
    if (c->nall == c->capall) {
        size_t cap = c->capall ? 2 * c->capall : 256;
        pk_obj **a = realloc(c->all, cap * sizeof *a);
        if (!a)
            return NULL;
        c->all = a;
        c->capall = cap;
    }
    pk_obj *o = calloc(1, sizeof *o + extra);
    if (!o)
        return NULL;
    o->kind = kind;
    c->all[c->nall++] = o;
    return o;
}

static fk_status push(rd *r, pk_obj *o)
{
    pk_ctx *c = r->c;
    if (!o)
        return nomem(r);
    if (c->sp == c->capstack) {
        size_t cap = c->capstack ? 2 * c->capstack : 64;
        pk_obj **s = realloc(c->stack, cap * sizeof *s);
        if (!s)
            return nomem(r);
        c->stack = s;
        c->capstack = cap;
    }
    c->stack[c->sp++] = o;
    return FK_OK;
}

static fk_status pop(rd *r, pk_obj **o)
{
    pk_ctx *c = r->c;
    if (c->sp == 0 || c->stack[c->sp - 1] == &c->mark)
        return fail(r, FK_ERR_FORMAT, "stack underflow (corrupt pickle)");
    *o = c->stack[--c->sp];
    return FK_OK;
}

static fk_status top(rd *r, pk_obj **o)
{
    pk_ctx *c = r->c;
    if (c->sp == 0 || c->stack[c->sp - 1] == &c->mark)
        return fail(r, FK_ERR_FORMAT, "stack underflow (corrupt pickle)");
    *o = c->stack[c->sp - 1];
    return FK_OK;
}

/* The stack index just above the topmost MARK. */
static fk_status find_mark(rd *r, size_t *k)
{
    pk_ctx *c = r->c;
    for (size_t i = c->sp; i > 0; i--)
        if (c->stack[i - 1] == &c->mark) {
            *k = i;
            return FK_OK;
        }
    return fail(r, FK_ERR_FORMAT, "no MARK on the stack (corrupt pickle)");
}

static fk_status append(rd *r, pk_obj *seq, pk_obj *item)
{
    if (seq->n == seq->cap) {
        size_t cap = seq->cap ? 2 * seq->cap : 8;
        pk_obj **a = realloc(seq->items, cap * sizeof *a);
        if (!a)
            return nomem(r);
        seq->items = a;
        seq->cap = cap;
    }
    seq->items[seq->n++] = item;
    return FK_OK;
}

static fk_status need(rd *r, size_t n)
{
    if (n > r->len - r->pos)
        return fail(r, FK_ERR_FORMAT, "truncated pickle");
    return FK_OK;
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static fk_status read_uint(rd *r, int n, uint64_t *v)
{
    fk_status s = need(r, (size_t)n);
    if (s)
        return s;
    *v = le(r->buf + r->pos, n);
    r->pos += (size_t)n;
    return FK_OK;
}

static fk_status push_string(rd *r, pk_kind kind, uint64_t n)
{
    fk_status s = need(r, n);
    if (s)
        return s;
    pk_obj *o = new_obj(r, kind, (size_t)n + 1);
    if (!o)
        return nomem(r);
    char *dst = (char *)(o + 1);
    memcpy(dst, r->buf + r->pos, (size_t)n);
    dst[n] = 0;
    o->s = dst;
    o->len = (size_t)n;
    r->pos += (size_t)n;
    return push(r, o);
}

/* LONG1/LONG4: little-endian two's complement. Up to 8 bytes become an int;
 * longer ones (torch's legacy magic number) keep their raw bytes. */
static fk_status push_long(rd *r, uint64_t n)
{
    fk_status s = need(r, n);
    if (s)
        return s;
    const uint8_t *p = r->buf + r->pos;
    if (n > 8) {
        pk_obj *o = new_obj(r, PK_BIGINT, 0);
        if (!o)
            return nomem(r);
        o->s = (const char *)p;
        o->len = (size_t)n;
        r->pos += (size_t)n;
        return push(r, o);
    }
    uint64_t v = n ? le(p, (int)n) : 0;
    if (n && n < 8 && (p[n - 1] & 0x80))
        v |= ~(uint64_t)0 << (8 * n);
    r->pos += (size_t)n;
    pk_obj *o = new_obj(r, PK_INT, 0);
    if (!o)
        return nomem(r);
    o->i = (int64_t)v;
    return push(r, o);
}

static fk_status push_int(rd *r, int64_t v)
{
    pk_obj *o = new_obj(r, PK_INT, 0);
    if (o)
        o->i = v;
    return push(r, o);
}

static fk_status push_global(rd *r, const char *module, size_t mlen, const char *name,
                             size_t nlen)
{
    char full[512];
    snprintf(full, sizeof full, "%.*s.%.*s", (int)(mlen > 200 ? 200 : mlen), module,
             (int)(nlen > 200 ? 200 : nlen), name);
    for (char *q = full; *q; q++) /* the names come from the file: keep messages printable */
        if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
            *q = '?';
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strlen(allowed[i].module) == mlen && !memcmp(allowed[i].module, module, mlen) &&
            strlen(allowed[i].name) == nlen && !memcmp(allowed[i].name, name, nlen)) {
            pk_obj *o = new_obj(r, PK_GLOBAL, 0);
            if (!o)
                return nomem(r);
            o->global = allowed[i].g;
            o->dtype = allowed[i].dtype;
            o->s = allowed[i].name;
            o->len = strlen(allowed[i].name);
            return push(r, o);
        }
    }
    if (mlen >= 9 && !memcmp(module, "__torch__", 9))
        return fk_fail(r->e, FK_ERR_UNSUPPORTED,
                       "%s is a TorchScript archive (it builds %s): TorchScript files are "
                       "read by the torch shim, not by fk_weights_open",
                       r->c->path, full);
    return fk_fail(r->e, FK_ERR_UNSUPPORTED,
                   "refusing to unpickle %s in %s: only tensor state dicts are read", full,
                   r->c->path);
}

static fk_status op_global(rd *r)
{
    /* GLOBAL: "module\nname\n" */
    const char *p = (const char *)r->buf + r->pos;
    size_t rest = r->len - r->pos;
    const char *nl1 = memchr(p, '\n', rest);
    if (!nl1)
        return fail(r, FK_ERR_FORMAT, "truncated GLOBAL");
    const char *q = nl1 + 1;
    const char *nl2 = memchr(q, '\n', rest - (size_t)(q - p));
    if (!nl2)
        return fail(r, FK_ERR_FORMAT, "truncated GLOBAL");
    r->pos += (size_t)(nl2 + 1 - p);
    return push_global(r, p, (size_t)(nl1 - p), q, (size_t)(nl2 - q));
}

static fk_status op_stack_global(rd *r)
{
    pk_obj *name = NULL, *module = NULL;
    fk_status s;
    if ((s = pop(r, &name)) || (s = pop(r, &module)))
        return s;
    if (name->kind != PK_STR || module->kind != PK_STR)
        return fail(r, FK_ERR_FORMAT, "STACK_GLOBAL needs two strings");
    return push_global(r, module->s, module->len, name->s, name->len);
}

static fk_status memo_put(rd *r, uint64_t key)
{
    pk_ctx *c = r->c;
    pk_obj *o = NULL;
    fk_status s = top(r, &o);
    if (s)
        return s;
    /* Pickles number memo entries from 0 up, one per opcode at most, so a key
     * beyond the pickle's length is corrupt (and would cost memory). */
    if (key > r->len)
        return fail(r, FK_ERR_FORMAT, "memo index out of range");
    if (key >= c->capmemo) {
        size_t cap = c->capmemo ? c->capmemo : 64;
        while (cap <= key)
            cap *= 2;
        pk_obj **m = realloc(c->memo, cap * sizeof *m);
        if (!m)
            return nomem(r);
        memset(m + c->capmemo, 0, (cap - c->capmemo) * sizeof *m);
        c->memo = m;
        c->capmemo = cap;
    }
    if (!c->memo[key])
        c->nmemo++;
    c->memo[key] = o;
    return FK_OK;
}

static fk_status memo_get(rd *r, uint64_t key)
{
    pk_ctx *c = r->c;
    if (key >= c->capmemo || !c->memo[key])
        return fail(r, FK_ERR_FORMAT, "memo index not defined");
    return push(r, c->memo[key]);
}

static fk_status op_tuple(rd *r, size_t k)
{
    pk_ctx *c = r->c;
    pk_obj *t = new_obj(r, PK_TUPLE, 0);
    if (!t)
        return nomem(r);
    for (size_t i = k; i < c->sp; i++) {
        fk_status s = append(r, t, c->stack[i]);
        if (s)
            return s;
    }
    c->sp = k;
    return push(r, t);
}

static fk_status op_tuple_n(rd *r, size_t n)
{
    if (r->c->sp < n)
        return fail(r, FK_ERR_FORMAT, "stack underflow (corrupt pickle)");
    for (size_t i = r->c->sp - n; i < r->c->sp; i++)
        if (r->c->stack[i] == &r->c->mark)
            return fail(r, FK_ERR_FORMAT, "stack underflow (corrupt pickle)");
    return op_tuple(r, r->c->sp - n);
}

/* Moves stack[k..sp) into the container at stack[base] (pairs for a dict)
 * and cuts the stack just above the container. */
static fk_status add_items(rd *r, size_t base, size_t k, pk_kind kind)
{
    pk_ctx *c = r->c;
    if (k > c->sp || base >= k)
        return fail(r, FK_ERR_FORMAT, "stack underflow (corrupt pickle)");
    pk_obj *d = c->stack[base];
    if (d == &c->mark || d->kind != kind)
        return fail(r, FK_ERR_FORMAT, kind == PK_DICT
                                          ? "SETITEM(S) on something that is not a dict"
                                          : "APPEND(S) on something that is not a list");
    if (kind == PK_DICT && (c->sp - k) % 2)
        return fail(r, FK_ERR_FORMAT, "SETITEMS with an odd number of items");
    for (size_t i = k; i < c->sp; i++) {
        if (c->stack[i] == &c->mark)
            return fail(r, FK_ERR_FORMAT, "stack underflow (corrupt pickle)");
        fk_status s = append(r, d, c->stack[i]);
        if (s)
            return s;
    }
    c->sp = base + 1;
    return FK_OK;
}

static int is_int(const pk_obj *o)
{
    return o->kind == PK_INT || o->kind == PK_BOOL;
}

static fk_status int_tuple(rd *r, const pk_obj *t, int64_t *v, int *n, const char *what)
{
    char msg[128];
    if (t->kind != PK_TUPLE) {
        snprintf(msg, sizeof msg, "tensor %s is a %s, not a tuple", what, pk_kind_name(t->kind));
        return fail(r, FK_ERR_FORMAT, msg);
    }
    if (t->n > FK_MAX_DIMS) {
        snprintf(msg, sizeof msg, "tensor with %zu dimensions (fidkit reads up to %d)", t->n,
                 FK_MAX_DIMS);
        return fail(r, FK_ERR_UNSUPPORTED, msg);
    }
    for (size_t i = 0; i < t->n; i++) {
        if (!is_int(t->items[i])) {
            snprintf(msg, sizeof msg, "tensor %s holds a %s", what,
                     pk_kind_name(t->items[i]->kind));
            return fail(r, FK_ERR_FORMAT, msg);
        }
        v[i] = t->items[i]->i;
    }
    *n = (int)t->n;
    return FK_OK;
}

static fk_status rebuild_tensor(rd *r, const pk_obj *args, int v2)
{
    size_t want = v2 ? 6 : 4;
    if (args->n < want || args->n > want + 1)
        return fail(r, FK_ERR_FORMAT, v2 ? "malformed _rebuild_tensor_v2 call"
                                         : "malformed _rebuild_tensor call");
    pk_obj **a = args->items;
    if (a[0]->kind != PK_STORAGE)
        return fail(r, FK_ERR_FORMAT, "tensor rebuilt from something that is not a storage");
    if (!is_int(a[1]))
        return fail(r, FK_ERR_FORMAT, "tensor storage offset is not an int");
    pk_obj *t = new_obj(r, PK_TENSOR, 0);
    if (!t)
        return nomem(r);
    int nd_size, nd_stride;
    fk_status s = int_tuple(r, a[2], t->size, &nd_size, "size");
    if (!s)
        s = int_tuple(r, a[3], t->stride, &nd_stride, "stride");
    if (s)
        return s;
    if (nd_size != nd_stride)
        return fail(r, FK_ERR_FORMAT, "tensor size and stride differ in length");
    t->ndim = nd_size;
    t->storage = a[0];
    t->offset = a[1]->i;
    return push(r, t);
}

static fk_status op_reduce(rd *r)
{
    pk_obj *args = NULL, *fn = NULL;
    fk_status s;
    if ((s = pop(r, &args)) || (s = pop(r, &fn)))
        return s;
    if (fn->kind != PK_GLOBAL)
        return fail(r, FK_ERR_FORMAT, "REDUCE on something that is not a global");
    if (args->kind != PK_TUPLE)
        return fail(r, FK_ERR_FORMAT, "REDUCE arguments are not a tuple");
    switch (fn->global) {
    case PKG_ORDERED_DICT: {
        pk_obj *d = new_obj(r, PK_DICT, 0);
        if (!d)
            return nomem(r);
        if (args->n == 1 && args->items[0]->kind == PK_LIST) {
            const pk_obj *l = args->items[0];
            for (size_t i = 0; i < l->n; i++) {
                const pk_obj *kv = l->items[i];
                if ((kv->kind != PK_TUPLE && kv->kind != PK_LIST) || kv->n != 2)
                    return fail(r, FK_ERR_FORMAT, "OrderedDict item is not a pair");
                if ((s = append(r, d, kv->items[0])) || (s = append(r, d, kv->items[1])))
                    return s;
            }
        } else if (args->n != 0) {
            return fail(r, FK_ERR_FORMAT, "unexpected OrderedDict arguments");
        }
        return push(r, d);
    }
    case PKG_REBUILD_TENSOR_V2:
        return rebuild_tensor(r, args, 1);
    case PKG_REBUILD_TENSOR:
        return rebuild_tensor(r, args, 0);
    case PKG_REBUILD_PARAMETER:
    case PKG_REBUILD_PARAMETER_WITH_STATE:
        /* A Parameter is its data tensor; requires_grad, hooks and Python
         * state do not matter for inference. */
        if (args->n < 1 || args->items[0]->kind != PK_TENSOR)
            return fail(r, FK_ERR_FORMAT, "malformed _rebuild_parameter call");
        return push(r, args->items[0]);
    case PKG_STORAGE_TYPE:
        break;
    }
    char msg[160];
    snprintf(msg, sizeof msg, "refusing to call torch.%s: only tensor state dicts are read",
             fn->s);
    return fail(r, FK_ERR_UNSUPPORTED, msg);
}

static fk_status op_newobj(rd *r)
{
    pk_obj *args = NULL, *cls = NULL;
    fk_status s;
    if ((s = pop(r, &args)) || (s = pop(r, &cls)))
        return s;
    if (cls->kind == PK_GLOBAL && cls->global == PKG_ORDERED_DICT && args->kind == PK_TUPLE) {
        pk_obj *d = new_obj(r, PK_DICT, 0);
        return push(r, d);
    }
    return fail(r, FK_ERR_UNSUPPORTED,
                "NEWOBJ of something other than an OrderedDict: only tensor state dicts "
                "are read");
}

static fk_status op_build(rd *r)
{
    pk_obj *state = NULL, *obj = NULL;
    fk_status s;
    if ((s = pop(r, &state)) || (s = top(r, &obj)))
        return s;
    /* A state dict's OrderedDict carries `_metadata` (module versions) and a
     * tensor may carry Python attributes: neither holds weights. */
    if (obj->kind == PK_DICT || obj->kind == PK_TENSOR)
        return FK_OK;
    return fail(r, FK_ERR_UNSUPPORTED, "BUILD on an object that is not a dict or a tensor");
}

/* torch's persistent id for a storage:
 *   zip:    ('storage', storage_type, key, location, numel)
 *   legacy: ('storage', storage_type, root_key, location, root_numel, view_metadata)
 *   view_metadata: None or (view_key, offset, view_numel). */
static fk_status op_binpersid(rd *r)
{
    pk_obj *pid = NULL;
    fk_status s = pop(r, &pid);
    if (s)
        return s;
    if (pid->kind != PK_TUPLE || pid->n < 5 || pid->n > 6)
        return fail(r, FK_ERR_FORMAT, "persistent id is not a storage reference");
    pk_obj **a = pid->items;
    if (a[0]->kind != PK_STR || strcmp(a[0]->s, "storage") != 0)
        return fail(r, FK_ERR_UNSUPPORTED, "persistent id of a kind other than 'storage'");
    if (a[1]->kind != PK_GLOBAL || a[1]->global != PKG_STORAGE_TYPE)
        return fail(r, FK_ERR_FORMAT, "storage reference without a storage type");
    if (a[2]->kind != PK_STR)
        return fail(r, FK_ERR_FORMAT, "storage key is not a string");
    if (!is_int(a[4]) || a[4]->i < 0)
        return fail(r, FK_ERR_FORMAT, "storage size is not a non-negative int");
    pk_obj *st = new_obj(r, PK_STORAGE, 0);
    if (!st)
        return nomem(r);
    st->dtype = a[1]->dtype;
    st->key = a[2]->s;
    st->root_numel = (uint64_t)a[4]->i;
    st->base = 0;
    st->numel = st->root_numel;
    if (pid->n == 6 && a[5]->kind != PK_NONE) {
        const pk_obj *v = a[5];
        if (v->kind != PK_TUPLE || v->n != 3 || !is_int(v->items[1]) || !is_int(v->items[2]) ||
            v->items[1]->i < 0 || v->items[2]->i < 0)
            return fail(r, FK_ERR_FORMAT, "malformed storage view");
        uint64_t off = (uint64_t)v->items[1]->i, n = (uint64_t)v->items[2]->i;
        if (off > st->root_numel || n > st->root_numel - off)
            return fail(r, FK_ERR_FORMAT, "storage view past the end of its storage");
        st->base = off;
        st->numel = n;
    }
    return push(r, st);
}

static fk_status step(rd *r, int *stop)
{
    pk_ctx *c = r->c;
    uint64_t v = 0;
    size_t k = 0;
    pk_obj *o = NULL;
    fk_status s;
    r->op_pos = r->pos;
    if ((s = need(r, 1)))
        return s;
    uint8_t op = r->buf[r->pos++];
    switch (op) {
    case 0x80: /* PROTO */
        if ((s = read_uint(r, 1, &v)))
            return s;
        if (v < 2 || v > 5)
            return fail(r, FK_ERR_UNSUPPORTED, "pickle protocol outside 2-5");
        return FK_OK;
    case 0x95: /* FRAME: a length hint, the opcodes follow as usual */
        if ((s = read_uint(r, 8, &v)))
            return s;
        return need(r, v);
    case '.': /* STOP */
        *stop = 1;
        return FK_OK;
    case '(': return push(r, &c->mark);
    case '0': return pop(r, &o);
    case '1':
        if ((s = find_mark(r, &k)))
            return s;
        c->sp = k - 1;
        return FK_OK;
    case '2':
        if ((s = top(r, &o)))
            return s;
        return push(r, o);
    case '}': return push(r, new_obj(r, PK_DICT, 0));
    case ']': return push(r, new_obj(r, PK_LIST, 0));
    case ')': return push(r, new_obj(r, PK_TUPLE, 0));
    case 'N': return push(r, new_obj(r, PK_NONE, 0));
    case 0x88:
    case 0x89:
        if (!(o = new_obj(r, PK_BOOL, 0)))
            return nomem(r);
        o->i = op == 0x88;
        return push(r, o);
    case 'X':
        if ((s = read_uint(r, 4, &v)))
            return s;
        return push_string(r, PK_STR, v);
    case 0x8c:
        if ((s = read_uint(r, 1, &v)))
            return s;
        return push_string(r, PK_STR, v);
    case 0x8d:
        if ((s = read_uint(r, 8, &v)))
            return s;
        return push_string(r, PK_STR, v);
    case 'U': /* SHORT_BINSTRING (Python 2 str) */
        if ((s = read_uint(r, 1, &v)))
            return s;
        return push_string(r, PK_STR, v);
    case 'T':
        if ((s = read_uint(r, 4, &v)))
            return s;
        return push_string(r, PK_STR, v);
    case 'C':
        if ((s = read_uint(r, 1, &v)))
            return s;
        return push_string(r, PK_BYTES, v);
    case 'B':
        if ((s = read_uint(r, 4, &v)))
            return s;
        return push_string(r, PK_BYTES, v);
    case 0x8e:
        if ((s = read_uint(r, 8, &v)))
            return s;
        return push_string(r, PK_BYTES, v);
    case 'J':
        if ((s = read_uint(r, 4, &v)))
            return s;
        return push_int(r, (int32_t)(uint32_t)v);
    case 'K':
        if ((s = read_uint(r, 1, &v)))
            return s;
        return push_int(r, (int64_t)v);
    case 'M':
        if ((s = read_uint(r, 2, &v)))
            return s;
        return push_int(r, (int64_t)v);
    case 0x8a:
        if ((s = read_uint(r, 1, &v)))
            return s;
        return push_long(r, v);
    case 0x8b:
        if ((s = read_uint(r, 4, &v)))
            return s;
        return push_long(r, v);
    case 'G': {
        if ((s = need(r, 8)))
            return s;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits = bits << 8 | r->buf[r->pos + (size_t)i];
        r->pos += 8;
        if (!(o = new_obj(r, PK_FLOAT, 0)))
            return nomem(r);
        memcpy(&o->f, &bits, sizeof o->f);
        return push(r, o);
    }
    case 't':
        if ((s = find_mark(r, &k)))
            return s;
        if ((s = op_tuple(r, k)))
            return s;
        /* op_tuple left the tuple above the MARK: drop the MARK. */
        c->stack[k - 1] = c->stack[k];
        c->sp = k;
        return FK_OK;
    case 0x85: return op_tuple_n(r, 1);
    case 0x86: return op_tuple_n(r, 2);
    case 0x87: return op_tuple_n(r, 3);
    case 'l':
    case 'd': {
        if ((s = find_mark(r, &k)))
            return s;
        pk_obj *seq = new_obj(r, op == 'l' ? PK_LIST : PK_DICT, 0);
        if (!seq)
            return nomem(r);
        if (op == 'd' && (c->sp - k) % 2)
            return fail(r, FK_ERR_FORMAT, "DICT with an odd number of items");
        for (size_t i = k; i < c->sp; i++)
            if ((s = append(r, seq, c->stack[i])))
                return s;
        c->sp = k - 1;
        return push(r, seq);
    }
    case 's': /* SETITEM: dict key value */
        if (c->sp < 3)
            return fail(r, FK_ERR_FORMAT, "stack underflow (corrupt pickle)");
        return add_items(r, c->sp - 3, c->sp - 2, PK_DICT);
    case 'u':
        if ((s = find_mark(r, &k)))
            return s;
        if (k < 2)
            return fail(r, FK_ERR_FORMAT, "SETITEMS without a dict");
        return add_items(r, k - 2, k, PK_DICT);
    case 'a': /* APPEND: list item */
        if (c->sp < 2)
            return fail(r, FK_ERR_FORMAT, "stack underflow (corrupt pickle)");
        return add_items(r, c->sp - 2, c->sp - 1, PK_LIST);
    case 'e':
        if ((s = find_mark(r, &k)))
            return s;
        if (k < 2)
            return fail(r, FK_ERR_FORMAT, "APPENDS without a list");
        return add_items(r, k - 2, k, PK_LIST);
    case 'q':
        if ((s = read_uint(r, 1, &v)))
            return s;
        return memo_put(r, v);
    case 'r':
        if ((s = read_uint(r, 4, &v)))
            return s;
        return memo_put(r, v);
    case 0x94: /* MEMOIZE: the next index */
        return memo_put(r, c->nmemo);
    case 'h':
        if ((s = read_uint(r, 1, &v)))
            return s;
        return memo_get(r, v);
    case 'j':
        if ((s = read_uint(r, 4, &v)))
            return s;
        return memo_get(r, v);
    case 'c': return op_global(r);
    case 0x93: return op_stack_global(r);
    case 'R': return op_reduce(r);
    case 'b': return op_build(r);
    case 0x81: return op_newobj(r);
    case 'Q': return op_binpersid(r);
    default:
        break;
    }
    char msg[96];
    snprintf(msg, sizeof msg, "unsupported pickle opcode 0x%02x", op);
    return fail(r, FK_ERR_FORMAT, msg);
}

fk_status pk_load(pk_ctx *c, const uint8_t *buf, size_t len, uint64_t file_off,
                  const char *what, size_t *used, pk_obj **out, fk_error *e)
{
    rd r = {c, buf, len, 0, 0, file_off, what ? what : "pickle", e};
    c->sp = 0;
    c->nmemo = 0;
    if (c->memo)
        memset(c->memo, 0, c->capmemo * sizeof *c->memo);
    int stop = 0;
    while (!stop) {
        if (r.pos == r.len) {
            r.op_pos = r.pos;
            return fail(&r, FK_ERR_FORMAT, "truncated pickle (no STOP opcode)");
        }
        fk_status s = step(&r, &stop);
        if (s)
            return s;
    }
    pk_obj *o = NULL;
    fk_status s = pop(&r, &o);
    if (s)
        return s;
    *out = o;
    *used = r.pos;
    return FK_OK;
}

size_t pk_count(const pk_ctx *c)
{
    return c->nall;
}

const pk_obj *pk_dict_get(const pk_obj *d, const char *key)
{
    if (!d || d->kind != PK_DICT)
        return NULL;
    for (size_t i = 0; i + 1 < d->n; i += 2)
        if (d->items[i]->kind == PK_STR && strcmp(d->items[i]->s, key) == 0)
            return d->items[i + 1];
    return NULL;
}
