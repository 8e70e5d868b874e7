/* Parameter loading shared by the resnet and mobilenet_v3 plugins. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/array.h"
#include "netload.h"

fk_status nl_source_open(nl_source *s, const char *label, const char *weights_path, uint64_t seed,
                         fk_error *e)
{
    memset(s, 0, sizeof *s);
    s->label = label;
    s->path = weights_path;
    if (!weights_path) {
        fk_rng_seed(&s->rng, seed);
        return FK_OK;
    }
    if (fk_weights_open(weights_path, &s->w, e) != FK_OK)
        return fk_fail_prefix(e, "%s", label);
    return FK_OK;
}

void nl_source_close(nl_source *s)
{
    if (s->w)
        fk_weights_close(s->w);
    s->w = NULL;
}

static char *shape_text(int ndim, const int64_t *shape, char *buf, size_t cap)
{
    fk_array a;
    memset(&a, 0, sizeof a);
    a.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        a.shape[i] = shape[i];
    return fk_array_shape_str(&a, buf, cap);
}

fk_status nl_param(nl_source *s, const char *key, int ndim, const int64_t *shape, double std,
                   double constant, float **out, fk_error *e)
{
    *out = NULL;
    if (s->w) {
        char want[96], got[96];
        const fk_array *a = fk_weights_find(s->w, key);
        if (!a)
            return fk_fail(e, FK_ERR_FORMAT, "%s: weights file %s has no tensor '%s' (expected shape %s)",
                           s->label, s->path, key, shape_text(ndim, shape, want, sizeof want));
        int same = a->ndim == ndim;
        for (int i = 0; same && i < ndim; i++)
            same = a->shape[i] == shape[i];
        if (!same)
            return fk_fail(e, FK_ERR_FORMAT, "%s: weights file %s: tensor '%s' has shape %s, expected %s",
                           s->label, s->path, key, fk_array_shape_str(a, got, sizeof got),
                           shape_text(ndim, shape, want, sizeof want));
        if (fk_weights_get_f32(s->w, key, ndim, shape, out, e) != FK_OK)
            return fk_fail_prefix(e, "%s", s->label);
        return FK_OK;
    }
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (!p)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory for '%s'", s->label, key);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)(std > 0 ? std * fk_rng_normal(&s->rng) : constant);
    *out = p;
    return FK_OK;
}

static fk_status to_tensors(fkt_ctx *ctx, nl_source *s, const char *what, const float *w,
                            const int64_t wshape[4], const float *b, int cout, nl_conv *out,
                            fk_error *e)
{
    int64_t bshape[1] = {cout};
    out->w = fkt_from_f32(ctx, w, 4, wshape);
    out->b = b ? fkt_from_f32(ctx, b, 1, bshape) : NULL;
    if (fkt_status(ctx, e) != FK_OK)
        return fk_fail_prefix(e, "%s: loading %s", s->label, what);
    return FK_OK;
}

fk_status nl_conv_bn(fkt_ctx *ctx, nl_source *s, const char *conv_key, const char *bn_prefix,
                     int cin, int cout, int k, int stride, int pad, int groups, double eps,
                     double random_gamma, nl_conv *out, fk_error *e)
{
    static const char *const bn_keys[4] = {"weight", "bias", "running_mean", "running_var"};
    const double bn_random[4] = {random_gamma, 0.0, 0.0, 1.0};
    int64_t wshape[4] = {cout, cin / groups, k, k};
    int64_t vshape[1] = {cout};
    float *w = NULL, *bn[4] = {NULL, NULL, NULL, NULL}, *bias = NULL;
    char key[128];
    double fan_in = (double)(cin / groups) * k * k;

    fk_status st = nl_param(s, conv_key, 4, wshape, sqrt(2.0 / fan_in), 0, &w, e);
    for (int i = 0; i < 4 && st == FK_OK; i++) {
        snprintf(key, sizeof key, "%s.%s", bn_prefix, bn_keys[i]);
        st = nl_param(s, key, 1, vshape, 0, bn_random[i], &bn[i], e);
    }
    if (st == FK_OK && !(bias = malloc((size_t)cout * sizeof *bias)))
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory folding %s", s->label, bn_prefix);
    int64_t per_out = wshape[1] * k * k;
    for (int o = 0; st == FK_OK && o < cout; o++) {
        double var = bn[3][o];
        if (!isfinite(var) || !(var + eps > 0) || !isfinite(bn[0][o]) || !isfinite(bn[1][o]) ||
            !isfinite(bn[2][o])) {
            st = fk_fail(e, FK_ERR_NUMERIC,
                         "%s: batch norm %s has an unusable value for channel %d (var %g): cannot fold it",
                         s->label, bn_prefix, o, var);
            break;
        }
        double scale = (double)bn[0][o] / sqrt(var + eps);
        for (int64_t i = 0; i < per_out; i++)
            w[o * per_out + i] = (float)((double)w[o * per_out + i] * scale);
        bias[o] = (float)((double)bn[1][o] - (double)bn[2][o] * scale);
    }
    if (st == FK_OK) {
        out->stride = stride;
        out->pad = pad;
        out->groups = groups;
        st = to_tensors(ctx, s, conv_key, w, wshape, bias, cout, out, e);
    }
    free(w);
    free(bias);
    for (int i = 0; i < 4; i++)
        free(bn[i]);
    return st;
}

fk_status nl_pointwise_linear(fkt_ctx *ctx, nl_source *s, const char *prefix, int cin, int cout,
                              double random_bias, fkt_tensor **w, fkt_tensor **b, fk_error *e)
{
    int64_t wshape[4] = {cout, cin, 1, 1};
    int64_t lshape[2] = {cout, cin};
    int64_t bshape[1] = {cout};
    float *pw = NULL, *pb = NULL;
    char key[128];
    snprintf(key, sizeof key, "%s.weight", prefix);
    fk_status st = nl_param(s, key, 4, wshape, sqrt(2.0 / cin), 0, &pw, e);
    if (st == FK_OK) {
        snprintf(key, sizeof key, "%s.bias", prefix);
        st = nl_param(s, key, 1, bshape, 0, random_bias, &pb, e);
    }
    if (st == FK_OK) {
        *w = fkt_from_f32(ctx, pw, 2, lshape);
        *b = fkt_from_f32(ctx, pb, 1, bshape);
        if (fkt_status(ctx, e) != FK_OK)
            st = fk_fail_prefix(e, "%s: loading %s", s->label, prefix);
    }
    free(pw);
    free(pb);
    return st;
}

fk_status nl_linear(fkt_ctx *ctx, nl_source *s, const char *prefix, int in, int out, double std,
                    fkt_tensor **w, fkt_tensor **b, fk_error *e)
{
    int64_t wshape[2] = {out, in};
    int64_t bshape[1] = {out};
    float *pw = NULL, *pb = NULL;
    char key[128];
    snprintf(key, sizeof key, "%s.weight", prefix);
    fk_status st = nl_param(s, key, 2, wshape, std, 0, &pw, e);
    if (st == FK_OK) {
        snprintf(key, sizeof key, "%s.bias", prefix);
        st = nl_param(s, key, 1, bshape, 0, 0.0, &pb, e);
    }
    if (st == FK_OK) {
        *w = fkt_from_f32(ctx, pw, 2, wshape);
        *b = fkt_from_f32(ctx, pb, 1, bshape);
        if (fkt_status(ctx, e) != FK_OK)
            st = fk_fail_prefix(e, "%s: loading %s", s->label, prefix);
    }
    free(pw);
    free(pb);
    return st;
}

fk_status nl_check_finite(const char *label, const char *output, const float *rows, int n, int dim,
                          fk_error *e)
{
    int64_t m = (int64_t)n * dim;
    for (int64_t i = 0; i < m; i++)
        if (!isfinite(rows[i]))
            return fk_fail(e, FK_ERR_NUMERIC, "%s: non-finite %s feature %g in image %lld, value %lld",
                           label, output, (double)rows[i], (long long)(i / dim), (long long)(i % dim));
    return FK_OK;
}

fkt_tensor *nl_settle(fkt_ctx *c, size_t mark, fkt_tensor *x, fkt_tensor *const *outs, int n_outs)
{
    enum { MAX_OUTS = 15 };
    fkt_tensor *keep[MAX_OUTS + 1];
    if (n_outs > MAX_OUTS)
        return x; /* a plugin with more outputs only settles less often */
    int n = 0;
    keep[n++] = x;
    for (int k = 0; k < n_outs; k++)
        keep[n++] = outs[k];
    fkt_release_except(c, mark, keep, n);
    return x;
}

int nl_chunk(double bytes_per_pixel_image, int side, double budget_bytes)
{
    double per_image = bytes_per_pixel_image * (double)side * (double)side;
    if (!(per_image > 0))
        return 1;
    double n = budget_bytes / per_image;
    if (n < 1)
        return 1;
    return n > 4096 ? 4096 : (int)n;
}
