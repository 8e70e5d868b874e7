/* dinov2 — Meta's DINOv2 ViT-S/14, B/14, L/14, g/14, with and without
 * registers, as a fidkit backbone plugin (FD_DINOv2 of dgm-eval, EDM2 and
 * torch-fidelity; the protocols are configs, docs/dinov2.md).
 *
 * Variants: vits14, vitb14, vitl14, vitg14 and the same with _reg4 (the
 * *_reg4_pretrain.pth checkpoints), and vitg14_depth2_test (g/14 with 2
 * blocks, for fidkit's tests). The variant fixes the position-embedding
 * interpolation of the official code (offset 0.1 without antialias for the
 * plain models, offset 0 with antialias for _reg4), so it is in the tag.
 *
 * Outputs:
 *   cls         the class token after the final norm (x_norm_clstoken, what
 *               the model's forward returns; dgm-eval's and EDM2's feature);
 *   patch_mean  the mean of the patch tokens after the final norm (registers
 *               left out);
 *   cls_patch   both, concatenated (cls first).
 *
 * Weights: the official torch.save checkpoints (or safetensors with the same
 * keys) through core's restricted reader; random weights from a seeded
 * generator for demos and tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dinov2_net.h"
#include "fidkit/error.h"
#include "fidkit/plugin.h"
#include "params.h"

static const char *const variants[] = {"vits14", "vitb14", "vitl14", "vitg14", "vits14_reg4",
                                       "vitb14_reg4", "vitl14_reg4", "vitg14_reg4",
                                       "vitg14_depth2_test", NULL};

enum { OUT_CLS, OUT_PATCH_MEAN, OUT_CLS_PATCH, OUT_COUNT };
static const char *const out_names[OUT_COUNT] = {"cls", "patch_mean", "cls_patch"};

static int list_outputs(const char *variant, fk_output_desc *out, int cap)
{
    const dino_dims *d = dino_dims_find(variant);
    if (!d)
        return 0;
    const fk_output_desc all[OUT_COUNT] = {
        {"cls", d->embed, "class token after the final norm (x_norm_clstoken; FD_DINOv2)"},
        {"patch_mean", d->embed, "mean of the patch tokens after the final norm"},
        {"cls_patch", 2 * d->embed, "cls and patch_mean concatenated"},
    };
    for (int i = 0; i < OUT_COUNT && i < cap; i++)
        out[i] = all[i];
    return OUT_COUNT;
}

static int default_input_size(const char *variant)
{
    (void)variant;
    return 224;
}

typedef struct instance {
    dino_net net;
    int n_out, kind[OUT_COUNT];
    float *cls, *pmean; /* scratch rows for the batch being extracted */
    int cap;
} instance;

static void close_instance(void *p)
{
    instance *in = p;
    if (!in)
        return;
    dino_net_free(&in->net);
    free(in->cls);
    free(in->pmean);
    free(in);
}

static fk_status open_instance(const fk_plugin_params *p, void **out, fk_error *e)
{
    if (!out)
        return fk_fail(e, FK_ERR_ARG, "dinov2: open needs an output pointer");
    *out = NULL;
    fk_status st = bk_params_check("dinov2", p, 1, e);
    if (st)
        return st;
    const dino_dims *d = dino_dims_find(p->variant);
    if (!d)
        return fk_fail(e, FK_ERR_ARG,
                       "dinov2: unknown variant '%s' (known: vits14, vitb14, vitl14, vitg14, and "
                       "each with _reg4)",
                       p->variant ? p->variant : "(null)");
    instance *in = calloc(1, sizeof *in);
    if (!in)
        return fk_fail(e, FK_ERR_NOMEM, "dinov2: out of memory");
    dino_net *net = &in->net;
    net->dims = d;
    snprintf(net->label, sizeof net->label, "dinov2/%s", d->variant);
    net->size = p->input_size > 0 ? p->input_size : 224;
    net->grid = net->size / DINO_PATCH;
    int want[OUT_COUNT] = {0};
    if (p->n_outputs < 1 || p->n_outputs > OUT_COUNT || !p->outputs)
        st = fk_fail(e, FK_ERR_ARG, "%s: 1 to 3 outputs must be requested, got %d", net->label,
                     p->n_outputs);
    for (int i = 0; !st && i < p->n_outputs; i++) {
        const char *o = p->outputs[i] ? p->outputs[i] : "(null)";
        int k = -1;
        for (int j = 0; j < OUT_COUNT; j++)
            if (!strcmp(o, out_names[j]))
                k = j;
        if (k < 0)
            st = fk_fail(e, FK_ERR_ARG, "%s: unknown output '%s' (known: cls, patch_mean, cls_patch)",
                         net->label, o);
        else if (want[k])
            st = fk_fail(e, FK_ERR_ARG, "%s: output '%s' requested twice", net->label, o);
        else
            want[k] = 1, in->kind[in->n_out++] = k;
    }
    if (!st && (net->size % DINO_PATCH || net->size < DINO_PATCH))
        st = fk_fail(e, FK_ERR_ARG, "%s: input size must be a multiple of %d (the patch), got %d",
                     net->label, DINO_PATCH, net->size);
    if (!st && !p->random_weights && !p->weights_path)
        st = fk_fail(e, FK_ERR_ARG, "%s: no weights file given and random weights are off", net->label);
    if (!st && !(net->ctx = fkt_open(p->device ? p->device : "cpu", p->threads, 0, e)))
        st = fk_fail_prefix(e, "%s", net->label);
    if (!st && fkt_set_precision(net->ctx, bk_precision(p), e))
        st = fk_fail_prefix(e, "%s", net->label);
    if (!st)
        st = dino_load(net, p->random_weights ? NULL : p->weights_path, p->random_seed, e);
    if (st) {
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
        return fk_fail(e, FK_ERR_ARG, "dinov2: extract on a NULL instance");
    if (n < 0 || (n > 0 && (!nchw || !out)))
        return fk_fail(e, FK_ERR_ARG, "%s: extract needs n >= 0 images, an input and outputs",
                       in->net.label);
    if (n == 0)
        return FK_OK;
    for (int i = 0; i < in->n_out; i++)
        if (!out[i])
            return fk_fail(e, FK_ERR_ARG, "%s: output buffer %d is NULL", in->net.label, i);
    const int D = in->net.dims->embed;
    int need_pm = 0;
    for (int i = 0; i < in->n_out; i++)
        need_pm |= in->kind[i] != OUT_CLS;
    if (n > in->cap) {
        free(in->cls);
        free(in->pmean);
        in->cls = malloc((size_t)n * D * sizeof *in->cls);
        in->pmean = malloc((size_t)n * D * sizeof *in->pmean);
        in->cap = in->cls && in->pmean ? n : 0;
        if (!in->cap)
            return fk_fail(e, FK_ERR_NOMEM, "%s: out of memory", in->net.label);
    }
    fk_status st = dino_forward(&in->net, nchw, n, in->cls, need_pm ? in->pmean : NULL, e);
    for (int i = 0; !st && i < in->n_out; i++) {
        float *o = out[i];
        for (int r = 0; r < n; r++) {
            const float *c = in->cls + (size_t)r * D, *m = in->pmean + (size_t)r * D;
            switch (in->kind[i]) {
            case OUT_CLS:
                memcpy(o + (size_t)r * D, c, (size_t)D * sizeof *o);
                break;
            case OUT_PATCH_MEAN:
                memcpy(o + (size_t)r * D, m, (size_t)D * sizeof *o);
                break;
            default:
                memcpy(o + (size_t)r * 2 * D, c, (size_t)D * sizeof *o);
                memcpy(o + (size_t)r * 2 * D + D, m, (size_t)D * sizeof *o);
            }
        }
    }
    return st;
}

static const fk_plugin plugin = {
    .abi_version = FK_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(fk_plugin),
    .name = "dinov2",
    .summary = "Meta DINOv2 ViT-S/B/L/g 14 (+ registers): FD_DINOv2 (dgm-eval, EDM2, torch-fidelity)",
    .variants = variants,
    .options = NULL,
    .list_outputs = list_outputs,
    .default_input_size = default_input_size,
    .open = open_instance,
    .extract = extract,
    .close = close_instance,
    .caps = FK_PLUGIN_CAP_PRECISION,
};

FK_PLUGIN_EXPORT const fk_plugin *fk_plugin_entry(void)
{
    return &plugin;
}
