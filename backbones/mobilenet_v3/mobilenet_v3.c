/* mobilenet_v3 — torchvision's MobileNetV3-Large and -Small as a fidkit
 * backbone.
 *
 * The size is the variant (large, small): it enters the tag. Weights load
 * from torchvision's files as published under their key names
 * (features.0.0.weight, features.4.block.2.fc1.weight, classifier.0.weight,
 * ...); every batch norm is folded into its convolution at load time.
 *
 * Outputs: pool (global average pool after the last 1x1 convolution: 960
 * or 576), penultimate (classifier.0 + Hardswish: 1280 or 1024), logits
 * (1000; classifier.2 is a Dropout, the identity at inference). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/error.h"
#include "fidkit/plugin.h"
#include "mobilenet_net.h"
#include "outputs.h"
#include "params.h"

static const char *const variants[] = {"large", "small", NULL};

static const fk_option_spec options[] = {
    /* Off by default: libtorch 1.13's depthwise convolutions measured 2-3x
     * slower in NHWC than in NCHW here (bench/backbones_bench.sh). */
    {"channels_last", FK_OPT_BOOL, "false",
     "run activations in NHWC memory format (slower for depthwise convolutions on CPU)"},
    {"sub_batch", FK_OPT_INT, "0",
     "images per internal forward pass (0: as many as keep activations near 256 MiB)"},
    {NULL, 0, NULL, NULL},
};

static const char *const output_names[MB_OUT_COUNT] = {
    [MB_POOL] = "pool", [MB_PENULTIMATE] = "penultimate", [MB_LOGITS] = "logits",
};

static int list_outputs(const char *variant, fk_output_desc *out, int cap)
{
    mb_net net;
    memset(&net, 0, sizeof net);
    if (mobilenet_arch(variant, &net) < 0)
        return 0;
    const fk_output_desc all[MB_OUT_COUNT] = {
        {"pool", mobilenet_dim(&net, MB_POOL), "global average pool of the last feature map"},
        {"penultimate", mobilenet_dim(&net, MB_PENULTIMATE),
         "classifier.0 (Linear) + Hardswish: the layer before the logits"},
        {"logits", MOBILENET_CLASSES, "ImageNet classifier output (classifier.3, with its bias)"},
    };
    for (int i = 0; i < MB_OUT_COUNT && i < cap; i++)
        out[i] = all[i];
    return MB_OUT_COUNT;
}

static int default_input_size(const char *variant)
{
    (void)variant;
    return 224;
}

typedef struct instance {
    mb_net net;
    int side;
    int n_out;
    int kind[MB_OUT_COUNT];
    int want[MB_OUT_COUNT];
} instance;

static void close_instance(void *p)
{
    instance *in = p;
    if (!in)
        return;
    mobilenet_free(&in->net);
    free(in);
}

static fk_status open_instance(const fk_plugin_params *p, void **out, fk_error *e)
{
    if (!out)
        return fk_fail(e, FK_ERR_ARG, "mobilenet_v3: open needs an output pointer");
    *out = NULL;
    fk_status pst = bk_params_check("mobilenet_v3", p, 1, e);
    if (pst)
        return pst;
    instance *in = calloc(1, sizeof *in);
    if (!in)
        return fk_fail(e, FK_ERR_NOMEM, "mobilenet_v3: out of memory");
    if (mobilenet_arch(p->variant, &in->net) < 0) {
        free(in);
        return fk_fail(e, FK_ERR_ARG, "mobilenet_v3: unknown variant '%s' (known: large, small)",
                       p->variant ? p->variant : "(null)");
    }
    snprintf(in->net.label, sizeof in->net.label, "mobilenet_v3/%s", p->variant);
    const char *label = in->net.label;
    fk_status st = FK_OK;
    in->side = p->input_size > 0 ? p->input_size : 224;
    if (in->side < 32)
        st = fk_fail(e, FK_ERR_ARG, "%s: input_size %d is too small (at least 32)", label, in->side);
    if (st == FK_OK)
        st = bk_bind_outputs(label, p->n_outputs, p->outputs, output_names, MB_OUT_COUNT,
                             "pool, penultimate, logits", in->want, in->kind, &in->n_out, e);
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
        st = mobilenet_load(&in->net, p->random_weights ? NULL : p->weights_path, p->random_seed, e);
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
        return fk_fail(e, FK_ERR_ARG, "mobilenet_v3: extract on a NULL instance");
    float *results[MB_OUT_COUNT];
    int nothing;
    fk_status st = bk_route_outputs(in->net.label, nchw, n, out, in->n_out, in->kind, results,
                                    MB_OUT_COUNT, &nothing, e);
    if (st != FK_OK || nothing)
        return st;
    return mobilenet_forward(&in->net, nchw, n, in->side, in->want, results, e);
}

static const fk_plugin plugin = {
    .abi_version = FK_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(fk_plugin),
    .name = "mobilenet_v3",
    .summary = "torchvision MobileNetV3-Large/Small (pool, penultimate, logits)",
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
