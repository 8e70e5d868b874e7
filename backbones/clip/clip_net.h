/* clip — OpenAI CLIP's ViT image encoder and text transformer over the torch
 * shim (internal to the plugin).
 *
 * One internal layout whatever the file: OpenAI's names and shapes, with the
 * attention's q, k, v packed in one (3W x W) in_proj matrix and the two
 * projections as (W x E) matrices applied by x @ proj. Hugging Face files
 * (transformers' CLIPModel) are mapped onto it at load time. */
#ifndef CLIP_NET_H
#define CLIP_NET_H

#include <stdint.h>

#include "fidkit/error.h"
#include "fidkit/rng.h"
#include "fidkit/weights.h"
#include "torchshim.h"
#include "torchshim_clip.h"

typedef struct clip_dims {
    const char *variant;
    int image_size, patch;
    int vision_width, vision_layers;
    int embed;
    int text_width, text_layers, context, vocab;
} clip_dims;

/* The published architectures (clip/model.py build_model reads these from
 * the weights), and a tiny one for tests: heads are width / 64 throughout. */
const clip_dims *clip_dims_find(const char *variant);

typedef struct clip_block {
    fkt_tensor *ln1_w, *ln1_b, *in_w, *in_b, *out_w, *out_b;
    fkt_tensor *ln2_w, *ln2_b, *fc_w, *fc_b, *proj_w, *proj_b;
} clip_block;

typedef struct clip_tower {
    int width, layers, heads;
    clip_block *blocks;
} clip_tower;

/* Where parameters come from: a safetensors / torch.save file (core's
 * reader), a TorchScript archive (the shim), or a seeded generator. */
typedef struct clip_source {
    fk_weights *w;
    fkt_jit_params *jit;
    int hf;                 /* 1: Hugging Face names, 0: OpenAI's */
    const char *path;
    fk_rng rng;             /* random weights */
    char label[96];
} clip_source;

fk_status clip_source_open(clip_source *s, const char *label, const char *path, uint64_t seed,
                           fk_error *e);
void clip_source_close(clip_source *s);

typedef struct clip_net {
    const clip_dims *dims;
    fkt_ctx *ctx;
    char label[96];
    /* image */
    int has_vision;
    fkt_tensor *conv1_w, *class_emb, *vpos, *ln_pre_w, *ln_pre_b, *ln_post_w, *ln_post_b, *vproj;
    clip_tower vis;
    float *class_host;      /* width values, for one class token per image */
    /* text */
    int has_text;
    float *tok_emb;         /* vocab x width, host: the lookup runs in C */
    fkt_tensor *tpos, *ln_final_w, *ln_final_b, *tproj, *mask;
    clip_tower txt;
} clip_net;

fk_status clip_load_vision(clip_net *n, clip_source *s, fk_error *e);
fk_status clip_load_text(clip_net *n, clip_source *s, fk_error *e);
void clip_net_free(clip_net *n);

/* n images (n x 3 x S x S, normalised as CLIP does) into n x embed rows. */
fk_status clip_encode_image(clip_net *net, const float *nchw, int n, float *out, fk_error *e);
/* n rows of ctx token ids into n x embed rows, read at each row's largest id
 * (the end token), as CLIP's encode_text does. */
fk_status clip_encode_text(clip_net *net, const int32_t *tokens, int n, int ctx, float *out,
                           fk_error *e);

#endif
