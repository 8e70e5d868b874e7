/* fidkit — the backbone plugin ABI.
 *
 * A backbone is a shared object exporting one symbol,
 *
 *     const fk_plugin *fk_plugin_entry(void);
 *
 * returning a static, const table that begins with abi_version and
 * struct_size. The host refuses a plugin whose abi_version it does not know,
 * naming both versions, and never reads a field past struct_size: entry points
 * added later go at the end, and a host checks struct_size before using them
 * (FK_PLUGIN_HAS(p, field)). Bump FK_PLUGIN_ABI_VERSION whenever a field
 * before the end changes meaning or place.
 *
 * A plugin never prints, never exits and never downloads. Every failure comes
 * back as an fk_status plus a message in the caller's fk_error. The host keeps
 * plugins resident (no dlclose), so a plugin may keep static state.
 *
 * An instance is used by one thread at a time; the host opens one instance
 * per thread if it wants parallel extraction.
 *
 * Data: extract() takes a batch of n images as float32 NCHW, already decoded,
 * resized and normalised by the host as the backbone's YAML config says, and
 * writes one row-major (n x dim) float32 block per requested output. */
#ifndef FIDKIT_PLUGIN_H
#define FIDKIT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include "fidkit/error.h"
#include "fidkit/export.h"

/* The one symbol a plugin exports: build it with -fvisibility=hidden and
 * write `FK_PLUGIN_EXPORT const fk_plugin *fk_plugin_entry(void)`. */
#define FK_PLUGIN_EXPORT FK_API

#ifdef __cplusplus
extern "C" {
#endif

/* 2: fk_plugin_params begins with its struct_size. */
#define FK_PLUGIN_ABI_VERSION 2u
#define FK_PLUGIN_ENTRY_SYMBOL "fk_plugin_entry"

typedef struct fk_output_desc {
    const char *name;   /* "pool3", "logits", "image", ... */
    int dim;            /* values per image */
    const char *help;   /* one line */
} fk_output_desc;

/* Options particular to a plugin (ResNet depth, TorchScript output name, ...)
 * are declared by the plugin and validated by the host against the YAML's
 * `options:` map, so an unknown or mistyped key is an error naming the file
 * and line before the plugin runs. */
typedef enum fk_option_type {
    FK_OPT_INT = 1, FK_OPT_FLOAT, FK_OPT_STRING, FK_OPT_BOOL
} fk_option_type;

typedef struct fk_option_spec {
    const char *name;
    fk_option_type type;
    const char *default_value; /* as YAML text; NULL means required */
    const char *help;
} fk_option_spec;

typedef struct fk_option_value {
    int64_t i;          /* FK_OPT_INT, FK_OPT_BOOL (0/1) */
    double f;           /* FK_OPT_FLOAT */
    const char *s;      /* FK_OPT_STRING (valid while the instance lives) */
} fk_option_value;

/* What the host hands to open(): the validated config. Strings stay valid
 * until close(). The struct grows at its end; struct_size says how much of
 * it the host filled, and a plugin reads a field only when
 * FK_PARAMS_HAS(p, field) (an older host passes a shorter struct: the
 * plugin then uses its default for what is missing). */
typedef struct fk_plugin_params {
    uint32_t struct_size;       /* sizeof(fk_plugin_params) as the host was built */
    const char *config_path;    /* for messages */
    const char *variant;        /* one of the plugin's variants */
    const char *weights_path;   /* NULL when random */
    int random_weights;         /* 1: seeded random weights, no file */
    uint64_t random_seed;
    const char *device;         /* resolved by the host: "cpu" or "cuda:N" */
    int threads;                /* 0: the library's default */
    int input_size;             /* square side the host will feed */
    int n_outputs;              /* outputs requested, in this order */
    const char *const *outputs;
    const fk_option_value *options; /* parallel to the plugin's option specs */
    /* The forward precision: "fp32", "tf32" or "bf16". The host passes
     * anything but "fp32" only to a plugin whose table sets
     * FK_PLUGIN_CAP_PRECISION in caps (one that hands it to the torch
     * shim's fkt_set_precision): the tag says /prec=, so it must be true. */
    const char *precision;
} fk_plugin_params;

#define FK_PARAMS_HAS(p, field)                                                        \
    ((p)->struct_size >= offsetof(fk_plugin_params, field) + sizeof((p)->field))

typedef struct fk_plugin {
    uint32_t abi_version;       /* FK_PLUGIN_ABI_VERSION */
    uint32_t struct_size;       /* sizeof(fk_plugin) when built */
    const char *name;           /* "inception_v3": also the file's stem */
    const char *summary;        /* one line for `fidkit backbones` */
    const char *const *variants;         /* NULL-terminated */
    const fk_option_spec *options;       /* terminated by a NULL name; may be NULL */

    /* Outputs a variant offers, for listings and config checks: writes up to
     * cap descriptors and returns how many exist. Strings are static. */
    int (*list_outputs)(const char *variant, fk_output_desc *out, int cap);

    /* Default input side for a variant (299 for Inception). */
    int (*default_input_size)(const char *variant);

    fk_status (*open)(const fk_plugin_params *p, void **inst, fk_error *e);
    fk_status (*extract)(void *inst, const float *nchw, int n, float *const *out,
                         fk_error *e);
    void (*close)(void *inst);

    /* (optional, may be NULL) text encoder for CLIP-type backbones: n token
     * rows of ctx ids each, into n x dim floats of the output named `text`. */
    fk_status (*encode_text)(void *inst, const int32_t *tokens, int n, int ctx,
                             float *out, fk_error *e);

    /* (optional, may be NULL) the dimension of the i-th requested output of
     * an opened instance, for plugins whose dimensions follow from options or
     * from the weights file (torchscript). Such a plugin lists dim 0 in
     * list_outputs; the host asks here after open(). */
    int (*output_dim)(void *inst, int i);

    /* (optional, 0) what the plugin honours beyond ABI 2: FK_PLUGIN_CAP_*
     * bits. Devices need no bit: the host resolves them with the torch shim
     * the plugin links (a plugin without the shim runs on "cpu" only). */
    uint32_t caps;
} fk_plugin;

/* The plugin applies fk_plugin_params.precision. */
#define FK_PLUGIN_CAP_PRECISION 1u

/* Defined since the output_dim entry exists (plugins may test for it). */
#define FK_PLUGIN_OUTPUT_DIM 1

#define FK_PLUGIN_HAS(p, field) \
    ((p)->struct_size >= offsetof(fk_plugin, field) + sizeof((p)->field) && (p)->field)

typedef const fk_plugin *(*fk_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
