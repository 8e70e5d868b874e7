/* fidkit — torch's antialiased bicubic resampling on float images:
 * torch.nn.functional.interpolate(x.float(), size, mode='bicubic',
 * antialias=True, align_corners=False) as torch 1.13's CPU kernel computes
 * it (EDM2's FD_DINOv2 resize).
 *
 * The scheme is Pillow's (the window around center = (i + 0.5) * in / out,
 * the filter stretched by in / out when shrinking, Keys' cubic with
 * a = -0.5, weights normalised to sum 1; width first, then height), but
 * torch computes the weights in float32, sums every window in float32
 * whatever its length, and neither clips nor rounds the result: values may
 * leave [0, 255] near edges. Note a = -0.5 also when enlarging, where
 * antialias=False would use a = -0.75. */
#include <stdlib.h>
#include <string.h>

#include "image/resize_internal.h"

static float aa_cubic(float x)
{
    const float a = -0.5f;
    if (x < 0.0f)
        x = -x;
    if (x < 1.0f)
        return ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1.0f;
    if (x < 2.0f)
        return ((a * x - 5.0f * a) * x + 8.0f * a) * x - 4.0f * a;
    return 0.0f;
}

fk_status rs_axis_torch_aa(rs_axis *a, int in, int out, int first, int count, fk_error *e)
{
    memset(a, 0, sizeof *a);
    if (in < 1 || out < 1 || count < 1 || first < 0 || first + count > out)
        return fk_fail(e, FK_ERR_INTERNAL, "resize plan: outputs %d..%d of %d -> %d", first,
                       first + count, in, out);
    a->in = in;
    a->out = out;
    a->first = first;
    a->count = count;
    a->float_sums = 1;
    const float scale = (float)in / (float)out;
    const float support = scale >= 1.0f ? 2.0f * scale : 2.0f;
    const float invscale = scale >= 1.0f ? 1.0f / scale : 1.0f;
    long kmax = (long)support * 2 + 3;
    if (kmax > in)
        kmax = in;
    if ((double)kmax * count > (double)(SIZE_MAX / 8))
        return fk_fail(e, FK_ERR_UNSUPPORTED, "resize %d -> %d samples needs too many filter taps",
                       in, out);
    const size_t cap = (size_t)kmax * (size_t)count;
    a->start = malloc((size_t)count * sizeof *a->start);
    a->len = malloc((size_t)count * sizeof *a->len);
    a->off = malloc((size_t)count * sizeof *a->off);
    a->kf = malloc(cap * sizeof *a->kf);
    if (!a->start || !a->len || !a->off || !a->kf) {
        rs_axis_free(a);
        return fk_fail(e, FK_ERR_NOMEM, "no memory for the filter of a %d -> %d resize", in, out);
    }
    size_t off = 0;
    a->maxlen = 1;
    for (int i = 0; i < count; i++) {
        const float center = scale * ((float)(first + i) + 0.5f);
        /* int64 truncation of center -+ support + 0.5, as torch does */
        long lo = (long)(center - support + 0.5f);
        long hi = (long)(center + support + 0.5f);
        if (lo < 0)
            lo = 0;
        if (hi > in)
            hi = in;
        int n = (int)(hi - lo);
        if (n < 1)
            n = 1, lo = lo >= in ? in - 1 : lo;
        if ((size_t)n > (size_t)kmax || off + (size_t)n > cap) {
            rs_axis_free(a);
            return fk_fail(e, FK_ERR_INTERNAL, "resize plan: window of %d taps (cap %ld)", n, kmax);
        }
        float *k = a->kf + off, total = 0.0f;
        for (int t = 0; t < n; t++) {
            k[t] = aa_cubic(((float)(t + lo) - center + 0.5f) * invscale);
            total += k[t];
        }
        if (total != 0.0f)
            for (int t = 0; t < n; t++)
                k[t] /= total;
        a->start[i] = (int)lo;
        a->len[i] = n;
        a->off[i] = off;
        if (i == 0)
            a->used0 = (int)lo;
        if ((int)lo + n > a->used1)
            a->used1 = (int)lo + n;
        if ((int)lo < a->used0)
            a->used0 = (int)lo;
        if (n > a->maxlen)
            a->maxlen = n;
        off += (size_t)n;
    }
    return FK_OK;
}
