/* fidkit — CLIP-Score conventions (see clipscore.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/clipscore.h"

const char *fk_clipscore_convention_name(fk_clipscore_convention c)
{
    switch (c) {
    case FK_CLIPSCORE_HESSEL: return "hessel";
    case FK_CLIPSCORE_TORCHMETRICS: return "torchmetrics";
    }
    return "unknown";
}

fk_status fk_clipscore_convention_parse(const char *name, fk_clipscore_convention *c, fk_error *e)
{
    if (name && !strcmp(name, "hessel"))
        *c = FK_CLIPSCORE_HESSEL;
    else if (name && !strcmp(name, "torchmetrics"))
        *c = FK_CLIPSCORE_TORCHMETRICS;
    else
        return fk_fail(e, FK_ERR_ARG, "unknown CLIP-Score convention '%s' (known: hessel, torchmetrics)",
                       name ? name : "(null)");
    return FK_OK;
}

fk_status fk_cosine(const float *a, const float *b, int d, const char *what, double *out,
                    fk_error *e)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < d; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (!isfinite(ab) || !isfinite(aa) || !isfinite(bb))
        return fk_fail(e, FK_ERR_NUMERIC, "%s: an embedding holds a value that is not finite", what);
    if (aa == 0 || bb == 0)
        return fk_fail(e, FK_ERR_NUMERIC, "%s: an embedding is all zeros (its cosine is undefined)",
                       what);
    *out = ab / (sqrt(aa) * sqrt(bb));
    return FK_OK;
}

/* Mean and population standard deviation, two passes in double. */
static void mean_std(const double *v, int64_t n, double *mean, double *std)
{
    double s = 0, q = 0;
    for (int64_t i = 0; i < n; i++)
        s += v[i];
    double m = s / (double)n;
    for (int64_t i = 0; i < n; i++)
        q += (v[i] - m) * (v[i] - m);
    *mean = m;
    *std = sqrt(q / (double)n);
}

fk_status fk_clipscore(const float *image, const float *text, int64_t n, int d,
                       fk_clipscore_convention c, double *per_pair, double *cosine,
                       fk_clipscore_result *r, fk_error *e)
{
    memset(r, 0, sizeof *r);
    r->convention = c;
    if (n < 1 || d < 1 || !image || !text)
        return fk_fail(e, FK_ERR_ARG, "CLIP-Score needs at least one pair of non-empty embeddings");
    if (c != FK_CLIPSCORE_HESSEL && c != FK_CLIPSCORE_TORCHMETRICS)
        return fk_fail(e, FK_ERR_ARG, "unknown CLIP-Score convention %d", (int)c);
    double *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        char what[64];
        double cs;
        snprintf(what, sizeof what, "pair %lld", (long long)i);
        fk_status st = fk_cosine(image + i * d, text + i * d, d, what, &cs, e);
        if (st) {
            free(v);
            return st;
        }
        r->n_negative += cs < 0;
        v[i] = c == FK_CLIPSCORE_HESSEL ? FK_CLIPSCORE_HESSEL_W * (cs > 0 ? cs : 0.0) : 100.0 * cs;
        if (cosine)
            cosine[i] = cs;
        if (per_pair)
            per_pair[i] = v[i];
    }
    mean_std(v, n, &r->mean, &r->std);
    free(v);
    r->n = n;
    r->score = c == FK_CLIPSCORE_TORCHMETRICS && r->mean < 0 ? 0.0 : r->mean;
    return FK_OK;
}

fk_status fk_refclipscore(const float *text, const double *clip_s, int64_t n, int d,
                          const float *refs, const int64_t *ref_off, double *ref_cos,
                          double *ref_per, fk_clipscore_result *r, fk_error *e)
{
    if (r->convention != FK_CLIPSCORE_HESSEL)
        return fk_fail(e, FK_ERR_ARG, "RefCLIP-S is defined in the hessel convention only");
    if (n < 1 || !text || !clip_s || !ref_off || (ref_off[n] > 0 && !refs))
        return fk_fail(e, FK_ERR_ARG, "RefCLIP-S needs pairs, their CLIP-S and reference offsets");
    double *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        double best = 0;
        if (ref_off[i + 1] < ref_off[i]) {
            free(v);
            return fk_fail(e, FK_ERR_ARG, "reference offsets decrease at pair %lld", (long long)i);
        }
        for (int64_t k = ref_off[i]; k < ref_off[i + 1]; k++) {
            char what[80];
            double cs;
            snprintf(what, sizeof what, "pair %lld, reference %lld", (long long)i,
                     (long long)(k - ref_off[i]));
            fk_status st = fk_cosine(text + i * d, refs + k * d, d, what, &cs, e);
            if (st) {
                free(v);
                return st;
            }
            if (cs > best)
                best = cs;
        }
        double s = clip_s[i];
        v[i] = s + best > 0 ? 2 * s * best / (s + best) : 0.0;
        if (ref_cos)
            ref_cos[i] = best;
        if (ref_per)
            ref_per[i] = v[i];
    }
    mean_std(v, n, &r->ref_score, &r->ref_std);
    r->has_ref = 1;
    free(v);
    return FK_OK;
}
