/* fidkit — where a backbone runs and in which arithmetic.
 *
 *     device: cpu | cuda | cuda:N | auto       (config key, --device)
 *     precision: fp32 | tf32 | bf16            (config key, --precision)
 *
 * The environment overrides both keys of every config loaded
 * (FIDKIT_DEVICE, FIDKIT_PRECISION: what the command's --device and
 * --precision set), the way OMP_NUM_THREADS overrides `threads: 0`.
 *
 * A device is resolved when a backbone opens, before its weights are read
 * and before any dataset is decoded: "auto" becomes "cuda:0" when the torch
 * shim the plugin links has CUDA and sees a device, else "cpu"; "cuda" on a
 * CPU-only libtorch (Debian's) fails with FK_ERR_UNSUPPORTED and says how to
 * build against a CUDA libtorch (docs/gpu.md); "cuda:N" beyond the visible
 * devices fails naming them. A plugin that does not link the shim runs on
 * the CPU only.
 *
 * The precision is part of the tag (/prec=tf32, /prec=bf16; fp32 omitted),
 * so scores of different precisions are never compared. tf32 and bf16 need
 * a CUDA device; on the CPU they are refused, not silently run in fp32. */
#ifndef FIDKIT_DEVICE_H
#define FIDKIT_DEVICE_H

#include <stddef.h>
#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_device_kind { FK_DEVICE_CPU, FK_DEVICE_CUDA, FK_DEVICE_AUTO } fk_device_kind;

/* Images per forward pass on a CUDA device when the config has no
 * `cuda_batch_size` and the command no --batch-size (fits Inception-v3 at
 * 299 px and ViT-L/14 at 224 px in fp32 in a few GiB). */
#define FK_CUDA_DEFAULT_BATCH 200

/* Syntax only: "cpu", "cuda" (index 0), "cuda:N" (0 <= N < 1000), "auto"
 * (index -1). FK_ERR_ARG naming the string otherwise. kind/index may be
 * NULL. */
FK_API fk_status fk_device_parse(const char *s, fk_device_kind *kind, int *index, fk_error *e);

/* "fp32", "tf32" or "bf16"; FK_ERR_ARG otherwise. */
FK_API fk_status fk_precision_parse(const char *s, fk_error *e);

/* Resolves device and precision for the plugin called plugin_name (loaded
 * by name from the search path) as fk_backbone_open does, into out
 * ("cpu", "cuda:N"): for `fidkit` to check before it starts. */
FK_API fk_status fk_device_resolve(const char *plugin_name, const char *device, const char *precision,
                            char *out, size_t n, fk_error *e);

/* What the torch runtime offers, as the JSON object of the shim's
 * fkt_runtime_info ({"libtorch": ..., "cuda": ..., "cuda_devices": N,
 * "devices": [...]}), from the first loaded plugin that links the shim
 * (plugins on the search path are loaded when none is). FK_ERR_PLUGIN when
 * no plugin links it. */
FK_API fk_status fk_torch_runtime(char *json, size_t n, fk_error *e);

/* 1 if the loaded plugin p links the torch shim (it can run on CUDA when
 * the shim's libtorch has it). */
struct fk_plugin;
FK_API int fk_plugin_links_torch(const struct fk_plugin *p);

/* For an opened backbone on a CUDA device: the torch shim's pinned host
 * allocator (fkt_host_alloc/fkt_host_free), which fk_extract gives the
 * loader for its batch buffer. 0 and NULLs otherwise (CPU: malloc, as
 * ever). */
struct fk_backbone;
FK_API int fk_backbone_pinned_allocator(const struct fk_backbone *b, void *(**alloc)(size_t),
                                 void (**release)(void *));

#ifdef __cplusplus
}
#endif
#endif
