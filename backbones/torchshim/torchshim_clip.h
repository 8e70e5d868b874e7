/* fidkit — reading the parameters of a TorchScript archive (torch.jit.save),
 * for backbones whose published weights come only in that form (OpenAI's
 * CLIP files ViT-B-32.pt, ViT-B-16.pt, ViT-L-14.pt).
 *
 * core/'s weights reader refuses TorchScript archives because their data.pkl
 * builds __torch__ objects; libtorch can load them. The archive's module is
 * loaded on the CPU with torch::jit::load, every parameter and buffer is
 * copied out as float32 under its dotted name (visual.conv1.weight, ...), and
 * the module is dropped: none of its methods is ever run. */
#ifndef FIDKIT_TORCHSHIM_CLIP_H
#define FIDKIT_TORCHSHIM_CLIP_H

#include <stdint.h>
#include "fidkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fkt_jit_params fkt_jit_params;

/* FK_ERR_IO: unreadable; FK_ERR_FORMAT: not a TorchScript archive (the
 * message says what libtorch answered). Floating tensors only (f16, bf16,
 * f32, f64); integer buffers are skipped. */
fk_status fkt_jit_params_open(const char *path, fkt_jit_params **p, fk_error *e);
void fkt_jit_params_close(fkt_jit_params *p);

int fkt_jit_params_count(const fkt_jit_params *p);
const char *fkt_jit_params_name(const fkt_jit_params *p, int i);
/* Index of the tensor called name, or -1. */
int fkt_jit_params_find(const fkt_jit_params *p, const char *name);
/* Its shape: returns ndim (up to cap dims written), or -1 when absent. */
int fkt_jit_params_shape(const fkt_jit_params *p, const char *name, int64_t *shape, int cap);
/* A float32 copy of the tensor called name (malloc'ed, the caller frees it),
 * its shape checked against shape[0..ndim) (ndim < 0: any); errors name the
 * file, the tensor and both shapes. */
fk_status fkt_jit_params_get_f32(const fkt_jit_params *p, const char *name, int ndim,
                                 const int64_t *shape, float **out, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
