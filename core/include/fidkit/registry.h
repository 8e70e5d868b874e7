/* fidkit — the plugin registry and opened backbones.
 *
 * Plugins are shared objects NAME.so found on a search path:
 *   1. each folder of $FIDKIT_PLUGIN_PATH (colon-separated),
 *   2. plugins/ beside the running executable (the build tree),
 *   3. ../lib/fidkit/plugins relative to the executable's folder, and the
 *      install prefix's plugin folder.
 * A plugin is loaded once and stays resident (the only global state of
 * libfidkit). Its ABI version and struct size are checked before anything
 * else is read, and a mismatch is refused with both versions named.
 *
 * A backbone is an opened plugin instance together with the config it came
 * from: the config's preprocessing, its outputs and the tag of each. */
#ifndef FIDKIT_REGISTRY_H
#define FIDKIT_REGISTRY_H

#include "export.h"

#include <stddef.h>
#include "config.h"
#include "error.h"
#include "fidkit/plugin.h"
#include "tag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The search path as a colon-separated list, into buf. */
FK_API char *fk_plugin_search_path(char *buf, size_t n);

/* Loads (or returns the already loaded) plugin NAME. */
FK_API fk_status fk_plugin_load(const char *name, const fk_plugin **p, fk_error *e);
/* Loads the plugin in a given file: the same checks. */
FK_API fk_status fk_plugin_load_file(const char *path, const fk_plugin **p, fk_error *e);

typedef struct fk_plugin_entry_info {
    char path[1024];
    const fk_plugin *plugin;   /* NULL when the file was refused */
    char error[FK_ERROR_MSG_MAX];
} fk_plugin_entry_info;

/* Every NAME.so on the search path (the first of each name wins), loaded or
 * with the reason it was refused. *list is malloc'ed. */
FK_API fk_status fk_plugin_scan(fk_plugin_entry_info **list, int *n, fk_error *e);

typedef struct fk_backbone fk_backbone;

/* Opens the backbone a config describes. outputs (may be NULL, then the
 * config's `output`) names the layers to compute in one pass. The weights
 * file is found, hashed and checked against the config's sha256. */
FK_API fk_status fk_backbone_open(const fk_config *c, const char *const *outputs, int n_outputs,
                                  fk_backbone **b, fk_error *e);
FK_API void fk_backbone_close(fk_backbone *b);

FK_API int fk_backbone_n_outputs(const fk_backbone *b);
FK_API const char *fk_backbone_output_name(const fk_backbone *b, int i);
FK_API int fk_backbone_output_dim(const fk_backbone *b, int i);
FK_API void fk_backbone_tag(const fk_backbone *b, int i, fk_tag *t);
/* The config as opened, with threads resolved: a config's 0 is
 * OMP_NUM_THREADS when set, else every CPU the process may run on. */
FK_API const fk_config *fk_backbone_config(const fk_backbone *b);

/* n images, NCHW float32 preprocessed per the config, into one n x dim
 * block per output. */
FK_API fk_status fk_backbone_extract(fk_backbone *b, const float *nchw, int n, float *const *out,
                                     fk_error *e);

/* Text embeddings from a backbone with a text encoder (CLIP): n rows of ctx
 * token ids into n x dim floats of the output `text`. */
FK_API fk_status fk_backbone_encode_text(fk_backbone *b, const int32_t *tokens, int n, int ctx,
                                         float *out, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
