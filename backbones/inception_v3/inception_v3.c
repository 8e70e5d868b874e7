/* inception_v3 — the Inception-v3 backbone plugin.
 *
 * Variants:
 *   fid          the FID Inception of TTUR / pytorch-fid (TF inception-2015-12-05
 *                ported, pt_inception-2015-12-05-6726825d.pth): 1008 classes,
 *                pool branches that average without padding, Mixed_7c's pool
 *                branch max-pooled.
 *   torchvision  torchvision's Inception3 (1000 classes; AuxLogits.* ignored).
 *
 * Input: n x 3 x S x S float32, normalised by the host as the config says
 * (the FID network expects [-1, 1]); S is input_size, 299 by default, at
 * least 75 (smaller inputs fail inside torch, reported as a message).
 * Outputs (any subset, in any order, from one pass that stops after the
 * deepest one asked for): see list_outputs().
 *
 * Every batch norm is folded into its convolution when the weights are
 * loaded, and activations run channels-last (option channels_last), which is
 * what makes the pass faster than an eager PyTorch model. An instance serves
 * one thread at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/error.h"
#include "fidkit/plugin.h"
#include "inception_net.h"
#include "outputs.h"
#include "params.h"

static const char *const variants[] = {"fid", "torchvision", NULL};

static const fk_option_spec options[] = {
    {"channels_last", FK_OPT_BOOL, "true",
     "run activations in NHWC memory format (faster on CPU; equal to float32 rounding)"},
    {NULL, 0, NULL, NULL},
};

static const char *const output_names[OUT_COUNT] = {
    [OUT_POOL3] = "pool3", [OUT_BLOCK64] = "block64", [OUT_BLOCK192] = "block192",
    [OUT_BLOCK768] = "block768", [OUT_LOGITS] = "logits", [OUT_LOGITS_UNBIASED] = "logits_unbiased",
    [OUT_SPATIAL] = "spatial",
};

static int variant_index(const char *v)
{
    if (!v || strcmp(v, "fid") == 0)
        return VARIANT_FID;
    if (strcmp(v, "torchvision") == 0)
        return VARIANT_TORCHVISION;
    return -1;
}

static int list_outputs(const char *variant, fk_output_desc *out, int cap)
{
    int vi = variant_index(variant);
    if (vi < 0)
        return 0;
    int classes = vi == VARIANT_FID ? 1008 : 1000;
    const fk_output_desc all[OUT_COUNT] = {
        {"pool3", 2048, "global average pool after Mixed_7c (FID, KID, precision/recall)"},
        {"logits", classes, "classifier output with its bias"},
        {"logits_unbiased", classes,
         "pool3 times fc.weight without the bias (IS as the ADM evaluator and torch-fidelity compute it)"},
        {"block64", 64, "first max pool, spatially averaged (pytorch-fid --dims 64)"},
        {"block192", 192, "second max pool, spatially averaged (pytorch-fid --dims 192)"},
        {"block768", 768, "Mixed_6e, spatially averaged (pytorch-fid --dims 768)"},
        {"spatial", 2023,
         "Mixed_6d.branch1x1 (TF mixed_6/conv), first 7 channels of 17x17, (h, w, c) order: sFID"},
    };
    for (int i = 0; i < OUT_COUNT && i < cap; i++)
        out[i] = all[i];
    return OUT_COUNT;
}

static int default_input_size(const char *variant)
{
    (void)variant;
    return 299;
}

typedef struct instance {
    inc_net net;
    int side;
    int n_out;
    int kind[OUT_COUNT];   /* requested outputs in the caller's order */
    int want[OUT_COUNT];
} instance;

static void close_instance(void *p)
{
    instance *in = p;
    if (!in)
        return;
    fkt_free(in->net.ctx);
    free(in);
}

static fk_status open_instance(const fk_plugin_params *p, void **out, fk_error *e)
{
    if (!out)
        return fk_fail(e, FK_ERR_ARG, "inception_v3: open needs an output pointer");
    *out = NULL;
    fk_status pst = bk_params_check("inception_v3", p, 1, e);
    if (pst)
        return pst;
    int vi = variant_index(p->variant);
    if (vi < 0)
        return fk_fail(e, FK_ERR_ARG, "inception_v3: unknown variant '%s' (known: fid, torchvision)",
                       p->variant);
    instance *in = calloc(1, sizeof *in);
    if (!in)
        return fk_fail(e, FK_ERR_NOMEM, "inception_v3: out of memory");
    in->net.variant = vi;
    in->net.n_classes = vi == VARIANT_FID ? 1008 : 1000;
    snprintf(in->net.label, sizeof in->net.label, "inception_v3/%s", variants[vi]);
    const char *label = in->net.label;
    fk_status st = FK_OK;

    in->side = p->input_size > 0 ? p->input_size : 299;
    st = bk_bind_outputs(label, p->n_outputs, p->outputs, output_names, OUT_COUNT,
                         "pool3, logits, logits_unbiased, block64, block192, block768, spatial",
                         in->want, in->kind, &in->n_out, e);
    /* The sFID layout (2023 values) is defined for the 17x17 map of a
     * 299-pixel input only. */
    if (st == FK_OK && in->want[OUT_SPATIAL] && in->side != 299)
        st = fk_fail(e, FK_ERR_ARG, "%s: output 'spatial' needs input_size 299, got %d", label, in->side);
    int channels_last = bk_option_int(options, p, "channels_last") != 0;
    if (st == FK_OK && !(in->net.ctx = fkt_open(p->device ? p->device : "cpu", p->threads, channels_last, e)))
        st = fk_fail_prefix(e, "%s", label);
    if (st == FK_OK && fkt_set_precision(in->net.ctx, bk_precision(p), e))
        st = fk_fail_prefix(e, "%s", label);
    if (st == FK_OK)
        st = inception_load(&in->net, p->random_weights ? NULL : p->weights_path, p->random_seed, e);
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
        return fk_fail(e, FK_ERR_ARG, "inception_v3: extract on a NULL instance");
    float *results[OUT_COUNT];
    int nothing;
    fk_status st = bk_route_outputs(in->net.label, nchw, n, out, in->n_out, in->kind, results,
                                    OUT_COUNT, &nothing, e);
    if (st != FK_OK || nothing)
        return st;
    return inception_forward(&in->net, nchw, n, in->side, in->want, results, e);
}

static const fk_plugin plugin = {
    .abi_version = FK_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(fk_plugin),
    .name = "inception_v3",
    .summary = "Inception-v3: the FID network (TF 2015-12-05 port) and torchvision's",
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
