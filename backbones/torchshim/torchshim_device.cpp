// fidkit — devices and precisions of the torch shim (torchshim_device.h).
#include "torchshim_device.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

#define FKT_TORCH_AT_LEAST(maj, min) \
    (TORCH_VERSION_MAJOR > (maj) || (TORCH_VERSION_MAJOR == (maj) && TORCH_VERSION_MINOR >= (min)))

namespace {

// The CUDA runtime version this libtorch was built with, or 0 when it has
// none (the CPU stub of the hooks throws).
long cuda_runtime_version()
{
    try {
        return at::detail::getCUDAHooks().versionCUDART();
    } catch (...) {
        return 0;
    }
}

long cudnn_version()
{
    try {
        if (!at::detail::getCUDAHooks().compiledWithCuDNN())
            return 0;
        return at::detail::getCUDAHooks().versionCuDNN();
    } catch (...) {
        return 0;
    }
}

const char build_hint[] =
    "build fidkit against a CUDA libtorch: cmake -DFIDKIT_TORCH_DIR=DIR, DIR the folder holding "
    "TorchConfig.cmake of a CUDA build (a pip torch wheel's: python3 -c 'import torch; "
    "print(torch.utils.cmake_prefix_path)' plus /Torch, or an unpacked LibTorch's share/cmake/Torch); "
    "see docs/gpu.md";

} // namespace

int fkt_cuda_devices()
{
    try {
        if (!at::hasCUDA())
            return 0;
        return at::detail::getCUDAHooks().getNumGPUs();
    } catch (...) {
        return 0;
    }
}

fk_status fkt_parse_device(const char *device, int *index, std::string *why)
{
    *index = -1;
    if (!device || !*device || !std::strcmp(device, "cpu"))
        return FK_OK;
    std::string d = device;
    // In an MPI run (FIDKIT_LOCAL_RANK, set by fidkit's MPI layer), "cuda"
    // and "auto" take one GPU per rank: cuda:(local rank mod devices).
    const char *lr = std::getenv("FIDKIT_LOCAL_RANK");
    long local = lr && *lr ? std::strtol(lr, nullptr, 10) : 0;
    if (local < 0)
        local = 0;
    if (d == "auto") {
        int count = fkt_cuda_devices();
        *index = count > 0 ? (int)(local % count) : -1;
        return FK_OK;
    }
    long n = 0;
    if (d == "cuda") {
        n = fkt_cuda_devices() > 0 ? local % fkt_cuda_devices() : 0;
    } else if (d.compare(0, 5, "cuda:") == 0 && d.size() > 5 && d.size() <= 8) {
        for (size_t i = 5; i < d.size(); i++)
            if (!std::isdigit((unsigned char)d[i])) {
                n = -1;
                break;
            }
        if (n == 0)
            n = std::strtol(d.c_str() + 5, nullptr, 10);
    } else {
        n = -1;
    }
    if (n < 0) {
        *why = "device \"" + d + "\" is not one of cpu, cuda, cuda:N, auto";
        return FK_ERR_ARG;
    }
    if (!cuda_runtime_version() && !at::hasCUDA()) {
        *why = "device \"" + d + "\": this libtorch (" + TORCH_VERSION +
               ") was built without CUDA (Debian's libtorch is CPU-only); " + build_hint +
               "; or use --device cpu";
        return FK_ERR_UNSUPPORTED;
    }
    int count = fkt_cuda_devices();
    if (count == 0) {
        *why = "device \"" + d + "\": this libtorch has CUDA " +
               std::to_string(cuda_runtime_version()) +
               " but sees no CUDA device (driver missing, or CUDA_VISIBLE_DEVICES empty?)";
        return FK_ERR_UNSUPPORTED;
    }
    if (n >= count) {
        *why = "device \"" + d + "\": only " + std::to_string(count) + " CUDA device" +
               (count == 1 ? " is" : "s are") + " visible (cuda:0" +
               (count > 1 ? "..cuda:" + std::to_string(count - 1) : std::string()) + ")";
        return FK_ERR_ARG;
    }
    *index = (int)n;
    return FK_OK;
}

fk_status fkt_parse_precision(const char *precision, int index, fkt_prec *p, std::string *why)
{
    std::string s = precision && *precision ? precision : "fp32";
    if (s == "fp32") {
        *p = FKT_FP32;
        return FK_OK;
    }
    if (s != "tf32" && s != "bf16") {
        *why = "precision \"" + s + "\" is not one of fp32, tf32, bf16";
        return FK_ERR_ARG;
    }
    if (index < 0) {
        *why = "precision " + s + " needs a CUDA device: on the CPU fidkit computes in fp32 only "
               "(a " + s + " tag on fp32 features would be false); use --precision fp32";
        return FK_ERR_UNSUPPORTED;
    }
    *p = s == "tf32" ? FKT_TF32 : FKT_BF16;
    return FK_OK;
}

void fkt_apply_tf32(bool on)
{
    at::globalContext().setAllowTF32CuBLAS(on);
    at::globalContext().setAllowTF32CuDNN(on);
}

#if FKT_TORCH_AT_LEAST(2, 4)
fkt_autocast_scope::fkt_autocast_scope(bool on) : on_(on)
{
    if (!on_)
        return;
    prev_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
    prev_dtype_ = (int)at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
}

fkt_autocast_scope::~fkt_autocast_scope()
{
    if (!on_)
        return;
    at::autocast::set_autocast_enabled(at::kCUDA, prev_enabled_);
    at::autocast::set_autocast_dtype(at::kCUDA, (at::ScalarType)prev_dtype_);
}
#else
fkt_autocast_scope::fkt_autocast_scope(bool on) : on_(on)
{
    if (!on_)
        return;
    prev_enabled_ = at::autocast::is_enabled();
    prev_dtype_ = (int)at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
}

fkt_autocast_scope::~fkt_autocast_scope()
{
    if (!on_)
        return;
    at::autocast::set_enabled(prev_enabled_);
    at::autocast::set_autocast_gpu_dtype((at::ScalarType)prev_dtype_);
}
#endif

std::string fkt_runtime_json()
{
    long cu = cuda_runtime_version(), dnn = cudnn_version();
    int count = fkt_cuda_devices();
    std::string j = std::string("{\"libtorch\": \"") + TORCH_VERSION + "\", \"cuda\": ";
    if (cu > 0) // CUDART encodes 12.1 as 12010
        j += "\"" + std::to_string(cu / 1000) + "." + std::to_string((cu % 1000) / 10) + "\"";
    else
        j += "null";
    j += ", \"cudnn\": " + (dnn > 0 ? std::to_string(dnn) : std::string("null"));
    j += ", \"cuda_devices\": " + std::to_string(count) + ", \"devices\": [\"cpu\"";
    for (int i = 0; i < count; i++)
        j += ", \"cuda:" + std::to_string(i) + "\"";
    return j + "]}";
}
