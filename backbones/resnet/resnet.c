/* resnet — torchvision's ResNet-18/34/50/101/152 as a fidkit backbone.
 *
 * The depth is the variant (resnet18 ... resnet152): it changes what the
 * features mean, so it enters the tag. Weights load from torchvision's files
 * as published (legacy or zip torch.save format) under their key names
 * (conv1.weight, bn1.running_mean, layer1.0.conv1.weight, ...,
 * layer2.0.downsample.0.weight, fc.weight); every batch norm is folded into
 * its convolution at load time.
 *
 * Outputs: pool (global average pool, 512 or 2048, the usual FID
 * replacement), layer1..layer3 (those stages' maps averaged spatially),
 * logits (1000, fc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/error.h"
#include "fidkit/plugin.h"
#include "resnet_net.h"
#include "outputs.h"
#include "params.h"

static const char *const variants[] = {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
                                       NULL};

static const fk_option_spec options[] = {
    {"channels_last", FK_OPT_BOOL, "true",
     "run activations in NHWC memory format (faster on CPU; equal to float32 rounding)"},
    {"sub_batch", FK_OPT_INT, "0",
     "images per internal forward pass (0: as many as keep activations near 256 MiB)"},
    {NULL, 0, NULL, NULL},
};

static const char *const output_names[RN_OUT_COUNT] = {
    [RN_POOL] = "pool", [RN_LAYER1] = "layer1", [RN_LAYER2] = "layer2", [RN_LAYER3] = "layer3",
    [RN_LOGITS] = "logits",
};

static int list_outputs(const char *variant, fk_output_desc *out, int cap)
{
    rn_net net;
    memset(&net, 0, sizeof net);
    if (resnet_arch(variant, &net) < 0)
        return 0;
    const fk_output_desc all[RN_OUT_COUNT] = {
        {"pool", resnet_dim(&net, RN_POOL), "global average pool after layer4 (the FID features)"},
        {"layer1", resnet_dim(&net, RN_LAYER1), "layer1's output, spatially averaged"},
        {"layer2", resnet_dim(&net, RN_LAYER2), "layer2's output, spatially averaged"},
        {"layer3", resnet_dim(&net, RN_LAYER3), "layer3's output, spatially averaged"},
        {"logits", RESNET_CLASSES, "ImageNet classifier output (fc, with its bias)"},
    };
    for (int i = 0; i < RN_OUT_COUNT && i < cap; i++)
        out[i] = all[i];
    return RN_OUT_COUNT;
}

static int default_input_size(const char *variant)
{
    (void)variant;
    return 224;
}

typedef struct instance {
    rn_net net;
    int side;
    int n_out;
    int kind[RN_OUT_COUNT]; /* requested outputs in the caller's order */
    int want[RN_OUT_COUNT];
} instance;

static void close_instance(void *p)
{
    instance *in = p;
    if (!in)
        return;
    resnet_free(&in->net);
    free(in);
}

static fk_status open_instance(const fk_plugin_params *p, void **out, fk_error *e)
{
    if (!out)
        return fk_fail(e, FK_ERR_ARG, "resnet: open needs an output pointer");
    *out = NULL;
    fk_status pst = bk_params_check("resnet", p, 1, e);
    if (pst)
        return pst;
    instance *in = calloc(1, sizeof *in);
    if (!in)
        return fk_fail(e, FK_ERR_NOMEM, "resnet: out of memory");
    if (resnet_arch(p->variant, &in->net) < 0) {
        free(in);
        return fk_fail(e, FK_ERR_ARG,
                       "resnet: unknown variant '%s' (known: resnet18, resnet34, resnet50, resnet101, "
                       "resnet152)",
                       p->variant ? p->variant : "(null)");
    }
    snprintf(in->net.label, sizeof in->net.label, "resnet/%s", p->variant);
    const char *label = in->net.label;
    fk_status st = FK_OK;
    in->side = p->input_size > 0 ? p->input_size : 224;
    /* Below 32 pixels layer4 would see an empty map. */
    if (in->side < 32)
        st = fk_fail(e, FK_ERR_ARG, "%s: input_size %d is too small (at least 32)", label, in->side);
    if (st == FK_OK)
        st = bk_bind_outputs(label, p->n_outputs, p->outputs, output_names, RN_OUT_COUNT,
                             "pool, layer1, layer2, layer3, logits", in->want, in->kind, &in->n_out, e);
    int channels_last = bk_option_int(options, p, "channels_last") != 0;
    in->net.sub_batch = (int)bk_option_int(options, p, "sub_batch");
    if (st == FK_OK && in->net.sub_batch < 0)
        st = fk_fail(e, FK_ERR_ARG, "%s: options.sub_batch must be >= 0, got %d", label,
                     in->net.sub_batch);
    if (st == FK_OK &&
        !(in->net.ctx = fkt_open(p->device ? p->device : "cpu", p->threads, channels_last, e)))
        st = fk_fail_prefix(e, "%s", label);
    if (st == FK_OK && fkt_set_precision(in->net.ctx, bk_precision(p), e))
        st = fk_fail_prefix(e, "%s", label);
    if (st == FK_OK)
        st = resnet_load(&in->net, p->random_weights ? NULL : p->weights_path, p->random_seed, e);
    if (st != FK_OK) {
        close_instance(in);
        return st;
    }
    *out = in;
    return FK_OK;
}

static fk_status extract(void *p, const float *nchw, int n, float *const *out, fk_error *e)
{
    instance *in = p;
    if (!in)
        return fk_fail(e, FK_ERR_ARG, "resnet: extract on a NULL instance");
    float *results[RN_OUT_COUNT];
    int nothing;
    fk_status st = bk_route_outputs(in->net.label, nchw, n, out, in->n_out, in->kind, results,
                                    RN_OUT_COUNT, &nothing, e);
    if (st != FK_OK || nothing)
        return st;
    return resnet_forward(&in->net, nchw, n, in->side, in->want, results, e);
}

static const fk_plugin plugin = {
    .abi_version = FK_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(fk_plugin),
    .name = "resnet",
    .summary = "torchvision ResNet-18/34/50/101/152 (pool, layer1-3, logits)",
    .variants = variants,
    .options = options,
    .list_outputs = list_outputs,
    .default_input_size = default_input_size,
    .open = open_instance,
    .extract = extract,
    .close = close_instance,
    .caps = FK_PLUGIN_CAP_PRECISION,
    .encode_text = NULL,
};

FK_PLUGIN_EXPORT const fk_plugin *fk_plugin_entry(void)
{
    return &plugin;
}
