/* The Inception-v3 layers (torchvision's Inception3; the FID variant differs
 * only in its pool branches and its 1008 classes, so both share this table)
 * and the loading of their parameters: from a weights file under the
 * published key names, or drawn at random. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/array.h"
#include "fidkit/rng.h"
#include "fidkit/weights.h"
#include "inception_net.h"

static void add(inc_layer *L, int *n, const char *block, const char *branch, int cin, int cout,
                int kh, int kw, int stride, int ph, int pw)
{
    inc_layer *l = &L[(*n)++];
    if (branch)
        snprintf(l->name, sizeof l->name, "%s.%s", block, branch);
    else
        snprintf(l->name, sizeof l->name, "%s", block);
    l->cin = cin;
    l->cout = cout;
    l->kh = kh;
    l->kw = kw;
    l->stride = stride;
    l->ph = ph;
    l->pw = pw;
}

static void block_a(inc_layer *L, int *n, const char *b, int cin, int pool_features)
{
    add(L, n, b, "branch1x1", cin, 64, 1, 1, 1, 0, 0);
    add(L, n, b, "branch5x5_1", cin, 48, 1, 1, 1, 0, 0);
    add(L, n, b, "branch5x5_2", 48, 64, 5, 5, 1, 2, 2);
    add(L, n, b, "branch3x3dbl_1", cin, 64, 1, 1, 1, 0, 0);
    add(L, n, b, "branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
    add(L, n, b, "branch3x3dbl_3", 96, 96, 3, 3, 1, 1, 1);
    add(L, n, b, "branch_pool", cin, pool_features, 1, 1, 1, 0, 0);
}

static void block_b(inc_layer *L, int *n, const char *b, int cin)
{
    add(L, n, b, "branch3x3", cin, 384, 3, 3, 2, 0, 0);
    add(L, n, b, "branch3x3dbl_1", cin, 64, 1, 1, 1, 0, 0);
    add(L, n, b, "branch3x3dbl_2", 64, 96, 3, 3, 1, 1, 1);
    add(L, n, b, "branch3x3dbl_3", 96, 96, 3, 3, 2, 0, 0);
}

static void block_c(inc_layer *L, int *n, const char *b, int cin, int c7)
{
    add(L, n, b, "branch1x1", cin, 192, 1, 1, 1, 0, 0);
    add(L, n, b, "branch7x7_1", cin, c7, 1, 1, 1, 0, 0);
    add(L, n, b, "branch7x7_2", c7, c7, 1, 7, 1, 0, 3);
    add(L, n, b, "branch7x7_3", c7, 192, 7, 1, 1, 3, 0);
    add(L, n, b, "branch7x7dbl_1", cin, c7, 1, 1, 1, 0, 0);
    add(L, n, b, "branch7x7dbl_2", c7, c7, 7, 1, 1, 3, 0);
    add(L, n, b, "branch7x7dbl_3", c7, c7, 1, 7, 1, 0, 3);
    add(L, n, b, "branch7x7dbl_4", c7, c7, 7, 1, 1, 3, 0);
    add(L, n, b, "branch7x7dbl_5", c7, 192, 1, 7, 1, 0, 3);
    add(L, n, b, "branch_pool", cin, 192, 1, 1, 1, 0, 0);
}

static void block_d(inc_layer *L, int *n, const char *b, int cin)
{
    add(L, n, b, "branch3x3_1", cin, 192, 1, 1, 1, 0, 0);
    add(L, n, b, "branch3x3_2", 192, 320, 3, 3, 2, 0, 0);
    add(L, n, b, "branch7x7x3_1", cin, 192, 1, 1, 1, 0, 0);
    add(L, n, b, "branch7x7x3_2", 192, 192, 1, 7, 1, 0, 3);
    add(L, n, b, "branch7x7x3_3", 192, 192, 7, 1, 1, 3, 0);
    add(L, n, b, "branch7x7x3_4", 192, 192, 3, 3, 2, 0, 0);
}

static void block_e(inc_layer *L, int *n, const char *b, int cin)
{
    add(L, n, b, "branch1x1", cin, 320, 1, 1, 1, 0, 0);
    add(L, n, b, "branch3x3_1", cin, 384, 1, 1, 1, 0, 0);
    add(L, n, b, "branch3x3_2a", 384, 384, 1, 3, 1, 0, 1);
    add(L, n, b, "branch3x3_2b", 384, 384, 3, 1, 1, 1, 0);
    add(L, n, b, "branch3x3dbl_1", cin, 448, 1, 1, 1, 0, 0);
    add(L, n, b, "branch3x3dbl_2", 448, 384, 3, 3, 1, 1, 1);
    add(L, n, b, "branch3x3dbl_3a", 384, 384, 1, 3, 1, 0, 1);
    add(L, n, b, "branch3x3dbl_3b", 384, 384, 3, 1, 1, 1, 0);
    add(L, n, b, "branch_pool", cin, 192, 1, 1, 1, 0, 0);
}

int inception_layers(inc_layer *L)
{
    int n = 0;
    add(L, &n, "Conv2d_1a_3x3", NULL, 3, 32, 3, 3, 2, 0, 0);
    add(L, &n, "Conv2d_2a_3x3", NULL, 32, 32, 3, 3, 1, 0, 0);
    add(L, &n, "Conv2d_2b_3x3", NULL, 32, 64, 3, 3, 1, 1, 1);
    add(L, &n, "Conv2d_3b_1x1", NULL, 64, 80, 1, 1, 1, 0, 0);
    add(L, &n, "Conv2d_4a_3x3", NULL, 80, 192, 3, 3, 1, 0, 0);
    block_a(L, &n, "Mixed_5b", 192, 32);
    block_a(L, &n, "Mixed_5c", 256, 64);
    block_a(L, &n, "Mixed_5d", 288, 64);
    block_b(L, &n, "Mixed_6a", 288);
    block_c(L, &n, "Mixed_6b", 768, 128);
    block_c(L, &n, "Mixed_6c", 768, 160);
    block_c(L, &n, "Mixed_6d", 768, 160);
    block_c(L, &n, "Mixed_6e", 768, 192);
    block_d(L, &n, "Mixed_7a", 768);
    block_e(L, &n, "Mixed_7b", 1280);
    block_e(L, &n, "Mixed_7c", 2048);
    return n;
}

/* ---- parameter sources ------------------------------------------------- */

/* Where the raw (unfolded) parameters come from: a weights file or a seeded
 * generator. Both hand out malloc'ed float32 arrays of the expected shape. */
typedef struct source {
    fk_weights *w;          /* NULL: random */
    const char *path;
    fk_rng rng;
    const char *label;
} source;

static char *shape_text(int ndim, const int64_t *shape, char *buf, size_t cap)
{
    fk_array a;
    memset(&a, 0, sizeof a);
    a.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        a.shape[i] = shape[i];
    return fk_array_shape_str(&a, buf, cap);
}

/* Checks presence and shape here, so that the message names the key and
 * both shapes whatever the weights reader says, then converts to float32. */
static fk_status from_file(source *s, const char *key, int ndim, const int64_t *shape, float **out,
                           fk_error *e)
{
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
    fk_status st = fk_weights_get_f32(s->w, key, ndim, shape, out, e);
    if (st != FK_OK)
        return fk_fail_prefix(e, "%s", s->label);
    return FK_OK;
}

static int64_t count_of(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

/* Random parameters, reproducible on any platform from the seed alone:
 *   - one fidkit rng stream (fidkit/rng.h: splitmix64-seeded xoshiro256**,
 *     Box-Muller normals in double, one value kept per call), drawn in the
 *     order inception_layers() lists the layers, each tensor row-major:
 *     conv.weight ~ normal(0, sqrt(2 / fan_in)), fan_in = cin * kh * kw
 *     (Kaiming's choice for ReLU nets: activations keep their scale through
 *     the depth); then fc.weight, fc.bias ~ normal(0, 0.01);
 *   - batch norms are the identity (gamma 1, beta 0, mean 0, var 1), so they
 *     draw nothing; they are folded like loaded ones (scale 1/sqrt(1.001)).
 * Each value is rounded to float32 once. */
static fk_status draw(source *s, int ndim, const int64_t *shape, double std, double constant,
                      float **out, fk_error *e)
{
    int64_t n = count_of(ndim, shape);
    float *p = malloc((size_t)n * sizeof *p);
    if (!p)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory for random weights", s->label);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)(std > 0 ? std * fk_rng_normal(&s->rng) : constant);
    *out = p;
    return FK_OK;
}

/* "Mixed_6d.branch1x1" + "." + "conv.weight", cut to cap - 1 characters
 * (never reached: inc_layer names are short). */
static void key_of(char *key, size_t cap, const char *layer, const char *param)
{
    size_t k = 0;
    for (const char *p = layer; *p && k + 1 < cap; p++)
        key[k++] = *p;
    if (k + 1 < cap)
        key[k++] = '.';
    for (const char *p = param; *p && k + 1 < cap; p++)
        key[k++] = *p;
    key[k] = 0;
}

/* Reads one BasicConv2d and folds its batch norm into the convolution:
 * w' = w * gamma / sqrt(var + eps), b' = beta - mean * gamma / sqrt(var + eps),
 * computed in double. */
static fk_status load_conv(inc_net *net, source *s, const inc_layer *l, inc_conv *c, fk_error *e)
{
    static const char *const bn_keys[4] = {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};
    static const double bn_identity[4] = {1.0, 0.0, 0.0, 1.0};
    int64_t wshape[4] = {l->cout, l->cin, l->kh, l->kw};
    int64_t vshape[1] = {l->cout};
    float *w = NULL, *bn[4] = {NULL, NULL, NULL, NULL};
    float *bias = NULL;
    char key[96];
    fk_status st;

    key_of(key, sizeof key, l->name, "conv.weight");
    if (s->w)
        st = from_file(s, key, 4, wshape, &w, e);
    else
        st = draw(s, 4, wshape, sqrt(2.0 / (double)(l->cin * l->kh * l->kw)), 0, &w, e);
    for (int k = 0; k < 4 && st == FK_OK; k++) {
        key_of(key, sizeof key, l->name, bn_keys[k]);
        if (s->w)
            st = from_file(s, key, 1, vshape, &bn[k], e);
        else
            st = draw(s, 1, vshape, 0, bn_identity[k], &bn[k], e);
    }
    if (st == FK_OK && !(bias = malloc((size_t)l->cout * sizeof *bias)))
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory folding %s", s->label, l->name);
    if (st == FK_OK) {
        int64_t per_out = (int64_t)l->cin * l->kh * l->kw;
        for (int o = 0; o < l->cout && st == FK_OK; o++) {
            double var = bn[3][o];
            if (!(var + INCEPTION_BN_EPS > 0) || !isfinite(var) || !isfinite(bn[0][o]) ||
                !isfinite(bn[1][o]) || !isfinite(bn[2][o])) {
                st = fk_fail(e, FK_ERR_NUMERIC,
                             "%s: %s.bn has an unusable value for channel %d (var %g): cannot fold it",
                             s->label, l->name, o, var);
                break;
            }
            double scale = (double)bn[0][o] / sqrt(var + INCEPTION_BN_EPS);
            for (int64_t i = 0; i < per_out; i++)
                w[o * per_out + i] = (float)((double)w[o * per_out + i] * scale);
            bias[o] = (float)((double)bn[1][o] - (double)bn[2][o] * scale);
        }
    }
    if (st == FK_OK) {
        c->w = fkt_from_f32(net->ctx, w, 4, wshape);
        c->b = fkt_from_f32(net->ctx, bias, 1, vshape);
        c->stride = l->stride;
        c->ph = l->ph;
        c->pw = l->pw;
        st = fkt_status(net->ctx, e);
        if (st != FK_OK)
            fk_fail_prefix(e, "%s: loading %s", s->label, l->name);
    }
    free(w);
    free(bias);
    for (int k = 0; k < 4; k++)
        free(bn[k]);
    return st;
}

static fk_status load_fc(inc_net *net, source *s, fk_error *e)
{
    int64_t wshape[2] = {net->n_classes, 2048};
    int64_t bshape[1] = {net->n_classes};
    float *w = NULL, *b = NULL;
    fk_status st;
    if (s->w) {
        st = from_file(s, "fc.weight", 2, wshape, &w, e);
        if (st == FK_OK)
            st = from_file(s, "fc.bias", 1, bshape, &b, e);
    } else {
        st = draw(s, 2, wshape, 0.01, 0, &w, e);
        if (st == FK_OK)
            st = draw(s, 1, bshape, 0.01, 0, &b, e);
    }
    if (st == FK_OK) {
        net->fc_w = fkt_from_f32(net->ctx, w, 2, wshape);
        net->fc_b = fkt_from_f32(net->ctx, b, 1, bshape);
        st = fkt_status(net->ctx, e);
        if (st != FK_OK)
            fk_fail_prefix(e, "%s: loading fc", s->label);
    }
    free(w);
    free(b);
    return st;
}

fk_status inception_load(inc_net *net, const char *weights_path, uint64_t seed, fk_error *e)
{
    inc_layer L[INCEPTION_MAX_LAYERS];
    source s;
    memset(&s, 0, sizeof s);
    s.label = net->label;
    s.path = weights_path;
    if (weights_path) {
        fk_status st = fk_weights_open(weights_path, &s.w, e);
        if (st != FK_OK)
            return fk_fail_prefix(e, "%s", net->label);
    } else {
        fk_rng_seed(&s.rng, seed);
    }
    net->n_layers = inception_layers(L);
    fk_status st = FK_OK;
    for (int i = 0; i < net->n_layers && st == FK_OK; i++)
        st = load_conv(net, &s, &L[i], &net->conv[i], e);
    if (st == FK_OK)
        st = load_fc(net, &s, e);
    if (s.w)
        fk_weights_close(s.w);
    return st;
}
