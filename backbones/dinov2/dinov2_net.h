/* dinov2 — DINOv2 vision transformers (facebookresearch/dinov2,
 * dinov2/models/vision_transformer.py) over the torch shim (internal to the
 * plugin).
 *
 * Load-time folding (each exact in real arithmetic, rounding aside):
 *   the attention scale hd^-1/2 into the q rows of qkv (weight and bias);
 *   LayerScale ls1.gamma into attn.proj, ls2.gamma into mlp.fc2 (or w3);
 *   cls_token + pos_embed[0] into one vector;
 *   the interpolated patch position embedding + the patch conv's bias into
 *   one (grid x grid, D) table added after the bias-free conv. */
#ifndef DINOV2_NET_H
#define DINOV2_NET_H

#include <stdint.h>

#include "fidkit/error.h"
#include "fidkit/rng.h"
#include "fidkit/weights.h"
#include "torchshim.h"

typedef struct dino_dims {
    const char *variant;
    int embed, depth, heads;
    int swiglu;     /* 1: SwiGLUFFNFused (w12, w3), vitg14; 0: fc1, GELU, fc2 */
    int registers;  /* 0 or 4 register tokens (the _reg4 checkpoints) */
} dino_dims;

#define DINO_PATCH 14
#define DINO_TRAIN_GRID 37 /* hub models: img_size 518 = 37 x 14 */

const dino_dims *dino_dims_find(const char *variant);
/* The FFN's hidden width: 4 D, or for SwiGLU (4 D * 2/3) rounded up to 8. */
int dino_hidden(const dino_dims *d);

typedef struct dino_block {
    fkt_tensor *n1_w, *n1_b, *qkv_w, *qkv_b, *proj_w, *proj_b;
    fkt_tensor *n2_w, *n2_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b; /* fc1 = w12, fc2 = w3 for SwiGLU */
} dino_block;

typedef struct dino_net {
    const dino_dims *dims;
    fkt_ctx *ctx;
    char label[96];
    int size, grid;          /* input side, patches per side */
    int hidden;
    fkt_tensor *patch_w;     /* D x 3 x 14 x 14, no bias */
    fkt_tensor *patch_pos;   /* grid*grid x D: interpolated pos + conv bias */
    float *prefix;           /* (1 + registers) x D: cls + pos[0], then registers */
    dino_block *blocks;
    fkt_tensor *norm_w, *norm_b;
} dino_net;

/* Weights from a torch.save / safetensors file in the official key layout,
 * or seeded random ones when path is NULL. */
fk_status dino_load(dino_net *n, const char *path, uint64_t seed, fk_error *e);
void dino_net_free(dino_net *n);

/* The official interpolate_pos_encoding for a square grid: src is M x M x D
 * (row-major positions, D values each), out is g x g x D. offset 0.1 without
 * antialias (scale factor (g + 0.1) / M given to torch's bicubic, a = -0.75)
 * or offset 0 with antialias (size g, Pillow-like cubic a = -0.5). g == M
 * copies (the official code returns pos_embed untouched then). */
fk_status dino_interp_pos(const float *src, int M, int D, int g, int antialias, double offset,
                          float *out, fk_error *e);

/* n images (n x 3 x S x S, normalised) into the requested rows: cls (n x D,
 * may be NULL), patch_mean (n x D, may be NULL). */
fk_status dino_forward(dino_net *net, const float *nchw, int n, float *cls, float *patch_mean,
                       fk_error *e);

#endif
