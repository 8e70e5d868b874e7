/* clip — OpenAI CLIP (ViT image encoder and text transformer) as a fidkit
 * backbone plugin.
 *
 * Variants: vit-b-32 (the CLIP-Score and clean-fid CLIP-FD network), vit-b-16,
 * vit-l-14 (torchmetrics' default CLIP-Score network), vit-l-14-336 (CMMD's
 * network), and vit-tiny-test (the same architecture, small, for fidkit's
 * tests).
 *
 * Outputs:
 *   image  the projected image embedding, encode_image's output, NOT L2
 *          normalised (clean-fid's CLIP-FD uses it as it comes);
 *   text   the projected text embedding at the end token, through the
 *          encode_text entry point only (token rows come from the host's
 *          tokenizer); not normalised either.
 * Only the towers whose outputs were requested at open are loaded.
 *
 * Weights: OpenAI's TorchScript archives (ViT-B-32.pt, ...) read through the
 * torch shim, or safetensors / torch.save files under OpenAI's names or
 * Hugging Face transformers' CLIPModel names. Random weights follow CLIP's
 * own initialisation from a seeded generator (docs/clip.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip_net.h"
#include "fidkit/error.h"
#include "fidkit/plugin.h"
#include "params.h"

#define CLIP_TEXT_SEED_XOR 0x74657874u /* "text" */

static const char *const variants[] = {"vit-b-32", "vit-b-16", "vit-l-14", "vit-l-14-336", "vit-tiny-test",
                                       NULL};

static const fk_option_spec options[] = {
    {"bpe", FK_OPT_STRING, "",
     "the tokenizer's merge list for text (read by the host, not the plugin); empty: "
     "bpe_simple_vocab_16e6.txt.gz beside the weights, else where weights are looked for"},
    {NULL, 0, NULL, NULL},
};

enum { OUT_IMAGE, OUT_TEXT, OUT_COUNT };

static int list_outputs(const char *variant, fk_output_desc *out, int cap)
{
    const clip_dims *d = clip_dims_find(variant);
    if (!d)
        return 0;
    const fk_output_desc all[OUT_COUNT] = {
        {"image", d->embed, "projected image embedding (encode_image), not L2-normalised"},
        {"text", d->embed,
         "projected text embedding at the end token (encode_text entry point only), not normalised"},
    };
    for (int i = 0; i < OUT_COUNT && i < cap; i++)
        out[i] = all[i];
    return OUT_COUNT;
}

static int default_input_size(const char *variant)
{
    const clip_dims *d = clip_dims_find(variant);
    return d ? d->image_size : 224;
}

typedef struct instance {
    clip_net net;
    int n_out;
    int kind[OUT_COUNT];
} instance;

static void close_instance(void *p)
{
    instance *in = p;
    if (!in)
        return;
    clip_net_free(&in->net);
    free(in);
}

static fk_status open_instance(const fk_plugin_params *p, void **out, fk_error *e)
{
    if (!out)
        return fk_fail(e, FK_ERR_ARG, "clip: open needs an output pointer");
    *out = NULL;
    fk_status pst = bk_params_check("clip", p, 1, e);
    if (pst)
        return pst;
    const clip_dims *d = clip_dims_find(p->variant);
    if (!d)
        return fk_fail(e, FK_ERR_ARG,
                       "clip: unknown variant '%s' (known: vit-b-32, vit-b-16, vit-l-14, vit-l-14-336, "
                       "vit-tiny-test)",
                       p->variant ? p->variant : "(null)");
    instance *in = calloc(1, sizeof *in);
    if (!in)
        return fk_fail(e, FK_ERR_NOMEM, "clip: out of memory");
    clip_net *net = &in->net;
    net->dims = d;
    snprintf(net->label, sizeof net->label, "clip/%s", d->variant);
    fk_status st = FK_OK;
    int want[OUT_COUNT] = {0};
    if (p->n_outputs < 1 || p->n_outputs > OUT_COUNT || !p->outputs)
        st = fk_fail(e, FK_ERR_ARG, "%s: 1 or 2 outputs must be requested, got %d", net->label,
                     p->n_outputs);
    for (int i = 0; st == FK_OK && i < p->n_outputs; i++) {
        const char *o = p->outputs[i] ? p->outputs[i] : "(null)";
        int k = !strcmp(o, "image") ? OUT_IMAGE : !strcmp(o, "text") ? OUT_TEXT : -1;
        if (k < 0)
            st = fk_fail(e, FK_ERR_ARG, "%s: unknown output '%s' (known: image, text)", net->label, o);
        else if (want[k])
            st = fk_fail(e, FK_ERR_ARG, "%s: output '%s' requested twice", net->label, o);
        else {
            want[k] = 1;
            in->kind[in->n_out++] = k;
        }
    }
    /* The positional embedding fixes the grid: no other input side works. */
    if (st == FK_OK && p->input_size > 0 && p->input_size != d->image_size)
        st = fk_fail(e, FK_ERR_ARG, "%s: input size must be %d (the positional embedding's grid), got %d",
                     net->label, d->image_size, p->input_size);
    if (st == FK_OK && !p->random_weights && !p->weights_path)
        st = fk_fail(e, FK_ERR_ARG, "%s: no weights file given and random weights are off", net->label);
    if (st == FK_OK && !(net->ctx = fkt_open(p->device ? p->device : "cpu", p->threads, 0, e)))
        st = fk_fail_prefix(e, "%s", net->label);
    if (st == FK_OK && fkt_set_precision(net->ctx, bk_precision(p), e))
        st = fk_fail_prefix(e, "%s", net->label);
    if (st == FK_OK) {
        clip_source src;
        st = clip_source_open(&src, net->label, p->random_weights ? NULL : p->weights_path,
                              p->random_seed, e);
        if (st == FK_OK && want[OUT_IMAGE])
            st = clip_load_vision(net, &src, e);
        /* Random towers have streams of their own (the text tower's seed is
         * the config's XOR "text"), so either can be built alone. */
        if (st == FK_OK && want[OUT_TEXT]) {
            fk_rng_seed(&src.rng, p->random_seed ^ CLIP_TEXT_SEED_XOR);
            st = clip_load_text(net, &src, e);
        }
        clip_source_close(&src);
    }
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
        return fk_fail(e, FK_ERR_ARG, "clip: extract on a NULL instance");
    if (n < 0 || (n > 0 && (!nchw || !out)))
        return fk_fail(e, FK_ERR_ARG, "%s: extract needs n >= 0 images, an input and outputs",
                       in->net.label);
    for (int i = 0; i < in->n_out; i++)
        if (in->kind[i] == OUT_TEXT)
            return fk_fail(e, FK_ERR_ARG,
                           "%s: output 'text' comes from captions (encode_text), not from images",
                           in->net.label);
    if (n == 0)
        return FK_OK;
    if (!out[0])
        return fk_fail(e, FK_ERR_ARG, "%s: output buffer 0 is NULL", in->net.label);
    return clip_encode_image(&in->net, nchw, n, out[0], e);
}

static fk_status encode_text(void *p, const int32_t *tokens, int n, int ctx, float *out,
                             fk_error *e)
{
    instance *in = p;
    if (!in)
        return fk_fail(e, FK_ERR_ARG, "clip: encode_text on a NULL instance");
    if (n < 0 || (n > 0 && (!tokens || !out)))
        return fk_fail(e, FK_ERR_ARG, "%s: encode_text needs n >= 0 token rows and an output",
                       in->net.label);
    if (n == 0)
        return FK_OK;
    return clip_encode_text(&in->net, tokens, n, ctx, out, e);
}

static const fk_plugin plugin = {
    .abi_version = FK_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(fk_plugin),
    .name = "clip",
    .summary = "OpenAI CLIP ViT image and text encoders (CLIP-Score, CLIP-FD)",
    .variants = variants,
    .options = options,
    .list_outputs = list_outputs,
    .default_input_size = default_input_size,
    .open = open_instance,
    .extract = extract,
    .close = close_instance,
    .caps = FK_PLUGIN_CAP_PRECISION,
    .encode_text = encode_text,
};

FK_PLUGIN_EXPORT const fk_plugin *fk_plugin_entry(void)
{
    return &plugin;
}
