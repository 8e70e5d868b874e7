/* fidkit — PBM/PGM/PPM (P1-P6) as PIL 9.4's PpmImagePlugin reads them.
 *
 * stb_image differs from PIL here: PIL rescales every maxval other than 255
 * (and 65535 greyscale) with Python's round(v / maxval * out_max), reads the
 * plain (ASCII) variants, and turns greyscale with maxval > 255 into mode "I",
 * which convert("RGB") clips at 255 (fidkit's default takes v >> 8 instead;
 * see fk_decode_options.gray16_pil_clip). */
#include "image/image_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* A header token as PIL reads it: leading whitespace skipped, '#' skips to the
 * end of the line without ending the token, at most 10 characters kept.
 * Returns -1 when missing or not a number. */
static long header_token(const uint8_t *b, size_t len, size_t *pos)
{
    char tok[16];
    int n = 0;
    while (n <= 10) {
        if (*pos >= len)
            break;
        int c = b[(*pos)++];
        if (is_space(c)) {
            if (n == 0)
                continue;
            break;
        }
        if (c == '#') {
            while (*pos < len && b[*pos] != '\r' && b[*pos] != '\n')
                (*pos)++;
            if (*pos < len)
                (*pos)++;
            continue;
        }
        tok[n++] = (char)c;
    }
    if (n == 0 || n > 10)
        return -1;
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return -1;
        v = v * 10 + (tok[i] - '0');
    }
    return v;
}

/* Python's round(v / maxval * out_max): IEEE double, ties to even (rint). */
static long py_scale(long v, long maxval, long out_max)
{
    return (long)rint((double)v / (double)maxval * (double)out_max);
}

typedef struct pnm {
    int kind;          /* 1..6 */
    int bands;         /* 1 or 3 */
    long w, h, maxval; /* maxval 1 for bitmaps */
    int mode_i;        /* PIL mode "I": greyscale with maxval > 255 */
} pnm;

/* Writes one decoded sample (already in PIL's mode range) to the RGB image. */
static void put(const pnm *p, const fk_decode_options *o, uint8_t *rgb, size_t i, long v)
{
    if (p->bands == 3) {
        rgb[i] = (uint8_t)v;
        return;
    }
    uint8_t g = p->mode_i ? fk_img_gray16((unsigned)v, o) : (uint8_t)v;
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g;
}

static fk_status decode_raw(const pnm *p, const uint8_t *d, size_t n, const char *name,
                            const fk_decode_options *o, fk_image *out, fk_error *e)
{
    size_t count = (size_t)p->w * p->h * p->bands;
    if (p->kind == 4) {
        size_t stride = ((size_t)p->w + 7) / 8;
        if (n < stride * p->h)
            return fk_fail(e, FK_ERR_FORMAT, "%s: PBM file is truncated (image data)", name);
        for (long y = 0; y < p->h; y++)
            for (long x = 0; x < p->w; x++) {
                int bit = (d[y * stride + x / 8] >> (7 - x % 8)) & 1;
                put(p, o, out->rgb, (size_t)y * p->w + x, bit ? 0 : 255);
            }
        return FK_OK;
    }
    int bytes = p->maxval < 256 ? 1 : 2;
    if (n / bytes < count)
        return fk_fail(e, FK_ERR_FORMAT, "%s: PNM file is truncated (image data)", name);
    /* PIL reads maxval 255, and 65535 greyscale, raw; the rest it rescales. */
    int raw = p->maxval == 255 || (p->maxval == 65535 && p->mode_i);
    long out_max = p->mode_i ? 65535 : 255;
    for (size_t i = 0; i < count; i++) {
        long v = bytes == 1 ? d[i] : (long)(d[2 * i] << 8 | d[2 * i + 1]);
        if (!raw) {
            v = py_scale(v, p->maxval, out_max);
            if (v > out_max)
                v = out_max;
        }
        put(p, o, out->rgb, i, v);
    }
    return FK_OK;
}

/* The plain formats: comments ('#' through the end of its line) are cut out
 * of the data first, as PIL does, then the rest is split at whitespace. */
static fk_status decode_plain(const pnm *p, const uint8_t *d, size_t n, const char *name,
                              const fk_decode_options *o, fk_image *out, fk_error *e)
{
    uint8_t *t = malloc(n + 1);
    if (!t)
        return fk_fail(e, FK_ERR_NOMEM, "%s: cannot allocate %zu bytes", name, n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '#') {
            while (i < n && d[i] != '\n' && d[i] != '\r')
                i++;
            continue;
        }
        t[m++] = d[i];
    }
    size_t count = (size_t)p->w * p->h * p->bands, got = 0, i = 0;
    fk_status s = FK_OK;
    long out_max = p->mode_i ? 65535 : 255;
    while (got < count && i < m) {
        if (is_space(t[i])) {
            i++;
            continue;
        }
        if (p->kind == 1) {
            if (t[i] != '0' && t[i] != '1') {
                s = fk_fail(e, FK_ERR_FORMAT, "%s: invalid character 0x%02x in plain PBM "
                            "data", name, t[i]);
                break;
            }
            put(p, o, out->rgb, got++, t[i++] == '1' ? 0 : 255);
            continue;
        }
        size_t k = i;
        long v = 0;
        while (k < m && !is_space(t[k]) && k - i <= 10) {
            if (t[k] < '0' || t[k] > '9')
                break;
            v = v * 10 + (t[k++] - '0');
        }
        if (k - i > 10 || (k < m && !is_space(t[k]))) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: invalid token in plain PNM data", name);
            break;
        }
        if (v > p->maxval) {
            s = fk_fail(e, FK_ERR_FORMAT, "%s: sample value %ld exceeds maxval %ld", name, v,
                        p->maxval);
            break;
        }
        put(p, o, out->rgb, got++, py_scale(v, p->maxval, out_max));
        i = k;
    }
    /* PIL checks every character of a plain bitmap, also past the last pixel. */
    for (; s == FK_OK && p->kind == 1 && i < m; i++)
        if (!is_space(t[i]) && t[i] != '0' && t[i] != '1')
            s = fk_fail(e, FK_ERR_FORMAT, "%s: invalid character 0x%02x in plain PBM data",
                        name, t[i]);
    free(t);
    if (s == FK_OK && got < count)
        return fk_fail(e, FK_ERR_FORMAT, "%s: PNM file is truncated (%zu of %zu samples)",
                       name, got, count);
    return s;
}

fk_status fk_img_decode_pnm(const uint8_t *buf, size_t len, const char *name,
                            const fk_decode_options *o, fk_image *out, fk_error *e)
{
    pnm p;
    memset(&p, 0, sizeof p);
    p.kind = buf[1] - '0';
    if (len < 3 || !is_space(buf[2]))
        return fk_fail(e, FK_ERR_FORMAT, "%s: not a PNM file (bad magic number)", name);
    size_t pos = 3;
    p.bands = (p.kind == 3 || p.kind == 6) ? 3 : 1;
    p.w = header_token(buf, len, &pos);
    p.h = header_token(buf, len, &pos);
    p.maxval = 1;
    if (p.kind != 1 && p.kind != 4)
        p.maxval = header_token(buf, len, &pos);
    if (p.w < 0 || p.h < 0 || p.maxval < 0)
        return fk_fail(e, FK_ERR_FORMAT, "%s: bad or truncated PNM header", name);
    if (p.maxval < 1 || p.maxval > 65535)
        return fk_fail(e, FK_ERR_FORMAT, "%s: PNM maxval %ld is outside 1..65535", name,
                       p.maxval);
    p.mode_i = p.bands == 1 && p.maxval > 255;
    fk_status s = fk_img_alloc(out, p.w, p.h, name, "PNM", o, e);
    if (s != FK_OK)
        return s;
    if (p.kind <= 3)
        return decode_plain(&p, buf + pos, len - pos, name, o, out, e);
    return decode_raw(&p, buf + pos, len - pos, name, o, out, e);
}
