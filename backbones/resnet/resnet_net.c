/* torchvision's ResNet (He et al. 2016, with the stride of bottlenecks on
 * their 3x3 convolution, "ResNet v1.5", as torchvision builds it): the
 * parameters under torchvision's key names and the forward pass on the
 * torch shim, every batch norm folded into its convolution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resnet_net.h"

static const int planes_of[4] = {64, 128, 256, 512};

int resnet_arch(const char *variant, rn_net *net)
{
    static const struct {
        const char *name;
        int depth, bottleneck, blocks[4];
    } archs[] = {
        {"resnet18", 18, 0, {2, 2, 2, 2}},   {"resnet34", 34, 0, {3, 4, 6, 3}},
        {"resnet50", 50, 1, {3, 4, 6, 3}},   {"resnet101", 101, 1, {3, 4, 23, 3}},
        {"resnet152", 152, 1, {3, 8, 36, 3}},
    };
    for (size_t i = 0; variant && i < sizeof archs / sizeof archs[0]; i++)
        if (strcmp(variant, archs[i].name) == 0) {
            net->depth = archs[i].depth;
            net->bottleneck = archs[i].bottleneck;
            net->n_blocks = 0;
            for (int s = 0; s < 4; s++) {
                net->blocks[s] = archs[i].blocks[s];
                net->n_blocks += archs[i].blocks[s];
            }
            return (int)i;
        }
    return -1;
}

int resnet_dim(const rn_net *net, rn_output k)
{
    int expansion = net->bottleneck ? 4 : 1;
    switch (k) {
    case RN_POOL: return 512 * expansion;
    case RN_LAYER1: return 64 * expansion;
    case RN_LAYER2: return 128 * expansion;
    case RN_LAYER3: return 256 * expansion;
    case RN_LOGITS: return RESNET_CLASSES;
    default: return 0;
    }
}

/* The last batch norm of each residual branch gets gamma 1/sqrt(blocks)
 * when weights are random, so the sum x + f(x) grows the variance by a
 * factor (1 + 1/blocks) per block, e in all, instead of 2 per block. */
static fk_status load_block(rn_net *net, nl_source *s, int stage, int index, int cin, int stride,
                            rn_block *b, fk_error *e)
{
    char p[64], ck[96], bk[96];
    int planes = planes_of[stage];
    int cout = planes * (net->bottleneck ? 4 : 1);
    double last_gamma = 1.0 / sqrt((double)net->n_blocks);
    fk_status st;
    snprintf(p, sizeof p, "layer%d.%d", stage + 1, index);
#define CONV(name, bn, ci, co, k, str, pad, gamma, dst)                                          \
    (snprintf(ck, sizeof ck, "%s.%s.weight", p, name), snprintf(bk, sizeof bk, "%s.%s", p, bn), \
     nl_conv_bn(net->ctx, s, ck, bk, ci, co, k, str, pad, 1, RESNET_BN_EPS, gamma, dst, e))
    if (net->bottleneck) {
        st = CONV("conv1", "bn1", cin, planes, 1, 1, 0, 1.0, &b->c1);
        if (st == FK_OK)
            st = CONV("conv2", "bn2", planes, planes, 3, stride, 1, 1.0, &b->c2);
        if (st == FK_OK)
            st = CONV("conv3", "bn3", planes, cout, 1, 1, 0, last_gamma, &b->c3);
    } else {
        st = CONV("conv1", "bn1", cin, planes, 3, stride, 1, 1.0, &b->c1);
        if (st == FK_OK)
            st = CONV("conv2", "bn2", planes, cout, 3, 1, 1, last_gamma, &b->c2);
    }
    b->has_down = stride != 1 || cin != cout;
    if (st == FK_OK && b->has_down)
        st = CONV("downsample.0", "downsample.1", cin, cout, 1, stride, 0, 1.0, &b->down);
#undef CONV
    return st;
}

fk_status resnet_load(rn_net *net, const char *weights_path, uint64_t seed, fk_error *e)
{
    nl_source s;
    fk_status st = nl_source_open(&s, net->label, weights_path, seed, e);
    if (st != FK_OK)
        return st;
    net->blk = calloc((size_t)net->n_blocks, sizeof *net->blk);
    if (!net->blk)
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", net->label);
    if (st == FK_OK)
        st = nl_conv_bn(net->ctx, &s, "conv1.weight", "bn1", 3, 64, 7, 2, 3, 1, RESNET_BN_EPS, 1.0,
                        &net->stem, e);
    int cin = 64, bi = 0;
    int expansion = net->bottleneck ? 4 : 1;
    for (int stage = 0; stage < 4 && st == FK_OK; stage++)
        for (int i = 0; i < net->blocks[stage] && st == FK_OK; i++) {
            int stride = (stage > 0 && i == 0) ? 2 : 1;
            st = load_block(net, &s, stage, i, cin, stride, &net->blk[bi++], e);
            cin = planes_of[stage] * expansion;
        }
    if (st == FK_OK)
        st = nl_linear(net->ctx, &s, "fc", 512 * expansion, RESNET_CLASSES, 0.01, &net->fc_w,
                       &net->fc_b, e);
    nl_source_close(&s);
    return st;
}

void resnet_free(rn_net *net)
{
    fkt_free(net->ctx);
    free(net->blk);
    net->ctx = NULL;
    net->blk = NULL;
}

static fkt_tensor *conv(fkt_ctx *c, const fkt_tensor *x, const nl_conv *k, int relu)
{
    return (relu ? fkt_conv2d_relu : fkt_conv2d)(c, x, k->w, k->b, k->stride, k->stride, k->pad,
                                                  k->pad, k->groups);
}

static fkt_tensor *block(fkt_ctx *c, int bottleneck, const rn_block *b, const fkt_tensor *x)
{
    fkt_tensor *y = conv(c, x, &b->c1, 1);
    if (bottleneck) {
        y = conv(c, y, &b->c2, 1);
        y = conv(c, y, &b->c3, 0);
    } else {
        y = conv(c, y, &b->c2, 0);
    }
    const fkt_tensor *shortcut = b->has_down ? conv(c, x, &b->down, 0) : x;
    return fkt_relu(c, fkt_add(c, y, shortcut));
}

/* Activation bytes one image keeps alive per input pixel at the most: the
 * pass settles after each block, so the largest block counts, with its
 * input and every tensor it makes (conv1 counted at the input's size). */
static double bytes_per_pixel(const rn_net *net)
{
    int expansion = net->bottleneck ? 4 : 1, cin = 64;
    double peak = 3.0 + 64.0 / 4 + 64.0 / 16; /* input, stem, max pool */
    for (int stage = 0; stage < 4; stage++) {
        double area = 1.0 / ((double)(4 << stage) * (4 << stage));
        double in_area = stage == 0 ? area : 4 * area;
        int planes = planes_of[stage], cout = planes * expansion;
        /* c1 (at the input's size in a bottleneck, whose stride is c2's),
         * c2, the last conv, downsample, add, ReLU; the stage's first block
         * reads cin at in_area, the others cout at area. */
        for (int first = 0; first < 2; first++) {
            double a_in = first ? in_area : area, ch_in = first ? cin : cout;
            double made = net->bottleneck ? planes * a_in + planes * area + 4.0 * cout * area
                                          : planes * area + 4.0 * cout * area;
            if (ch_in * a_in + made > peak)
                peak = ch_in * a_in + made;
        }
        cin = cout;
    }
    return 4.0 * peak;
}

/* The deepest stage an output needs (1..4), so a pass can stop early. */
static int stage_of(int k)
{
    switch (k) {
    case RN_LAYER1: return 1;
    case RN_LAYER2: return 2;
    case RN_LAYER3: return 3;
    default: return 4;
    }
}

static fk_status run_chunk(rn_net *net, const float *nchw, int n, int side, int last_stage,
                           const int want[RN_OUT_COUNT], float *const dst[RN_OUT_COUNT], fk_error *e)
{
    fkt_ctx *c = net->ctx;
    fkt_tensor *out[RN_OUT_COUNT] = {NULL};
    size_t mark = fkt_mark(c);
    int64_t shape[4] = {n, 3, side, side};
    fkt_tensor *x = fkt_from_f32(c, nchw, 4, shape);
    x = nl_settle(c, mark, conv(c, x, &net->stem, 1), out, RN_OUT_COUNT);
    x = nl_settle(c, mark, fkt_max_pool2d(c, x, 3, 2, 1), out, RN_OUT_COUNT);
    int bi = 0;
    for (int stage = 0; stage < last_stage; stage++) {
        for (int i = 0; i < net->blocks[stage]; i++)
            x = nl_settle(c, mark, block(c, net->bottleneck, &net->blk[bi++], x), out, RN_OUT_COUNT);
        if (stage < 3 && want[RN_LAYER1 + stage])
            out[RN_LAYER1 + stage] = fkt_global_avg_pool(c, x);
    }
    if (last_stage == 4) {
        out[RN_POOL] = fkt_global_avg_pool(c, x);
        if (want[RN_LOGITS])
            out[RN_LOGITS] = fkt_linear(c, out[RN_POOL], net->fc_w, net->fc_b);
    }
    for (int k = 0; k < RN_OUT_COUNT; k++)
        if (want[k])
            fkt_to_f32(c, out[k], dst[k], (int64_t)n * resnet_dim(net, k));
    fk_status st = fkt_status(c, e);
    fkt_release(c, mark);
    if (st != FK_OK) {
        /* The failure belonged to this batch; the parameters are intact. */
        fkt_clear_error(c);
        return fk_fail_prefix(e, "%s: forward pass on %d images of %dx%d", net->label, n, side, side);
    }
    return FK_OK;
}

fk_status resnet_forward(rn_net *net, const float *nchw, int n, int side, const int want[RN_OUT_COUNT],
                         float *const results[RN_OUT_COUNT], fk_error *e)
{
    int last_stage = 0;
    for (int k = 0; k < RN_OUT_COUNT; k++)
        if (want[k] && stage_of(k) > last_stage)
            last_stage = stage_of(k);
    if (side < 1)
        return fk_fail(e, FK_ERR_ARG, "%s: input side %d", net->label, side);
    int chunk = net->sub_batch > 0 ? net->sub_batch
                                   : nl_chunk(bytes_per_pixel(net), side, NL_ACTIVATION_BUDGET);
    for (int start = 0; start < n; start += chunk) {
        int m = n - start < chunk ? n - start : chunk;
        float *dst[RN_OUT_COUNT] = {NULL};
        for (int k = 0; k < RN_OUT_COUNT; k++)
            if (want[k])
                dst[k] = results[k] + (size_t)start * resnet_dim(net, k);
        fk_status st = run_chunk(net, nchw + (size_t)start * 3 * side * side, m, side, last_stage,
                                 want, dst, e);
        if (st != FK_OK)
            return st;
    }
    static const char *const names[RN_OUT_COUNT] = {"pool", "layer1", "layer2", "layer3", "logits"};
    for (int k = 0; k < RN_OUT_COUNT; k++)
        if (want[k]) {
            fk_status st = nl_check_finite(net->label, names[k], results[k], n, resnet_dim(net, k), e);
            if (st != FK_OK)
                return st;
        }
    return FK_OK;
}
