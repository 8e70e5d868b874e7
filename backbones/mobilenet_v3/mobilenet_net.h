/* mobilenet_v3 plugin — the interface between mobilenet_v3.c (the plugin
 * table) and mobilenet_net.c (architecture, parameters, forward pass). */
#ifndef FK_MOBILENET_NET_H
#define FK_MOBILENET_NET_H

#include <stdint.h>

#include "fidkit/error.h"
#include "netload.h"

/* torchvision builds MobileNetV3's batch norms with eps 0.001. */
#define MOBILENET_BN_EPS 0.001
#define MOBILENET_CLASSES 1000
#define MOBILENET_MAX_BLOCKS 16

typedef enum mb_output { MB_POOL, MB_PENULTIMATE, MB_LOGITS, MB_OUT_COUNT } mb_output;

/* One row of torchvision's inverted residual settings (width 1.0). */
typedef struct mb_setting {
    int cin, k, cexp, cout, se, hswish, stride;
} mb_setting;

/* One InvertedResidual: expand (absent when cexp == cin), depthwise,
 * squeeze-excitation (optional), project. */
typedef struct mb_block {
    mb_setting s;
    int squeeze;            /* SE hidden channels */
    nl_conv expand, depthwise, project;
    fkt_tensor *se_w1, *se_b1, *se_w2, *se_b2; /* SE fc1, fc2 as linear layers */
} mb_block;

typedef struct mb_net {
    fkt_ctx *ctx;
    int large;
    int n_blocks;
    mb_block blk[MOBILENET_MAX_BLOCKS];
    nl_conv stem;           /* features.0 */
    nl_conv last;           /* features.(n_blocks + 1): 1x1 to 6 x cout */
    int last_channels;      /* 960 / 576 */
    int hidden;             /* 1280 / 1024 */
    fkt_tensor *fc1_w, *fc1_b, *fc2_w, *fc2_b; /* classifier.0, classifier.3 */
    int sub_batch;          /* images per internal pass; 0: from the memory budget */
    char label[64];
} mb_net;

/* Fills the architecture of a variant ("large", "small"); -1 if unknown. */
int mobilenet_arch(const char *variant, mb_net *net);
int mobilenet_dim(const mb_net *net, mb_output k);

fk_status mobilenet_load(mb_net *net, const char *weights_path, uint64_t seed, fk_error *e);
void mobilenet_free(mb_net *net);

fk_status mobilenet_forward(mb_net *net, const float *nchw, int n, int side,
                            const int want[MB_OUT_COUNT], float *const results[MB_OUT_COUNT],
                            fk_error *e);

#endif
