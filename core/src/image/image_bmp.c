/* fidkit — BMP as PIL 9.4's BmpImagePlugin reads it.
 *
 * stb_image agrees with PIL on common BMPs but not on: 16-bit pixels (PIL
 * scales a field by v * 255 / max, stb replicates bits), RLE4/RLE8 (stb has
 * no RLE), palette indices past the palette (PIL: grey (i, i, i)), and the
 * bit-mask layouts PIL refuses. So BMP is decoded here, following PIL:
 * - headers of 12, 40, 64, 108 or 124 bytes; a height whose top byte is 0xFF
 *   means top-down; pixel data at bfOffBits, except that an offset pointing
 *   just past the header skips the palette when PIL says so;
 * - 1, 4, 8 bits with a palette; 16 bits 5-5-5 (raw or bit masks) or 5-6-5;
 *   24 bits BGR; 32 bits BGRX or one of PIL's five 32-bit mask layouts;
 * - RLE8/RLE4 with PIL's own decoder's behaviour (its delta escape consumes
 *   four bytes and uses the last two; absolute runs align on the file offset);
 * - a palette that is exactly black/white (2 colours) or the grey ramp makes
 *   PIL read the pixels as mode "1" or "L" regardless of the bit depth; where
 *   that misreads the data (depth not 1 or 8) fidkit refuses the file. */
#include "image/image_internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned u16le(const uint8_t *p)
{
    return p[0] | (unsigned)p[1] << 8;
}

typedef struct bmp {
    uint32_t offset, hsize, compression, colors;
    int64_t w, h;
    int topdown, bits;
    int r, g, b;      /* byte positions of 32-bit pixels */
    int gbits;        /* 16-bit green field width */
    uint8_t pal[256][3];
} bmp;

enum { RAW = 0, RLE8 = 1, RLE4 = 2, BITFIELDS = 3 };

static fk_status parse_masks(bmp *m, const uint8_t *b, size_t len, const char *name,
                             fk_error *e)
{
    /* Masks follow a 40-byte header or lie inside a longer one: at 54 either way. */
    if (len < 66)
        return fk_fail(e, FK_ERR_FORMAT, "%s: BMP file is truncated (bit masks)", name);
    uint32_t r = u32le(b + 54), g = u32le(b + 58), bl = u32le(b + 62);
    uint32_t a = m->hsize >= 56 && len >= 70 ? u32le(b + 66) : 0;
    if (m->bits == 32) {
        static const struct { uint32_t r, g, b, a; int pr, pg, pb; } t[] = {
            {0xFF0000, 0xFF00, 0xFF, 0, 2, 1, 0},                /* BGRX */
            {0xFF000000, 0xFF0000, 0xFF00, 0, 3, 2, 1},          /* XBGR */
            {0xFF000000, 0xFF0000, 0xFF00, 0xFF, 3, 2, 1},       /* ABGR */
            {0xFF, 0xFF00, 0xFF0000, 0xFF000000, 0, 1, 2},       /* RGBA */
            {0xFF0000, 0xFF00, 0xFF, 0xFF000000, 2, 1, 0},       /* BGRA */
            {0, 0, 0, 0, 2, 1, 0},                               /* BGRA */
        };
        for (size_t i = 0; i < sizeof t / sizeof *t; i++)
            if (t[i].r == r && t[i].g == g && t[i].b == bl && t[i].a == a) {
                m->r = t[i].pr, m->g = t[i].pg, m->b = t[i].pb;
                return FK_OK;
            }
    } else if (m->bits == 24 && r == 0xFF0000 && g == 0xFF00 && bl == 0xFF) {
        return FK_OK;
    } else if (m->bits == 16 && bl == 0x1F && ((r == 0xF800 && g == 0x7E0) ||
                                               (r == 0x7C00 && g == 0x3E0))) {
        m->gbits = r == 0xF800 ? 6 : 5;
        return FK_OK;
    }
    return fk_fail(e, FK_ERR_UNSUPPORTED, "%s: BMP bit-field layout %#x/%#x/%#x/%#x at %d "
                   "bits is not supported (PIL refuses it too)", name, r, g, bl, a, m->bits);
}

/* Reads the palette; returns 1 for PIL's mode "1", 8 for "L", 0 for "P". */
static int parse_palette(bmp *m, const uint8_t *b, size_t len, size_t at)
{
    int pad = m->hsize == 12 ? 3 : 4;
    for (int i = 0; i < 256; i++)
        m->pal[i][0] = m->pal[i][1] = m->pal[i][2] = (uint8_t)i;
    int grey = 1;
    for (uint32_t i = 0; i < m->colors; i++) {
        size_t p = at + (size_t)i * pad;
        /* PIL reads a short palette as far as the file goes. */
        uint8_t c[3] = {0, 0, 0};
        int have = 0;
        for (int k = 0; k < 3; k++)
            if (p + k < len)
                c[k] = b[p + k], have++;
        if (have < 3)
            grey = 0; /* a short entry never equals the expected grey bytes */
        unsigned want = m->colors == 2 ? (i ? 255 : 0) : i;
        if (have == 3 && !(c[0] == want && c[1] == want && c[2] == want))
            grey = 0;
        if (i < 256 && have == 3) {
            m->pal[i][0] = c[2];
            m->pal[i][1] = c[1];
            m->pal[i][2] = c[0];
        }
    }
    return grey ? (m->colors == 2 ? 1 : 8) : 0;
}

static void put_index(const bmp *m, fk_image *out, int64_t y, int64_t x, unsigned v)
{
    memcpy(out->rgb + ((size_t)y * m->w + x) * 3, m->pal[v & 255], 3);
}

static fk_status decode_raw(const bmp *m, const uint8_t *b, size_t len, const char *name,
                            fk_image *out, fk_error *e)
{
    size_t stride = (((size_t)m->w * m->bits + 31) >> 3) & ~(size_t)3;
    /* PIL does not need the padding of the last stored row. */
    size_t need = (size_t)(m->h - 1) * stride + (((size_t)m->w * m->bits + 7) >> 3);
    if (m->offset > len || len - m->offset < need)
        return fk_fail(e, FK_ERR_FORMAT, "%s: BMP file is truncated (pixel data)", name);
    unsigned gmax = (1u << m->gbits) - 1;
    for (int64_t y = 0; y < m->h; y++) {
        const uint8_t *row = b + m->offset + (size_t)(m->topdown ? y : m->h - 1 - y) * stride;
        uint8_t *d = out->rgb + (size_t)y * m->w * 3;
        for (int64_t x = 0; x < m->w; x++, d += 3) {
            switch (m->bits) {
            case 1: put_index(m, out, y, x, (row[x / 8] >> (7 - x % 8)) & 1); break;
            case 4: put_index(m, out, y, x, (row[x / 2] >> (x % 2 ? 0 : 4)) & 15); break;
            case 8: put_index(m, out, y, x, row[x]); break;
            case 16: {
                unsigned v = u16le(row + 2 * x);
                d[0] = (uint8_t)(((v >> (5 + m->gbits)) & 31) * 255 / 31);
                d[1] = (uint8_t)(((v >> 5) & gmax) * 255 / gmax);
                d[2] = (uint8_t)((v & 31) * 255 / 31);
                break;
            }
            case 24: d[0] = row[3 * x + 2], d[1] = row[3 * x + 1], d[2] = row[3 * x]; break;
            default:
                d[0] = row[4 * x + m->r], d[1] = row[4 * x + m->g], d[2] = row[4 * x + m->b];
            }
        }
    }
    return FK_OK;
}

/* PIL's BmpRleDecoder, step by step: indices into a w*h buffer (stored rows
 * bottom-up unless top-down), zeros where runs skip. */
static fk_status decode_rle(const bmp *m, const uint8_t *b, size_t len, const char *name,
                            fk_image *out, fk_error *e)
{
    int rle4 = m->compression == RLE4;
    size_t total = (size_t)m->w * m->h, n = 0, pos = m->offset;
    size_t xs = (size_t)m->w;
    uint8_t *idx = calloc(total + 1, 1);
    if (!idx)
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate BMP indices", name);
#define EMIT(v) do { if (n < total) idx[n] = (uint8_t)(v); n++; } while (0)
    size_t x = 0;
    while (n < total) {
        if (pos + 2 > len)
            break;
        unsigned count = b[pos], byte = b[pos + 1];
        pos += 2;
        if (count) {
            if (x + count > xs)
                count = x < xs ? (unsigned)(xs - x) : 0;
            for (unsigned i = 0; i < count; i++)
                EMIT(rle4 ? (i % 2 ? byte & 15 : byte >> 4) : byte);
            x += count;
        } else if (byte == 0) {
            while (n % xs)
                EMIT(0);
            x = 0;
        } else if (byte == 1) {
            break;
        } else if (byte == 2) {
            if (pos + 2 > len)
                break;
            pos += 2; /* PIL reads these two bytes and ignores them */
            if (pos + 2 > len) {
                pos = len;
                break; /* PIL fails to unpack the second pair */
            }
            size_t skip = b[pos] + (size_t)b[pos + 1] * xs;
            pos += 2;
            for (size_t i = 0; i < skip && n < total; i++)
                EMIT(0);
            x = n % xs;
        } else {
            size_t want = rle4 ? byte / 2 : byte;
            size_t got = len - pos < want ? len - pos : want;
            for (size_t i = 0; i < got; i++) {
                if (rle4) {
                    EMIT(b[pos + i] >> 4);
                    EMIT(b[pos + i] & 15);
                } else {
                    EMIT(b[pos + i]);
                }
            }
            pos += got;
            if (got < want)
                break;
            x += byte;
            if (pos % 2)
                pos++;
        }
    }
#undef EMIT
    if (n < total) {
        free(idx);
        return fk_fail(e, FK_ERR_FORMAT, "%s: BMP RLE data is truncated (%zu of %zu pixels)",
                       name, n, total);
    }
    for (int64_t y = 0; y < m->h; y++)
        for (int64_t x2 = 0; x2 < m->w; x2++)
            put_index(m, out, y, x2, idx[(size_t)(m->topdown ? y : m->h - 1 - y) * xs + x2]);
    free(idx);
    return FK_OK;
}

fk_status fk_img_decode_bmp(const uint8_t *b, size_t len, const char *name,
                            const fk_decode_options *o, fk_image *out, fk_error *e)
{
    bmp *m = calloc(1, sizeof *m);
    if (!m)
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate a BMP reader", name);
    fk_status s = FK_OK;
    if (len < 18) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: BMP file is truncated (header)", name);
        goto done;
    }
    m->offset = u32le(b + 10);
    m->hsize = u32le(b + 14);
    if (m->hsize != 12 && m->hsize != 40 && m->hsize != 64 && m->hsize != 108 &&
        m->hsize != 124) {
        s = fk_fail(e, FK_ERR_UNSUPPORTED, "%s: BMP header of %u bytes is not supported",
                    name, m->hsize);
        goto done;
    }
    if (len < 14 + (size_t)m->hsize) {
        s = fk_fail(e, FK_ERR_FORMAT, "%s: BMP file is truncated (header)", name);
        goto done;
    }
    if (m->hsize == 12) {
        m->w = u16le(b + 18);
        m->h = u16le(b + 20);
        m->bits = (int)u16le(b + 24);
    } else {
        m->w = u32le(b + 18);
        m->topdown = b[25] == 0xFF;
        m->h = m->topdown ? (int64_t)(0x100000000LL - u32le(b + 22)) : (int64_t)u32le(b + 22);
        m->bits = (int)u16le(b + 28);
        m->compression = u32le(b + 30);
        m->colors = u32le(b + 46);
    }
    if (m->colors == 0)
        m->colors = m->bits < 32 ? 1u << m->bits : 0;
    if (m->offset == 14 + m->hsize && m->bits <= 8)
        m->offset += 4 * m->colors;
    int bits_ok = m->bits == 1 || m->bits == 4 || m->bits == 8 || m->bits == 16 ||
                  m->bits == 24 || m->bits == 32;
    if (!bits_ok) {
        s = fk_fail(e, FK_ERR_UNSUPPORTED, "%s: BMP pixel depth %d is not supported", name,
                    m->bits);
        goto done;
    }
    m->r = 2, m->g = 1, m->b = 0, m->gbits = 5;
    if (m->compression == BITFIELDS) {
        s = parse_masks(m, b, len, name, e);
    } else if ((m->compression == RLE8 && m->bits != 8) ||
               (m->compression == RLE4 && m->bits != 4) || m->compression > BITFIELDS) {
        s = fk_fail(e, FK_ERR_UNSUPPORTED, "%s: BMP compression %u at %d bits is not "
                    "supported", name, m->compression, m->bits);
    }
    if (s != FK_OK)
        goto done;
    if (m->bits <= 8) {
        size_t at = 14 + (size_t)m->hsize + (m->compression == BITFIELDS ? 12 : 0);
        /* PIL accepts up to 65536 colours in the header, reads as much of
         * that palette as the file holds, and fails when that is more than
         * 256 entries ("invalid palette size"). */
        size_t pad = m->hsize == 12 ? 3 : 4;
        size_t avail = at < len ? (len - at) / pad : 0;
        if (m->colors == 0 || m->colors > 65536 ||
            (m->colors < avail ? m->colors : avail) > 256) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: BMP palette size %u is invalid", name,
                        m->colors);
            goto done;
        }
        int mode = parse_palette(m, b, len, at);
        if ((mode == 1 && m->bits != 1) || (mode == 8 && m->bits != 8) ||
            (mode == 1 && m->compression != RAW)) {
            s = fk_fail(e, FK_ERR_UNSUPPORTED, "%s: %d-bit BMP with a %s palette: PIL "
                        "misreads its pixels, fidkit refuses it", name, m->bits,
                        mode == 1 ? "black-and-white" : "grey-ramp");
            goto done;
        }
    }
    s = fk_img_alloc(out, m->w, m->h, name, "BMP", o, e);
    if (s != FK_OK)
        goto done;
    if (m->compression == RLE8 || m->compression == RLE4)
        s = decode_rle(m, b, len, name, out, e);
    else
        s = decode_raw(m, b, len, name, out, e);
done:
    free(m);
    return s;
}
