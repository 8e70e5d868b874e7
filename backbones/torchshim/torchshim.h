/* fidkit — the torch shim: a C interface over libtorch's C++ API.
 *
 * This is the only C++ in fidkit. Backbones are written in C as a sequence of
 * calls below; the shim runs each as an ATen operation under no-grad and
 * inference mode. Every C++ exception stops here and becomes an error stored
 * in the context: the first error is sticky, every later call returns NULL
 * (or an error code) without doing anything, and fkt_status() tells what
 * failed. A forward pass can therefore be written straight through and
 * checked once at the end. Codes: FK_ERR_ARG (a NULL tensor, a bad shape or
 * count), FK_ERR_NOMEM, FK_ERR_UNSUPPORTED (a device this libtorch lacks),
 * FK_ERR_PLUGIN (torch refused the operation: its message, on one line).
 * Nothing is printed: torch's warnings are kept (fkt_warning()).
 *
 * Tensors are owned by their context. Parameters made before fkt_mark() live
 * until fkt_free(); activations made after a mark are freed by
 * fkt_release(mark), so one forward pass costs no bookkeeping, and
 * fkt_release_except() frees a finished block's intermediates mid-pass.
 *
 * A context serves one thread at a time; separate contexts may run in
 * separate threads (torch's thread count is process-wide, though). */
#ifndef FIDKIT_TORCHSHIM_H
#define FIDKIT_TORCHSHIM_H

#include <stddef.h>
#include <stdint.h>
#include "fidkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fkt_ctx fkt_ctx;
typedef struct fkt_tensor fkt_tensor;

/* device: "cpu", "cuda" (= "cuda:0"), "cuda:N" or "auto" (CUDA device 0
 * when this libtorch has CUDA and a device is visible, else the CPU); NULL
 * or "" is "cpu". Debian's libtorch has no CUDA: "cuda" then fails with
 * FK_ERR_UNSUPPORTED saying how to build against a CUDA libtorch. On a CUDA
 * device the context has its own stream: inputs are staged in pinned host
 * memory and copied asynchronously on it, every op is queued on it, and
 * fkt_to_f32 waits for it. threads: 0 keeps torch's default. channels_last:
 * 1 runs 4-d activations and conv weights in NHWC memory format (faster for
 * convolutions on CPU; results equal to rounding). The precision is fp32
 * with TF32 off (fkt_set_precision changes it). */
fkt_ctx *fkt_open(const char *device, int threads, int channels_last, fk_error *e);

/* The forward precision of a context: "fp32" (the default: float32, TF32
 * disabled for cuBLAS and cuDNN), "tf32" (float32 tensors, TF32 matmuls and
 * convolutions) or "bf16" (autocast to bfloat16 for matmuls and
 * convolutions). tf32 and bf16 need a CUDA device: on the CPU they are
 * refused (FK_ERR_UNSUPPORTED) rather than silently run in fp32. Set it
 * before the first op; the error is sticky like any other. */
fk_status fkt_set_precision(fkt_ctx *c, const char *precision, fk_error *e);

/* The device a context runs on, resolved ("cpu", "cuda:0"). */
const char *fkt_device(const fkt_ctx *c);

/* Checks a device and a precision (NULL: "fp32") against this libtorch
 * without opening anything, and writes the resolved device ("cpu",
 * "cuda:N") to out: the host calls it before any work, so that a CPU-only
 * libtorch asked for "cuda" fails before datasets are decoded. Errors as
 * fkt_open and fkt_set_precision give them. */
fk_status fkt_device_resolve(const char *device, const char *precision, char *out, size_t n,
                             fk_error *e);

/* What this libtorch offers, as one JSON object into buf (always
 * terminated): {"libtorch": "1.13.0", "cuda": "12.1" or null, "cudnn":
 * 8902 or null, "cuda_devices": N, "devices": ["cpu", "cuda:0", ...]}.
 * Returns the length written. */
size_t fkt_runtime_info(char *buf, size_t n);

/* Page-locked (pinned) host memory from torch's CUDA host allocator, for
 * the host's batch buffers: fkt_from_f32 on a CUDA context copies from such
 * a buffer straight to the device, asynchronously, without a staging copy
 * (the buffer must then stay untouched until fkt_to_f32 of that pass, which
 * waits for the stream). NULL when this libtorch has no CUDA or on failure;
 * fkt_host_free(NULL) does nothing. */
void *fkt_host_alloc(size_t bytes);
void fkt_host_free(void *p);
void fkt_free(fkt_ctx *c);
/* FK_OK, or the first error; copies its message into *e when e != NULL. */
fk_status fkt_status(const fkt_ctx *c, fk_error *e);

/* Forgets the sticky error so that a context whose forward pass failed (a
 * bad batch) can serve the next one; tensors made before stay valid. */
void fkt_clear_error(fkt_ctx *c);

/* The first warning torch issued in this context (torch's warnings are kept
 * here instead of printed), or NULL. */
const char *fkt_warning(const fkt_ctx *c);

size_t fkt_mark(fkt_ctx *c);
void fkt_release(fkt_ctx *c, size_t mark);
/* Frees the tensors made after mark except the n listed in keep (NULLs are
 * skipped), which stay valid and now follow the mark in their old order: a
 * pass that settles after each block holds one block's activations instead
 * of the whole network's. Works after an error too. */
void fkt_release_except(fkt_ctx *c, size_t mark, fkt_tensor *const *keep, int n);
/* Tensors the context holds (for tests of the arena). */
size_t fkt_count(const fkt_ctx *c);

/* Creation: copies data (float32, row-major). */
fkt_tensor *fkt_from_f32(fkt_ctx *c, const float *data, int ndim, const int64_t *shape);
fkt_tensor *fkt_from_i64(fkt_ctx *c, const int64_t *data, int ndim, const int64_t *shape);
/* Copies a float32 result out (contiguous, row-major) after checking that
 * numel == count. */
fk_status fkt_to_f32(fkt_ctx *c, const fkt_tensor *t, float *out, int64_t count);
int fkt_ndim(const fkt_tensor *t);
int64_t fkt_size(const fkt_tensor *t, int dim);

/* Layers (NCHW semantics whatever the memory format). b may be NULL.
 * Float32 CPU convolutions run on oneDNN directly (see torchshim.cpp). */
fkt_tensor *fkt_conv2d(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *w,
                       const fkt_tensor *b, int sh, int sw, int ph, int pw, int groups);
/* conv2d followed by an in-place ReLU: one tensor instead of two, for
 * BasicConv2d blocks whose batch norm was folded into w and b. */
fkt_tensor *fkt_conv2d_relu(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *w,
                            const fkt_tensor *b, int sh, int sw, int ph, int pw, int groups);
fkt_tensor *fkt_linear(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *w,
                       const fkt_tensor *b);
fkt_tensor *fkt_batch_norm(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *gamma,
                           const fkt_tensor *beta, const fkt_tensor *mean,
                           const fkt_tensor *var, double eps);
fkt_tensor *fkt_layer_norm(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *gamma,
                           const fkt_tensor *beta, double eps);
fkt_tensor *fkt_max_pool2d(fkt_ctx *c, const fkt_tensor *x, int k, int s, int p);
fkt_tensor *fkt_avg_pool2d(fkt_ctx *c, const fkt_tensor *x, int k, int s, int p,
                           int count_include_pad);
fkt_tensor *fkt_global_avg_pool(fkt_ctx *c, const fkt_tensor *x); /* N,C,H,W -> N,C */

/* Elementwise. */
fkt_tensor *fkt_relu(fkt_ctx *c, const fkt_tensor *x);
fkt_tensor *fkt_relu6(fkt_ctx *c, const fkt_tensor *x);
fkt_tensor *fkt_hardswish(fkt_ctx *c, const fkt_tensor *x);
fkt_tensor *fkt_hardsigmoid(fkt_ctx *c, const fkt_tensor *x);
fkt_tensor *fkt_sigmoid(fkt_ctx *c, const fkt_tensor *x);
fkt_tensor *fkt_gelu(fkt_ctx *c, const fkt_tensor *x);
fkt_tensor *fkt_add(fkt_ctx *c, const fkt_tensor *a, const fkt_tensor *b);
fkt_tensor *fkt_mul(fkt_ctx *c, const fkt_tensor *a, const fkt_tensor *b);
fkt_tensor *fkt_scale(fkt_ctx *c, const fkt_tensor *a, double s);

/* Shape and linear algebra. */
fkt_tensor *fkt_cat(fkt_ctx *c, const fkt_tensor *const *xs, int n, int dim);
fkt_tensor *fkt_reshape(fkt_ctx *c, const fkt_tensor *x, int ndim, const int64_t *shape);
fkt_tensor *fkt_permute(fkt_ctx *c, const fkt_tensor *x, int ndim, const int *perm);
fkt_tensor *fkt_narrow(fkt_ctx *c, const fkt_tensor *x, int dim, int64_t start, int64_t len);
fkt_tensor *fkt_select(fkt_ctx *c, const fkt_tensor *x, int dim, int64_t index);
fkt_tensor *fkt_matmul(fkt_ctx *c, const fkt_tensor *a, const fkt_tensor *b);
fkt_tensor *fkt_softmax(fkt_ctx *c, const fkt_tensor *x, int dim);
fkt_tensor *fkt_flatten(fkt_ctx *c, const fkt_tensor *x, int start_dim);
fkt_tensor *fkt_contiguous(fkt_ctx *c, const fkt_tensor *x);

#ifdef __cplusplus
}
#endif
#endif
