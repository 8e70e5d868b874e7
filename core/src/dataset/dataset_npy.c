/* Samples in a NumPy array: an .npy file, or a member of an .npz (`arr_0` by
 * default, as the ADM / DiT / guided-diffusion sampling scripts write it with
 * np.savez). Accepted: uint8 (N, H, W, 3), (N, H, W, 1) and (N, H, W) as
 * greyscale, (N, H, W, 4) with alpha dropped.
 *
 * 50,000 x 256 x 256 x 3 is 9.8 GB, so the array is never loaded whole:
 *   a plain .npy           rows are pread at computed offsets (no lock);
 *   a stored .npz member   (np.savez) rows are read after zip_fseek, under a
 *                          lock because a libzip handle is not thread-safe;
 *   a deflated member      (np.savez_compressed) can only be read in order:
 *                          one fk_npy_stream under a lock, with a small cache
 *                          of the rows last read, so that workers asking for
 *                          rows slightly out of order do not restart it. */
#include "dataset/dataset_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "fidkit/npz.h"

enum { MODE_PREAD, MODE_ZIP_SEEK, MODE_STREAM };

/* Stream mode keeps up to this many recent rows (and at most this many bytes)
 * for readers slightly behind the stream. */
#define CACHE_ROWS 64
#define CACHE_BYTES ((size_t)64 << 20)
#define MAX_HEADER_BYTES ((size_t)1 << 20)

typedef struct npy_priv {
    int mode;
    char *member;          /* e.g. "arr_0"; NULL for an .npy */
    int64_t rows, h, w, c; /* c = 1 for (N, H, W) */
    size_t row_bytes;
    uint64_t data_off;     /* offset of row 0 in the file or member */
    int fd;                /* MODE_PREAD */
    zip_t *za;             /* MODE_ZIP_SEEK */
    zip_file_t *zf;
    fk_npy_stream *st;     /* MODE_STREAM */
    int64_t cursor;        /* the row the stream yields next */
    uint8_t *cache;
    int64_t *cache_row;
    int cache_n;
    pthread_mutex_t lock;
} npy_priv;

static const char *where(const npy_priv *p) { return p->member ? p->member : "array"; }

/* ---- reading the header ------------------------------------------------------ */

typedef fk_status (*read_fn)(void *ctx, uint64_t off, void *buf, size_t n, size_t *got);

static fk_status pread_all(void *ctx, uint64_t off, void *buf, size_t n, size_t *got)
{
    int fd = *(int *)ctx;
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return FK_ERR_IO;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    *got = done;
    return FK_OK;
}

/* Sequential: off is ignored (the header is read from the start, in order). */
static fk_status zread_all(void *ctx, uint64_t off, void *buf, size_t n, size_t *got)
{
    (void)off;
    zip_int64_t r = zip_fread((zip_file_t *)ctx, buf, n);
    if (r < 0)
        return FK_ERR_FORMAT;
    *got = (size_t)r;
    return FK_OK;
}

static fk_status read_header(const char *path, const char *what, read_fn rd, void *ctx,
                             fk_npy_header *h, size_t *hlen, fk_error *e)
{
    uint8_t pre[12];
    size_t got = 0;
    if (rd(ctx, 0, pre, sizeof pre, &got) != FK_OK)
        return fk_fail(e, FK_ERR_IO, "%s: %s: cannot read the .npy header", path, what);
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        return fk_fail(e, FK_ERR_FORMAT, "%s: %s: not an .npy array (bad magic)", path, what);
    size_t total = pre[6] == 1 ? 10 + (size_t)(pre[8] | pre[9] << 8)
                               : 12 + (size_t)(pre[8] | pre[9] << 8 | (uint32_t)pre[10] << 16 |
                                               (uint32_t)pre[11] << 24);
    if (total > MAX_HEADER_BYTES)
        return fk_fail(e, FK_ERR_FORMAT, "%s: %s: .npy header of %zu bytes is implausible", path,
                       what, total);
    uint8_t *buf = malloc(total);
    if (!buf)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", path);
    size_t have = got < total ? got : total;
    memcpy(buf, pre, have);
    size_t more = 0;
    fk_status s = FK_OK;
    if (have < total && rd(ctx, have, buf + have, total - have, &more) != FK_OK)
        s = fk_fail(e, FK_ERR_IO, "%s: %s: cannot read the .npy header", path, what);
    else if (have + more < total)
        s = fk_fail(e, FK_ERR_FORMAT, "%s: %s: truncated inside the .npy header", path, what);
    if (s == FK_OK) {
        s = fk_npy_parse_header(buf, total, h, hlen, e);
        if (s != FK_OK)
            fk_fail_prefix(e, "%s: %s", path, what);
    }
    free(buf);
    return s;
}

/* Checks dtype and shape; fills the geometry. */
static fk_status check_samples(const char *path, npy_priv *p, const fk_npy_header *h,
                               fk_error *e)
{
    fk_array a = {h->dtype, h->ndim, {0}, NULL};
    memcpy(a.shape, h->shape, sizeof a.shape);
    char shape[128];
    fk_array_shape_str(&a, shape, sizeof shape);
    int ok = h->dtype == FK_U8 && (h->ndim == 3 || (h->ndim == 4 && (h->shape[3] == 1 ||
                                                                      h->shape[3] == 3 ||
                                                                      h->shape[3] == 4)));
    if (!ok)
        return fk_fail(e, FK_ERR_FORMAT,
                       "%s: %s has dtype %s and shape %s; expected uint8 samples shaped "
                       "(N, H, W, 3), (N, H, W, 1), (N, H, W, 4) or (N, H, W)",
                       path, where(p), fk_dtype_name(h->dtype), shape);
    p->rows = h->shape[0];
    p->h = h->shape[1];
    p->w = h->shape[2];
    p->c = h->ndim == 4 ? h->shape[3] : 1;
    if (p->h <= 0 || p->w <= 0 || p->h > (1 << 20) || p->w > (1 << 20) ||
        p->h * p->w > (int64_t)1 << 32)
        return fk_fail(e, FK_ERR_FORMAT, "%s: %s: shape %s has no usable image size", path,
                       where(p), shape);
    p->row_bytes = (size_t)(p->h * p->w * p->c);
    return FK_OK;
}

static fk_status check_size(const char *path, const npy_priv *p, const char *container,
                            uint64_t have, fk_error *e)
{
    uint64_t need = p->data_off + (uint64_t)p->rows * p->row_bytes;
    if (have < need)
        return fk_fail(e, FK_ERR_FORMAT,
                       "%s: %s is truncated: shape (%lld, %lld, %lld%s) needs %llu bytes, the "
                       "%s holds %llu",
                       path, where(p), (long long)p->rows, (long long)p->h, (long long)p->w,
                       p->c == 1 ? "" : p->c == 3 ? ", 3" : ", 4", (unsigned long long)need,
                       container, (unsigned long long)have);
    return FK_OK;
}

/* ---- rows -> images ------------------------------------------------------------ */

static fk_status to_image(const npy_priv *p, const uint8_t *row, fk_image *out, fk_error *e)
{
    size_t px = (size_t)(p->h * p->w);
    uint8_t *rgb = malloc(px * 3);
    if (!rgb)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory for a %lldx%lld image", (long long)p->w,
                       (long long)p->h);
    if (p->c == 3) {
        memcpy(rgb, row, px * 3);
    } else {
        for (size_t k = 0; k < px; k++) {
            const uint8_t *s = row + k * (size_t)p->c;
            rgb[3 * k] = s[0];
            rgb[3 * k + 1] = p->c == 1 ? s[0] : s[1];
            rgb[3 * k + 2] = p->c == 1 ? s[0] : s[2];
        }
    }
    out->w = (int)p->w;
    out->h = (int)p->h;
    out->rgb = rgb;
    return FK_OK;
}

static fk_status stream_restart(fk_dataset *ds, npy_priv *p, fk_error *e)
{
    fk_npy_stream_close(p->st);
    p->st = NULL;
    p->cursor = 0;
    fk_npy_header h;
    return fk_npy_stream_open(&p->st, ds->path, p->member, &h, e);
}

/* Under the lock: row r into the cache (reading forward as needed);
 * returns its slot. */
static fk_status stream_row(fk_dataset *ds, npy_priv *p, int64_t r, int *slot, fk_error *e)
{
    int k = (int)(r % p->cache_n);
    if (p->cache_row[k] == r) {
        *slot = k;
        return FK_OK;
    }
    if (r < p->cursor || !p->st) {
        fk_status s = stream_restart(ds, p, e);
        if (s != FK_OK)
            return s;
    }
    while (p->cursor <= r) {
        int j = (int)(p->cursor % p->cache_n);
        int64_t got = 0;
        p->cache_row[j] = -1;
        fk_status s = fk_npy_stream_read(p->st, p->cache + (size_t)j * p->row_bytes, 1, &got, e);
        if (s == FK_OK && got != 1)
            s = fk_fail(e, FK_ERR_FORMAT, "%s: %s: row %lld is missing: the member ends early",
                        ds->path, p->member, (long long)p->cursor);
        if (s != FK_OK) {
            /* The stream's position is unknown now: restart next time. */
            fk_npy_stream_close(p->st);
            p->st = NULL;
            return s;
        }
        p->cache_row[j] = p->cursor++;
    }
    *slot = k;
    return FK_OK;
}

static fk_status npy_load(fk_dataset *ds, int64_t i, fk_image *out, fk_error *e)
{
    npy_priv *p = ds->priv;
    int64_t r = ds->src[i];
    uint64_t off = p->data_off + (uint64_t)r * p->row_bytes;
    fk_status s = FK_OK;
    fk_error local;
    if (!e)
        e = &local;

    if (p->mode == MODE_STREAM) {
        pthread_mutex_lock(&p->lock);
        int slot = 0;
        s = stream_row(ds, p, r, &slot, e);
        if (s == FK_OK)
            s = to_image(p, p->cache + (size_t)slot * p->row_bytes, out, e);
        pthread_mutex_unlock(&p->lock);
        if (s != FK_OK) /* the stream's messages name the file already */
            fk_fail_prefix(e, "%s", ds->names[i]);
        return s;
    }

    uint8_t *row = malloc(p->row_bytes);
    if (!row)
        return fk_fail(e, FK_ERR_NOMEM, "%s: %s: out of memory", ds->path, ds->names[i]);
    size_t got = 0;
    if (p->mode == MODE_PREAD) {
        if (pread_all(&p->fd, off, row, p->row_bytes, &got) != FK_OK)
            s = fk_fail(e, FK_ERR_IO, "%s: %s: read error: %s", ds->path, ds->names[i],
                        strerror(errno));
    } else {
        pthread_mutex_lock(&p->lock);
        if (zip_fseek(p->zf, (zip_int64_t)off, SEEK_SET) != 0)
            s = fk_fail(e, FK_ERR_FORMAT, "%s: %s: cannot seek: %s", ds->path, ds->names[i],
                        zip_file_strerror(p->zf));
        else if (zread_all(p->zf, 0, row, p->row_bytes, &got) != FK_OK)
            s = fk_fail(e, FK_ERR_FORMAT, "%s: %s: %s", ds->path, ds->names[i],
                        zip_file_strerror(p->zf));
        pthread_mutex_unlock(&p->lock);
    }
    if (s == FK_OK && got != p->row_bytes)
        s = fk_fail(e, FK_ERR_FORMAT, "%s: %s: the file ends early (truncated?)", ds->path,
                    ds->names[i]);
    if (s == FK_OK && (s = to_image(p, row, out, e)) != FK_OK)
        fk_fail_prefix(e, "%s: %s", ds->path, ds->names[i]);
    free(row);
    return s;
}

static void npy_close(fk_dataset *ds)
{
    npy_priv *p = ds->priv;
    if (!p)
        return;
    if (p->fd >= 0)
        close(p->fd);
    if (p->zf)
        zip_fclose(p->zf);
    if (p->za)
        zip_discard(p->za);
    if (p->st)
        fk_npy_stream_close(p->st);
    free(p->cache);
    free(p->cache_row);
    free(p->member);
    pthread_mutex_destroy(&p->lock);
    free(p);
    ds->priv = NULL;
}

static const ds_ops npy_ops = {npy_load, npy_close};

/* ---- opening ------------------------------------------------------------------- */

static fk_status open_plain(fk_dataset *ds, npy_priv *p, fk_error *e)
{
    p->fd = open(ds->path, O_RDONLY | O_CLOEXEC);
    if (p->fd < 0)
        return fk_fail(e, FK_ERR_IO, "%s: cannot open: %s", ds->path, strerror(errno));
    struct stat st;
    if (fstat(p->fd, &st) != 0)
        return fk_fail(e, FK_ERR_IO, "%s: cannot stat: %s", ds->path, strerror(errno));
    fk_npy_header h;
    size_t hlen;
    fk_status s = read_header(ds->path, "array", pread_all, &p->fd, &h, &hlen, e);
    if (s == FK_OK)
        s = check_samples(ds->path, p, &h, e);
    p->data_off = hlen;
    if (s == FK_OK)
        s = check_size(ds->path, p, "file", (uint64_t)st.st_size, e);
    p->mode = MODE_PREAD;
    return s;
}

static fk_status open_member(fk_dataset *ds, npy_priv *p, fk_error *e)
{
    int zerr = 0;
    p->za = zip_open(ds->path, ZIP_RDONLY, &zerr);
    if (!p->za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        fk_status s = fk_fail(e, FK_ERR_FORMAT, "%s: cannot open as .npz (a zip archive): %s",
                              ds->path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return s;
    }
    size_t ml = strlen(p->member);
    char *with_npy = malloc(ml + 5);
    if (!with_npy)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    memcpy(with_npy, p->member, ml);
    memcpy(with_npy + ml, ".npy", 5);
    zip_int64_t idx = zip_name_locate(p->za, with_npy, 0);
    free(with_npy);
    if (idx < 0)
        idx = zip_name_locate(p->za, p->member, 0);
    if (idx < 0) {
        char list[512] = "";
        zip_int64_t cnt = zip_get_num_entries(p->za, 0);
        for (zip_int64_t j = 0; j < cnt; j++) {
            const char *nm = zip_get_name(p->za, (zip_uint64_t)j, 0);
            size_t used = strlen(list);
            if (nm && used + strlen(nm) + 3 < sizeof list)
                snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", nm);
        }
        return fk_fail(e, FK_ERR_FORMAT, "%s: no member '%s' (members: %s)", ds->path, p->member,
                       list[0] ? list : "none");
    }
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(p->za, (zip_uint64_t)idx, 0, &st) != 0)
        return fk_fail(e, FK_ERR_FORMAT, "%s: %s: %s", ds->path, p->member, zip_strerror(p->za));
    p->zf = zip_fopen_index(p->za, (zip_uint64_t)idx, 0);
    if (!p->zf)
        return fk_fail(e, FK_ERR_FORMAT, "%s: %s: %s", ds->path, p->member, zip_strerror(p->za));
    fk_npy_header h;
    size_t hlen;
    fk_status s = read_header(ds->path, p->member, zread_all, p->zf, &h, &hlen, e);
    if (s == FK_OK)
        s = check_samples(ds->path, p, &h, e);
    p->data_off = hlen;
    if (s == FK_OK)
        s = check_size(ds->path, p, "member", st.size, e);
    if (s != FK_OK)
        return s;
    /* Random access where the member is stored and libzip can seek in it. */
    if (st.comp_method == ZIP_CM_STORE && zip_fseek(p->zf, (zip_int64_t)hlen, SEEK_SET) == 0) {
        p->mode = MODE_ZIP_SEEK;
        return FK_OK;
    }
    zip_fclose(p->zf);
    p->zf = NULL;
    zip_discard(p->za);
    p->za = NULL;
    p->mode = MODE_STREAM;
    size_t cap = CACHE_BYTES / p->row_bytes;
    p->cache_n = cap > CACHE_ROWS ? CACHE_ROWS : cap < 2 ? 2 : (int)cap;
    p->cache = malloc((size_t)p->cache_n * p->row_bytes);
    p->cache_row = malloc((size_t)p->cache_n * sizeof *p->cache_row);
    if (!p->cache || !p->cache_row)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory for the row cache", ds->path);
    for (int k = 0; k < p->cache_n; k++)
        p->cache_row[k] = -1;
    fk_npy_header h2;
    s = fk_npy_stream_open(&p->st, ds->path, p->member, &h2, e);
    if (s == FK_OK && (h2.ndim != h.ndim || memcmp(h2.shape, h.shape, sizeof h.shape) != 0))
        s = fk_fail(e, FK_ERR_INTERNAL, "%s: %s: the stream disagrees with the header",
                    ds->path, p->member);
    return s;
}

fk_status ds_open_npy(fk_dataset *ds, const char *member, fk_error *e)
{
    size_t l = strlen(ds->path);
    int is_npz = l >= 4 && (ds->path[l - 1] | 32) == 'z';
    ds->kind = is_npz ? "npz" : "npy";
    npy_priv *p = calloc(1, sizeof *p);
    if (!p)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    p->fd = -1;
    pthread_mutex_init(&p->lock, NULL);
    ds->priv = p;
    ds->ops = &npy_ops;
    if (!is_npz && member && strcmp(member, "arr_0") != 0)
        return fk_fail(e, FK_ERR_ARG, "%s: an .npy holds one array: member '%s' does not apply",
                       ds->path, member);
    if (is_npz && !(p->member = strdup(member ? member : "arr_0")))
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    fk_status s = is_npz ? open_member(ds, p, e) : open_plain(ds, p, e);
    if (s != FK_OK)
        return s;
    ds->src = malloc((size_t)(p->rows ? p->rows : 1) * sizeof *ds->src);
    if (!ds->src)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    for (int64_t r = 0; r < p->rows; r++)
        ds->src[r] = r;
    ds->n = p->rows;
    return FK_OK;
}

fk_status ds_npy_name_items(fk_dataset *ds, fk_error *e)
{
    npy_priv *p = ds->priv;
    const char *base = strrchr(ds->path, '/');
    base = p->member ? p->member : base ? base + 1 : ds->path;
    ds->names = calloc((size_t)ds->n, sizeof *ds->names);
    if (!ds->names)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
    size_t bl = strlen(base);
    for (int64_t i = 0; i < ds->n; i++) {
        char *s = malloc(bl + 24);
        if (!s)
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", ds->path);
        snprintf(s, bl + 24, "%s[%lld]", base, (long long)ds->src[i]);
        ds->names[i] = s;
    }
    return FK_OK;
}
