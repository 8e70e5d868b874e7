/* dinov2 — the position-embedding interpolation of the official
 * interpolate_pos_encoding, computed once at load time for the input size.
 *
 * Two torch 1.x/2.x bicubic kernels (align_corners False), separable:
 *   antialias off: source x = s (i + 0.5) - 0.5 with s the reciprocal of the
 *     scale factor the call passes (the 0.1 offset makes s = M / (g + 0.1),
 *     not M / g), Keys' cubic a = -0.75 on the 4 nearest samples, indices
 *     clamped at the borders;
 *   antialias on: center (i + 0.5) s with s = M / g, the filter (a = -0.5)
 *     stretched by s when shrinking, window truncated at the borders and the
 *     weights renormalised (as torch's _upsample_bicubic2d_aa).
 * Weights and sums in double; torch runs float32 here, so the two agree to
 * float rounding (~1e-7 relative). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dinov2_net.h"

static double cc1(double x, double a) { return ((a + 2) * x - (a + 3)) * x * x + 1; }
static double cc2(double x, double a) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; }

static double aa_cubic(double x)
{
    x = fabs(x);
    if (x < 1)
        return cc1(x, -0.5);
    if (x < 2)
        return cc2(x, -0.5);
    return 0;
}

/* g x M dense weight matrix of one axis. */
static void axis_weights(int M, int g, int antialias, double offset, double *w)
{
    memset(w, 0, (size_t)g * M * sizeof *w);
    if (!antialias) {
        const double A = -0.75;
        /* scale factor (g + offset) / M when an offset is given, else the
         * size g: torch's source scale is the reciprocal of either */
        double s = offset != 0 ? 1.0 / ((g + offset) / M) : (double)M / g;
        s = (float)s; /* torch stores the scale as the input's dtype */
        for (int i = 0; i < g; i++) {
            double real = s * (i + 0.5) - 0.5, fl = floor(real), t = real - fl;
            if (t < 0)
                t = 0;
            if (t > 1)
                t = 1;
            double k[4] = {cc2(t + 1, A), cc1(t, A), cc1(1 - t, A), cc2(2 - t, A)};
            for (int j = 0; j < 4; j++) {
                long at = (long)fl - 1 + j;
                at = at < 0 ? 0 : at > M - 1 ? M - 1 : at;
                w[(size_t)i * M + at] += k[j];
            }
        }
        return;
    }
    const double s = (double)M / g;
    const double support = s >= 1 ? 2 * s : 2, inv = s >= 1 ? 1 / s : 1;
    for (int i = 0; i < g; i++) {
        double c = s * (i + 0.5), tot = 0;
        long lo = (long)(c - support + 0.5), hi = (long)(c + support + 0.5);
        lo = lo < 0 ? 0 : lo;
        hi = hi > M ? M : hi;
        for (long j = lo; j < hi; j++)
            tot += w[(size_t)i * M + j] = aa_cubic((j - c + 0.5) * inv);
        if (tot != 0)
            for (long j = lo; j < hi; j++)
                w[(size_t)i * M + j] /= tot;
    }
}

fk_status dino_interp_pos(const float *src, int M, int D, int g, int antialias, double offset,
                          float *out, fk_error *e)
{
    if (g == M) {
        memcpy(out, src, (size_t)M * M * D * sizeof *out);
        return FK_OK;
    }
    double *w = malloc((size_t)g * M * sizeof *w);
    double *acc = malloc((size_t)D * sizeof *acc);
    double *row = malloc((size_t)g * M * D * sizeof *row); /* (y, j, d): x resampled */
    if (!w || !acc || !row) {
        free(w);
        free(acc);
        free(row);
        return fk_fail(e, FK_ERR_NOMEM, "out of memory interpolating the position embedding");
    }
    axis_weights(M, g, antialias, offset, w);
    /* width first, then height: the order torch's separable kernel uses */
    for (int y = 0; y < M; y++)
        for (int j = 0; j < g; j++) {
            double *r = row + ((size_t)y * g + j) * D;
            memset(r, 0, (size_t)D * sizeof *r);
            for (int x = 0; x < M; x++) {
                double k = w[(size_t)j * M + x];
                if (k == 0)
                    continue;
                const float *p = src + ((size_t)y * M + x) * D;
                for (int d = 0; d < D; d++)
                    r[d] += k * p[d];
            }
        }
    for (int i = 0; i < g; i++)
        for (int j = 0; j < g; j++) {
            memset(acc, 0, (size_t)D * sizeof *acc);
            for (int y = 0; y < M; y++) {
                double k = w[(size_t)i * M + y];
                if (k == 0)
                    continue;
                const double *r = row + ((size_t)y * g + j) * D;
                for (int d = 0; d < D; d++)
                    acc[d] += k * r[d];
            }
            for (int d = 0; d < D; d++)
                out[((size_t)i * g + j) * D + d] = (float)acc[d];
        }
    free(w);
    free(acc);
    free(row);
    return FK_OK;
}
