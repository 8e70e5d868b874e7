/* torchvision's MobileNetV3 (Howard et al. 2019) at width 1.0: the inverted
 * residual settings of torchvision's _mobilenet_v3_conf, parameters under
 * torchvision's key names, and the forward pass on the torch shim with every
 * batch norm folded into its convolution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mobilenet_net.h"

/* in, kernel, expanded, out, SE, hardswish (else ReLU), stride */
static const mb_setting large_conf[] = {
    {16, 3, 16, 16, 0, 0, 1},     {16, 3, 64, 24, 0, 0, 2},     {24, 3, 72, 24, 0, 0, 1},
    {24, 5, 72, 40, 1, 0, 2},     {40, 5, 120, 40, 1, 0, 1},    {40, 5, 120, 40, 1, 0, 1},
    {40, 3, 240, 80, 0, 1, 2},    {80, 3, 200, 80, 0, 1, 1},    {80, 3, 184, 80, 0, 1, 1},
    {80, 3, 184, 80, 0, 1, 1},    {80, 3, 480, 112, 1, 1, 1},   {112, 3, 672, 112, 1, 1, 1},
    {112, 5, 672, 160, 1, 1, 2},  {160, 5, 960, 160, 1, 1, 1},  {160, 5, 960, 160, 1, 1, 1},
};
static const mb_setting small_conf[] = {
    {16, 3, 16, 16, 1, 0, 2},   {16, 3, 72, 24, 0, 0, 2},   {24, 3, 88, 24, 0, 0, 1},
    {24, 5, 96, 40, 1, 1, 2},   {40, 5, 240, 40, 1, 1, 1},  {40, 5, 240, 40, 1, 1, 1},
    {40, 5, 120, 48, 1, 1, 1},  {48, 5, 144, 48, 1, 1, 1},  {48, 5, 288, 96, 1, 1, 2},
    {96, 5, 576, 96, 1, 1, 1},  {96, 5, 576, 96, 1, 1, 1},
};

/* torchvision's _make_divisible(v, 8): the nearest multiple of 8, at least
 * 8, and not below 90 % of v. */
static int make_divisible(double v)
{
    int d = 8;
    int r = (int)(v + d / 2.0) / d * d;
    if (r < d)
        r = d;
    if (r < 0.9 * v)
        r += d;
    return r;
}

int mobilenet_arch(const char *variant, mb_net *net)
{
    const mb_setting *conf;
    int n;
    if (variant && strcmp(variant, "large") == 0) {
        conf = large_conf, n = (int)(sizeof large_conf / sizeof large_conf[0]);
        net->large = 1, net->hidden = 1280;
    } else if (variant && strcmp(variant, "small") == 0) {
        conf = small_conf, n = (int)(sizeof small_conf / sizeof small_conf[0]);
        net->large = 0, net->hidden = 1024;
    } else {
        return -1;
    }
    net->n_blocks = n;
    for (int i = 0; i < n; i++) {
        net->blk[i].s = conf[i];
        net->blk[i].squeeze = make_divisible(conf[i].cexp / 4);
    }
    net->last_channels = 6 * conf[n - 1].cout;
    return net->large ? 0 : 1;
}

int mobilenet_dim(const mb_net *net, mb_output k)
{
    switch (k) {
    case MB_POOL: return net->last_channels;
    case MB_PENULTIMATE: return net->hidden;
    case MB_LOGITS: return MOBILENET_CLASSES;
    default: return 0;
    }
}

/* Conv2dNormActivation at PREFIX (PREFIX.0.weight, PREFIX.1.*). */
static fk_status conv_bn(mb_net *net, nl_source *s, const char *prefix, int cin, int cout, int k,
                         int stride, int groups, double random_gamma, nl_conv *out, fk_error *e)
{
    char ck[128], bk[128];
    snprintf(ck, sizeof ck, "%s.0.weight", prefix);
    snprintf(bk, sizeof bk, "%s.1", prefix);
    return nl_conv_bn(net->ctx, s, ck, bk, cin, cout, k, stride, (k - 1) / 2, groups,
                      MOBILENET_BN_EPS, random_gamma, out, e);
}

/* Random weights: the projection's batch norm of a residual block gets
 * gamma 1/sqrt(blocks), so residual sums do not double the variance per
 * block, and the excitation's fc2 bias is 3, so that its hard sigmoid starts
 * near 1 (near the identity) instead of halving the activations per block. */
static fk_status load_block(mb_net *net, nl_source *s, int index, mb_block *b, fk_error *e)
{
    char p[64];
    int j = 0;
    fk_status st = FK_OK;
    const mb_setting *c = &b->s;
    if (c->cexp != c->cin) {
        snprintf(p, sizeof p, "features.%d.block.%d", index, j++);
        st = conv_bn(net, s, p, c->cin, c->cexp, 1, 1, 1, 1.0, &b->expand, e);
    }
    if (st == FK_OK) {
        snprintf(p, sizeof p, "features.%d.block.%d", index, j++);
        st = conv_bn(net, s, p, c->cexp, c->cexp, c->k, c->stride, c->cexp, 1.0, &b->depthwise, e);
    }
    if (st == FK_OK && c->se) {
        snprintf(p, sizeof p, "features.%d.block.%d.fc1", index, j);
        st = nl_pointwise_linear(net->ctx, s, p, c->cexp, b->squeeze, 0.0, &b->se_w1, &b->se_b1, e);
        if (st == FK_OK) {
            snprintf(p, sizeof p, "features.%d.block.%d.fc2", index, j);
            st = nl_pointwise_linear(net->ctx, s, p, b->squeeze, c->cexp, 3.0, &b->se_w2, &b->se_b2, e);
        }
        j++;
    }
    if (st == FK_OK) {
        snprintf(p, sizeof p, "features.%d.block.%d", index, j);
        int residual = c->stride == 1 && c->cin == c->cout;
        st = conv_bn(net, s, p, c->cexp, c->cout, 1, 1, 1,
                     residual ? 1.0 / sqrt((double)net->n_blocks) : 1.0, &b->project, e);
    }
    return st;
}

fk_status mobilenet_load(mb_net *net, const char *weights_path, uint64_t seed, fk_error *e)
{
    nl_source s;
    fk_status st = nl_source_open(&s, net->label, weights_path, seed, e);
    if (st != FK_OK)
        return st;
    st = conv_bn(net, &s, "features.0", 3, 16, 3, 2, 1, 1.0, &net->stem, e);
    for (int i = 0; i < net->n_blocks && st == FK_OK; i++)
        st = load_block(net, &s, i + 1, &net->blk[i], e);
    if (st == FK_OK) {
        char p[32];
        snprintf(p, sizeof p, "features.%d", net->n_blocks + 1);
        st = conv_bn(net, &s, p, net->blk[net->n_blocks - 1].s.cout, net->last_channels, 1, 1, 1, 1.0,
                     &net->last, e);
    }
    if (st == FK_OK)
        st = nl_linear(net->ctx, &s, "classifier.0", net->last_channels, net->hidden,
                       sqrt(1.0 / net->last_channels), &net->fc1_w, &net->fc1_b, e);
    if (st == FK_OK)
        st = nl_linear(net->ctx, &s, "classifier.3", net->hidden, MOBILENET_CLASSES, 0.01,
                       &net->fc2_w, &net->fc2_b, e);
    nl_source_close(&s);
    return st;
}

void mobilenet_free(mb_net *net)
{
    fkt_free(net->ctx);
    net->ctx = NULL;
}

static fkt_tensor *conv(fkt_ctx *c, const fkt_tensor *x, const nl_conv *k)
{
    return fkt_conv2d(c, x, k->w, k->b, k->stride, k->stride, k->pad, k->pad, k->groups);
}

static fkt_tensor *conv_act(fkt_ctx *c, const fkt_tensor *x, const nl_conv *k, int hswish)
{
    if (hswish)
        return fkt_hardswish(c, conv(c, x, k));
    return fkt_conv2d_relu(c, x, k->w, k->b, k->stride, k->stride, k->pad, k->pad, k->groups);
}

/* Squeeze-excitation as torchvision's SqueezeExcitation: the scale comes from
 * the spatial mean of the block's own input, through fc1, ReLU, fc2 and a
 * hard sigmoid. fc1 and fc2 are 1x1 convolutions on a 1x1 map, run as
 * linear layers on the pooled rows (fewer, cheaper operations). */
static fkt_tensor *squeeze_excite(fkt_ctx *c, const fkt_tensor *x, const mb_block *b, int n)
{
    int64_t shape[4] = {n, b->s.cexp, 1, 1};
    fkt_tensor *s = fkt_global_avg_pool(c, x);
    s = fkt_relu(c, fkt_linear(c, s, b->se_w1, b->se_b1));
    s = fkt_hardsigmoid(c, fkt_linear(c, s, b->se_w2, b->se_b2));
    return fkt_mul(c, x, fkt_reshape(c, s, 4, shape));
}

static fkt_tensor *block(fkt_ctx *c, const mb_block *b, const fkt_tensor *x, int n)
{
    const mb_setting *st = &b->s;
    const fkt_tensor *y = x;
    if (st->cexp != st->cin)
        y = conv_act(c, y, &b->expand, st->hswish);
    fkt_tensor *z = conv_act(c, y, &b->depthwise, st->hswish);
    if (st->se)
        z = squeeze_excite(c, z, b, n);
    z = conv(c, z, &b->project);
    if (st->stride == 1 && st->cin == st->cout)
        z = fkt_add(c, z, x);
    return z;
}

/* Activation bytes one image keeps alive per input pixel at the most: the
 * pass settles after each block, so the largest block counts, with its
 * input and every tensor it makes. */
static double bytes_per_pixel(const mb_net *net)
{
    double stride = 2, peak = 3.0 + 2.0 * 16 / 4; /* input, stem conv + hardswish */
    for (int i = 0; i < net->n_blocks; i++) {
        const mb_setting *s = &net->blk[i].s;
        double before = 1.0 / (stride * stride);
        stride *= s->stride;
        double after = 1.0 / (stride * stride);
        double block = before * (s->cin + 2.0 * s->cexp) + after * (3.0 * s->cexp + 2.0 * s->cout);
        if (block > peak)
            peak = block;
    }
    double last = 2.0 * net->last_channels / (stride * stride);
    return 4.0 * (last > peak ? last : peak);
}

static fk_status run_chunk(mb_net *net, const float *nchw, int n, int side, const int want[MB_OUT_COUNT],
                           float *const dst[MB_OUT_COUNT], fk_error *e)
{
    fkt_ctx *c = net->ctx;
    fkt_tensor *out[MB_OUT_COUNT] = {NULL};
    size_t mark = fkt_mark(c);
    int64_t shape[4] = {n, 3, side, side};
    fkt_tensor *x = fkt_from_f32(c, nchw, 4, shape);
    x = nl_settle(c, mark, conv_act(c, x, &net->stem, 1), out, MB_OUT_COUNT);
    for (int i = 0; i < net->n_blocks; i++)
        x = nl_settle(c, mark, block(c, &net->blk[i], x, n), out, MB_OUT_COUNT);
    x = conv_act(c, x, &net->last, 1);
    out[MB_POOL] = fkt_global_avg_pool(c, x);
    if (want[MB_PENULTIMATE] || want[MB_LOGITS])
        out[MB_PENULTIMATE] = fkt_hardswish(c, fkt_linear(c, out[MB_POOL], net->fc1_w, net->fc1_b));
    /* classifier.2 is Dropout: the identity in eval mode. */
    if (want[MB_LOGITS])
        out[MB_LOGITS] = fkt_linear(c, out[MB_PENULTIMATE], net->fc2_w, net->fc2_b);
    for (int k = 0; k < MB_OUT_COUNT; k++)
        if (want[k])
            fkt_to_f32(c, out[k], dst[k], (int64_t)n * mobilenet_dim(net, k));
    fk_status st = fkt_status(c, e);
    fkt_release(c, mark);
    if (st != FK_OK) {
        fkt_clear_error(c);
        return fk_fail_prefix(e, "%s: forward pass on %d images of %dx%d", net->label, n, side, side);
    }
    return FK_OK;
}

fk_status mobilenet_forward(mb_net *net, const float *nchw, int n, int side,
                            const int want[MB_OUT_COUNT], float *const results[MB_OUT_COUNT],
                            fk_error *e)
{
    int chunk = net->sub_batch > 0 ? net->sub_batch
                                   : nl_chunk(bytes_per_pixel(net), side, NL_ACTIVATION_BUDGET);
    for (int start = 0; start < n; start += chunk) {
        int m = n - start < chunk ? n - start : chunk;
        float *dst[MB_OUT_COUNT] = {NULL};
        for (int k = 0; k < MB_OUT_COUNT; k++)
            if (want[k])
                dst[k] = results[k] + (size_t)start * mobilenet_dim(net, k);
        fk_status st = run_chunk(net, nchw + (size_t)start * 3 * side * side, m, side, want, dst, e);
        if (st != FK_OK)
            return st;
    }
    static const char *const names[MB_OUT_COUNT] = {"pool", "penultimate", "logits"};
    for (int k = 0; k < MB_OUT_COUNT; k++)
        if (want[k]) {
            fk_status st = nl_check_finite(net->label, names[k], results[k], n, mobilenet_dim(net, k), e);
            if (st != FK_OK)
                return st;
        }
    return FK_OK;
}
