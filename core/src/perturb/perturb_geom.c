/* fidkit — the perturbations that move or mix pixels: Gaussian blur as
 * scipy.ndimage.gaussian_filter(mode='nearest', truncate=4.0) and the swirl
 * of skimage.transform.swirl(order=1, mode='reflect'). Both follow their
 * reference operation for operation in double (kernel, summation order,
 * spline weights), so that results differ at most where a value sits on a
 * rounding tie and a last-bit difference of exp() tips it. */
#include "perturb/perturb_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* scipy's kernel: exp(-0.5 / sigma^2 * i^2), i = -r..r, divided by its sum,
 * summed as numpy's pairwise sum does for fewer than 128 terms (eight
 * running partial sums, combined as a tree, then the tail). */
static void gauss_kernel(double sigma, int r, double *w /* 2r+1 */)
{
    const int n = 2 * r + 1;
    const double c = -0.5 / (sigma * sigma);
    for (int i = 0; i < n; i++) {
        const double x = (double)(i - r);
        w[i] = exp(c * (x * x));
    }
    double sum;
    if (n < 8) {
        sum = 0.0;
        for (int i = 0; i < n; i++)
            sum += w[i];
    } else {
        double p[8];
        for (int j = 0; j < 8; j++)
            p[j] = w[j];
        int i = 8;
        for (; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                p[j] += w[i + j];
        sum = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
        for (; i < n; i++)
            sum += w[i];
    }
    for (int i = 0; i < n; i++)
        w[i] /= sum;
}

static inline int clampi(int v, int hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

/* One line of scipy's symmetric correlate1d: centre tap first, then the
 * pairs from the outermost inwards. */
static void blur_line(const double *in, double *out, int len, const double *wc /* centre */,
                      int r)
{
    for (int i = 0; i < len; i++) {
        double t = in[i] * wc[0];
        for (int j = r; j >= 1; j--)
            t += (in[clampi(i - j, len - 1)] + in[clampi(i + j, len - 1)]) * wc[j];
        out[i] = t;
    }
}

fk_status pt_blur(fk_image *im, double sigma, fk_error *e)
{
    const int r = (int)(FK_PERTURB_BLUR_TRUNCATE * sigma + 0.5);
    if (r < 1)
        return FK_OK; /* a one-tap kernel is [1]: the identity */
    const int w = im->w, h = im->h;
    const size_t np = (size_t)w * (size_t)h;
    double *k = malloc((size_t)(2 * r + 1) * sizeof *k);
    double *a = malloc(np * sizeof *a);
    double *b = malloc(np * sizeof *b);
    if (!k || !a || !b) {
        free(k);
        free(a);
        free(b);
        return fk_fail(e, FK_ERR_NOMEM, "gaussian_blur: no memory for a %dx%d image", w, h);
    }
    gauss_kernel(sigma, r, k);
    const double *wc = k + r;
    for (int c = 0; c < 3; c++) {
        for (size_t p = 0; p < np; p++)
            a[p] = im->rgb[3 * p + (size_t)c];
        /* Axis 0 (down the columns) first, as gaussian_filter loops axes;
         * whole rows at a time, each value summed in blur_line's order. */
        for (int y = 0; y < h; y++) {
            double *o = b + (size_t)y * (size_t)w;
            const double *mid = a + (size_t)y * (size_t)w;
            for (int x = 0; x < w; x++)
                o[x] = mid[x] * wc[0];
            for (int j = r; j >= 1; j--) {
                const double *up = a + (size_t)clampi(y - j, h - 1) * (size_t)w;
                const double *dn = a + (size_t)clampi(y + j, h - 1) * (size_t)w;
                for (int x = 0; x < w; x++)
                    o[x] += (up[x] + dn[x]) * wc[j];
            }
        }
        for (int y = 0; y < h; y++)
            blur_line(b + (size_t)y * (size_t)w, a + (size_t)y * (size_t)w, w, wc, r);
        for (size_t p = 0; p < np; p++)
            im->rgb[3 * p + (size_t)c] = pt_round_clip(a[p]);
    }
    free(k);
    free(a);
    free(b);
    return FK_OK;
}

/* ndimage's 'mirror' mapping of a coordinate into [0, len - 1]
 * (map_coordinate in ni_interpolation.c). */
static double mirror(double in, int len)
{
    if (len <= 1)
        return 0.0;
    const double sz2 = 2.0 * len - 2.0;
    if (in < 0) {
        in = sz2 * (double)(int64_t)(-in / sz2) + in;
        in = in <= 1 - len ? in + sz2 : -in;
    } else if (in > len - 1) {
        in -= sz2 * (double)(int64_t)(in / sz2);
        if (in >= len)
            in = sz2 - in;
    }
    return in;
}

/* Order-1 spline position and weights as ndimage computes them: the second
 * weight is 1 - (1 - f), not f. A coordinate in (len - 1, len) is left
 * there by the mapping, so its second tap is the mirrored len - 2. */
static void linear_at(double cc, int len, int *i0, int *i1, double *w0, double *w1)
{
    cc = mirror(cc, len);
    const double fl = floor(cc);
    *i0 = (int)fl;
    *i1 = *i0 + 1 < len ? *i0 + 1 : (len >= 2 ? len - 2 : 0);
    *w0 = 1.0 - (cc - fl);
    *w1 = 1.0 - *w0;
}

fk_status pt_swirl(fk_image *im, double strength, double radius, fk_error *e)
{
    const int w = im->w, h = im->h;
    const size_t n = (size_t)w * (size_t)h * 3;
    uint8_t *out = malloc(n);
    if (!out)
        return fk_fail(e, FK_ERR_NOMEM, "swirl: no memory for a %dx%d image", w, h);
    const double x0 = (double)(w / 2), y0 = (double)(h / 2);
    /* skimage makes the effect decay to ~1/1000 within `radius`. */
    const double rr = radius / 5 * 0.6931471805599453;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const double dx = x - x0, dy = y - y0;
            const double rho = sqrt(dx * dx + dy * dy);
            const double theta = strength * exp(-rho / rr) + atan2(dy, dx);
            const double sx = x0 + rho * cos(theta), sy = y0 + rho * sin(theta);
            int r0, r1, c0, c1;
            double wy0, wy1, wx0, wx1;
            linear_at(sy, h, &r0, &r1, &wy0, &wy1);
            linear_at(sx, w, &c0, &c1, &wx0, &wx1);
            const uint8_t *p00 = im->rgb + ((size_t)r0 * w + (size_t)c0) * 3;
            const uint8_t *p01 = im->rgb + ((size_t)r0 * w + (size_t)c1) * 3;
            const uint8_t *p10 = im->rgb + ((size_t)r1 * w + (size_t)c0) * 3;
            const uint8_t *p11 = im->rgb + ((size_t)r1 * w + (size_t)c1) * 3;
            uint8_t *o = out + ((size_t)y * w + (size_t)x) * 3;
            for (int c = 0; c < 3; c++) {
                double t = 0.0;
                t += p00[c] * wy0 * wx0;
                t += p01[c] * wy0 * wx1;
                t += p10[c] * wy1 * wx0;
                t += p11[c] * wy1 * wx1;
                o[c] = pt_round_clip(t);
            }
        }
    }
    memcpy(im->rgb, out, n);
    free(out);
    return FK_OK;
}
