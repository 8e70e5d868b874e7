/* clip — variants, and parameters from a file or a seeded generator, mapped
 * onto one internal layout (clip_net.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip_net.h"
#include "randfill.h"

static const clip_dims all_dims[] = {
    /* variant, image, patch, vision width, layers, embed, text width, layers, ctx, vocab */
    {"vit-b-32", 224, 32, 768, 12, 512, 512, 12, 77, 49408},
    {"vit-b-16", 224, 16, 768, 12, 512, 512, 12, 77, 49408},
    {"vit-l-14", 224, 14, 1024, 24, 768, 768, 12, 77, 49408},
    /* CMMD's network: ViT-L/14 fine-tuned at 336 px (24 x 24 patches) */
    {"vit-l-14-336", 336, 14, 1024, 24, 768, 768, 12, 77, 49408},
    /* for tests only: the same architecture at a size a test writes in a
     * second (two heads per attention) */
    {"vit-tiny-test", 224, 32, 128, 2, 64, 128, 2, 77, 49408},
};

const clip_dims *clip_dims_find(const char *variant)
{
    for (size_t i = 0; variant && i < sizeof all_dims / sizeof all_dims[0]; i++)
        if (!strcmp(all_dims[i].variant, variant))
            return &all_dims[i];
    return NULL;
}

/* ---- sources ---------------------------------------------------------- */

static int has_key(const clip_source *s, const char *key)
{
    if (s->w)
        return fk_weights_find(s->w, key) != NULL;
    if (s->jit)
        return fkt_jit_params_find(s->jit, key) >= 0;
    return 0;
}

fk_status clip_source_open(clip_source *s, const char *label, const char *path, uint64_t seed,
                           fk_error *e)
{
    memset(s, 0, sizeof *s);
    snprintf(s->label, sizeof s->label, "%s", label);
    s->path = path;
    fk_rng_seed(&s->rng, seed);
    if (!path)
        return FK_OK;
    fk_status st = fk_weights_open(path, &s->w, e);
    /* OpenAI publishes CLIP only as TorchScript archives, which core's
     * reader refuses by design: libtorch reads those. */
    if (st == FK_ERR_UNSUPPORTED) {
        s->w = NULL;
        st = fkt_jit_params_open(path, &s->jit, e);
    }
    if (st)
        return fk_fail_prefix(e, "%s", label);
    if (has_key(s, "vision_model.embeddings.patch_embedding.weight") ||
        has_key(s, "text_model.embeddings.token_embedding.weight"))
        s->hf = 1;
    else if (!has_key(s, "visual.conv1.weight") && !has_key(s, "token_embedding.weight")) {
        clip_source_close(s);
        return fk_fail(e, FK_ERR_FORMAT,
                       "%s: %s holds neither OpenAI CLIP keys (visual.conv1.weight, "
                       "token_embedding.weight) nor Hugging Face CLIPModel keys "
                       "(vision_model.embeddings.patch_embedding.weight, ...)",
                       label, path);
    }
    return FK_OK;
}

void clip_source_close(clip_source *s)
{
    if (s->w)
        fk_weights_close(s->w);
    if (s->jit)
        fkt_jit_params_close(s->jit);
    s->w = NULL;
    s->jit = NULL;
}

static fk_status read_key(clip_source *s, const char *key, int ndim, const int64_t *shape,
                          float **out, fk_error *e)
{
    if (s->w)
        return fk_weights_get_f32(s->w, key, ndim, shape, out, e);
    return fkt_jit_params_get_f32(s->jit, key, ndim, shape, out, e);
}

static int64_t numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

/* A parameter of the internal layout: the OpenAI key, or the Hugging Face
 * key (transposed when hf_transposed: HF stores the projections as Linear
 * weights, E x W, where OpenAI keeps W x E matrices), or random values
 * normal(0, std) (constant everywhere when std == 0). */
static fk_status param(clip_source *s, const char *oa_key, const char *hf_key, int hf_transposed,
                       int ndim, const int64_t *shape, double std, double constant, float **out,
                       fk_error *e)
{
    *out = NULL;
    int64_t n = numel(ndim, shape);
    if (!s->w && !s->jit) {
        float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
        if (!v)
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", s->label);
        rf_fill_normal(&s->rng, v, n, std, constant);
        *out = v;
        return FK_OK;
    }
    if (!s->hf)
        return read_key(s, oa_key, ndim, shape, out, e);
    if (!hf_transposed)
        return read_key(s, hf_key, ndim, shape, out, e);
    int64_t tshape[2] = {shape[1], shape[0]};
    float *t;
    fk_status st = read_key(s, hf_key, 2, tshape, &t, e);
    if (st)
        return st;
    float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v) {
        free(t);
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", s->label);
    }
    for (int64_t i = 0; i < shape[0]; i++)
        for (int64_t j = 0; j < shape[1]; j++)
            v[i * shape[1] + j] = t[j * shape[0] + i];
    free(t);
    *out = v;
    return FK_OK;
}

/* The packed q/k/v projection: OpenAI's attn.in_proj_weight (3W x W) and
 * in_proj_bias (3W), or HF's q_proj, k_proj, v_proj stacked in that order. */
static fk_status in_proj(clip_source *s, const char *oa, const char *hf, int w, int bias,
                         double std, float **out, fk_error *e)
{
    char key[256];
    int64_t shape[2] = {3 * (int64_t)w, w};
    int ndim = bias ? 1 : 2;
    *out = NULL;
    if (!s->hf || (!s->w && !s->jit)) {
        snprintf(key, sizeof key, "%s.attn.in_proj_%s", oa, bias ? "bias" : "weight");
        return param(s, key, NULL, 0, ndim, shape, bias ? 0 : std, 0, out, e);
    }
    int64_t part = bias ? w : (int64_t)w * w;
    float *v = malloc((size_t)(3 * part) * sizeof *v);
    if (!v)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", s->label);
    static const char *const qkv[3] = {"q_proj", "k_proj", "v_proj"};
    int64_t pshape[2] = {w, w};
    for (int i = 0; i < 3; i++) {
        float *t;
        snprintf(key, sizeof key, "%s.self_attn.%s.%s", hf, qkv[i], bias ? "bias" : "weight");
        fk_status st = read_key(s, key, ndim, pshape, &t, e);
        if (st) {
            free(v);
            return st;
        }
        memcpy(v + i * part, t, (size_t)part * sizeof *v);
        free(t);
    }
    *out = v;
    return FK_OK;
}

/* Host values into a context tensor; frees the host copy either way. */
static fkt_tensor *to_tensor(fkt_ctx *ctx, float *v, int ndim, const int64_t *shape)
{
    fkt_tensor *t = fkt_from_f32(ctx, v, ndim, shape);
    free(v);
    return t;
}

static fk_status tensor_param(clip_net *n, clip_source *s, const char *oa, const char *hf,
                              int hf_transposed, int ndim, const int64_t *shape, double std,
                              double constant, fkt_tensor **out, fk_error *e)
{
    float *v;
    fk_status st = param(s, oa, hf, hf_transposed, ndim, shape, std, constant, &v, e);
    if (st)
        return st;
    *out = to_tensor(n->ctx, v, ndim, shape);
    return fkt_status(n->ctx, e);
}

/* Layer norm: weight 1, bias 0 when random. */
static fk_status ln_param(clip_net *n, clip_source *s, const char *oa, const char *hf, int w,
                          fkt_tensor **g, fkt_tensor **b, fk_error *e)
{
    char ko[256], kh[256];
    int64_t shape[1] = {w};
    snprintf(ko, sizeof ko, "%s.weight", oa);
    snprintf(kh, sizeof kh, "%s.weight", hf);
    fk_status st = tensor_param(n, s, ko, kh, 0, 1, shape, 0, 1.0, g, e);
    if (st)
        return st;
    snprintf(ko, sizeof ko, "%s.bias", oa);
    snprintf(kh, sizeof kh, "%s.bias", hf);
    return tensor_param(n, s, ko, kh, 0, 1, shape, 0, 0.0, b, e);
}

/* Linear layer (out x in weight, out bias): zero bias when random. */
static fk_status lin_param(clip_net *n, clip_source *s, const char *oa, const char *hf, int in,
                           int out, double std, fkt_tensor **w, fkt_tensor **b, fk_error *e)
{
    char ko[256], kh[256];
    int64_t shape[2] = {out, in};
    snprintf(ko, sizeof ko, "%s.weight", oa);
    snprintf(kh, sizeof kh, "%s.weight", hf);
    fk_status st = tensor_param(n, s, ko, kh, 0, 2, shape, std, 0, w, e);
    if (st)
        return st;
    snprintf(ko, sizeof ko, "%s.bias", oa);
    snprintf(kh, sizeof kh, "%s.bias", hf);
    return tensor_param(n, s, ko, kh, 0, 1, shape, 0, 0.0, b, e);
}

/* Random initialisation follows CLIP's initialize_parameters: attention
 * in_proj std W^-1/2, out_proj and c_proj W^-1/2 (2L)^-1/2, c_fc (2W)^-1/2. */
static fk_status load_tower(clip_net *n, clip_source *s, const char *oa_prefix,
                            const char *hf_prefix, int width, int layers, clip_tower *t, fk_error *e)
{
    t->width = width;
    t->layers = layers;
    t->heads = width / 64 > 0 ? width / 64 : 1;
    t->blocks = calloc((size_t)layers, sizeof *t->blocks);
    if (!t->blocks)
        return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", n->label);
    double attn_std = 1.0 / sqrt(width), proj_std = attn_std / sqrt(2.0 * layers),
           fc_std = 1.0 / sqrt(2.0 * width);
    fk_status st = FK_OK;
    for (int i = 0; i < layers && !st; i++) {
        clip_block *b = &t->blocks[i];
        char oa[160], hf[160], ko[224], kh[224];
        snprintf(oa, sizeof oa, "%s.resblocks.%d", oa_prefix, i);
        snprintf(hf, sizeof hf, "%s.layers.%d", hf_prefix, i);
        float *v;
        int64_t wshape[2] = {3 * (int64_t)width, width};
        snprintf(ko, sizeof ko, "%s.ln_1", oa);
        snprintf(kh, sizeof kh, "%s.layer_norm1", hf);
        if ((st = ln_param(n, s, ko, kh, width, &b->ln1_w, &b->ln1_b, e)))
            break;
        if ((st = in_proj(s, oa, hf, width, 0, attn_std, &v, e)))
            break;
        b->in_w = to_tensor(n->ctx, v, 2, wshape);
        if ((st = in_proj(s, oa, hf, width, 1, 0, &v, e)))
            break;
        b->in_b = to_tensor(n->ctx, v, 1, wshape);
        snprintf(ko, sizeof ko, "%s.attn.out_proj", oa);
        snprintf(kh, sizeof kh, "%s.self_attn.out_proj", hf);
        if ((st = lin_param(n, s, ko, kh, width, width, proj_std, &b->out_w, &b->out_b, e)))
            break;
        snprintf(ko, sizeof ko, "%s.ln_2", oa);
        snprintf(kh, sizeof kh, "%s.layer_norm2", hf);
        if ((st = ln_param(n, s, ko, kh, width, &b->ln2_w, &b->ln2_b, e)))
            break;
        snprintf(ko, sizeof ko, "%s.mlp.c_fc", oa);
        snprintf(kh, sizeof kh, "%s.mlp.fc1", hf);
        if ((st = lin_param(n, s, ko, kh, width, 4 * width, fc_std, &b->fc_w, &b->fc_b, e)))
            break;
        snprintf(ko, sizeof ko, "%s.mlp.c_proj", oa);
        snprintf(kh, sizeof kh, "%s.mlp.fc2", hf);
        if ((st = lin_param(n, s, ko, kh, 4 * width, width, proj_std, &b->proj_w, &b->proj_b, e)))
            break;
        st = fkt_status(n->ctx, e);
    }
    return st;
}

fk_status clip_load_vision(clip_net *n, clip_source *s, fk_error *e)
{
    const clip_dims *d = n->dims;
    int w = d->vision_width, g = d->image_size / d->patch;
    double scale = 1.0 / sqrt(w);
    int64_t conv[4] = {w, 3, d->patch, d->patch}, vec[1] = {w}, pos[2] = {(int64_t)g * g + 1, w},
            proj[2] = {w, d->embed};
    fk_status st;
    float *cls;
    if ((st = tensor_param(n, s, "visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight",
                           0, 4, conv, 1.0 / sqrt(3.0 * d->patch * d->patch), 0, &n->conv1_w, e)) ||
        (st = param(s, "visual.class_embedding", "vision_model.embeddings.class_embedding", 0, 1,
                    vec, scale, 0, &cls, e)))
        goto done;
    n->class_host = cls;
    if ((st = tensor_param(n, s, "visual.positional_embedding",
                           "vision_model.embeddings.position_embedding.weight", 0, 2, pos, scale, 0,
                           &n->vpos, e)) ||
        (st = ln_param(n, s, "visual.ln_pre", "vision_model.pre_layrnorm", w, &n->ln_pre_w,
                       &n->ln_pre_b, e)) ||
        (st = load_tower(n, s, "visual.transformer", "vision_model.encoder", w, d->vision_layers,
                         &n->vis, e)) ||
        (st = ln_param(n, s, "visual.ln_post", "vision_model.post_layernorm", w, &n->ln_post_w,
                       &n->ln_post_b, e)) ||
        (st = tensor_param(n, s, "visual.proj", "visual_projection.weight", 1, 2, proj, scale, 0,
                           &n->vproj, e)))
        goto done;
    n->has_vision = 1;
done:
    return st ? fk_fail_prefix(e, "%s", n->label) : FK_OK;
}

fk_status clip_load_text(clip_net *n, clip_source *s, fk_error *e)
{
    const clip_dims *d = n->dims;
    int w = d->text_width, L = d->context;
    int64_t emb[2] = {d->vocab, w}, pos[2] = {L, w}, proj[2] = {w, d->embed};
    fk_status st;
    if ((st = param(s, "token_embedding.weight", "text_model.embeddings.token_embedding.weight", 0,
                    2, emb, 0.02, 0, &n->tok_emb, e)) ||
        (st = tensor_param(n, s, "positional_embedding",
                           "text_model.embeddings.position_embedding.weight", 0, 2, pos, 0.01, 0,
                           &n->tpos, e)) ||
        (st = load_tower(n, s, "transformer", "text_model.encoder", w, d->text_layers, &n->txt, e)) ||
        (st = ln_param(n, s, "ln_final", "text_model.final_layer_norm", w, &n->ln_final_w,
                       &n->ln_final_b, e)) ||
        (st = tensor_param(n, s, "text_projection", "text_projection.weight", 1, 2, proj,
                           1.0 / sqrt(w), 0, &n->tproj, e)))
        goto done;
    /* The causal mask: a token attends to itself and to those before it. */
    float *m = malloc((size_t)L * L * sizeof *m);
    if (!m) {
        st = fk_fail(e, FK_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < L; i++)
        for (int j = 0; j < L; j++)
            m[i * L + j] = j > i ? -INFINITY : 0.0f;
    int64_t mshape[2] = {L, L};
    n->mask = to_tensor(n->ctx, m, 2, mshape);
    if ((st = fkt_status(n->ctx, e)))
        goto done;
    n->has_text = 1;
done:
    return st ? fk_fail_prefix(e, "%s", n->label) : FK_OK;
}

void clip_net_free(clip_net *n)
{
    if (!n)
        return;
    fkt_free(n->ctx);
    free(n->vis.blocks);
    free(n->txt.blocks);
    free(n->class_host);
    free(n->tok_emb);
    memset(n, 0, sizeof *n);
}
