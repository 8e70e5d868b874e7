/* torchscript — any TorchScript module as a fidkit backbone, for research
 * networks fidkit does not ship (DINOv2, domain-specific models): the user
 * exports the model with torch.jit.save, and a YAML config names the file as
 * its weights (its SHA-256 enters the tag), the input size and normalisation
 * in the usual `input:` section, and two options:
 *
 *   output_dim  (int, required) values per image the method returns; checked
 *               on every batch, so a wrong value fails on the first one
 *   method      (string, default forward) the module's method to call on the
 *               (n, 3, size, size) float32 batch
 *
 * The method must return one floating-point tensor with a row per image
 * (trailing dimensions are flattened: (n, d, 1, 1) is accepted as (n, d)).
 * The single output is called `features`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/error.h"
#include "fidkit/plugin.h"
#include "torchshim_extra.h"
#include "params.h"

static const char *const variants[] = {"default", NULL};

enum { OPT_OUTPUT_DIM, OPT_METHOD };
static const fk_option_spec options[] = {
    [OPT_OUTPUT_DIM] = {"output_dim", FK_OPT_INT, NULL,
                        "values per image the module returns (checked on every batch)"},
    [OPT_METHOD] = {"method", FK_OPT_STRING, "forward",
                    "the module method to call on the (n, 3, size, size) batch"},
    {NULL, 0, NULL, NULL},
};

/* The dimension is not known before the config's options are read: 0 here
 * means "options.output_dim". */
static int list_outputs(const char *variant, fk_output_desc *out, int cap)
{
    if (!variant || strcmp(variant, "default") != 0)
        return 0;
    if (cap >= 1)
        out[0] = (fk_output_desc){"features", 0,
                                  "what the module's method returns (dimension: options.output_dim)"};
    return 1;
}

static int default_input_size(const char *variant)
{
    (void)variant;
    return 224;
}

typedef struct instance {
    fkt_script *module;
    int side;
    int64_t dim;
    char method[128];
    char label[64];
} instance;

static void close_instance(void *p)
{
    instance *in = p;
    if (!in)
        return;
    fkt_script_free(in->module);
    free(in);
}

static fk_status open_instance(const fk_plugin_params *p, void **out, fk_error *e)
{
    if (!out)
        return fk_fail(e, FK_ERR_ARG, "torchscript: open needs an output pointer");
    *out = NULL;
    fk_status pst = bk_params_check("torchscript", p, 0, e);
    if (pst)
        return pst;
    const char *cfg = p->config_path ? p->config_path : "torchscript";
    if (!p->variant || strcmp(p->variant, "default") != 0)
        return fk_fail(e, FK_ERR_ARG, "%s: torchscript has one variant, 'default' (got '%s')", cfg,
                       p->variant ? p->variant : "(null)");
    if (p->random_weights || !p->weights_path)
        return fk_fail(e, FK_ERR_ARG,
                       "%s: torchscript needs weights.file: the TorchScript archive (there are no "
                       "random weights for a module fidkit does not know)",
                       cfg);
    if (!bk_option(options, p, "output_dim"))
        return fk_fail(e, FK_ERR_ARG, "%s: torchscript needs its options (output_dim)", cfg);
    if (p->n_outputs != 1 || !p->outputs || !p->outputs[0] || strcmp(p->outputs[0], "features") != 0)
        return fk_fail(e, FK_ERR_ARG, "%s: torchscript has one output, 'features'", cfg);
    int64_t dim = bk_option_int(options, p, "output_dim");
    if (dim < 1 || dim > (1 << 24))
        return fk_fail(e, FK_ERR_ARG, "%s: options.output_dim must be between 1 and %d, got %lld", cfg,
                       1 << 24, (long long)dim);
    const char *method = bk_option_str(options, p, "method");
    if (!method[0] || strlen(method) >= 128)
        return fk_fail(e, FK_ERR_ARG, "%s: options.method must be a method name", cfg);

    instance *in = calloc(1, sizeof *in);
    if (!in)
        return fk_fail(e, FK_ERR_NOMEM, "torchscript: out of memory");
    in->side = p->input_size > 0 ? p->input_size : 224;
    in->dim = dim;
    snprintf(in->method, sizeof in->method, "%s", method);
    snprintf(in->label, sizeof in->label, "torchscript/default");
    in->module = fkt_script_load(p->weights_path, p->device ? p->device : "cpu", p->threads, e);
    if (!in->module) {
        free(in);
        return fk_fail_prefix(e, "%s", cfg);
    }
    if (!fkt_script_has_method(in->module, in->method)) {
        close_instance(in);
        return fk_fail(e, FK_ERR_ARG, "%s: the TorchScript module %s has no method '%s' (options.method)",
                       cfg, p->weights_path, method);
    }
    *out = in;
    return FK_OK;
}

static fk_status extract(void *p, const float *nchw, int n, float *const *out, fk_error *e)
{
    instance *in = p;
    if (!in)
        return fk_fail(e, FK_ERR_ARG, "torchscript: extract on a NULL instance");
    if (n < 0 || (n > 0 && (!nchw || !out || !out[0])))
        return fk_fail(e, FK_ERR_ARG, "%s: extract needs n >= 0 images, an input and an output buffer",
                       in->label);
    if (n == 0)
        return FK_OK;
    int64_t got = -1;
    fk_status st = fkt_script_run(in->module, in->method, nchw, n, 3, in->side, in->side, out[0],
                                  in->dim, &got, e);
    if (st != FK_OK)
        return fk_fail_prefix(e, "%s", in->label);
    int64_t m = (int64_t)n * in->dim;
    for (int64_t i = 0; i < m; i++)
        if (!isfinite(out[0][i]))
            return fk_fail(e, FK_ERR_NUMERIC, "%s: non-finite feature %g in image %lld, value %lld",
                           in->label, (double)out[0][i], (long long)(i / in->dim),
                           (long long)(i % in->dim));
    return FK_OK;
}

/* The dimension as opened: it follows from options.output_dim, so
 * list_outputs lists 0 and the host asks here after open(). */
static int instance_output_dim(void *p, int i)
{
    const instance *in = p;
    return in && i == 0 ? (int)in->dim : 0;
}

static const fk_plugin plugin = {
    .abi_version = FK_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(fk_plugin),
    .name = "torchscript",
    .summary = "any TorchScript module (torch.jit.save): options output_dim, method",
    .variants = variants,
    .options = options,
    .list_outputs = list_outputs,
    .default_input_size = default_input_size,
    .open = open_instance,
    .extract = extract,
    .close = close_instance,
    .encode_text = NULL,
    .output_dim = instance_output_dim,
};

FK_PLUGIN_EXPORT const fk_plugin *fk_plugin_entry(void)
{
    return &plugin;
}
