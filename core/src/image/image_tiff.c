/* fidkit — TIFF through libtiff, first page, as PIL's TiffImagePlugin reads
 * it and convert("RGB") turns it into pixels.
 *
 * Handled (unsigned integer samples, strips or tiles, either planar
 * configuration, any compression libtiff decodes except JPEG-in-YCbCr):
 *   greyscale 1/2/4/8 bits (scaled by 255 / (2^bits - 1), min-is-white
 *   inverted), 16-bit greyscale (PIL mode "I;16": see gray16_pil_clip);
 *   RGB 8/16 bits (16 bits: high byte, PIL's "RGB;16L/B"), with extra samples
 *   dropped, except associated alpha, which PIL un-premultiplies on convert
 *   (c = a in {0, 255} ? c : min(255, 255 * c / a));
 *   palette 1/2/4/8 bits (colormap high byte, as PIL builds its palette);
 *   CMYK 8 bits (PIL's cmyk2rgb).
 * Everything else (YCbCr, CIELab, float or signed samples, other depths) is
 * refused with FK_ERR_UNSUPPORTED rather than decoded differently from PIL. */
#include "image/image_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

typedef struct memfile {
    const uint8_t *b;
    toff_t len, pos;
    char err[512];
} memfile;

static tmsize_t m_read(thandle_t h, void *dst, tmsize_t n)
{
    memfile *m = h;
    if (n < 0 || m->pos >= m->len)
        return 0;
    toff_t k = m->len - m->pos < (toff_t)n ? m->len - m->pos : (toff_t)n;
    memcpy(dst, m->b + m->pos, (size_t)k);
    m->pos += k;
    return (tmsize_t)k;
}

static tmsize_t m_write(thandle_t h, void *src, tmsize_t n)
{
    (void)h, (void)src, (void)n;
    return -1;
}

static toff_t m_seek(thandle_t h, toff_t off, int whence)
{
    memfile *m = h;
    toff_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    m->pos = base + off; /* past the end is allowed; reads there return 0 */
    return m->pos;
}

static int m_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t m_size(thandle_t h)
{
    return ((memfile *)h)->len;
}

static int m_map(thandle_t h, void **base, toff_t *size)
{
    memfile *m = h;
    *base = (void *)m->b;
    *size = m->len;
    return 1;
}

static void m_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h, (void)base, (void)size;
}

static int on_error(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)t, (void)module;
    memfile *m = user;
    if (!m->err[0]) /* the first error is the cause; later ones follow from it */
        vsnprintf(m->err, sizeof m->err, fmt, ap);
    return 1;
}

static int on_warning(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)t, (void)user, (void)module, (void)fmt, (void)ap;
    return 1; /* unknown tags and the like: PIL ignores them too */
}

typedef struct layout {
    uint32_t w, h;
    uint16_t bps, spp, photo, planar, sfmt, extra_kind;
    int tiled;
} layout;

/* Sample i (0-based within a row of n-bit samples) from a packed row. */
static unsigned sample_at(const uint8_t *row, uint16_t bps, size_t i)
{
    switch (bps) {
    case 8: return row[i];
    case 16: return ((const uint16_t *)(const void *)row)[i]; /* libtiff gives host order */
    default: {
        size_t bit = i * bps;
        return (row[bit / 8] >> (8 - bps - bit % 8)) & ((1u << bps) - 1);
    }
    }
}

/* Reads every sample into s[(y * w + x) * spp + c], as 16-bit values. */
static int read_samples(TIFF *t, const layout *L, uint16_t *s)
{
    int sep = L->planar == PLANARCONFIG_SEPARATE;
    int per = sep ? 1 : L->spp;   /* samples in one stored pixel */
    int planes = sep ? L->spp : 1;
    if (!L->tiled) {
        tmsize_t rb = TIFFScanlineSize(t);
        uint8_t *row = rb > 0 ? malloc((size_t)rb) : NULL;
        if (!row)
            return 0;
        for (int p = 0; p < planes; p++)
            for (uint32_t y = 0; y < L->h; y++) {
                if (TIFFReadScanline(t, row, y, (uint16_t)p) < 0) {
                    free(row);
                    return 0;
                }
                for (uint32_t x = 0; x < L->w; x++)
                    for (int c = 0; c < per; c++)
                        s[((size_t)y * L->w + x) * L->spp + p + c] =
                            (uint16_t)sample_at(row, L->bps, (size_t)x * per + c);
            }
        free(row);
        return 1;
    }
    uint32_t tw = 0, th = 0;
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &th);
    tmsize_t tb = TIFFTileSize(t), trow = TIFFTileRowSize(t);
    if (tw == 0 || th == 0 || tb <= 0 || trow <= 0)
        return 0;
    uint8_t *tile = malloc((size_t)tb);
    if (!tile)
        return 0;
    for (int p = 0; p < planes; p++)
        for (uint32_t ty = 0; ty < L->h; ty += th)
            for (uint32_t tx = 0; tx < L->w; tx += tw) {
                if (TIFFReadTile(t, tile, tx, ty, 0, (uint16_t)p) < 0) {
                    free(tile);
                    return 0;
                }
                for (uint32_t y = ty; y < ty + th && y < L->h; y++) {
                    const uint8_t *row = tile + (size_t)(y - ty) * trow;
                    for (uint32_t x = tx; x < tx + tw && x < L->w; x++)
                        for (int c = 0; c < per; c++)
                            s[((size_t)y * L->w + x) * L->spp + p + c] = (uint16_t)sample_at(
                                row, L->bps, (size_t)(x - tx) * per + c);
                }
            }
    free(tile);
    return 1;
}

static inline uint8_t mul_div255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

static fk_status to_rgb(TIFF *t, const layout *L, const uint16_t *s, const char *name,
                        const fk_decode_options *o, fk_image *out, fk_error *e)
{
    size_t n = (size_t)L->w * L->h;
    uint8_t *d = out->rgb;
    unsigned maxv = (1u << L->bps) - 1;
    if (L->photo == PHOTOMETRIC_MINISBLACK || L->photo == PHOTOMETRIC_MINISWHITE) {
        int inv = L->photo == PHOTOMETRIC_MINISWHITE;
        if (inv && L->bps == 16)
            return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: 16-bit min-is-white TIFF is not "
                           "supported", name);
        for (size_t i = 0; i < n; i++) {
            unsigned v = s[i * L->spp];
            uint8_t g = L->bps == 16 ? fk_img_gray16(v, o) : (uint8_t)(v * 255 / maxv);
            if (inv)
                g = (uint8_t)(255 - g);
            d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = g;
        }
        return FK_OK;
    }
    if (L->photo == PHOTOMETRIC_RGB) {
        int assoc = L->spp >= 4 && L->extra_kind == EXTRASAMPLE_ASSOCALPHA && L->bps == 8;
        for (size_t i = 0; i < n; i++) {
            const uint16_t *p = s + i * L->spp;
            for (int c = 0; c < 3; c++) {
                unsigned v = L->bps == 16 ? p[c] >> 8 : p[c];
                if (assoc && p[3] != 0 && p[3] != 255) {
                    v = 255 * v / p[3];
                    v = v > 255 ? 255 : v;
                }
                d[3 * i + c] = (uint8_t)v;
            }
        }
        return FK_OK;
    }
    if (L->photo == PHOTOMETRIC_PALETTE) {
        uint16_t *r, *g, *b;
        if (!TIFFGetField(t, TIFFTAG_COLORMAP, &r, &g, &b))
            return fk_fail(e, FK_ERR_FORMAT, "%s: palette TIFF without a colormap", name);
        for (size_t i = 0; i < n; i++) {
            unsigned v = s[i * L->spp];
            d[3 * i] = (uint8_t)(r[v] >> 8);
            d[3 * i + 1] = (uint8_t)(g[v] >> 8);
            d[3 * i + 2] = (uint8_t)(b[v] >> 8);
        }
        return FK_OK;
    }
    /* PHOTOMETRIC_SEPARATED, 8-bit CMYK (checked by the caller). */
    for (size_t i = 0; i < n; i++) {
        const uint16_t *p = s + i * L->spp;
        unsigned nk = 255u - p[3];
        for (int c = 0; c < 3; c++) {
            int v = (int)nk - mul_div255(p[c], nk);
            d[3 * i + c] = (uint8_t)(v < 0 ? 0 : v);
        }
    }
    return FK_OK;
}

static fk_status check_layout(const layout *L, const char *name, fk_error *e)
{
    int ok = L->sfmt == SAMPLEFORMAT_UINT;
    switch (L->photo) {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE:
        ok = ok && L->spp <= 2 &&
             (L->bps == 1 || L->bps == 2 || L->bps == 4 || L->bps == 8 || L->bps == 16);
        break;
    case PHOTOMETRIC_RGB: ok = ok && L->spp >= 3 && (L->bps == 8 || L->bps == 16); break;
    case PHOTOMETRIC_PALETTE:
        ok = ok && L->spp == 1 && (L->bps == 1 || L->bps == 2 || L->bps == 4 || L->bps == 8);
        break;
    case PHOTOMETRIC_SEPARATED: ok = ok && L->spp == 4 && L->bps == 8; break;
    default: ok = 0;
    }
    if (!ok)
        return fk_fail(e, FK_ERR_UNSUPPORTED,
                       "%s: TIFF layout not supported (photometric %u, %u bits x %u "
                       "samples, sample format %u): fidkit reads unsigned greyscale, RGB, "
                       "palette and CMYK TIFFs", name, L->photo, L->bps, L->spp, L->sfmt);
    return FK_OK;
}

static fk_status decode(TIFF *t, memfile *m, const char *name, const fk_decode_options *o,
                        fk_image *out, fk_error *e)
{
    layout L;
    memset(&L, 0, sizeof L);
    if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &L.w) ||
        !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &L.h))
        return fk_fail(e, FK_ERR_FORMAT, "%s: TIFF without image size", name);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &L.bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &L.spp);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &L.planar);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &L.sfmt);
    if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &L.photo))
        L.photo = PHOTOMETRIC_MINISWHITE; /* PIL's default when the tag is missing */
    uint16_t nextra = 0, *extra = NULL;
    if (TIFFGetField(t, TIFFTAG_EXTRASAMPLES, &nextra, &extra) && nextra > 0)
        L.extra_kind = extra[0];
    L.tiled = TIFFIsTiled(t);
    if (L.spp == 0)
        return fk_fail(e, FK_ERR_FORMAT, "%s: TIFF with 0 samples per pixel", name);
    fk_status st = check_layout(&L, name, e);
    if (st != FK_OK)
        return st;
    st = fk_img_alloc(out, L.w, L.h, name, "TIFF", o, e);
    if (st != FK_OK)
        return st;
    uint16_t *s = malloc((size_t)L.w * L.h * L.spp * sizeof *s);
    if (!s)
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate TIFF samples", name);
    if (!read_samples(t, &L, s)) {
        free(s);
        return fk_fail(e, FK_ERR_FORMAT, "%s: corrupt or truncated TIFF data (libtiff: %s)",
                       name, m->err[0] ? m->err : "read failed");
    }
    st = to_rgb(t, &L, s, name, o, out, e);
    free(s);
    return st;
}

fk_status fk_img_decode_tiff(const uint8_t *buf, size_t len, const char *name,
                             const fk_decode_options *o, fk_image *out, fk_error *e)
{
    memfile *m = calloc(1, sizeof *m);
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!m || !opts) {
        free(m);
        TIFFOpenOptionsFree(opts);
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate a TIFF reader", name);
    }
    m->b = buf;
    m->len = len;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, m);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, m);
    TIFF *t = TIFFClientOpenExt(name, "r", m, m_read, m_write, m_seek, m_close, m_size,
                                m_map, m_unmap, opts);
    TIFFOpenOptionsFree(opts);
    fk_status s;
    if (!t) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: corrupt or truncated TIFF file (libtiff: %s)", name,
                    m->err[0] ? m->err : "cannot open");
    } else {
        s = decode(t, m, name, o, out, e);
        TIFFClose(t);
    }
    free(m);
    return s;
}
