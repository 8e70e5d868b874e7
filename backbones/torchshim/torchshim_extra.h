/* fidkit — torch shim additions for whole TorchScript modules (the
 * torchscript backbone): load an archive written by torch.jit.save and run
 * one of its methods on a batch. Kept apart from torchshim.h, whose ops build
 * a network layer by layer; the same rules hold: every C++ exception stops
 * here and becomes an fk_status with a one-line message, nothing prints. */
#ifndef FIDKIT_TORCHSHIM_EXTRA_H
#define FIDKIT_TORCHSHIM_EXTRA_H

#include <stdint.h>
#include "fidkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fkt_script fkt_script;

/* Loads a TorchScript archive on device (as fkt_open takes it: "cpu",
 * "cuda", "cuda:N", "auto"; always fp32 with TF32 off) and puts it in eval
 * mode; fkt_script_run copies its batch there and the result back.
 * threads: 0 keeps torch's default. NULL on failure, with the reason in *e
 * (FK_ERR_IO: unreadable; FK_ERR_FORMAT: not a TorchScript archive). */
fkt_script *fkt_script_load(const char *path, const char *device, int threads, fk_error *e);
void fkt_script_free(fkt_script *m);

/* 1 if the module has a method of that name. */
int fkt_script_has_method(const fkt_script *m, const char *method);

/* Calls method(x) under no-grad with x the float32 tensor (n, c, h, w) read
 * from nchw. The result must be one floating-point tensor with n rows; its
 * values per row (all dimensions after the first, flattened) must number
 * dim, and are copied to out (n x dim, row-major). *got_dim (may be NULL)
 * receives the values per row the method returned, also on a mismatch. */
fk_status fkt_script_run(fkt_script *m, const char *method, const float *nchw, int n, int c, int h,
                         int w, float *out, int64_t dim, int64_t *got_dim, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
