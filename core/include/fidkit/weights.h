/* fidkit — reading network weights without Python and without executing
 * pickles.
 *
 * Formats, detected by content, not by name:
 *   - safetensors (8-byte header length, JSON header, raw data);
 *   - torch.save zip archives (torch >= 1.6: ARCHIVE/data.pkl + ARCHIVE/data/N);
 *   - torch.save legacy files (pre-1.6: pickled magic, protocol, sys info, the
 *     state dict, then the storages' raw bytes) — the official FID Inception
 *     file and most torchvision files are of this kind;
 *   - TorchScript archives are zip archives too, but their data.pkl builds
 *     __torch__ objects; they are refused here and read by the torch shim.
 *
 * The unpickler is restricted: it knows the opcodes of protocols 2-5 and
 * accepts only the globals a tensor state dict uses (collections.OrderedDict,
 * torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage
 * types); any other global is refused with its name. Every length and offset
 * is checked against the file size. Tensors are exposed as fk_array views
 * into a read-only mapping of the file (or a decompressed copy). */
#ifndef FIDKIT_WEIGHTS_H
#define FIDKIT_WEIGHTS_H

#include "array.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_weights fk_weights;

fk_status fk_weights_open(const char *path, fk_weights **w, fk_error *e);
void fk_weights_close(fk_weights *w);

const char *fk_weights_format(const fk_weights *w); /* "safetensors", "torch-zip", "torch-legacy" */
int fk_weights_count(const fk_weights *w);
const char *fk_weights_name(const fk_weights *w, int i);
/* The tensor called name, or NULL. The view is valid until fk_weights_close;
 * its data is contiguous row-major in the stored dtype. */
const fk_array *fk_weights_find(const fk_weights *w, const char *name);

/* Copies the tensor called name into a new float32 buffer (converting from
 * f16, bf16, f64), checking its shape against shape[0..ndim) (ndim < 0: any).
 * Errors name the file, the tensor and both shapes. */
fk_status fk_weights_get_f32(const fk_weights *w, const char *name, int ndim,
                             const int64_t *shape, float **out, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
