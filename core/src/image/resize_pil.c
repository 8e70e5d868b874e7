/* fidkit — Pillow's BICUBIC resampling (Image.resize, filter support 2,
 * a = -0.5), in its float ('F' mode) and 8-bit forms.
 *
 * Pillow's scheme: for each output sample, a window of inputs around
 * center = (i + 0.5) * in / out, the filter stretched by in / out when
 * shrinking (so it antialiases), weights normalised to sum 1; a horizontal
 * pass over the rows the vertical pass needs, then the vertical pass (here
 * interleaved row by row, which changes no value).
 * Float mode: Pillow sums in double and stores each pass as float32; here
 * weights are computed in double and rounded to float, and short sums (the
 * usual 4-8 taps) are float, ~2x faster; a float sum of thousands of taps
 * drifts by 4e-4 on the 0..255 scale, so long ones (strong shrinking) are
 * summed in double. Either way the tests hold it within 1e-3 of Pillow.
 * 8-bit mode: weights in fixed point with 22 fraction bits, each pass rounded
 * and clipped to uint8, exactly as Pillow does, so results are equal. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/resize_internal.h"

static double bicubic(double x)
{
    const double a = -0.5;
    if (x < 0.0)
        x = -x;
    /* Same operation order as Pillow, so the 8-bit weights round alike. */
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

void rs_axis_free(rs_axis *a)
{
    free(a->start);
    free(a->len);
    free(a->off);
    free(a->kf);
    free(a->ki);
    free(a->lo);
    free(a->hi);
    free(a->w0);
    free(a->w1);
    memset(a, 0, sizeof *a);
}

void *rs_scratch_get(rs_scratch *s, size_t bytes)
{
    if (bytes > s->cap) {
        free(s->p);
        s->p = malloc(bytes);
        s->cap = s->p ? bytes : 0;
    }
    return s->p;
}

fk_status rs_axis_pil(rs_axis *a, int in, int out, int first, int count, int fixed8,
                      fk_error *e)
{
    memset(a, 0, sizeof *a);
    if (in < 1 || out < 1 || count < 1 || first < 0 || first + count > out)
        return fk_fail(e, FK_ERR_INTERNAL, "resize plan: outputs %d..%d of %d -> %d", first,
                       first + count, in, out);
    a->in = in;
    a->out = out;
    a->first = first;
    a->count = count;
    const double scale = (double)in / out;
    const double fscale = scale < 1.0 ? 1.0 : scale;
    const double support = 2.0 * fscale;
    const double ss = 1.0 / fscale;
    /* At most this many taps per output; never more than the input has. */
    double kmax = ceil(support) * 2 + 1;
    if (kmax > in)
        kmax = in;
    if (kmax * count > (double)(SIZE_MAX / 8))
        return fk_fail(e, FK_ERR_UNSUPPORTED, "resize %d -> %d samples needs too many filter taps",
                       in, out);
    size_t cap = (size_t)kmax * (size_t)count;
    double *wk = malloc((size_t)kmax * sizeof *wk);
    a->start = malloc((size_t)count * sizeof *a->start);
    a->len = malloc((size_t)count * sizeof *a->len);
    a->off = malloc((size_t)count * sizeof *a->off);
    if (fixed8)
        a->ki = malloc(cap * sizeof *a->ki);
    else
        a->kf = malloc(cap * sizeof *a->kf);
    if (!wk || !a->start || !a->len || !a->off || !(fixed8 ? (void *)a->ki : (void *)a->kf)) {
        free(wk);
        rs_axis_free(a);
        return fk_fail(e, FK_ERR_NOMEM, "no memory for the filter of a %d -> %d resize", in, out);
    }
    size_t off = 0;
    int lo0 = 0, hi1 = 0;
    a->maxlen = 1;
    for (int i = 0; i < count; i++) {
        const double center = (first + i + 0.5) * scale;
        /* Pillow rounds the window bounds by truncating x + 0.5. */
        int lo = (int)(center - support + 0.5);
        int hi = (int)(center + support + 0.5);
        if (lo < 0)
            lo = 0;
        if (hi > in)
            hi = in;
        const int n = hi - lo;
        double ww = 0.0;
        for (int t = 0; t < n; t++) {
            wk[t] = bicubic((t + lo - center + 0.5) * ss);
            ww += wk[t];
        }
        for (int t = 0; t < n; t++) {
            double w = ww != 0.0 ? wk[t] / ww : wk[t];
            if (fixed8)
                a->ki[off + t] = (int32_t)(w < 0 ? -0.5 + w * (1 << RS_PIL_BITS)
                                                 : 0.5 + w * (1 << RS_PIL_BITS));
            else
                a->kf[off + t] = (float)w;
        }
        a->start[i] = lo;
        a->len[i] = n;
        a->off[i] = off;
        if (i == 0)
            lo0 = lo;
        hi1 = hi;
        if (n > a->maxlen)
            a->maxlen = n;
        off += (size_t)n;
    }
    free(wk);
    /* Windows never move backwards, so the first and last bound them all. */
    a->used0 = lo0;
    a->used1 = hi1;
    return FK_OK;
}

/* A pixel as RGB + a dead lane, so that one tap is one 4-wide multiply-add
 * on all channels. GCC and Clang get SIMD vectors (unless FK_RESIZE_PORTABLE
 * is defined, to test the other path); the portable struct
 * computes the same values lane for lane. */
#if defined(__GNUC__) && !defined(FK_RESIZE_PORTABLE)
typedef float v4f __attribute__((vector_size(16)));
static inline v4f v4_load(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline v4f v4_madd(v4f acc, float k, v4f x) { return acc + k * x; }
static inline v4f v4_mul(float k, v4f x) { return k * x; }
static inline void v4_store(float *p, v4f v) { memcpy(p, &v, sizeof v); }
/* Clipped to [0, 255] with lane masks (no branches). */
static inline v4f v4_clip255(v4f v)
{
    typedef int32_t v4i __attribute__((vector_size(16)));
    const v4f zero = {0.0f, 0.0f, 0.0f, 0.0f};
    const v4f top = {255.0f, 255.0f, 255.0f, 255.0f};
    v4i neg = v < zero, big = v > top;
    v4i bits = (v4i)v & ~neg;
    return (v4f)((bits & ~big) | ((v4i)top & big));
}
#else
typedef struct { float f[4]; } v4f;
static inline v4f v4_load(const float *p)
{
    v4f v;
    memcpy(v.f, p, sizeof v.f);
    return v;
}
static inline v4f v4_madd(v4f acc, float k, v4f x)
{
    for (int c = 0; c < 4; c++)
        acc.f[c] += k * x.f[c];
    return acc;
}
static inline v4f v4_mul(float k, v4f x)
{
    for (int c = 0; c < 4; c++)
        x.f[c] *= k;
    return x;
}
static inline void v4_store(float *p, v4f v) { memcpy(p, v.f, sizeof v.f); }
static inline v4f v4_clip255(v4f v)
{
    for (int c = 0; c < 4; c++)
        v.f[c] = v.f[c] < 0.0f ? 0.0f : v.f[c] > 255.0f ? 255.0f : v.f[c];
    return v;
}
#endif

/* Above this many taps a sum is accumulated in double. */
#define FLOAT_SUM_TAPS 32

static inline float clip255(float v)
{
    return v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
}

/* The horizontal pass of one input row: RGB uint8 -> RGBX float outputs. */
static void pil_float_row(const rs_axis *ax, const uint8_t *src, float *rowf, float *dst)
{
    const size_t ncols = (size_t)(ax->used1 - ax->used0);
    src += 3 * (size_t)ax->used0;
    for (size_t x = 0; x < ncols; x++) {
        rowf[4 * x + 0] = src[3 * x + 0];
        rowf[4 * x + 1] = src[3 * x + 1];
        rowf[4 * x + 2] = src[3 * x + 2];
        rowf[4 * x + 3] = 0.0f;
    }
    for (int i = 0; i < ax->count; i++) {
        const float *k = ax->kf + ax->off[i];
        const float *p = rowf + 4 * (size_t)(ax->start[i] - ax->used0);
        if (ax->len[i] > FLOAT_SUM_TAPS && !ax->float_sums) {
            double v[3] = {0.0, 0.0, 0.0};
            for (int t = 0; t < ax->len[i]; t++)
                for (int c = 0; c < 3; c++)
                    v[c] += (double)k[t] * p[4 * t + c];
            for (int c = 0; c < 3; c++)
                dst[4 * i + c] = (float)v[c];
            dst[4 * i + 3] = 0.0f;
            continue;
        }
        v4f v = v4_mul(k[0], v4_load(p));
        for (int t = 1; t < ax->len[i]; t++)
            v = v4_madd(v, k[t], v4_load(p + 4 * t));
        v4_store(dst + 4 * i, v);
    }
}

/* Also torch's antialiased bicubic (axes from rs_axis_torch_aa, float_sums
 * set): float sums of any length and no clipping.
 *
 * Horizontal rows live in a ring of ay->maxlen rows: input row r in slot
 * r % maxlen. Output rows need ever later windows of input rows, so each row
 * is computed once, just before the first output that needs it, and memory
 * stays at maxlen rows however tall the image (Pillow keeps them all). */
fk_status rs_run_pil_float(const rs_axis *ax, const rs_axis *ay, const fk_image *in,
                           float *out, rs_scratch *tmp, fk_error *e)
{
    const int s = ax->count, sy = ay->count, kr = ay->maxlen;
    const size_t w = (size_t)in->w;
    const size_t ncols = (size_t)(ax->used1 - ax->used0);
    const size_t rowlen = (size_t)s * 4;
    /* floats: converted input row, ring, accumulator row, double row (2x) */
    const size_t need = 4 * ncols + (size_t)kr * rowlen + rowlen * 3;
    float *rowf = rs_scratch_get(tmp, need * sizeof(float) + (size_t)kr * sizeof(float *));
    if (!rowf)
        return fk_fail(e, FK_ERR_NOMEM, "no memory to resize a %dx%d image", in->w, in->h);
    float *ring = rowf + 4 * ncols;
    float *acc = ring + (size_t)kr * rowlen;
    double *dacc = (double *)(acc + rowlen); /* rowlen is a multiple of 4 floats */
    const float **rp = (const float **)(void *)(dacc + rowlen);

    const size_t plane = (size_t)s * (size_t)sy;
    int next = ay->used0;
    for (int j = 0; j < sy; j++) {
        const int n = ay->len[j], y0 = ay->start[j];
        for (; next < y0 + n; next++)
            pil_float_row(ax, in->rgb + (size_t)next * w * 3, rowf,
                          ring + (size_t)(next % kr) * rowlen);
        for (int t = 0; t < n; t++)
            rp[t] = ring + (size_t)((y0 + t) % kr) * rowlen;
        const float *k = ay->kf + ay->off[j];
        if (n > FLOAT_SUM_TAPS && !ay->float_sums) {
            for (size_t q = 0; q < rowlen; q++)
                dacc[q] = 0.0;
            for (int t = 0; t < n; t++) {
                const double kt = k[t];
                for (size_t q = 0; q < rowlen; q++)
                    dacc[q] += kt * rp[t][q];
            }
            for (size_t q = 0; q < rowlen; q++)
                acc[q] = clip255((float)dacc[q]);
        } else {
            const int clip = !ay->float_sums;
            for (int i = 0; i < s; i++) {
                const size_t q = 4 * (size_t)i;
                v4f v = v4_mul(k[0], v4_load(rp[0] + q));
                for (int t = 1; t < n; t++)
                    v = v4_madd(v, k[t], v4_load(rp[t] + q));
                v4_store(acc + q, clip ? v4_clip255(v) : v);
            }
        }
        float *o = out + (size_t)j * (size_t)s;
        for (int i = 0; i < s; i++) {
            o[i] = acc[4 * i + 0];
            o[plane + i] = acc[4 * i + 1];
            o[2 * plane + i] = acc[4 * i + 2];
        }
    }
    return FK_OK;
}

static inline uint8_t clip8(int32_t v)
{
    /* Pillow's table lookup on v >> 22, written as comparisons. */
    if (v < 0)
        return 0;
    v >>= RS_PIL_BITS;
    return v > 255 ? 255 : (uint8_t)v;
}

static void pil_u8_row(const rs_axis *ax, const uint8_t *src, uint8_t *dst)
{
    const int32_t half = 1 << (RS_PIL_BITS - 1);
    for (int i = 0; i < ax->count; i++) {
        const int32_t *k = ax->ki + ax->off[i];
        const uint8_t *p = src + 3 * (size_t)ax->start[i];
        int32_t v0 = half, v1 = half, v2 = half;
        for (int t = 0; t < ax->len[i]; t++) {
            v0 += p[3 * t + 0] * k[t];
            v1 += p[3 * t + 1] * k[t];
            v2 += p[3 * t + 2] * k[t];
        }
        dst[3 * i + 0] = clip8(v0);
        dst[3 * i + 1] = clip8(v1);
        dst[3 * i + 2] = clip8(v2);
    }
}

/* Same ring of horizontal rows as the float path, in uint8 as Pillow
 * stores its intermediate image. */
fk_status rs_run_pil_u8(const rs_axis *ax, const rs_axis *ay, const fk_image *in,
                        float *out, rs_scratch *tmp, fk_error *e)
{
    const int s = ax->count, sy = ay->count, kr = ay->maxlen;
    const size_t w = (size_t)in->w;
    const size_t rowlen = (size_t)s * 3;
    uint8_t *ring = rs_scratch_get(tmp, (size_t)kr * rowlen + (size_t)kr * sizeof(void *) + 16);
    if (!ring)
        return fk_fail(e, FK_ERR_NOMEM, "no memory to resize a %dx%d image", in->w, in->h);
    /* The row pointers go after the ring, rounded up to pointer alignment. */
    size_t at = ((size_t)kr * rowlen + 15) & ~(size_t)15;
    const uint8_t **rp = (const uint8_t **)(void *)(ring + at);
    const int32_t half = 1 << (RS_PIL_BITS - 1);

    const size_t plane = (size_t)s * (size_t)sy;
    int next = ay->used0;
    for (int j = 0; j < sy; j++) {
        const int n = ay->len[j], y0 = ay->start[j];
        for (; next < y0 + n; next++)
            pil_u8_row(ax, in->rgb + (size_t)next * w * 3, ring + (size_t)(next % kr) * rowlen);
        for (int t = 0; t < n; t++)
            rp[t] = ring + (size_t)((y0 + t) % kr) * rowlen;
        const int32_t *k = ay->ki + ay->off[j];
        float *o = out + (size_t)j * (size_t)s;
        for (int i = 0; i < s; i++) {
            int32_t v0 = half, v1 = half, v2 = half;
            for (int t = 0; t < n; t++) {
                const uint8_t *p = rp[t] + 3 * (size_t)i;
                v0 += p[0] * k[t];
                v1 += p[1] * k[t];
                v2 += p[2] * k[t];
            }
            o[i] = clip8(v0);
            o[plane + i] = clip8(v1);
            o[2 * plane + i] = clip8(v2);
        }
    }
    return FK_OK;
}
