/* fidkit — the two bilinear conventions without antialiasing.
 *
 * torch (F.interpolate, align_corners=False): ratio = float(in) / out,
 * src = ratio * (dst + 0.5) - 0.5 evaluated in double and clamped at 0,
 * i0 = trunc(src), i1 = min(i0 + 1, in - 1), w1 = float(src - i0),
 * w0 = 1 - w1; when in == out the axis is copied. Each row is blended as
 * x[i0] * w0 + x[i1] * w1 in float, then rows the same way.
 *
 * TF1 resize_bilinear (align_corners=False, no half-pixel centres):
 * scale = float(in) / out, src = float(dst) * scale in float, lo = floor,
 * hi = min(ceil(src), in - 1), lerp = src - floor(src); blended as
 * a + (b - a) * lerp, horizontally first, as TF computes top and bottom.
 *
 * The positions are computed in the precisions those libraries use: for a
 * 1000-pixel side a float position is off by up to 6e-5 pixels, which
 * would move a value by 0.015 on the 0..255 scale. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/resize_internal.h"

fk_status rs_axis_bilinear(rs_axis *a, int in, int out, int first, int count, int tf,
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
    a->lo = malloc((size_t)count * sizeof *a->lo);
    a->hi = malloc((size_t)count * sizeof *a->hi);
    a->w0 = malloc((size_t)count * sizeof *a->w0);
    a->w1 = malloc((size_t)count * sizeof *a->w1);
    if (!a->lo || !a->hi || !a->w0 || !a->w1) {
        rs_axis_free(a);
        return fk_fail(e, FK_ERR_NOMEM, "no memory for the filter of a %d -> %d resize", in, out);
    }
    const float ratio = (float)in / (float)out;
    for (int i = 0; i < count; i++) {
        const int d = first + i;
        if (tf) {
            const float src = (float)d * ratio;
            const float f = floorf(src);
            int lo = (int)f, hi = (int)ceilf(src);
            if (lo < 0)
                lo = 0;
            if (hi > in - 1)
                hi = in - 1;
            a->lo[i] = lo;
            a->hi[i] = hi;
            a->w1[i] = src - f;
            a->w0[i] = 1.0f - a->w1[i];
        } else if (in == out) {
            a->lo[i] = a->hi[i] = d;
            a->w0[i] = 1.0f;
            a->w1[i] = 0.0f;
        } else {
            double src = (double)ratio * ((double)d + 0.5) - 0.5;
            if (src < 0.0)
                src = 0.0;
            const int i0 = (int)src;
            a->lo[i] = i0;
            a->hi[i] = i0 < in - 1 ? i0 + 1 : i0;
            a->w1[i] = (float)(src - i0);
            a->w0[i] = 1.0f - a->w1[i];
        }
    }
    a->used0 = a->lo[0];
    a->used1 = a->hi[count - 1] + 1;
    a->maxlen = 2;
    return FK_OK;
}

static inline float blend(int tf, float a, float b, float w0, float w1)
{
    return tf ? a + (b - a) * w1 : a * w0 + b * w1;
}

static void bilinear_row(const rs_axis *ax, const uint8_t *src, int tf, float *dst)
{
    for (int i = 0; i < ax->count; i++) {
        const uint8_t *a = src + 3 * (size_t)ax->lo[i];
        const uint8_t *b = src + 3 * (size_t)ax->hi[i];
        for (int c = 0; c < 3; c++)
            dst[3 * i + c] = blend(tf, a[c], b[c], ax->w0[i], ax->w1[i]);
    }
}

/* Horizontal rows in a ring of two (hi <= lo + 1, both never decrease):
 * each input row is blended once, just before the first output needing it. */
fk_status rs_run_bilinear(const rs_axis *ax, const rs_axis *ay, const fk_image *in,
                          float *out, int tf, rs_scratch *tmp, fk_error *e)
{
    const int s = ax->count, sy = ay->count;
    const size_t w = (size_t)in->w;
    const size_t rowlen = (size_t)s * 3;
    float *ring = rs_scratch_get(tmp, 2 * rowlen * sizeof(float));
    if (!ring)
        return fk_fail(e, FK_ERR_NOMEM, "no memory to resize a %dx%d image", in->w, in->h);

    const size_t plane = (size_t)s * (size_t)sy;
    int next = ay->used0;
    for (int j = 0; j < sy; j++) {
        for (; next <= ay->hi[j]; next++)
            bilinear_row(ax, in->rgb + (size_t)next * w * 3, tf,
                         ring + (size_t)(next % 2) * rowlen);
        const float *ra = ring + (size_t)(ay->lo[j] % 2) * rowlen;
        const float *rb = ring + (size_t)(ay->hi[j] % 2) * rowlen;
        const float w0 = ay->w0[j], w1 = ay->w1[j];
        float *o = out + (size_t)j * (size_t)s;
        for (int i = 0; i < s; i++)
            for (int c = 0; c < 3; c++)
                o[(size_t)c * plane + i] = blend(tf, ra[3 * i + c], rb[3 * i + c], w0, w1);
    }
    return FK_OK;
}
