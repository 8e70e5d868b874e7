/* dinov2 — variants, and parameters from an official checkpoint (key layout
 * of dinov2/models/vision_transformer.py with block_chunks 0, as the hub
 * *_pretrain.pth files have it; mask_token is not used) or from a seeded
 * generator, folded as dinov2_net.h says. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dinov2_net.h"
#include "randfill.h"

static const dino_dims all_dims[] = {
    /* variant, embed, depth, heads, swiglu, registers (hub backbones.py) */
    {"vits14", 384, 12, 6, 0, 0},       {"vitb14", 768, 12, 12, 0, 0},
    {"vitl14", 1024, 24, 16, 0, 0},     {"vitg14", 1536, 40, 24, 1, 0},
    {"vits14_reg4", 384, 12, 6, 0, 4},  {"vitb14_reg4", 768, 12, 12, 0, 4},
    {"vitl14_reg4", 1024, 24, 16, 0, 4}, {"vitg14_reg4", 1536, 40, 24, 1, 4},
    /* for tests only: g/14's width, heads and SwiGLU FFN with 2 blocks, so
     * that the suite checks the g architecture at a size it can afford */
    {"vitg14_depth2_test", 1536, 2, 24, 1, 0},
};

const dino_dims *dino_dims_find(const char *variant)
{
    for (size_t i = 0; variant && i < sizeof all_dims / sizeof all_dims[0]; i++)
        if (!strcmp(all_dims[i].variant, variant))
            return &all_dims[i];
    return NULL;
}

int dino_hidden(const dino_dims *d)
{
    int h = 4 * d->embed;
    return d->swiglu ? ((h * 2 / 3) + 7) / 8 * 8 : h;
}

typedef struct src {
    fk_weights *w;
    fk_rng rng;
    const char *label;
} src;

static int64_t numel(int ndim, const int64_t *s)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= s[i];
    return n;
}

/* The tensor key, or random normal(0, std) values (constant when std == 0). */
static fk_status get(src *s, const char *key, int ndim, const int64_t *shape, double std,
                     double constant, float **out, fk_error *e)
{
    *out = NULL;
    if (s->w)
        return fk_weights_get_f32(s->w, key, ndim, shape, out, e);
    int64_t n = numel(ndim, shape);
    float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", s->label);
    rf_fill_normal(&s->rng, v, n, std, constant);
    *out = v;
    return FK_OK;
}

static fkt_tensor *own(fkt_ctx *c, float *v, int ndim, const int64_t *shape)
{
    fkt_tensor *t = fkt_from_f32(c, v, ndim, shape);
    free(v);
    return t;
}

static fk_status vec(dino_net *n, src *s, const char *key, int len, double constant,
                     fkt_tensor **out, fk_error *e)
{
    int64_t sh[1] = {len};
    float *v;
    fk_status st = get(s, key, 1, sh, 0, constant, &v, e);
    if (!st)
        *out = own(n->ctx, v, 1, sh);
    return st ? st : fkt_status(n->ctx, e);
}

/* Linear weight (out x in) and bias, rows scaled by rowscale[0..rows) when
 * given (LayerScale, attention scale). */
static fk_status linear(dino_net *n, src *s, const char *pfx, int in, int out, double std,
                        const float *rowscale, int rows, fkt_tensor **w, fkt_tensor **b,
                        fk_error *e)
{
    char key[160];
    int64_t ws[2] = {out, in}, bs[1] = {out};
    float *wv, *bv;
    snprintf(key, sizeof key, "%s.weight", pfx);
    fk_status st = get(s, key, 2, ws, std, 0, &wv, e);
    if (st)
        return st;
    snprintf(key, sizeof key, "%s.bias", pfx);
    if ((st = get(s, key, 1, bs, 0, 0, &bv, e))) {
        free(wv);
        return st;
    }
    for (int r = 0; rowscale && r < rows; r++) {
        for (int j = 0; j < in; j++)
            wv[(size_t)r * in + j] *= rowscale[r];
        bv[r] *= rowscale[r];
    }
    *w = own(n->ctx, wv, 2, ws);
    *b = own(n->ctx, bv, 1, bs);
    return fkt_status(n->ctx, e);
}

static fk_status layer(dino_net *n, src *s, int i, fk_error *e)
{
    const dino_dims *d = n->dims;
    const int D = d->embed, H = n->hidden, hd = D / d->heads;
    dino_block *b = &n->blocks[i];
    char p[128], k[160];
    int64_t vs[1] = {D};
    float *g1 = NULL, *g2 = NULL, *qs = NULL;
    fk_status st;
    snprintf(p, sizeof p, "blocks.%d", i);
    snprintf(k, sizeof k, "%s.ls1.gamma", p);
    if ((st = get(s, k, 1, vs, 0, 0.1, &g1, e)))
        goto done;
    snprintf(k, sizeof k, "%s.ls2.gamma", p);
    if ((st = get(s, k, 1, vs, 0, 0.1, &g2, e)))
        goto done;
    qs = malloc((size_t)D * sizeof *qs);
    if (!qs) {
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", n->label);
        goto done;
    }
    for (int j = 0; j < D; j++)
        qs[j] = (float)(1.0 / sqrt((double)hd));
    snprintf(k, sizeof k, "%s.norm1.weight", p);
    if ((st = vec(n, s, k, D, 1.0, &b->n1_w, e)))
        goto done;
    snprintf(k, sizeof k, "%s.norm1.bias", p);
    if ((st = vec(n, s, k, D, 0.0, &b->n1_b, e)))
        goto done;
    snprintf(k, sizeof k, "%s.attn.qkv", p);
    if ((st = linear(n, s, k, D, 3 * D, 0.02, qs, D, &b->qkv_w, &b->qkv_b, e)))
        goto done;
    snprintf(k, sizeof k, "%s.attn.proj", p);
    if ((st = linear(n, s, k, D, D, 0.02, g1, D, &b->proj_w, &b->proj_b, e)))
        goto done;
    snprintf(k, sizeof k, "%s.norm2.weight", p);
    if ((st = vec(n, s, k, D, 1.0, &b->n2_w, e)))
        goto done;
    snprintf(k, sizeof k, "%s.norm2.bias", p);
    if ((st = vec(n, s, k, D, 0.0, &b->n2_b, e)))
        goto done;
    snprintf(k, sizeof k, d->swiglu ? "%s.mlp.w12" : "%s.mlp.fc1", p);
    if ((st = linear(n, s, k, D, d->swiglu ? 2 * H : H, 0.02, NULL, 0, &b->fc1_w, &b->fc1_b, e)))
        goto done;
    snprintf(k, sizeof k, d->swiglu ? "%s.mlp.w3" : "%s.mlp.fc2", p);
    st = linear(n, s, k, H, D, 0.02, g2, D, &b->fc2_w, &b->fc2_b, e);
done:
    free(g1);
    free(g2);
    free(qs);
    return st;
}

/* Position embedding for this input: cls + pos[0] into the prefix, the
 * patch part interpolated (the variant's rule) plus the conv bias. */
static fk_status positions(dino_net *n, src *s, fk_error *e)
{
    const dino_dims *d = n->dims;
    const int D = d->embed, g = n->grid, R = d->registers;
    int M = DINO_TRAIN_GRID;
    if (s->w) { /* the file's own grid: any square one */
        const fk_array *a = fk_weights_find(s->w, "pos_embed");
        if (!a)
            return fk_fail(e, FK_ERR_FORMAT, "%s: no tensor 'pos_embed' in the weights file",
                           n->label);
        int64_t npos = a->ndim == 3 ? a->shape[1] : 0;
        M = npos > 1 ? (int)floor(sqrt((double)(npos - 1)) + 0.5) : 0;
        if (a->ndim != 3 || a->shape[0] != 1 || a->shape[2] != D || (int64_t)M * M + 1 != npos)
            return fk_fail(e, FK_ERR_FORMAT,
                           "%s: pos_embed must be (1, 1 + M*M, %d) for a square grid M", n->label, D);
    }
    int64_t ps[3] = {1, (int64_t)M * M + 1, D}, cs[3] = {1, 1, D}, rs[3] = {1, R, D},
            bs[1] = {D}, ts[2] = {(int64_t)g * g, D};
    float *pos = NULL, *cls = NULL, *reg = NULL, *bias = NULL, *table = NULL;
    fk_status st;
    if ((st = get(s, "pos_embed", 3, ps, 0.02, 0, &pos, e)) ||
        (st = get(s, "cls_token", 3, cs, 0.02, 0, &cls, e)) ||
        (R && (st = get(s, "register_tokens", 3, rs, 0.02, 0, &reg, e))) ||
        (st = get(s, "patch_embed.proj.bias", 1, bs, 0, 0, &bias, e)))
        goto done;
    n->prefix = malloc((size_t)(1 + R) * D * sizeof *n->prefix);
    table = malloc((size_t)g * g * D * sizeof *table);
    if (!n->prefix || !table) {
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", n->label);
        goto done;
    }
    for (int j = 0; j < D; j++)
        n->prefix[j] = cls[j] + pos[j];
    if (R) /* registers carry no position (inserted after it was added) */
        memcpy(n->prefix + D, reg, (size_t)R * D * sizeof *reg);
    /* non-register models: offset 0.1, no antialias; _reg4: offset 0, antialias */
    if ((st = dino_interp_pos(pos + D, M, D, g, R > 0, R > 0 ? 0.0 : 0.1, table, e)))
        goto done;
    for (int64_t i = 0; i < (int64_t)g * g; i++)
        for (int j = 0; j < D; j++)
            table[i * D + j] += bias[j];
    n->patch_pos = own(n->ctx, table, 2, ts);
    table = NULL;
    st = fkt_status(n->ctx, e);
done:
    free(pos);
    free(cls);
    free(reg);
    free(bias);
    free(table);
    return st;
}

fk_status dino_load(dino_net *n, const char *path, uint64_t seed, fk_error *e)
{
    const dino_dims *d = n->dims;
    const int D = d->embed;
    src s = {.label = n->label};
    fk_rng_seed(&s.rng, seed);
    fk_status st = FK_OK;
    if (path && (st = fk_weights_open(path, &s.w, e)))
        return fk_fail_prefix(e, "%s", n->label);
    if (s.w && !fk_weights_find(s.w, "patch_embed.proj.weight")) {
        st = fk_fail(e, FK_ERR_FORMAT,
                     "%s: %s holds no 'patch_embed.proj.weight': not a DINOv2 checkpoint in the "
                     "official key layout (cls_token, pos_embed, blocks.N...., norm)",
                     n->label, path);
        goto done;
    }
    if (s.w && d->registers && !fk_weights_find(s.w, "register_tokens")) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: %s has no register_tokens: use the variant without _reg4",
                     n->label, path);
        goto done;
    }
    if (s.w && !d->registers && fk_weights_find(s.w, "register_tokens")) {
        st = fk_fail(e, FK_ERR_FORMAT, "%s: %s has register_tokens: use the _reg4 variant", n->label,
                     path);
        goto done;
    }
    n->hidden = dino_hidden(d);
    int64_t cw[4] = {D, 3, DINO_PATCH, DINO_PATCH};
    float *v;
    if ((st = get(&s, "patch_embed.proj.weight", 4, cw, 1.0 / sqrt(3.0 * DINO_PATCH * DINO_PATCH),
                  0, &v, e)))
        goto done;
    n->patch_w = own(n->ctx, v, 4, cw);
    if ((st = positions(n, &s, e)))
        goto done;
    n->blocks = calloc((size_t)d->depth, sizeof *n->blocks);
    if (!n->blocks) {
        st = fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", n->label);
        goto done;
    }
    for (int i = 0; i < d->depth && !st; i++)
        st = layer(n, &s, i, e);
    if (!st && !(st = vec(n, &s, "norm.weight", D, 1.0, &n->norm_w, e)))
        st = vec(n, &s, "norm.bias", D, 0.0, &n->norm_b, e);
done:
    if (s.w)
        fk_weights_close(s.w);
    return st ? fk_fail_prefix(e, "%s", n->label) : FK_OK;
}

void dino_net_free(dino_net *n)
{
    if (!n)
        return;
    fkt_free(n->ctx);
    free(n->blocks);
    free(n->prefix);
    memset(n, 0, sizeof *n);
}
