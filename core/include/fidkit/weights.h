/* fidkit — reading network weights without Python and without executing
 * pickles.
 *
 * Formats, detected by content, not by name:
 *   - safetensors (8-byte little-endian header length, JSON header, raw data);
 *   - torch.save zip archives (torch >= 1.6: ARCHIVE/data.pkl + ARCHIVE/data/KEY,
 *     the root folder name taken from the first member);
 *   - torch.save legacy files (pre-1.6: pickled magic, protocol 1001, sys info,
 *     the state dict, the storage keys, then each storage as an int64 element
 *     count and its raw bytes) — the official FID Inception file and most
 *     torchvision files are of this kind;
 *   - TorchScript archives are zip archives too, but their data.pkl builds
 *     __torch__ objects; they are refused (FK_ERR_UNSUPPORTED) and read by the
 *     torch shim.
 *
 * The unpickler is restricted: it knows the binary opcodes of protocols 2-5
 * and accepts only the globals a tensor state dict uses (collections.OrderedDict,
 * torch._utils._rebuild_tensor_v2 / _rebuild_tensor / _rebuild_parameter /
 * _rebuild_parameter_with_state, torch.*Storage types); any other global is
 * refused with its module and name (FK_ERR_UNSUPPORTED). Nothing is executed.
 * Every length, offset and count is checked against the file size; a
 * truncated or corrupt file gives FK_ERR_FORMAT naming the file and the fault.
 *
 * Tensors are fk_array views into a read-only mapping of the file when they
 * are stored contiguous and aligned; otherwise (strided views, deflated zip
 * members, unaligned legacy storages) into copies owned by the fk_weights.
 *
 * Names: every tensor reachable through dicts (and lists) is exposed by its
 * dotted path, exactly as stored — nothing is stripped ("module." prefixes
 * stay). A checkpoint that wraps a state dict ({"state_dict": {...}, "epoch":
 * 3}) exposes "state_dict.conv1.weight"; when exactly one of the keys
 * state_dict, model_state_dict, model, module, net holds tensors and the top
 * level holds none itself, fk_weights_find also finds "conv1.weight" there
 * (fk_weights_inner_prefix tells which). docs/weights.md has the details. */
#ifndef FIDKIT_WEIGHTS_H
#define FIDKIT_WEIGHTS_H

#include "export.h"

#include "array.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_weights fk_weights;

/* FK_ERR_IO: unreadable; FK_ERR_FORMAT: truncated or corrupt;
 * FK_ERR_UNSUPPORTED: TorchScript, a refused global, an unknown dtype. */
FK_API fk_status fk_weights_open(const char *path, fk_weights **w, fk_error *e);
FK_API void fk_weights_close(fk_weights *w);

FK_API const char *fk_weights_format(const fk_weights *w); /* "safetensors", "torch-zip", "torch-legacy" */
FK_API const char *fk_weights_path(const fk_weights *w);
FK_API int fk_weights_count(const fk_weights *w);
/* The i-th tensor in file order (NULL when out of range). */
FK_API const char *fk_weights_name(const fk_weights *w, int i);
FK_API const fk_array *fk_weights_tensor(const fk_weights *w, int i);
/* The tensor called name, or NULL: exact dotted path first, then within the
 * inner state dict (see above). The view is valid until fk_weights_close;
 * its data is contiguous row-major in the stored dtype, aligned to its
 * element size, and must not be written. */
FK_API const fk_array *fk_weights_find(const fk_weights *w, const char *name);
/* "state_dict." (with the dot) when names are also looked up inside an inner
 * state dict, "" otherwise. */
FK_API const char *fk_weights_inner_prefix(const fk_weights *w);

/* Copies the tensor called name into a new float32 buffer (converting from
 * f16, bf16, f64), checking its shape against shape[0..ndim) (ndim < 0: any).
 * Errors name the file, the tensor and both shapes. *out is malloc'ed, the
 * caller frees it. Integer tensors are refused (FK_ERR_FORMAT); a float64
 * value beyond float32's range gives FK_ERR_NUMERIC. */
FK_API fk_status fk_weights_get_f32(const fk_weights *w, const char *name, int ndim,
                                    const int64_t *shape, float **out, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
