/* .npy and .npz files, read and written as numpy does. See npz.h. */
#include "fidkit/npz.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "base/bigalloc.h"
#include "base/fileutil.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_PREFIX_MAX 12          /* magic + version + u32 length */
#define NPY_HEADER_MAX (1u << 20)  /* numpy itself refuses > 10,000 bytes by default */

/* ---- header ---------------------------------------------------------- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && is_space(*p))
        p++;
    return p;
}

static fk_dtype parse_descr(const char *d, size_t n, int *bad_endian)
{
    *bad_endian = 0;
    if (n < 2)
        return FK_DTYPE_INVALID;
    char order = d[0], kind = d[1];
    const char *size = d + 2;
    size_t sl = n - 2;
    if (order == '>') {
        /* single-byte types are endian-free whatever the prefix */
        if (!(sl == 1 && size[0] == '1')) {
            *bad_endian = 1;
            return FK_DTYPE_INVALID;
        }
    } else if (order != '<' && order != '|' && order != '=') {
        return FK_DTYPE_INVALID;
    }
    if (sl != 1)
        return FK_DTYPE_INVALID;
    switch (kind) {
    case 'f': return size[0] == '2' ? FK_F16 : size[0] == '4' ? FK_F32 : size[0] == '8' ? FK_F64 : FK_DTYPE_INVALID;
    case 'u': return size[0] == '1' ? FK_U8 : FK_DTYPE_INVALID;
    case 'i':
        return size[0] == '1' ? FK_I8 : size[0] == '2' ? FK_I16 : size[0] == '4' ? FK_I32
             : size[0] == '8' ? FK_I64 : FK_DTYPE_INVALID;
    case 'b': return size[0] == '1' ? FK_BOOL : FK_DTYPE_INVALID;
    default: return FK_DTYPE_INVALID;
    }
}

static const char *descr_of(fk_dtype t)
{
    switch (t) {
    case FK_U8: return "|u1";
    case FK_I8: return "|i1";
    case FK_BOOL: return "|b1";
    case FK_I16: return "<i2";
    case FK_I32: return "<i4";
    case FK_I64: return "<i8";
    case FK_F16: return "<f2";
    case FK_F32: return "<f4";
    case FK_F64: return "<f8";
    default: return NULL;
    }
}

fk_status fk_npy_parse_header(const uint8_t *buf, size_t len, fk_npy_header *h,
                              size_t *header_len, fk_error *e)
{
    memset(h, 0, sizeof *h);
    if (len < 10 || memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN))
        return fk_fail(e, FK_ERR_FORMAT, "not a NumPy .npy array (bad magic)");
    int major = buf[6];
    size_t hl, start;
    if (major == 1) {
        hl = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return fk_fail(e, FK_ERR_FORMAT, "truncated .npy header");
        hl = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    } else {
        return fk_fail(e, FK_ERR_FORMAT, "unknown .npy format version %d.%d", major, buf[7]);
    }
    if (hl > NPY_HEADER_MAX)
        return fk_fail(e, FK_ERR_FORMAT, ".npy header of %zu bytes is implausibly long", hl);
    if (start + hl > len)
        return fk_fail(e, FK_ERR_FORMAT, "truncated .npy header (%zu bytes announced, %zu present)",
                       hl, len - start);
    const char *s = (const char *)buf + start, *end = s + hl;

    /* Strictly the npy spec: a dict literal of exactly 'descr',
     * 'fortran_order' and 'shape', each once, then blanks. No byte past
     * end is read. */
    const char *p = skip_space(s, end);
    if (p >= end || *p != '{')
        return fk_fail(e, FK_ERR_FORMAT, ".npy header is not a dict literal");
    p++;
    int seen[3] = {0, 0, 0};
    uint64_t count = 1;
    for (;;) {
        p = skip_space(p, end);
        if (p < end && *p == '}')
            break;
        if (p >= end || (*p != '\'' && *p != '"'))
            return fk_fail(e, FK_ERR_FORMAT, ".npy header: expected a quoted key or '}'");
        const char *kq = memchr(p + 1, *p, (size_t)(end - p - 1));
        if (!kq)
            return fk_fail(e, FK_ERR_FORMAT, ".npy header: unterminated key");
        size_t kl = (size_t)(kq - p - 1);
        const char *key = p + 1;
        int which = kl == 5 && !memcmp(key, "descr", 5) ? 0
                    : kl == 13 && !memcmp(key, "fortran_order", 13) ? 1
                    : kl == 5 && !memcmp(key, "shape", 5) ? 2 : -1;
        if (which < 0)
            return fk_fail(e, FK_ERR_FORMAT, ".npy header: unknown key '%.*s' (the format has "
                           "descr, fortran_order and shape)", (int)(kl > 40 ? 40 : kl), key);
        if (seen[which]++)
            return fk_fail(e, FK_ERR_FORMAT, ".npy header: key '%.*s' appears twice", (int)kl, key);
        p = skip_space(kq + 1, end);
        if (p >= end || *p != ':')
            return fk_fail(e, FK_ERR_FORMAT, ".npy header: no ':' after '%.*s'", (int)kl, key);
        const char *v = skip_space(p + 1, end);
        if (which == 0) {
            if (v >= end || (*v != '\'' && *v != '"'))
                return fk_fail(e, FK_ERR_FORMAT, ".npy header: 'descr' is not a string");
            const char *q = memchr(v + 1, *v, (size_t)(end - v - 1));
            if (!q)
                return fk_fail(e, FK_ERR_FORMAT, ".npy header: unterminated 'descr'");
            int bad_endian;
            h->dtype = parse_descr(v + 1, (size_t)(q - v - 1), &bad_endian);
            if (h->dtype == FK_DTYPE_INVALID)
                return fk_fail(e, bad_endian ? FK_ERR_UNSUPPORTED : FK_ERR_FORMAT,
                               ".npy dtype '%.*s' is not supported%s", (int)(q - v - 1), v + 1,
                               bad_endian ? " (big-endian)" : "");
            p = q + 1;
        } else if (which == 1) {
            if (end - v >= 4 && !memcmp(v, "True", 4))
                return fk_fail(e, FK_ERR_UNSUPPORTED,
                               ".npy array is in Fortran order; save it with np.ascontiguousarray");
            if (!(end - v >= 5 && !memcmp(v, "False", 5)))
                return fk_fail(e, FK_ERR_FORMAT, ".npy header: 'fortran_order' is not a boolean");
            p = v + 5;
        } else {
            if (v >= end || *v != '(')
                return fk_fail(e, FK_ERR_FORMAT, ".npy header: 'shape' is not a tuple");
            p = v + 1;
            for (;;) {
                p = skip_space(p, end);
                if (p < end && *p == ')')
                    break;
                if (p >= end || *p < '0' || *p > '9')
                    return fk_fail(e, FK_ERR_FORMAT, ".npy header: malformed 'shape'");
                if (h->ndim == FK_MAX_DIMS)
                    return fk_fail(e, FK_ERR_UNSUPPORTED, ".npy array has more than %d dimensions",
                                   FK_MAX_DIMS);
                uint64_t d = 0;
                while (p < end && *p >= '0' && *p <= '9') {
                    if (d > (UINT64_MAX - 9) / 10)
                        return fk_fail(e, FK_ERR_FORMAT, ".npy header: dimension too large");
                    d = d * 10 + (uint64_t)(*p++ - '0');
                }
                if (p < end && *p == 'L') /* Python 2 longs */
                    p++;
                if (d > (uint64_t)INT64_MAX || (d && count > UINT64_MAX / d))
                    return fk_fail(e, FK_ERR_FORMAT, ".npy header: shape too large");
                count *= d;
                h->shape[h->ndim++] = (int64_t)d;
                p = skip_space(p, end);
                if (p < end && *p == ',')
                    p++;
                else if (!(p < end && *p == ')'))
                    return fk_fail(e, FK_ERR_FORMAT, ".npy header: malformed 'shape'");
            }
            p++;
        }
        p = skip_space(p, end);
        if (p < end && *p == ',')
            p++;
        else if (!(p < end && *p == '}'))
            return fk_fail(e, FK_ERR_FORMAT, ".npy header: expected ',' or '}' after '%.*s'",
                           (int)kl, key);
    }
    static const char *const names[3] = {"descr", "fortran_order", "shape"};
    for (int i = 0; i < 3; i++)
        if (!seen[i])
            return fk_fail(e, FK_ERR_FORMAT, ".npy header has no '%s'", names[i]);
    for (p = skip_space(p + 1, end); p < end; p++)
        if (*p != ' ' && *p != '\n' && *p != '\0')
            return fk_fail(e, FK_ERR_FORMAT, ".npy header: bytes after the dict");
    size_t item = fk_dtype_size(h->dtype);
    if (count > UINT64_MAX / item)
        return fk_fail(e, FK_ERR_FORMAT, ".npy header: array too large");
    h->data_bytes = count * item;
    *header_len = start + hl;
    return FK_OK;
}

size_t fk_npy_format_header(const fk_array *a, uint8_t *buf, size_t cap)
{
    const char *descr = descr_of(a->dtype);
    if (!descr || a->ndim < 0 || a->ndim > FK_MAX_DIMS)
        return 0;
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < a->ndim; i++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%lld,%s", (long long)a->shape[i],
                      (i + 1 < a->ndim) ? " " : "");
    k += snprintf(dict + k, sizeof dict - (size_t)k, "), }");
    /* Version 1.0 as numpy writes it: total length a multiple of 64, the
     * dict padded with spaces and ended by a newline. */
    size_t total = 10 + (size_t)k + 1;
    total = (total + 63) / 64 * 64;
    if (total > cap || total - 10 > 65535)
        return 0;
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = 1;
    buf[7] = 0;
    size_t hl = total - 10;
    buf[8] = (uint8_t)(hl & 0xff);
    buf[9] = (uint8_t)(hl >> 8);
    memcpy(buf + 10, dict, (size_t)k);
    memset(buf + 10 + k, ' ', total - 10 - (size_t)k - 1);
    buf[total - 1] = '\n';
    return total;
}

/* ---- reading --------------------------------------------------------- */

static fk_status zip_fail(fk_error *e, fk_status code, const char *path, const char *what,
                          zip_error_t *ze)
{
    return fk_fail(e, code, "%s: %s: %s", path, what, zip_error_strerror(ze));
}

static fk_status open_zip(const char *path, zip_t **z, fk_error *e)
{
    int zerr = 0;
    *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (*z)
        return FK_OK;
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    fk_status code = (zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ)
                         ? FK_ERR_IO : FK_ERR_FORMAT;
    fk_status s = zip_fail(e, code, path, "cannot open as .npz (zip)", &ze);
    zip_error_fini(&ze);
    return s;
}

/* Locates NAME.npy (or NAME as given) in the archive. */
static zip_int64_t locate_member(zip_t *z, const char *name)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s.npy", name);
    zip_int64_t i = zip_name_locate(z, buf, 0);
    if (i < 0)
        i = zip_name_locate(z, name, 0);
    return i;
}

/* A byte source: either a plain file or a zip member, read sequentially. */
typedef struct source {
    FILE *f;
    zip_t *z;
    zip_file_t *zf;
    uint64_t size;     /* total bytes of the .npy stream */
    uint64_t pos;
} source;

static fk_status source_read(source *s, void *buf, size_t n, size_t *got, fk_error *e,
                             const char *what)
{
    size_t k = 0;
    while (k < n) {
        if (s->f) {
            size_t r = fread((char *)buf + k, 1, n - k, s->f);
            if (r == 0) {
                if (ferror(s->f))
                    return fk_fail(e, FK_ERR_IO, "%s: read error: %s", what, strerror(errno));
                break;
            }
            k += r;
        } else {
            zip_int64_t r = zip_fread(s->zf, (char *)buf + k, n - k);
            if (r < 0)
                return fk_fail(e, FK_ERR_FORMAT, "%s: %s", what,
                               zip_error_strerror(zip_file_get_error(s->zf)));
            if (r == 0)
                break;
            k += (size_t)r;
        }
    }
    s->pos += k;
    *got = k;
    return FK_OK;
}

static void source_close(source *s)
{
    if (s->f)
        fclose(s->f);
    if (s->zf)
        zip_fclose(s->zf);
    if (s->z)
        zip_discard(s->z);
    memset(s, 0, sizeof *s);
}

/* Opens path (.npy, member NULL) or member of path (.npz), reads and checks
 * the header against the stream's size. what receives "path" or
 * "path[member]" for messages. */
static fk_status source_open(source *s, const char *path, const char *member, fk_npy_header *h,
                             char *what, size_t whatn, fk_error *e)
{
    memset(s, 0, sizeof *s);
    fk_status st;
    if (!member) {
        snprintf(what, whatn, "%s", path);
        s->f = fopen(path, "rb");
        if (!s->f)
            return fk_fail(e, FK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        struct stat sb;
        if (fstat(fileno(s->f), &sb) || !S_ISREG(sb.st_mode)) {
            source_close(s);
            return fk_fail(e, FK_ERR_IO, "%s: not a regular file", path);
        }
        s->size = (uint64_t)sb.st_size;
    } else {
        snprintf(what, whatn, "%s[%s]", path, member);
        if ((st = open_zip(path, &s->z, e)))
            return st;
        zip_int64_t i = locate_member(s->z, member);
        if (i < 0) {
            source_close(s);
            return fk_fail(e, FK_ERR_FORMAT, "%s: has no array '%s'", path, member);
        }
        zip_stat_t zs;
        if (zip_stat_index(s->z, (zip_uint64_t)i, 0, &zs) || !(zs.valid & ZIP_STAT_SIZE)) {
            source_close(s);
            return fk_fail(e, FK_ERR_FORMAT, "%s: cannot stat member", what);
        }
        s->size = zs.size;
        s->zf = zip_fopen_index(s->z, (zip_uint64_t)i, 0);
        if (!s->zf) {
            st = zip_fail(e, FK_ERR_FORMAT, what, "cannot read member", zip_get_error(s->z));
            source_close(s);
            return st;
        }
    }
    /* The prefix tells the header length; then read the whole header. */
    uint8_t pre[NPY_PREFIX_MAX];
    size_t got;
    if ((st = source_read(s, pre, sizeof pre, &got, e, what)))
        goto fail;
    if (got < 10 || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN)) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: not a NumPy array (%s)", what,
                     got < 10 ? "file too short" : "bad magic");
        goto fail;
    }
    size_t hl = pre[6] == 1 ? ((size_t)pre[8] | (size_t)pre[9] << 8) + 10
                            : ((size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
                               (size_t)pre[11] << 24) + 12;
    if (hl > NPY_HEADER_MAX + 12 || hl > s->size) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: truncated .npy header", what);
        goto fail;
    }
    uint8_t *hb = malloc(hl);
    if (!hb) {
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", what);
        goto fail;
    }
    memcpy(hb, pre, got < hl ? got : hl);
    if (got < hl) {
        size_t more;
        st = source_read(s, hb + got, hl - got, &more, e, what);
        if (!st && more != hl - got)
            st = fk_fail(e, FK_ERR_FORMAT, "%s: truncated .npy header", what);
    } else {
        st = FK_OK;
    }
    size_t header_len = 0;
    if (!st)
        st = fk_npy_parse_header(hb, hl, h, &header_len, e);
    free(hb);
    if (st) {
        if (st != FK_ERR_NOMEM && strncmp(e ? e->msg : "", what, strlen(what)))
            fk_fail_prefix(e, "%s", what);
        goto fail;
    }
    if (got > hl) {
        /* The prefix read went past a short header: only possible for a
         * version 1 header shorter than 2 bytes, which numpy never writes. */
        st = fk_fail(e, FK_ERR_FORMAT, "%s: malformed .npy header", what);
        goto fail;
    }
    if (s->size - header_len != h->data_bytes) {
        st = fk_fail(e, FK_ERR_FORMAT,
                     "%s: %s of %llu bytes expected, %llu present (%s)", what,
                     "array data", (unsigned long long)h->data_bytes,
                     (unsigned long long)(s->size - header_len),
                     s->size - header_len < h->data_bytes ? "truncated" : "trailing bytes");
        goto fail;
    }
    return FK_OK;
fail:
    source_close(s);
    return st;
}

fk_status fk_npz_load(const char *path, const char *member, fk_array *out, fk_error *e)
{
    memset(out, 0, sizeof *out);
    source s;
    fk_npy_header h;
    char what[1024];
    fk_status st = source_open(&s, path, member, &h, what, sizeof what, e);
    if (st)
        return st;
    void *data = fk_alloc_big(h.data_bytes);
    if (!data) {
        source_close(&s);
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate %llu bytes", what,
                       (unsigned long long)h.data_bytes);
    }
    size_t got;
    st = source_read(&s, data, h.data_bytes, &got, e, what);
    source_close(&s);
    if (!st && got != h.data_bytes)
        st = fk_fail(e, FK_ERR_FORMAT, "%s: truncated array data", what);
    if (st) {
        free(data);
        return st;
    }
    out->dtype = h.dtype;
    out->ndim = h.ndim;
    memcpy(out->shape, h.shape, sizeof h.shape);
    out->data = data;
    return FK_OK;
}

fk_status fk_npz_list(const char *path, char ***names, int *count, fk_error *e)
{
    *names = NULL;
    *count = 0;
    zip_t *z;
    fk_status st = open_zip(path, &z, e);
    if (st)
        return st;
    zip_int64_t n = zip_get_num_entries(z, 0);
    size_t bytes = (size_t)(n + 1) * sizeof(char *);
    for (zip_int64_t i = 0; i < n; i++)
        bytes += strlen(zip_get_name(z, (zip_uint64_t)i, 0)) + 1;
    char **v = malloc(bytes);
    if (!v) {
        zip_discard(z);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    }
    char *p = (char *)(v + n + 1);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *nm = zip_get_name(z, (zip_uint64_t)i, 0);
        size_t l = strlen(nm);
        memcpy(p, nm, l + 1);
        if (l > 4 && !strcmp(p + l - 4, ".npy"))
            p[l - 4] = 0;
        v[i] = p;
        p += l + 1;
    }
    v[n] = NULL;
    zip_discard(z);
    *names = v;
    *count = (int)n;
    return FK_OK;
}

int fk_npz_has(const char *path, const char *member)
{
    int zerr;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z)
        return 0;
    int has = locate_member(z, member) >= 0;
    zip_discard(z);
    return has;
}

/* ---- streaming ------------------------------------------------------- */

struct fk_npy_stream {
    source src;
    fk_npy_header h;
    uint64_t row_bytes;
    int64_t rows_left;
    char what[1024];
};

fk_status fk_npy_stream_open(fk_npy_stream **out, const char *path, const char *member,
                             fk_npy_header *h, fk_error *e)
{
    *out = NULL;
    fk_npy_stream *s = calloc(1, sizeof *s);
    if (!s)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    fk_status st = source_open(&s->src, path, member, &s->h, s->what, sizeof s->what, e);
    if (st) {
        free(s);
        return st;
    }
    if (s->h.ndim < 1) {
        source_close(&s->src);
        free(s);
        return fk_fail(e, FK_ERR_FORMAT, "%s%s%s: a 0-d array has no rows", path,
                       member ? ":" : "", member ? member : "");
    }
    s->row_bytes = s->h.shape[0] ? s->h.data_bytes / (uint64_t)s->h.shape[0] : 0;
    s->rows_left = s->h.shape[0];
    if (h)
        *h = s->h;
    *out = s;
    return FK_OK;
}

fk_status fk_npy_stream_read(fk_npy_stream *s, void *buf, int64_t n, int64_t *got, fk_error *e)
{
    *got = 0;
    if (n > s->rows_left)
        n = s->rows_left;
    if (n <= 0)
        return FK_OK;
    size_t want = (size_t)((uint64_t)n * s->row_bytes), r;
    fk_status st = source_read(&s->src, buf, want, &r, e, s->what);
    if (st)
        return st;
    if (r != want)
        return fk_fail(e, FK_ERR_FORMAT, "%s: truncated array data", s->what);
    s->rows_left -= n;
    *got = n;
    return FK_OK;
}

void fk_npy_stream_close(fk_npy_stream *s)
{
    if (s) {
        source_close(&s->src);
        free(s);
    }
}

/* ---- writing --------------------------------------------------------- */

/* A libzip source that yields an .npy header then the caller's data, so
 * that large arrays are never copied. */
typedef struct npy_source {
    uint8_t hdr[512];
    size_t hlen;
    const uint8_t *data;
    uint64_t dlen;
    uint64_t pos;
    zip_error_t err;
} npy_source;

static zip_int64_t npy_source_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    npy_source *s = ud;
    switch (cmd) {
    case ZIP_SOURCE_OPEN:
        s->pos = 0;
        return 0;
    case ZIP_SOURCE_READ: {
        uint64_t total = s->hlen + s->dlen, n = total - s->pos;
        if (n > len)
            n = len;
        uint8_t *out = data;
        for (uint64_t k = 0; k < n;) {
            uint64_t at = s->pos + k;
            if (at < s->hlen) {
                uint64_t m = s->hlen - at < n - k ? s->hlen - at : n - k;
                memcpy(out + k, s->hdr + at, m);
                k += m;
            } else {
                memcpy(out + k, s->data + (at - s->hlen), n - k);
                k = n;
            }
        }
        s->pos += n;
        return (zip_int64_t)n;
    }
    case ZIP_SOURCE_CLOSE:
        return 0;
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        zip_stat_init(st);
        st->size = s->hlen + s->dlen;
        st->mtime = time(NULL);
        st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
        return sizeof *st;
    }
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&s->err, data, len);
    case ZIP_SOURCE_FREE:
        zip_error_fini(&s->err);
        free(s);
        return 0;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              -1);
    default:
        zip_error_set(&s->err, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

struct fk_npz_writer {
    zip_t *z;
    char *path;
    char *tmp;
    int compress;
};

fk_status fk_npz_writer_open(fk_npz_writer **out, const char *path, int compress, fk_error *e)
{
    *out = NULL;
    fk_npz_writer *w = calloc(1, sizeof *w);
    if (!w)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    w->compress = compress;
    w->path = strdup(path);
    if (!w->path) {
        fk_npz_writer_abort(w);
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    }
    /* Refuse a directory or socket now; report the folder's own errno. */
    fk_status st = fk_output_prepare(path, NULL, 0, e);
    w->tmp = st ? NULL : fk_temp_name(path);
    if (!st && !w->tmp)
        st = fk_fail(e, FK_ERR_IO, "%s: cannot create a file in its folder: %s", path,
                     strerror(errno));
    if (st) {
        fk_npz_writer_abort(w);
        return st;
    }
    int zerr = 0;
    w->z = zip_open(w->tmp, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!w->z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        fk_fail(e, FK_ERR_IO, "%s: cannot create: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        fk_npz_writer_abort(w);
        return FK_ERR_IO;
    }
    *out = w;
    return FK_OK;
}

fk_status fk_npz_writer_add(fk_npz_writer *w, const char *name, const fk_array *a, fk_error *e)
{
    npy_source *s = calloc(1, sizeof *s);
    if (!s)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    s->hlen = fk_npy_format_header(a, s->hdr, sizeof s->hdr);
    if (!s->hlen) {
        free(s);
        return fk_fail(e, FK_ERR_ARG, "%s: array '%s' cannot be written (dtype %s, %d dims)",
                       w->path, name, fk_dtype_name(a->dtype), a->ndim);
    }
    s->data = a->data;
    s->dlen = fk_array_nbytes(a);
    zip_error_init(&s->err);
    zip_source_t *src = zip_source_function(w->z, npy_source_cb, s);
    if (!src) {
        zip_error_fini(&s->err);
        free(s);
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot add '%s'", w->path, name);
    }
    char member[512];
    snprintf(member, sizeof member, "%s.npy", name);
    zip_int64_t i = zip_file_add(w->z, member, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (i < 0) {
        zip_source_free(src);
        return fk_fail(e, FK_ERR_IO, "%s: cannot add '%s': %s", w->path, name,
                       zip_strerror(w->z));
    }
    zip_set_file_compression(w->z, (zip_uint64_t)i, w->compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                             0);
    return FK_OK;
}

fk_status fk_npz_writer_commit(fk_npz_writer *w, fk_error *e)
{
    fk_status st = FK_OK;
    if (zip_close(w->z) < 0) {
        st = fk_fail(e, FK_ERR_IO, "%s: cannot write: %s", w->path, zip_strerror(w->z));
        zip_discard(w->z);
        unlink(w->tmp);
    } else if ((st = fk_commit_file(w->tmp, w->path, e))) {
        unlink(w->tmp);
    }
    w->z = NULL;
    fk_npz_writer_abort(w);
    return st;
}

void fk_npz_writer_abort(fk_npz_writer *w)
{
    if (!w)
        return;
    if (w->z) {
        zip_discard(w->z);
        unlink(w->tmp);
    }
    free(w->path);
    free(w->tmp);
    free(w);
}

fk_status fk_npy_save(const char *path, const fk_array *a, fk_error *e)
{
    uint8_t hdr[512];
    size_t hl = fk_npy_format_header(a, hdr, sizeof hdr);
    if (!hl)
        return fk_fail(e, FK_ERR_ARG, "%s: array cannot be written (dtype %s, %d dims)", path,
                       fk_dtype_name(a->dtype), a->ndim);
    const void *parts[2] = {hdr, a->data};
    size_t sizes[2] = {hl, fk_array_nbytes(a)};
    return fk_write_file_atomic(path, parts, sizes, 2, e);
}
