/* torch.save zip archives (torch >= 1.6):
 *   ROOT/data.pkl      the pickled object; storages are persistent ids
 *                      ('storage', torch.FloatStorage, KEY, location, numel)
 *   ROOT/data/KEY      each storage's raw little-endian bytes
 *   ROOT/version       "3\n"; newer torch adds ROOT/byteorder, ROOT/.data/...
 * ROOT is the file's stem when it was saved, so it is read from the first
 * member. torch writes members stored (uncompressed) and 64-byte aligned:
 * those are used in place in the mapping; deflated ones are inflated by
 * libzip into owned buffers. TorchScript archives (ROOT/code/,
 * ROOT/constants.pkl) are refused. */
#include "weights/weights_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

typedef struct cd_entry {
    const uint8_t *name;
    size_t nlen;
    uint64_t lho; /* local header offset */
} cd_entry;

typedef struct zctx {
    fk_weights *w;
    zip_t *za;
    cd_entry *cd;             /* NULL when the central directory was not parsed here */
    size_t ncd;
    char *root;               /* "ROOT/" */
} zctx;

static uint64_t rd(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The central directory's local header offsets, in central directory order
 * (libzip's index order), to find stored members' bytes in the mapping.
 * libzip keeps these offsets private. Any oddity returns NULL: members are
 * then read through libzip instead. */
static cd_entry *parse_cd(const uint8_t *m, size_t size, size_t *count)
{
    if (size < 22)
        return NULL;
    size_t eocd = SIZE_MAX;
    size_t lo = size - 22 > 65535 ? size - 22 - 65535 : 0;
    for (size_t i = size - 22 + 1; i-- > lo;)
        if (rd(m + i, 4) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == SIZE_MAX)
        return NULL;
    uint64_t n = rd(m + eocd + 10, 2), cdsize = rd(m + eocd + 12, 4), cdoff = rd(m + eocd + 16, 4);
    if (n == 0xffff || cdsize == 0xffffffff || cdoff == 0xffffffff) {
        if (eocd < 20 || rd(m + eocd - 20, 4) != 0x07064b50)
            return NULL;
        uint64_t z = rd(m + eocd - 20 + 8, 8);
        if (z > size || size - z < 56 || rd(m + z, 4) != 0x06064b50)
            return NULL;
        n = rd(m + z + 32, 8);
        cdsize = rd(m + z + 40, 8);
        cdoff = rd(m + z + 48, 8);
    }
    if (cdoff > size || cdsize > size - cdoff || n > cdsize / 46)
        return NULL;
    cd_entry *t = calloc(n ? n : 1, sizeof *t);
    if (!t)
        return NULL;
    const uint8_t *p = m + cdoff, *end = m + cdoff + cdsize;
    for (uint64_t i = 0; i < n; i++) {
        if (end - p < 46 || rd(p, 4) != 0x02014b50)
            goto bad;
        uint64_t csize = rd(p + 20, 4), usize = rd(p + 24, 4), lho = rd(p + 42, 4);
        size_t nlen = rd(p + 28, 2), xlen = rd(p + 30, 2), clen = rd(p + 32, 2);
        if ((size_t)(end - p) < 46 + nlen + xlen + clen)
            goto bad;
        /* zip64 extra field: the 0xffffffff fields, in this order. */
        const uint8_t *x = p + 46 + nlen, *xe = x + xlen;
        while (xe - x >= 4) {
            size_t id = rd(x, 2), len = rd(x + 2, 2);
            if ((size_t)(xe - x) - 4 < len)
                goto bad;
            if (id == 1) {
                const uint8_t *f = x + 4, *fe = x + 4 + len;
                if (usize == 0xffffffff) {
                    if (fe - f < 8)
                        goto bad;
                    f += 8;
                }
                if (csize == 0xffffffff) {
                    if (fe - f < 8)
                        goto bad;
                    f += 8;
                }
                if (lho == 0xffffffff) {
                    if (fe - f < 8)
                        goto bad;
                    lho = rd(f, 8);
                }
            }
            x += 4 + len;
        }
        t[i] = (cd_entry){p + 46, nlen, lho};
        p += 46 + nlen + xlen + clen;
    }
    *count = (size_t)n;
    return t;
bad:
    free(t);
    return NULL;
}

static fk_status zip_format_error(zctx *z, const char *what, zip_error_t *ze, fk_error *e)
{
    return fk_fail(e, FK_ERR_FORMAT, "%s: %s: %s", z->w->path, what, zip_error_strerror(ze));
}

/* The bytes of member ROOT/rel: in the mapping when stored, else inflated. */
static fk_status member(zctx *z, const char *rel, const uint8_t **data, uint64_t *len,
                        fk_error *e)
{
    fk_weights *w = z->w;
    size_t rl = strlen(z->root), nl = strlen(rel);
    char *name = malloc(rl + nl + 1);
    if (!name)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    memcpy(name, z->root, rl);
    memcpy(name + rl, rel, nl + 1);
    zip_int64_t idx = zip_name_locate(z->za, name, ZIP_FL_ENC_RAW);
    zip_stat_t st;
    fk_status s = FK_OK;
    if (idx < 0) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: the archive has no member %s", w->path, name);
        goto out;
    }
    zip_stat_init(&st);
    if (zip_stat_index(z->za, (zip_uint64_t)idx, 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD)) {
        s = zip_format_error(z, name, zip_get_error(z->za), e);
        goto out;
    }
    if (st.comp_method == ZIP_CM_STORE && z->cd && (zip_uint64_t)idx < z->ncd &&
        z->cd[idx].nlen == rl + nl && memcmp(z->cd[idx].name, name, rl + nl) == 0) {
        uint64_t lho = z->cd[idx].lho;
        if (lho > w->size || w->size - lho < 30 || rd(w->map + lho, 4) != 0x04034b50) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s has a bad local header", w->path, name);
            goto out;
        }
        uint64_t off = lho + 30 + rd(w->map + lho + 26, 2) + rd(w->map + lho + 28, 2);
        if (off > w->size || w->size - off < st.size) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s runs past the end of the file "
                        "(truncated?)", w->path, name);
            goto out;
        }
        *data = w->map + off;
        *len = st.size;
        goto out;
    }
    /* Deflate cannot expand data more than about 1032 times. */
    if (!(st.valid & ZIP_STAT_COMP_SIZE) || st.size / 1032 > st.comp_size + 1 ||
        st.size > w->size * (uint64_t)1032 || st.size >= SIZE_MAX) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: member %s claims an impossible size", w->path, name);
        goto out;
    }
    uint8_t *buf = wt_alloc(w, (size_t)st.size);
    if (!buf) {
        s = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory inflating %s", w->path, name);
        goto out;
    }
    zip_file_t *f = zip_fopen_index(z->za, (zip_uint64_t)idx, 0);
    if (!f) {
        s = zip_format_error(z, name, zip_get_error(z->za), e);
        goto out;
    }
    uint64_t got = 0;
    while (got < st.size) {
        zip_int64_t k = zip_fread(f, buf + got, st.size - got);
        if (k <= 0)
            break;
        got += (uint64_t)k;
    }
    if (got != st.size) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: reading member %s: %s", w->path, name,
                    zip_file_strerror(f));
    } else {
        /* Read to the end, so that libzip checks the CRC. */
        uint8_t extra;
        if (zip_fread(f, &extra, 1) != 0)
            s = fk_fail(e, FK_ERR_FORMAT, "%s: reading member %s: %s", w->path, name,
                        zip_file_strerror(f));
    }
    zip_fclose(f);
    *data = buf;
    *len = st.size;
out:
    free(name);
    return s;
}

static fk_status storage(void *ctx, const char *key, fk_dtype dt, uint64_t numel,
                         const uint8_t **data, fk_error *e)
{
    zctx *z = ctx;
    size_t kl = strlen(key);
    char *rel = malloc(kl + 6);
    if (!rel)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", z->w->path);
    memcpy(rel, "data/", 5);
    memcpy(rel + 5, key, kl + 1);
    uint64_t len = 0, need;
    const uint8_t *p = NULL;
    fk_status s = member(z, rel, &p, &len, e);
    free(rel);
    if (s)
        return s;
    size_t es = fk_dtype_size(dt);
    if (__builtin_mul_overflow(numel, (uint64_t)es, &need) || len < need)
        return fk_fail(e, FK_ERR_FORMAT, "%s: storage %s holds %llu bytes, its %llu %s "
                       "elements need %llu", z->w->path, key, (unsigned long long)len,
                       (unsigned long long)numel, fk_dtype_name(dt), (unsigned long long)need);
    if ((uintptr_t)p % es) {
        uint8_t *copy = wt_alloc(z->w, (size_t)need);
        if (!copy)
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", z->w->path);
        memcpy(copy, p, (size_t)need);
        p = copy;
    }
    *data = p;
    return FK_OK;
}

/* Whether a member is named ROOT/rel (exact) or starts with ROOT/rel. */
static int has_member(const zctx *z, zip_int64_t n, const char *rel, int exact)
{
    size_t rl = strlen(z->root), pl = strlen(rel);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *nm = zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (nm && strncmp(nm, z->root, rl) == 0 && strncmp(nm + rl, rel, pl) == 0 &&
            (!exact || nm[rl + pl] == 0))
            return 1;
    }
    return 0;
}

static fk_status read_archive(zctx *z, fk_error *e)
{
    fk_weights *w = z->w;
    zip_int64_t n = zip_get_num_entries(z->za, 0);
    const char *first = n > 0 ? zip_get_name(z->za, 0, ZIP_FL_ENC_RAW) : NULL;
    const char *slash = first ? strchr(first, '/') : NULL;
    if (!slash)
        return fk_fail(e, FK_ERR_FORMAT, "%s: a zip archive but not a torch.save archive "
                       "(its first member is not in a folder)", w->path);
    size_t rl = (size_t)(slash - first) + 1;
    if (!(z->root = malloc(rl + 1)))
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    memcpy(z->root, first, rl);
    z->root[rl] = 0;

    if (has_member(z, n, "code/", 0) || has_member(z, n, "constants.pkl", 1))
        return fk_fail(e, FK_ERR_UNSUPPORTED, "%s is a TorchScript archive (torch.jit.save): "
                       "it is read by the torch shim, not by fk_weights_open", w->path);

    const uint8_t *p;
    uint64_t len;
    fk_status s;
    if (has_member(z, n, "byteorder", 1)) {
        if ((s = member(z, "byteorder", &p, &len, e)))
            return s;
        if (len >= 3 && memcmp(p, "big", 3) == 0)
            return fk_fail(e, FK_ERR_UNSUPPORTED, "%s holds big-endian data, which fidkit "
                           "does not read", w->path);
        if (!(len >= 6 && memcmp(p, "little", 6) == 0))
            return fk_fail(e, FK_ERR_FORMAT, "%s: unknown byteorder member", w->path);
    }
    if ((s = member(z, "data.pkl", &p, &len, e)))
        return s;
    pk_ctx *pk = pk_new(w->path);
    if (!pk)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", w->path);
    pk_obj *root;
    size_t used;
    uint64_t off = (uint64_t)(p >= w->map && p < w->map + w->size ? p - w->map : 0);
    s = pk_load(pk, p, (size_t)len, off, "data.pkl", &used, &root, e);
    if (!s)
        s = wt_torch_collect(w, root, pk_count(pk), storage, z, e);
    pk_free(pk);
    return s;
}

fk_status wt_open_torch_zip(fk_weights *w, fk_error *e)
{
    w->format = "torch-zip";
    zctx z = {.w = w};
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(w->map, w->size, 0, &ze);
    if (!src) {
        fk_status s = zip_format_error(&z, "cannot read the zip archive", &ze, e);
        zip_error_fini(&ze);
        return s;
    }
    z.za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!z.za) {
        zip_source_free(src);
        fk_status s = zip_format_error(&z, "not a readable zip archive (truncated?)", &ze, e);
        zip_error_fini(&ze);
        return s;
    }
    zip_error_fini(&ze);
    z.cd = parse_cd(w->map, w->size, &z.ncd);
    fk_status s = read_archive(&z, e);
    free(z.cd);
    free(z.root);
    zip_discard(z.za);
    return s;
}
