#include "weights/weights_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void *wt_alloc(fk_weights *w, size_t n)
{
    if (w->nowned == w->capowned) {
        size_t cap = w->capowned ? 2 * w->capowned : 16;
        void **o = realloc(w->owned, cap * sizeof *o);
        if (!o)
            return NULL;
        w->owned = o;
        w->capowned = cap;
    }
    void *p = malloc(n ? n : 1);
    if (p)
        w->owned[w->nowned++] = p;
    return p;
}

static int is_contiguous(int ndim, const int64_t *size, const int64_t *stride)
{
    int64_t expect = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        if (size[i] != 1 && stride[i] != expect)
            return 0;
        expect *= size[i];
    }
    return 1;
}

/* Copies a strided view into dst, innermost dimension in the loop. */
static void gather(uint8_t *dst, const uint8_t *src, size_t es, int ndim, const int64_t *size,
                   const int64_t *stride, int64_t count)
{
    int64_t idx[FK_MAX_DIMS] = {0};
    for (int64_t k = 0; k < count; k++) {
        int64_t off = 0;
        for (int d = 0; d < ndim; d++)
            off += idx[d] * stride[d];
        memcpy(dst + (size_t)k * es, src + (size_t)off * es, es);
        for (int d = ndim - 1; d >= 0; d--) {
            if (++idx[d] < size[d])
                break;
            idx[d] = 0;
        }
    }
}

fk_status wt_add_view(fk_weights *w, const char *name, fk_dtype dt, const uint8_t *base,
                      uint64_t storage_numel, int64_t offset, int ndim, const int64_t *size,
                      const int64_t *stride, fk_error *e)
{
    size_t es = fk_dtype_size(dt);
    if (ndim < 0 || ndim > FK_MAX_DIMS)
        return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: tensor %s has %d dimensions (at most %d)",
                       w->path, name, ndim, FK_MAX_DIMS);
    if (offset < 0)
        return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s has a negative storage offset",
                       w->path, name);
    /* count = product of sizes; last = highest element index used. */
    int64_t count = 1, last = offset;
    for (int d = 0; d < ndim; d++) {
        if (size[d] < 0 || stride[d] < 0)
            return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s has a negative size or stride",
                           w->path, name);
        if (__builtin_mul_overflow(count, size[d], &count))
            return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s is impossibly large", w->path,
                           name);
    }
    if (count > 0) {
        for (int d = 0; d < ndim; d++) {
            int64_t span;
            if (__builtin_mul_overflow(size[d] - 1, stride[d], &span) ||
                __builtin_add_overflow(last, span, &last))
                return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s is impossibly large", w->path,
                               name);
        }
        if ((uint64_t)last >= storage_numel)
            return fk_fail(e, FK_ERR_FORMAT,
                           "%s: tensor %s reaches element %lld of a storage of %llu elements",
                           w->path, name, (long long)last, (unsigned long long)storage_numel);
    } else if ((uint64_t)offset > storage_numel) {
        return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s starts past the end of its storage",
                       w->path, name);
    }
    if (count > 0 && (uint64_t)count > SIZE_MAX / es)
        return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s is impossibly large", w->path, name);

    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 64;
        wt_entry *t = realloc(w->t, (size_t)cap * sizeof *t);
        if (!t)
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
        w->t = t;
        w->cap = cap;
    }
    wt_entry *en = &w->t[w->n];
    memset(en, 0, sizeof *en);
    en->a.dtype = dt;
    en->a.ndim = ndim;
    for (int d = 0; d < ndim; d++)
        en->a.shape[d] = size[d];
    const uint8_t *start = base + (size_t)offset * es;
    if (count > 0 && is_contiguous(ndim, size, stride) && (uintptr_t)start % es == 0) {
        en->a.data = (void *)start; /* a view into the read-only mapping: never written */
    } else {
        uint8_t *buf = wt_alloc(w, (size_t)count * es);
        if (!buf)
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory copying tensor %s", w->path,
                           name);
        if (count > 0)
            gather(buf, start, es, ndim, size, stride, count);
        en->a.data = buf;
    }
    en->name = strdup(name);
    if (!en->name)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    w->n++;
    return FK_OK;
}

static int cmp_names(const fk_weights *w, int a, int b)
{
    return strcmp(w->t[a].name, w->t[b].name);
}

/* Merge sort: stable, and needs neither qsort_r nor global state. */
static void sort_order(const fk_weights *w, int *o, int *tmp, int n)
{
    if (n < 2)
        return;
    int h = n / 2;
    sort_order(w, o, tmp, h);
    sort_order(w, o + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_names(w, o[i], o[j]) <= 0 ? o[i++] : o[j++];
    while (i < h)
        tmp[k++] = o[i++];
    while (j < n)
        tmp[k++] = o[j++];
    memcpy(o, tmp, (size_t)n * sizeof *o);
}

static fk_status build_index(fk_weights *w, fk_error *e)
{
    w->order = malloc((size_t)(w->n ? w->n : 1) * sizeof *w->order);
    int *tmp = malloc((size_t)(w->n ? w->n : 1) * sizeof *tmp);
    if (!w->order || !tmp) {
        free(tmp);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    }
    for (int i = 0; i < w->n; i++)
        w->order[i] = i;
    sort_order(w, w->order, tmp, w->n);
    free(tmp);
    for (int i = 1; i < w->n; i++)
        if (strcmp(w->t[w->order[i - 1]].name, w->t[w->order[i]].name) == 0)
            return fk_fail(e, FK_ERR_FORMAT, "%s: tensor name %s appears twice", w->path,
                           w->t[w->order[i]].name);
    return FK_OK;
}

static int has_prefix(const uint8_t *p, size_t n, const char *s, size_t k)
{
    return n >= k && memcmp(p, s, k) == 0;
}

/* By content, not by name: a zip local header, torch's legacy pickle opening
 * (PROTO 2, LONG1 with 10 bytes: the magic number), or a safetensors header. */
static fk_status detect(fk_weights *w, fk_error *e)
{
    const uint8_t *p = w->map;
    size_t n = w->size;
    if (has_prefix(p, n, "PK\x03\x04", 4) || has_prefix(p, n, "PK\x05\x06", 4))
        return wt_open_torch_zip(w, e);
    /* safetensors first, by its whole signature: a little-endian u64
     * header length that fits the file, then '{'. Its first byte may be
     * 0x80 (any length = 0x80 mod 256), which is not a pickle. */
    uint64_t hlen = 0;
    for (int i = 7; n >= 9 && i >= 0; i--)
        hlen = hlen << 8 | p[i];
    if (n >= 9 && p[8] == '{' && hlen >= 2 && hlen <= n - 8)
        return wt_open_safetensors(w, e);
    /* A pickle: PROTO (0x80) and a protocol number 2..5; torch's legacy
     * files open with PROTO 2, LONG1 10 (the magic number). */
    if (n >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5)
        return wt_open_torch_legacy(w, e);
    if (n >= 9 && p[8] == '{')
        return wt_open_safetensors(w, e); /* says what is wrong with its length */
    if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0)
        return fk_fail(e, FK_ERR_UNSUPPORTED,
                       "%s is a tar archive: torch.save files older than torch 0.4 are not "
                       "read; save the state dict again with a newer torch",
                       w->path);
    return fk_fail(e, FK_ERR_FORMAT,
                   "%s is not a weights file: neither safetensors, a torch.save zip archive "
                   "nor a legacy torch.save file",
                   w->path);
}

fk_status fk_weights_open(const char *path, fk_weights **out, fk_error *e)
{
    *out = NULL;
    {
        /* The readers assume little-endian data and host. */
        const uint16_t one = 1;
        if (*(const uint8_t *)&one != 1)
            return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: big-endian hosts are not supported",
                           path);
    }
    fk_weights *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    }
    fk_status s = FK_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        s = fk_fail(e, FK_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    } else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        s = fk_fail(e, FK_ERR_IO, "%s is not a regular file", path);
    } else if (st.st_size == 0) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s is empty", path);
    } else if ((uint64_t)st.st_size > SIZE_MAX) {
        s = fk_fail(e, FK_ERR_UNSUPPORTED, "%s is too large to map", path);
    } else {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
            s = fk_fail(e, FK_ERR_IO, "cannot map %s: %s", path, strerror(errno));
        else {
            w->map = m;
            w->size = (size_t)st.st_size;
        }
    }
    if (fd >= 0)
        close(fd);
    if (!s)
        s = detect(w, e);
    if (!s)
        s = build_index(w, e);
    if (!s && !w->inner && !(w->inner = strdup("")))
        s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    if (s) {
        fk_weights_close(w);
        return s;
    }
    *out = w;
    return FK_OK;
}

void fk_weights_close(fk_weights *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n; i++)
        free(w->t[i].name);
    free(w->t);
    free(w->order);
    for (size_t i = 0; i < w->nowned; i++)
        free(w->owned[i]);
    free(w->owned);
    if (w->map)
        munmap((void *)w->map, w->size);
    free(w->inner);
    free(w->path);
    free(w);
}

const char *fk_weights_format(const fk_weights *w)
{
    return w->format;
}

const char *fk_weights_path(const fk_weights *w)
{
    return w->path;
}

const char *fk_weights_inner_prefix(const fk_weights *w)
{
    return w->inner;
}

int fk_weights_count(const fk_weights *w)
{
    return w->n;
}

const char *fk_weights_name(const fk_weights *w, int i)
{
    return i >= 0 && i < w->n ? w->t[i].name : NULL;
}

const fk_array *fk_weights_tensor(const fk_weights *w, int i)
{
    return i >= 0 && i < w->n ? &w->t[i].a : NULL;
}

/* Binary search over the sorted index for prefix+name. */
static const fk_array *lookup(const fk_weights *w, const char *prefix, const char *name)
{
    size_t pl = strlen(prefix);
    int lo = 0, hi = w->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const char *cand = w->t[w->order[mid]].name;
        int c = strncmp(cand, prefix, pl);
        if (c == 0)
            c = strcmp(cand + pl, name);
        if (c == 0)
            return &w->t[w->order[mid]].a;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

const fk_array *fk_weights_find(const fk_weights *w, const char *name)
{
    const fk_array *a = lookup(w, "", name);
    if (!a && w->inner[0])
        a = lookup(w, w->inner, name);
    return a;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, ex = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (ex == 0x1f) {
        bits = sign | 0x7f800000u | man << 13;
    } else if (ex != 0) {
        bits = sign | (ex + 112) << 23 | man << 13;
    } else if (man == 0) {
        bits = sign;
    } else {
        /* subnormal: normalise the mantissa */
        int shift = 0;
        while (!(man & 0x400)) {
            man <<= 1;
            shift++;
        }
        bits = sign | (uint32_t)(113 - shift) << 23 | (man & 0x3ff) << 13;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

fk_status fk_weights_get_f32(const fk_weights *w, const char *name, int ndim,
                             const int64_t *shape, float **out, fk_error *e)
{
    *out = NULL;
    const fk_array *a = fk_weights_find(w, name);
    if (!a)
        return fk_fail(e, FK_ERR_FORMAT, "%s has no tensor %s%s%s%s%s", w->path, name,
                       w->inner[0] ? " (nor " : "", w->inner, w->inner[0] ? name : "",
                       w->inner[0] ? ")" : "");
    char have[160];
    fk_array_shape_str(a, have, sizeof have);
    if (ndim >= 0) {
        int same = ndim == a->ndim;
        for (int d = 0; same && d < ndim; d++)
            same = shape[d] == a->shape[d];
        if (!same) {
            fk_array want = {.dtype = a->dtype, .ndim = ndim > FK_MAX_DIMS ? FK_MAX_DIMS : ndim};
            for (int d = 0; d < want.ndim; d++)
                want.shape[d] = shape[d];
            char wbuf[160];
            fk_array_shape_str(&want, wbuf, sizeof wbuf);
            return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s has shape %s, expected %s",
                           w->path, name, have, wbuf);
        }
    }
    if (a->dtype != FK_F32 && a->dtype != FK_F16 && a->dtype != FK_BF16 && a->dtype != FK_F64)
        return fk_fail(e, FK_ERR_FORMAT,
                       "%s: tensor %s %s is %s, not a floating-point tensor", w->path, name,
                       have, fk_dtype_name(a->dtype));
    int64_t n = fk_array_count(a);
    float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
    if (!f)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory reading tensor %s", w->path, name);
    const uint8_t *src = a->data;
    for (int64_t i = 0; i < n; i++) {
        switch (a->dtype) {
        case FK_F32:
            memcpy(&f[i], src + 4 * i, 4);
            break;
        case FK_F16: {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            f[i] = half_to_float(h);
            break;
        }
        case FK_BF16: {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            uint32_t bits = (uint32_t)h << 16;
            memcpy(&f[i], &bits, 4);
            break;
        }
        default: {
            double d;
            memcpy(&d, src + 8 * i, 8);
            f[i] = (float)d;
            if (isfinite(d) && !isfinite(f[i])) {
                free(f);
                return fk_fail(e, FK_ERR_NUMERIC,
                               "%s: tensor %s holds %g at index %lld, beyond float32's range",
                               w->path, name, d, (long long)i);
            }
            break;
        }
        }
    }
    *out = f;
    return FK_OK;
}
