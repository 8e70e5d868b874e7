/* clip — the forward passes (clip/model.py's VisionTransformer and
 * encode_text), written straight through over the sticky-error shim and
 * checked once per chunk. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clip_net.h"

/* Images and captions per internal pass: what a pass keeps alive (the shim
 * frees activations at the end of a chunk) stays bounded whatever batch the
 * host sends; every row is computed on its own, so results do not depend on
 * it. */
#define IMAGE_CHUNK 16
#define TEXT_CHUNK 32

/* nn.MultiheadAttention on (N, L, W) rows: packed q/k/v projection, scaled
 * dot products per head (mask added before the softmax), out projection. */
static fkt_tensor *attention(fkt_ctx *c, const clip_block *b, const fkt_tensor *x, int heads,
                             const fkt_tensor *mask)
{
    int64_t n = fkt_size(x, 0), L = fkt_size(x, 1), w = fkt_size(x, 2), hd = w / heads;
    int64_t split[4] = {n, L, heads, hd}, merged[3] = {n, L, w};
    static const int to_heads[4] = {0, 2, 1, 3}, to_keys[4] = {0, 2, 3, 1};
    fkt_tensor *qkv = fkt_linear(c, x, b->in_w, b->in_b);
    fkt_tensor *q = fkt_reshape(c, fkt_narrow(c, qkv, 2, 0, w), 4, split);
    fkt_tensor *k = fkt_reshape(c, fkt_narrow(c, qkv, 2, w, w), 4, split);
    fkt_tensor *v = fkt_reshape(c, fkt_narrow(c, qkv, 2, 2 * w, w), 4, split);
    q = fkt_scale(c, fkt_permute(c, q, 4, to_heads), 1.0 / sqrt((double)hd));
    k = fkt_permute(c, k, 4, to_keys);
    v = fkt_permute(c, v, 4, to_heads);
    fkt_tensor *s = fkt_matmul(c, q, k); /* N, H, L, L */
    if (mask)
        s = fkt_add(c, s, mask);
    fkt_tensor *o = fkt_matmul(c, fkt_softmax(c, s, 3), v); /* N, H, L, hd */
    o = fkt_reshape(c, fkt_contiguous(c, fkt_permute(c, o, 4, to_heads)), 3, merged);
    return fkt_linear(c, o, b->out_w, b->out_b);
}

/* ResidualAttentionBlock: x + attn(ln_1(x)), then + c_proj(QuickGELU(c_fc(ln_2(x)))),
 * QuickGELU(h) = h * sigmoid(1.702 h). The rows (n x L x W) live in host
 * memory between blocks so that each block's activations are freed before
 * the next one runs: ViT-L/14 keeps one block's worth, not 24. */
static fk_status transformer(fkt_ctx *c, const clip_tower *t, float *rows, int64_t n, int64_t L,
                             const fkt_tensor *mask, fk_error *e)
{
    int64_t shape[3] = {n, L, t->width};
    for (int i = 0; i < t->layers; i++) {
        const clip_block *b = &t->blocks[i];
        size_t mark = fkt_mark(c);
        fkt_tensor *x = fkt_from_f32(c, rows, 3, shape);
        fkt_tensor *h = fkt_layer_norm(c, x, b->ln1_w, b->ln1_b, 1e-5);
        x = fkt_add(c, x, attention(c, b, h, t->heads, mask));
        h = fkt_linear(c, fkt_layer_norm(c, x, b->ln2_w, b->ln2_b, 1e-5), b->fc_w, b->fc_b);
        h = fkt_mul(c, h, fkt_sigmoid(c, fkt_scale(c, h, 1.702)));
        x = fkt_add(c, x, fkt_linear(c, h, b->proj_w, b->proj_b));
        fk_status st = fkt_to_f32(c, x, rows, n * L * t->width);
        fkt_release(c, mark);
        if (st)
            return fkt_status(c, e) ? fkt_status(c, e) : fk_fail(e, st, "block %d: no result", i);
    }
    return FK_OK;
}

static fk_status check_rows(const char *label, const char *what, const float *rows, int n, int d,
                            fk_error *e)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            if (!isfinite(rows[(size_t)i * d + j]))
                return fk_fail(e, FK_ERR_NUMERIC, "%s: %s embedding of row %d is not finite", label,
                               what, i);
    return FK_OK;
}

fk_status clip_encode_image(clip_net *net, const float *nchw, int n, float *out, fk_error *e)
{
    const clip_dims *d = net->dims;
    if (!net->has_vision)
        return fk_fail(e, FK_ERR_ARG, "%s: the image encoder was not loaded (output 'image' not requested)",
                       net->label);
    fkt_ctx *c = net->ctx;
    int S = d->image_size, g = S / d->patch, w = d->vision_width;
    float *cls = malloc((size_t)IMAGE_CHUNK * w * sizeof *cls);
    float *rows = malloc((size_t)IMAGE_CHUNK * (g * g + 1) * w * sizeof *rows);
    if (!cls || !rows) {
        free(cls);
        free(rows);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", net->label);
    }
    fk_status st = FK_OK;
    for (int at = 0; at < n && !st; at += IMAGE_CHUNK) {
        int m = n - at < IMAGE_CHUNK ? n - at : IMAGE_CHUNK;
        for (int i = 0; i < m; i++)
            memcpy(cls + (size_t)i * w, net->class_host, (size_t)w * sizeof *cls);
        size_t mark = fkt_mark(c);
        int64_t xs[4] = {m, 3, S, S}, flat[3] = {m, w, (int64_t)g * g}, cs[3] = {m, 1, w};
        static const int tokens_last[3] = {0, 2, 1};
        fkt_tensor *x = fkt_from_f32(c, nchw + (size_t)at * 3 * S * S, 4, xs);
        x = fkt_conv2d(c, x, net->conv1_w, NULL, d->patch, d->patch, 0, 0, 1); /* N, W, g, g */
        x = fkt_permute(c, fkt_reshape(c, x, 3, flat), 3, tokens_last);     /* N, g*g, W */
        const fkt_tensor *parts[2] = {fkt_from_f32(c, cls, 3, cs), x};
        x = fkt_add(c, fkt_cat(c, parts, 2, 1), net->vpos);
        x = fkt_layer_norm(c, x, net->ln_pre_w, net->ln_pre_b, 1e-5);
        int64_t L = (int64_t)g * g + 1, ts[3] = {m, L, w};
        st = fkt_to_f32(c, x, rows, m * L * w);
        if (st == FK_OK)
            st = transformer(c, &net->vis, rows, m, L, NULL, e);
        if (st == FK_OK)
            x = fkt_from_f32(c, rows, 3, ts);
        x = fkt_layer_norm(c, fkt_select(c, x, 1, 0), net->ln_post_w, net->ln_post_b, 1e-5);
        x = fkt_matmul(c, x, net->vproj);
        if (st == FK_OK)
            st = fkt_to_f32(c, x, out + (size_t)at * d->embed, (int64_t)m * d->embed);
        if (st == FK_OK)
            st = fkt_status(c, e);
        else
            fkt_status(c, e);
        fkt_release(c, mark);
    }
    free(cls);
    free(rows);
    if (st) {
        fkt_clear_error(c);
        return fk_fail_prefix(e, "%s: image encoder", net->label);
    }
    return check_rows(net->label, "image", out, n, d->embed, e);
}

fk_status clip_encode_text(clip_net *net, const int32_t *tokens, int n, int ctx, float *out,
                           fk_error *e)
{
    const clip_dims *d = net->dims;
    if (!net->has_text)
        return fk_fail(e, FK_ERR_ARG, "%s: the text encoder was not loaded (output 'text' not requested)",
                       net->label);
    if (ctx != d->context)
        return fk_fail(e, FK_ERR_ARG, "%s: token rows of %d ids, the model's context is %d",
                       net->label, ctx, d->context);
    for (int64_t i = 0; i < (int64_t)n * ctx; i++)
        if (tokens[i] < 0 || tokens[i] >= d->vocab)
            return fk_fail(e, FK_ERR_ARG, "%s: token id %d (row %d) outside the vocabulary 0..%d",
                           net->label, tokens[i], (int)(i / ctx), d->vocab - 1);
    fkt_ctx *c = net->ctx;
    int w = d->text_width;
    float *emb = malloc((size_t)TEXT_CHUNK * ctx * w * sizeof *emb);
    float *hid = malloc((size_t)TEXT_CHUNK * ctx * w * sizeof *hid);
    float *eot = malloc((size_t)TEXT_CHUNK * w * sizeof *eot);
    fk_status st = emb && hid && eot ? FK_OK : fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", net->label);
    for (int at = 0; at < n && !st; at += TEXT_CHUNK) {
        int m = n - at < TEXT_CHUNK ? n - at : TEXT_CHUNK;
        const int32_t *rows = tokens + (size_t)at * ctx;
        for (int64_t i = 0; i < (int64_t)m * ctx; i++)
            memcpy(emb + i * w, net->tok_emb + (size_t)rows[i] * w, (size_t)w * sizeof *emb);
        size_t mark = fkt_mark(c);
        int64_t xs[3] = {m, ctx, w}, es[2] = {m, w};
        fkt_tensor *x = fkt_add(c, fkt_from_f32(c, emb, 3, xs), net->tpos);
        st = fkt_to_f32(c, x, hid, (int64_t)m * ctx * w);
        if (st == FK_OK)
            st = transformer(c, &net->txt, hid, m, ctx, net->mask, e);
        if (st == FK_OK) {
            x = fkt_layer_norm(c, fkt_from_f32(c, hid, 3, xs), net->ln_final_w, net->ln_final_b, 1e-5);
            st = fkt_to_f32(c, x, hid, (int64_t)m * ctx * w);
        }
        /* The sequence's features are read at its end token: the first
         * position holding the row's largest id, as torch's argmax. */
        for (int i = 0; st == FK_OK && i < m; i++) {
            int best = 0;
            for (int j = 1; j < ctx; j++)
                if (rows[(size_t)i * ctx + j] > rows[(size_t)i * ctx + best])
                    best = j;
            memcpy(eot + (size_t)i * w, hid + ((size_t)i * ctx + best) * w, (size_t)w * sizeof *eot);
        }
        if (st == FK_OK) {
            x = fkt_matmul(c, fkt_from_f32(c, eot, 2, es), net->tproj);
            st = fkt_to_f32(c, x, out + (size_t)at * d->embed, (int64_t)m * d->embed);
        }
        if (st == FK_OK)
            st = fkt_status(c, e);
        else
            fkt_status(c, e);
        fkt_release(c, mark);
    }
    free(emb);
    free(hid);
    free(eot);
    if (st) {
        fkt_clear_error(c);
        return fk_fail_prefix(e, "%s: text encoder", net->label);
    }
    return check_rows(net->label, "text", out, n, d->embed, e);
}
