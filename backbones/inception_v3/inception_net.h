/* inception_v3 plugin — internal interface between its three files:
 * inception_v3.c (the plugin table), inception_layers.c (the architecture and
 * its parameters) and inception_forward.c (the forward pass). */
#ifndef FK_INCEPTION_NET_H
#define FK_INCEPTION_NET_H

#include <stdint.h>

#include "fidkit/error.h"
#include "torchshim.h"

enum { VARIANT_FID = 0, VARIANT_TORCHVISION = 1 };

/* Batch norm epsilon of every BasicConv2d (TF's value, kept by torchvision). */
#define INCEPTION_BN_EPS 0.001

/* One BasicConv2d (conv without bias + batch norm + ReLU), named as in the
 * state dict ("Mixed_6d.branch1x1"). */
typedef struct inc_layer {
    char name[40];
    int cin, cout, kh, kw, stride, ph, pw;
} inc_layer;

#define INCEPTION_MAX_LAYERS 100

/* Fills L with the network's BasicConv2d layers in definition order (which
 * is also the order the forward pass uses them and the order random weights
 * are drawn in) and returns their count. */
int inception_layers(inc_layer *L);

/* A layer ready to run: its batch norm folded into weight and bias. */
typedef struct inc_conv {
    fkt_tensor *w, *b;
    int stride, ph, pw;
} inc_conv;

typedef enum inc_output {
    OUT_POOL3, OUT_BLOCK64, OUT_BLOCK192, OUT_BLOCK768, OUT_LOGITS, OUT_LOGITS_UNBIASED,
    OUT_SPATIAL, OUT_COUNT
} inc_output;

typedef struct inc_net {
    fkt_ctx *ctx;
    int variant;
    int n_classes;
    int n_layers;
    inc_conv conv[INCEPTION_MAX_LAYERS];
    fkt_tensor *fc_w, *fc_b;
    char label[64]; /* "inception_v3/fid", for messages */
} inc_net;

/* Loads (or draws) every parameter into net->ctx, folding batch norms.
 * weights_path NULL means random weights from seed. */
fk_status inception_load(inc_net *net, const char *weights_path, uint64_t seed, fk_error *e);

/* One forward pass over n images (n x 3 x side x side), computing only what
 * the wanted outputs need; results[k] gets OUT_k's (n x dim) rows for every
 * k with want[k] != 0. */
fk_status inception_forward(inc_net *net, const float *nchw, int n, int side,
                            const int want[OUT_COUNT], float *const results[OUT_COUNT],
                            fk_error *e);

#endif
