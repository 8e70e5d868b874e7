/* Shared helpers for the convolutional backbones written over the torch shim
 * (resnet, mobilenet_v3; inception_v3 settles its passes with nl_settle):
 * where parameters come from (a weights file under the published key names,
 * or a seeded generator), convolutions with their batch norm folded in at
 * load time, and freeing a pass's activations block by block.
 *
 * These files are compiled into each plugin that lists them (they are not a
 * library of their own): every name stays hidden inside the plugin. */
#ifndef FK_BACKBONES_NETLOAD_H
#define FK_BACKBONES_NETLOAD_H

#include <stdint.h>

#include "fidkit/error.h"
#include "fidkit/rng.h"
#include "fidkit/weights.h"
#include "torchshim.h"

/* A weights file, or the generator random weights are drawn from. */
typedef struct nl_source {
    fk_weights *w;          /* NULL: random */
    const char *path;
    fk_rng rng;
    const char *label;      /* "resnet/resnet50", for messages */
} nl_source;

fk_status nl_source_open(nl_source *s, const char *label, const char *weights_path, uint64_t seed,
                         fk_error *e);
void nl_source_close(nl_source *s);

/* One float32 parameter of the given shape (malloc'ed, the caller frees it):
 * the tensor `key` of the file (its presence and shape checked, the message
 * naming the key and both shapes), or, for random weights, normal(0, std)
 * values, or `constant` everywhere when std == 0. */
fk_status nl_param(nl_source *s, const char *key, int ndim, const int64_t *shape, double std,
                   double constant, float **out, fk_error *e);

/* A convolution ready to run: batch norm (if any) folded into w and b. */
typedef struct nl_conv {
    fkt_tensor *w, *b;
    int stride, pad, groups;
} nl_conv;

/* Reads conv_key (cout x cin/groups x k x k, no bias) and the batch norm at
 * bn_prefix ("bn1" -> bn1.weight, bn1.bias, bn1.running_mean,
 * bn1.running_var) and folds them:
 *   w' = w * gamma / sqrt(var + eps),  b' = beta - mean * gamma / sqrt(var + eps)
 * in double. Random weights: conv normal(0, sqrt(2 / fan_in)) (He et al.,
 * so that ReLU nets keep their scale), batch norm mean 0, var 1, beta 0 and
 * gamma = random_gamma. */
fk_status nl_conv_bn(fkt_ctx *ctx, nl_source *s, const char *conv_key, const char *bn_prefix,
                     int cin, int cout, int k, int stride, int pad, int groups, double eps,
                     double random_gamma, nl_conv *out, fk_error *e);

/* A 1x1 convolution with bias stored as prefix.weight (cout x cin x 1 x 1)
 * and prefix.bias, loaded as a linear layer (w: cout x cin) for use on
 * spatially pooled (n x cin) rows: squeeze-excitation's fc1 and fc2. Random:
 * weight normal(0, sqrt(2 / cin)), every bias random_bias. */
fk_status nl_pointwise_linear(fkt_ctx *ctx, nl_source *s, const char *prefix, int cin, int cout,
                              double random_bias, fkt_tensor **w, fkt_tensor **b, fk_error *e);

/* A linear layer (prefix.weight: out x in, prefix.bias: out). Random:
 * normal(0, std) weights, zero bias. */
fk_status nl_linear(fkt_ctx *ctx, nl_source *s, const char *prefix, int in, int out, double std,
                    fkt_tensor **w, fkt_tensor **b, fk_error *e);

/* Every value of rows (n x dim) finite, else FK_ERR_NUMERIC naming the image. */
fk_status nl_check_finite(const char *label, const char *output, const float *rows, int n, int dim,
                          fk_error *e);

/* Frees what a forward pass made since mark except x and the outputs taken
 * so far (outs[0..n_outs), NULLs skipped); returns x. Settled after each
 * block, a pass keeps one block's activations alive, not the network's. */
fkt_tensor *nl_settle(fkt_ctx *c, size_t mark, fkt_tensor *x, fkt_tensor *const *outs, int n_outs);

/* Activation bytes a forward pass may keep alive (see nl_chunk). */
#ifndef NL_ACTIVATION_BUDGET
#define NL_ACTIVATION_BUDGET (256.0 * 1024 * 1024)
#endif

/* Images per internal sub-batch, so that the activations a forward pass
 * keeps alive (its largest block's, when it settles after each) stay near
 * budget_bytes whatever batch size the host asks for. Results do not depend
 * on it: every image goes through the net on its own in eval mode. */
int nl_chunk(double bytes_per_pixel_image, int side, double budget_bytes);

#endif
