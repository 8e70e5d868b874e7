/* safetensors: u64 little-endian header length N, N bytes of JSON
 *   {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
 *    "__metadata__": {...}}
 * then the data; offsets are relative to the end of the header. */
#include "weights/weights_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The reference implementation refuses headers above 100 MB. */
#define MAX_HEADER (100u * 1024 * 1024)

static const struct {
    const char *name;
    fk_dtype dtype;
} dtypes[] = {
    {"F64", FK_F64}, {"F32", FK_F32}, {"F16", FK_F16}, {"BF16", FK_BF16},
    {"I64", FK_I64}, {"I32", FK_I32}, {"I16", FK_I16}, {"I8", FK_I8},
    {"U8", FK_U8},   {"BOOL", FK_BOOL},
};

/* A JSON number that is an exact non-negative integer (doubles hold 2^53). */
static int json_uint(const cJSON *j, uint64_t *v)
{
    if (!cJSON_IsNumber(j))
        return 0;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d)
        return 0;
    *v = (uint64_t)d;
    return 1;
}

static fk_status one_tensor(fk_weights *w, const cJSON *t, const uint8_t *data,
                            uint64_t data_len, fk_error *e, uint64_t range[2])
{
    const char *name = t->string;
    if (!cJSON_IsObject(t))
        return fk_fail(e, FK_ERR_FORMAT, "%s: header entry %s is not an object", w->path, name);
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(t, "shape");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    if (!cJSON_IsString(jd) || !cJSON_IsArray(js) || !cJSON_IsArray(jo))
        return fk_fail(e, FK_ERR_FORMAT,
                       "%s: tensor %s lacks a dtype string, a shape list or data_offsets",
                       w->path, name);
    fk_dtype dt = FK_DTYPE_INVALID;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(jd->valuestring, dtypes[i].name) == 0)
            dt = dtypes[i].dtype;
    if (dt == FK_DTYPE_INVALID)
        return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: tensor %s has dtype %.32s, which fidkit "
                       "does not read", w->path, name, jd->valuestring);
    int ndim = cJSON_GetArraySize(js);
    if (ndim > FK_MAX_DIMS)
        return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: tensor %s has %d dimensions (at most %d)",
                       w->path, name, ndim, FK_MAX_DIMS);
    int64_t size[FK_MAX_DIMS], stride[FK_MAX_DIMS];
    uint64_t count = 1;
    int d = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, js) {
        uint64_t v;
        if (!json_uint(it, &v))
            return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s has a shape entry that is not a "
                           "non-negative integer", w->path, name);
        size[d++] = (int64_t)v;
        if (__builtin_mul_overflow(count, v, &count))
            return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s is impossibly large", w->path,
                           name);
    }
    int64_t expect = 1;
    for (d = ndim - 1; d >= 0; d--) {
        stride[d] = expect;
        expect *= size[d] ? size[d] : 1;
    }
    uint64_t begin, end, nbytes;
    if (cJSON_GetArraySize(jo) != 2 || !json_uint(cJSON_GetArrayItem(jo, 0), &begin) ||
        !json_uint(cJSON_GetArrayItem(jo, 1), &end) || begin > end)
        return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s has malformed data_offsets", w->path,
                       name);
    if (end > data_len)
        return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s has data_offsets [%llu, %llu] past the "
                       "end of the data (%llu bytes; truncated file?)", w->path, name,
                       (unsigned long long)begin, (unsigned long long)end,
                       (unsigned long long)data_len);
    if (__builtin_mul_overflow(count, (uint64_t)fk_dtype_size(dt), &nbytes) ||
        nbytes != end - begin)
        return fk_fail(e, FK_ERR_FORMAT, "%s: tensor %s has data_offsets [%llu, %llu] but its "
                       "dtype and shape need %llu bytes", w->path, name,
                       (unsigned long long)begin, (unsigned long long)end,
                       (unsigned long long)nbytes);
    range[0] = begin;
    range[1] = end;
    return wt_add_view(w, name, dt, data + begin, count, 0, ndim, size, stride, e);
}

static int cmp_range(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

fk_status wt_open_safetensors(fk_weights *w, fk_error *e)
{
    w->format = "safetensors";
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | w->map[i];
    if (hlen > w->size - 8)
        return fk_fail(e, FK_ERR_FORMAT, "%s: safetensors header of %llu bytes is longer than "
                       "the file (%zu bytes; truncated?)", w->path, (unsigned long long)hlen,
                       w->size);
    if (hlen > MAX_HEADER)
        return fk_fail(e, FK_ERR_FORMAT, "%s: safetensors header of %llu bytes (limit %u)",
                       w->path, (unsigned long long)hlen, MAX_HEADER);
    const char *json = (const char *)w->map + 8;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, (size_t)hlen, &end, 0);
    if (!root)
        return fk_fail(e, FK_ERR_FORMAT, "%s: safetensors header is not valid JSON (near byte "
                       "%zu)", w->path, end ? (size_t)(end - json) + 8 : (size_t)8);
    fk_status s = FK_OK;
    /* Only trailing padding (spaces) may follow the JSON object. */
    for (const char *p = end; !s && p < json + hlen; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != 0)
            s = fk_fail(e, FK_ERR_FORMAT, "%s: bytes after the safetensors JSON header",
                        w->path);
    if (!s && !cJSON_IsObject(root))
        s = fk_fail(e, FK_ERR_FORMAT, "%s: safetensors header is not a JSON object", w->path);
    const uint8_t *data = w->map + 8 + hlen;
    uint64_t data_len = w->size - 8 - hlen;
    const cJSON *t;
    int nt = s ? 0 : cJSON_GetArraySize(root), k = 0;
    uint64_t (*ranges)[2] = s ? NULL : malloc((size_t)(nt ? nt : 1) * sizeof *ranges);
    if (!s && !ranges)
        s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    if (!s) {
        cJSON_ArrayForEach(t, root) {
            if (!t->string)
                continue;
            if (strcmp(t->string, "__metadata__") == 0)
                continue; /* free-form strings, no tensors */
            if ((s = one_tensor(w, t, data, data_len, e, ranges[k])))
                break;
            k++;
        }
    }
    /* Tensors share no byte: overlapping ranges are a forged file. */
    if (!s && k > 1) {
        qsort(ranges, (size_t)k, sizeof *ranges, cmp_range);
        for (int i = 1; i < k && !s; i++)
            if (ranges[i][0] < ranges[i - 1][1] && ranges[i][0] < ranges[i][1])
                s = fk_fail(e, FK_ERR_FORMAT, "%s: tensors overlap: data_offsets [%llu, %llu] "
                            "and [%llu, %llu]", w->path, (unsigned long long)ranges[i - 1][0],
                            (unsigned long long)ranges[i - 1][1], (unsigned long long)ranges[i][0],
                            (unsigned long long)ranges[i][1]);
    }
    free(ranges);
    cJSON_Delete(root);
    return s;
}
