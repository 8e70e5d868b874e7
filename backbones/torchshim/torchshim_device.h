// fidkit — the torch shim's devices and precisions (internal to the shim,
// C++ only; the C entry points are in torchshim.h).
//
// Everything here compiles against a CPU-only libtorch (Debian's): CUDA is
// reached through ATen's CUDA hooks and c10's device-generic stream guards,
// never through ATen/cuda headers, so one source builds against Debian's
// libtorch, a pip wheel's or an unpacked LibTorch archive, and the CUDA
// paths run only where the libtorch has CUDA.
#ifndef FIDKIT_TORCHSHIM_DEVICE_H
#define FIDKIT_TORCHSHIM_DEVICE_H

#include <string>

#include "fidkit/error.h"

enum fkt_prec { FKT_FP32 = 0, FKT_TF32 = 1, FKT_BF16 = 2 };

// "cpu", "", NULL -> -1; "cuda" -> 0; "cuda:N" -> N; "auto" -> 0 when a CUDA
// device is visible, else -1. FK_ERR_ARG for a malformed name,
// FK_ERR_UNSUPPORTED (with how to build with CUDA) when this libtorch has no
// CUDA, FK_ERR_ARG when N is not a visible device; *why says so.
fk_status fkt_parse_device(const char *device, int *index, std::string *why);

// "fp32" (or NULL, ""), "tf32", "bf16"; index: the resolved device (-1 =
// CPU, where only fp32 is accepted).
fk_status fkt_parse_precision(const char *precision, int index, fkt_prec *p, std::string *why);

// cuBLAS and cuDNN TF32 switches (process-wide in ATen).
void fkt_apply_tf32(bool on);

// Turns CUDA autocast to bfloat16 on for its lifetime (when on), restoring
// the previous state after.
struct fkt_autocast_scope {
    explicit fkt_autocast_scope(bool on);
    ~fkt_autocast_scope();
    fkt_autocast_scope(const fkt_autocast_scope &) = delete;
    fkt_autocast_scope &operator=(const fkt_autocast_scope &) = delete;

  private:
    bool on_, prev_enabled_ = false;
    int prev_dtype_ = 0;
};

// The JSON object of fkt_runtime_info.
std::string fkt_runtime_json();

// Visible CUDA devices (0 without CUDA).
int fkt_cuda_devices();

#endif
