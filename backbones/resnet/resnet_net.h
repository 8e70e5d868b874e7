/* resnet plugin — the interface between resnet.c (the plugin table) and
 * resnet_net.c (architecture, parameters, forward pass). */
#ifndef FK_RESNET_NET_H
#define FK_RESNET_NET_H

#include <stdint.h>

#include "fidkit/error.h"
#include "netload.h"

/* torchvision's BatchNorm2d default. */
#define RESNET_BN_EPS 1e-5
#define RESNET_CLASSES 1000

typedef enum rn_output { RN_POOL, RN_LAYER1, RN_LAYER2, RN_LAYER3, RN_LOGITS, RN_OUT_COUNT } rn_output;

/* One residual block: conv1..conv3 (conv3 only for bottlenecks) and the
 * projection shortcut (downsample.0 + downsample.1) when the shape changes. */
typedef struct rn_block {
    nl_conv c1, c2, c3, down;
    int has_down;
} rn_block;

typedef struct rn_net {
    fkt_ctx *ctx;
    int depth;              /* 18, 34, 50, 101, 152 */
    int bottleneck;         /* 50 and deeper */
    int blocks[4];          /* per stage */
    int n_blocks;
    nl_conv stem;           /* conv1 + bn1 */
    rn_block *blk;          /* n_blocks, stage by stage */
    fkt_tensor *fc_w, *fc_b;
    int sub_batch;          /* images per internal pass; 0: from the memory budget */
    char label[64];         /* "resnet/resnet50" */
} rn_net;

/* Sets depth, bottleneck and blocks from a variant name; -1 if unknown. */
int resnet_arch(const char *variant, rn_net *net);
/* Values per image of an output for this architecture. */
int resnet_dim(const rn_net *net, rn_output k);

/* Loads or draws every parameter (weights_path NULL: random from seed). */
fk_status resnet_load(rn_net *net, const char *weights_path, uint64_t seed, fk_error *e);
void resnet_free(rn_net *net);

/* n images (n x 3 x side x side) through the net; results[k] receives the
 * (n x dim) rows of every output with want[k]. */
fk_status resnet_forward(rn_net *net, const float *nchw, int n, int side, const int want[RN_OUT_COUNT],
                         float *const results[RN_OUT_COUNT], fk_error *e);

#endif
