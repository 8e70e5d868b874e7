/* dinov2 — the forward pass (DinoVisionTransformer.forward_features, eval
 * mode): patch conv, tokens [cls, registers, patches] with positions,
 * pre-norm blocks with LayerScale (folded at load), final LayerNorm.
 * Written straight through over the sticky-error shim; the residual stream
 * stays in torch between blocks and each half block's intermediates are
 * freed with fkt_release_except. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dinov2_net.h"

/* Images per internal pass: bounds what a pass keeps alive (ViT-L/14 at 224,
 * 32 images: ~0.6 GB of activations at the widest point) whatever batch the
 * host sends; each row is computed on its own, so results do not depend on
 * it. */
#define IMAGE_CHUNK 32
#define LN_EPS 1e-6

static fkt_tensor *attention(fkt_ctx *c, const dino_block *b, const fkt_tensor *x, int heads)
{
    int64_t n = fkt_size(x, 0), L = fkt_size(x, 1), w = fkt_size(x, 2), hd = w / heads;
    int64_t split[4] = {n, L, heads, hd}, merged[3] = {n, L, w};
    static const int to_heads[4] = {0, 2, 1, 3}, to_keys[4] = {0, 2, 3, 1};
    fkt_tensor *qkv = fkt_linear(c, x, b->qkv_w, b->qkv_b); /* q rows pre-scaled */
    fkt_tensor *q = fkt_permute(c, fkt_reshape(c, fkt_narrow(c, qkv, 2, 0, w), 4, split), 4, to_heads);
    fkt_tensor *k = fkt_permute(c, fkt_reshape(c, fkt_narrow(c, qkv, 2, w, w), 4, split), 4, to_keys);
    fkt_tensor *v = fkt_permute(c, fkt_reshape(c, fkt_narrow(c, qkv, 2, 2 * w, w), 4, split), 4, to_heads);
    fkt_tensor *o = fkt_matmul(c, fkt_softmax(c, fkt_matmul(c, q, k), 3), v); /* N, H, L, hd */
    o = fkt_reshape(c, fkt_contiguous(c, fkt_permute(c, o, 4, to_heads)), 3, merged);
    return fkt_linear(c, o, b->proj_w, b->proj_b); /* ls1 folded in */
}

static fkt_tensor *ffn(fkt_ctx *c, const dino_net *net, const dino_block *b, const fkt_tensor *x)
{
    fkt_tensor *h = fkt_linear(c, x, b->fc1_w, b->fc1_b);
    if (net->dims->swiglu) { /* SwiGLUFFNFused: silu(x1) * x2, x1 first */
        int H = net->hidden;
        fkt_tensor *x1 = fkt_narrow(c, h, 2, 0, H), *x2 = fkt_narrow(c, h, 2, H, H);
        h = fkt_mul(c, fkt_mul(c, x1, fkt_sigmoid(c, x1)), x2);
    } else {
        h = fkt_gelu(c, h); /* nn.GELU: the exact erf form */
    }
    return fkt_linear(c, h, b->fc2_w, b->fc2_b); /* ls2 folded in */
}

static fk_status chunk(dino_net *net, const float *nchw, int m, float *prefix_rows, float *cls,
                       float *pmean, float *tokens, fk_error *e)
{
    const dino_dims *d = net->dims;
    fkt_ctx *c = net->ctx;
    const int S = net->size, g = net->grid, D = d->embed, R = d->registers;
    const int64_t P = (int64_t)g * g, L = 1 + R + P;
    size_t mark = fkt_mark(c);
    int64_t xs[4] = {m, 3, S, S}, flat[3] = {m, D, P}, ps[3] = {m, 1 + R, D};
    static const int tokens_last[3] = {0, 2, 1};
    fkt_tensor *x = fkt_from_f32(c, nchw, 4, xs);
    x = fkt_conv2d(c, x, net->patch_w, NULL, DINO_PATCH, DINO_PATCH, 0, 0, 1); /* N, D, g, g */
    x = fkt_add(c, fkt_permute(c, fkt_reshape(c, x, 3, flat), 3, tokens_last), net->patch_pos);
    const fkt_tensor *parts[2] = {fkt_from_f32(c, prefix_rows, 3, ps), x};
    x = fkt_cat(c, parts, 2, 1); /* N, L, D */
    /* Only the residual stream outlives each half block: everything made
     * after the chunk's mark but x is freed, so ViT-L/14 holds one x and
     * one half block's intermediates, not 24 blocks' worth. */
    fkt_release_except(c, mark, &x, 1);
    for (int i = 0; i < d->depth; i++) {
        const dino_block *b = &net->blocks[i];
        x = fkt_add(c, x, attention(c, b, fkt_layer_norm(c, x, b->n1_w, b->n1_b, LN_EPS), d->heads));
        fkt_release_except(c, mark, &x, 1);
        x = fkt_add(c, x, ffn(c, net, b, fkt_layer_norm(c, x, b->n2_w, b->n2_b, LN_EPS)));
        fkt_release_except(c, mark, &x, 1);
    }
    fk_status st = FK_OK;
    if (pmean) { /* every token normalised; the mean of the patch tokens in double */
        x = fkt_layer_norm(c, x, net->norm_w, net->norm_b, LN_EPS);
        st = fkt_to_f32(c, x, tokens, (int64_t)m * L * D);
        for (int i = 0; !st && i < m; i++) {
            const float *t = tokens + (size_t)i * L * D;
            if (cls)
                memcpy(cls + (size_t)i * D, t, (size_t)D * sizeof *cls);
            for (int j = 0; j < D; j++) {
                double s = 0;
                for (int64_t p = 1 + R; p < L; p++)
                    s += t[p * D + j];
                pmean[(size_t)i * D + j] = (float)(s / (double)P);
            }
        }
    } else { /* LayerNorm is per token: only the class token's is needed */
        x = fkt_layer_norm(c, fkt_select(c, x, 1, 0), net->norm_w, net->norm_b, LN_EPS);
        st = fkt_to_f32(c, x, cls, (int64_t)m * D);
    }
    fk_status cs = fkt_status(c, e);
    fkt_release(c, mark);
    return cs ? cs : st;
}

fk_status dino_forward(dino_net *net, const float *nchw, int n, float *cls, float *pmean,
                       fk_error *e)
{
    const dino_dims *d = net->dims;
    const int S = net->size, D = d->embed, R = d->registers;
    const size_t L = 1 + (size_t)R + (size_t)net->grid * net->grid;
    const int cap = n < IMAGE_CHUNK ? n : IMAGE_CHUNK;
    float *prefix = malloc((size_t)cap * (1 + R) * D * sizeof *prefix);
    float *tokens = pmean ? malloc((size_t)cap * L * D * sizeof *tokens) : NULL;
    if (!prefix || (pmean && !tokens)) {
        free(prefix);
        free(tokens);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", net->label);
    }
    for (int i = 0; i < cap; i++)
        memcpy(prefix + (size_t)i * (1 + R) * D, net->prefix, (size_t)(1 + R) * D * sizeof *prefix);
    fk_status st = FK_OK;
    for (int at = 0; at < n && !st; at += IMAGE_CHUNK) {
        int m = n - at < IMAGE_CHUNK ? n - at : IMAGE_CHUNK;
        st = chunk(net, nchw + (size_t)at * 3 * S * S, m, prefix, cls ? cls + (size_t)at * D : NULL,
                   pmean ? pmean + (size_t)at * D : NULL, tokens, e);
    }
    free(prefix);
    free(tokens);
    if (st) {
        fkt_clear_error(net->ctx);
        return fk_fail_prefix(e, "%s", net->label);
    }
    for (int o = 0; o < 2; o++) {
        const float *rows = o ? pmean : cls;
        for (size_t i = 0; rows && i < (size_t)n * D; i++)
            if (!isfinite(rows[i]))
                return fk_fail(e, FK_ERR_NUMERIC, "%s: %s feature of image %zu is not finite",
                               net->label, o ? "patch_mean" : "cls", i / D);
    }
    return FK_OK;
}
