/* The Inception-v3 forward pass, written straight through on the torch shim:
 * a shim error makes every later call a no-op, so the pass is checked once at
 * the end. Layers are taken in definition order through a cursor, the order
 * inception_layers() lists them in. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "inception_net.h"
#include "netload.h"

typedef struct pass {
    inc_net *net;
    fkt_ctx *c;
    size_t mark;              /* the arena before the pass */
    int next;                 /* cursor into net->conv */
    /* what settle() keeps: the outputs taken so far, then the sFID map
     * (Mixed_6d.branch1x1) */
    fkt_tensor *held[OUT_COUNT + 1];
} pass;

#define SPATIAL_MAP OUT_COUNT

/* Settled after each block (nl_settle), a pass holds one block's
 * activations rather than the network's. At batch 16 the activations took
 * ~1 GB; now ~0.3 GB (peak resident memory 1.40 GB -> 0.69 GB, of which
 * 0.39 GB is torch, weights and inputs). */
static fkt_tensor *settle(pass *p, fkt_tensor *x)
{
    return nl_settle(p->c, p->mark, x, p->held, OUT_COUNT + 1);
}

/* BasicConv2d with its batch norm folded: conv + bias + ReLU. */
static fkt_tensor *basic(pass *p, const fkt_tensor *x)
{
    if (p->next >= p->net->n_layers)
        return NULL; /* caught by the cursor check at the end */
    const inc_conv *k = &p->net->conv[p->next++];
    return fkt_conv2d_relu(p->c, x, k->w, k->b, k->stride, k->stride, k->ph, k->pw, 1);
}

/* The pool branch's pooling: the FID network (TF's graph) averages without
 * the zero padding; torchvision counts it. */
static fkt_tensor *pool_branch(pass *p, const fkt_tensor *x)
{
    int exclude_pad = p->net->variant == VARIANT_FID;
    return fkt_avg_pool2d(p->c, x, 3, 1, 1, !exclude_pad);
}

static fkt_tensor *cat4(pass *p, fkt_tensor *a, fkt_tensor *b, fkt_tensor *c, fkt_tensor *d)
{
    const fkt_tensor *xs[4] = {a, b, c, d};
    return fkt_cat(p->c, xs, d ? 4 : 3, 1);
}

static fkt_tensor *cat2(pass *p, fkt_tensor *a, fkt_tensor *b)
{
    const fkt_tensor *xs[2] = {a, b};
    return fkt_cat(p->c, xs, 2, 1);
}

static fkt_tensor *block_a(pass *p, const fkt_tensor *x)
{
    fkt_tensor *b1 = basic(p, x);
    fkt_tensor *b5 = basic(p, basic(p, x));
    fkt_tensor *b3 = basic(p, basic(p, basic(p, x)));
    fkt_tensor *bp = basic(p, pool_branch(p, x));
    return cat4(p, b1, b5, b3, bp);
}

static fkt_tensor *block_b(pass *p, const fkt_tensor *x)
{
    fkt_tensor *b3 = basic(p, x);
    fkt_tensor *bd = basic(p, basic(p, basic(p, x)));
    fkt_tensor *bp = fkt_max_pool2d(p->c, x, 3, 2, 0);
    return cat4(p, b3, bd, bp, NULL);
}

static fkt_tensor *block_c(pass *p, const fkt_tensor *x, int keep_spatial)
{
    fkt_tensor *b1 = basic(p, x);
    if (keep_spatial)
        p->held[SPATIAL_MAP] = b1;
    fkt_tensor *b7 = basic(p, basic(p, basic(p, x)));
    fkt_tensor *bd = basic(p, basic(p, basic(p, basic(p, basic(p, x)))));
    fkt_tensor *bp = basic(p, pool_branch(p, x));
    return cat4(p, b1, b7, bd, bp);
}

static fkt_tensor *block_d(pass *p, const fkt_tensor *x)
{
    fkt_tensor *b3 = basic(p, basic(p, x));
    fkt_tensor *b7 = basic(p, basic(p, basic(p, basic(p, x))));
    fkt_tensor *bp = fkt_max_pool2d(p->c, x, 3, 2, 0);
    return cat4(p, b3, b7, bp, NULL);
}

/* last: Mixed_7c, whose pool branch the FID network max-pools. */
static fkt_tensor *block_e(pass *p, const fkt_tensor *x, int last)
{
    fkt_tensor *b1 = basic(p, x);
    fkt_tensor *t = basic(p, x);
    fkt_tensor *b3a = basic(p, t);
    fkt_tensor *b3 = cat2(p, b3a, basic(p, t));
    fkt_tensor *u = basic(p, basic(p, x));
    fkt_tensor *bda = basic(p, u);
    fkt_tensor *bd = cat2(p, bda, basic(p, u));
    fkt_tensor *pooled = last && p->net->variant == VARIANT_FID ? fkt_max_pool2d(p->c, x, 3, 1, 1)
                                                                 : pool_branch(p, x);
    fkt_tensor *bp = basic(p, pooled);
    return cat4(p, b1, b3, bd, bp);
}

/* The deepest stage an output needs, so the pass can stop early. */
static int stage_of(int k)
{
    switch (k) {
    case OUT_BLOCK64: return 1;
    case OUT_BLOCK192: return 2;
    case OUT_SPATIAL: return 3;
    case OUT_BLOCK768: return 4;
    default: return 5;
    }
}

static int dim_of(const inc_net *net, int k)
{
    switch (k) {
    case OUT_POOL3: return 2048;
    case OUT_BLOCK64: return 64;
    case OUT_BLOCK192: return 192;
    case OUT_BLOCK768: return 768;
    case OUT_LOGITS:
    case OUT_LOGITS_UNBIASED: return net->n_classes;
    case OUT_SPATIAL: return 17 * 17 * 7;
    default: return 0;
    }
}

/* sFID features (the ADM evaluator's mixed_6/conv): the first 7 channels of
 * the 17x17 map, flattened in (h, w, c) order. */
static fkt_tensor *spatial_features(pass *p, int n)
{
    static const int nhwc[4] = {0, 2, 3, 1};
    int64_t shape[2] = {n, 17 * 17 * 7};
    fkt_tensor *first7 = fkt_narrow(p->c, p->held[SPATIAL_MAP], 1, 0, 7);
    return fkt_reshape(p->c, fkt_permute(p->c, first7, 4, nhwc), 2, shape);
}

fk_status inception_forward(inc_net *net, const float *nchw, int n, int side,
                            const int want[OUT_COUNT], float *const results[OUT_COUNT], fk_error *e)
{
    fkt_ctx *c = net->ctx;
    pass p = {.net = net, .c = c, .mark = fkt_mark(c)};
    fkt_tensor **out = p.held;
    int stage = 0;
    for (int k = 0; k < OUT_COUNT; k++)
        if (want[k] && stage_of(k) > stage)
            stage = stage_of(k);

    int64_t shape[4] = {n, 3, side, side};
    fkt_tensor *x = fkt_from_f32(c, nchw, 4, shape);

    x = settle(&p, basic(&p, x));
    x = settle(&p, basic(&p, x));
    x = settle(&p, basic(&p, x));
    x = settle(&p, fkt_max_pool2d(c, x, 3, 2, 0));
    out[OUT_BLOCK64] = fkt_global_avg_pool(c, x);
    if (stage >= 2) {
        x = settle(&p, basic(&p, x));
        x = settle(&p, basic(&p, x));
        x = settle(&p, fkt_max_pool2d(c, x, 3, 2, 0));
        out[OUT_BLOCK192] = fkt_global_avg_pool(c, x);
    }
    if (stage >= 3) {
        x = settle(&p, block_a(&p, x));
        x = settle(&p, block_a(&p, x));
        x = settle(&p, block_a(&p, x));
        x = settle(&p, block_b(&p, x));
        x = settle(&p, block_c(&p, x, 0));
        x = settle(&p, block_c(&p, x, 0));
        x = settle(&p, block_c(&p, x, 1));
        if (want[OUT_SPATIAL])
            out[OUT_SPATIAL] = spatial_features(&p, n);
        p.held[SPATIAL_MAP] = NULL;
    }
    if (stage >= 4) {
        x = settle(&p, block_c(&p, x, 0));
        out[OUT_BLOCK768] = fkt_global_avg_pool(c, x);
    }
    if (stage >= 5) {
        x = settle(&p, block_d(&p, x));
        x = settle(&p, block_e(&p, x, 0));
        x = settle(&p, block_e(&p, x, 1));
        out[OUT_POOL3] = fkt_global_avg_pool(c, x);
        out[OUT_LOGITS] = fkt_linear(c, out[OUT_POOL3], net->fc_w, net->fc_b);
        out[OUT_LOGITS_UNBIASED] = fkt_linear(c, out[OUT_POOL3], net->fc_w, NULL);
        if (p.next != net->n_layers && fkt_status(c, NULL) == FK_OK) {
            fkt_release(c, p.mark);
            return fk_fail(e, FK_ERR_INTERNAL, "%s: the forward pass used %d of %d layers", net->label,
                           p.next, net->n_layers);
        }
    }
    for (int k = 0; k < OUT_COUNT; k++)
        if (want[k])
            fkt_to_f32(c, out[k], results[k], (int64_t)n * dim_of(net, k));

    fk_status st = fkt_status(c, e);
    fkt_release(c, p.mark);
    if (st != FK_OK) {
        /* The failure belonged to this batch; the parameters are intact. */
        fkt_clear_error(c);
        return fk_fail_prefix(e, "%s: forward pass on %d images of %dx%d", net->label, n, side, side);
    }
    for (int k = 0; k < OUT_COUNT; k++) {
        if (!want[k])
            continue;
        int64_t m = (int64_t)n * dim_of(net, k);
        for (int64_t i = 0; i < m; i++)
            if (!isfinite(results[k][i]))
                return fk_fail(e, FK_ERR_NUMERIC, "%s: non-finite feature %g in image %lld, value %lld",
                               net->label, (double)results[k][i], (long long)(i / dim_of(net, k)),
                               (long long)(i % dim_of(net, k)));
    }
    return FK_OK;
}
