/* A complete fidkit backbone plugin in one file: the template to copy.
 *
 * "tiny_pool" needs no weights and no libtorch: its features are the input
 * image average-pooled to a G x G grid per channel (variants g2, g4, g8),
 * and its `mean` output is the per-channel mean.
 *
 * The rule this template shows: whatever changes what the features mean is a
 * variant (it enters the tag, so scores of different grids are never
 * compared); an option may change only speed or rounding. It is a real, if
 * weak, feature extractor: the tests use it to run the whole pipeline
 * (dataset -> loader -> plugin -> moments -> stats -> FD) against a NumPy
 * reference without a network.
 *
 * To write your own: copy this file, change the name, the outputs and
 * extract(); build it as a MODULE library named NAME.so linked to libfidkit
 * (fk_add_plugin in fidkit's CMakeLists, or `pkg-config --cflags --libs
 * fidkit`); put it on FIDKIT_PLUGIN_PATH; write a YAML config naming it.
 * See plugins/GUIDE.md. */
#include <stdlib.h>
#include <string.h>

#include "fidkit/plugin.h"

static const char *const variants[] = {"g2", "g4", "g8", NULL};

static const fk_option_spec options[] = {
    {"double_sums", FK_OPT_BOOL, "true", "accumulate pooling sums in double (else float)"},
    {NULL, 0, NULL, NULL},
};

static int grid_of(const char *variant)
{
    return variant && variant[0] == 'g' ? atoi(variant + 1) : 0;
}

typedef struct inst {
    int size;      /* input side */
    int grid;
    int double_sums;
    int n_out;
    int kind[8];   /* 0: pooled grid, 1: channel mean */
} inst;

static int list_outputs(const char *variant, fk_output_desc *out, int cap)
{
    int g = grid_of(variant);
    const fk_output_desc all[2] = {
        {"pool", 3 * g * g, "input average-pooled to a grid per channel (3 x grid^2)"},
        {"mean", 3, "per-channel mean of the input"},
    };
    for (int i = 0; i < 2 && i < cap; i++)
        out[i] = all[i];
    return 2;
}

static int default_input_size(const char *variant)
{
    (void)variant;
    return 32;
}

static fk_status open_inst(const fk_plugin_params *p, void **out, fk_error *e)
{
    inst *s = calloc(1, sizeof *s);
    if (!s)
        return fk_fail(e, FK_ERR_NOMEM, "tiny_pool: out of memory");
    s->size = p->input_size;
    s->grid = grid_of(p->variant);
    /* Read an option only when the host passed it (FK_PARAMS_HAS): an
     * older host's shorter params end before it. */
    s->double_sums = FK_PARAMS_HAS(p, options) && p->options ? (int)p->options[0].i : 0;
    if (s->grid < 1 || s->grid > s->size || s->size % s->grid) {
        int size = s->size, grid = s->grid;
        free(s);
        return fk_fail(e, FK_ERR_ARG, "%s: tiny_pool: grid %d must divide the input size %d",
                       p->config_path, grid, size);
    }
    if (p->n_outputs > 8) {
        free(s);
        return fk_fail(e, FK_ERR_ARG, "tiny_pool: too many outputs");
    }
    s->n_out = p->n_outputs;
    for (int i = 0; i < p->n_outputs; i++)
        s->kind[i] = !strcmp(p->outputs[i], "mean");
    *out = s;
    return FK_OK;
}

static fk_status extract(void *self, const float *x, int n, float *const *out, fk_error *e)
{
    const inst *s = self;
    (void)e;
    const int S = s->size, G = s->grid, cell = S / G;
    for (int b = 0; b < n; b++) {
        const float *img = x + (size_t)b * 3 * S * S;
        for (int k = 0; k < s->n_out; k++) {
            float *o = out[k] + (size_t)b * (s->kind[k] ? 3 : 3 * G * G);
            for (int c = 0; c < 3; c++) {
                const float *ch = img + (size_t)c * S * S;
                if (s->kind[k]) {
                    double acc = 0;
                    for (int i = 0; i < S * S; i++)
                        acc += ch[i];
                    o[c] = (float)(acc / (S * S));
                    continue;
                }
                for (int gy = 0; gy < G; gy++)
                    for (int gx = 0; gx < G; gx++) {
                        double acc = 0;
                        float accf = 0;
                        for (int y = gy * cell; y < (gy + 1) * cell; y++)
                            for (int xx = gx * cell; xx < (gx + 1) * cell; xx++) {
                                acc += ch[y * S + xx];
                                accf += ch[y * S + xx];
                            }
                        if (!s->double_sums)
                            acc = accf;
                        o[(c * G + gy) * G + gx] = (float)(acc / (cell * cell));
                    }
            }
        }
    }
    return FK_OK;
}

static void close_inst(void *self) { free(self); }

static const fk_plugin plugin = {
    .abi_version = FK_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(fk_plugin),
    .name = "tiny_pool",
    .summary = "template backbone: the input average-pooled to a small grid (no weights)",
    .variants = variants,
    .options = options,
    .list_outputs = list_outputs,
    .default_input_size = default_input_size,
    .open = open_inst,
    .extract = extract,
    .close = close_inst,
};

FK_PLUGIN_EXPORT const fk_plugin *fk_plugin_entry(void) { return &plugin; }
