// fidkit — the torch shim (see torchshim.h for the contract).
//
// Every extern "C" entry point that touches torch goes through guarded(): it
// returns at once when the context already holds an error, opens the no-grad,
// inference-mode and warning guards, and turns any C++ exception into the
// sticky error. Nothing here prints and nothing aborts.
//
// The library is built with hidden visibility; only the C entry points are
// exported.
#pragma GCC visibility push(default)
#include "torchshim.h"
#pragma GCC visibility pop

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <torch/version.h>

#include "torchshim_device.h"

#include <cstdio>
#include <climits>
#include <cstring>
#include <malloc.h>
#include <mutex>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct fkt_tensor {
    at::Tensor t;
};

// Torch's warnings go to stderr by default; a library must not print, so
// they are caught here and kept (the first one) for fkt_warning().
struct QuietWarnings : c10::WarningHandler {
    std::string first;
    void process(const c10::SourceLocation &, const std::string &msg, const bool) override
    {
        if (first.empty())
            first = msg;
    }
};

struct fkt_ctx {
    std::vector<std::unique_ptr<fkt_tensor>> tensors; // arena: released from the back
    fk_status status = FK_OK;
    std::string msg;
    QuietWarnings warnings;
    int threads = 0;
    bool channels_last = false;
    at::Device device = at::Device(at::kCPU);
    fkt_prec precision = FKT_FP32;
    c10::optional<c10::Stream> stream; // CUDA: the context's own stream
    std::string device_name = "cpu";
};

namespace {

void set_error(fk_error *e, fk_status code, const std::string &msg)
{
    if (!e)
        return;
    e->code = code;
    std::snprintf(e->msg, sizeof e->msg, "%s", msg.c_str());
}

// Torch messages span several lines (hints, "Exception raised from ...");
// fidkit messages are one line, so keep the text before the source location.
std::string one_line(const char *what)
{
    std::string s = what ? what : "unknown error";
    size_t cut = s.find("Exception raised from");
    if (cut != std::string::npos)
        s.resize(cut);
    for (char &ch : s)
        if (ch == '\n' || ch == '\r' || ch == '\t')
            ch = ' ';
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

void fail(fkt_ctx *c, fk_status code, const char *op, const std::string &why)
{
    if (c->status != FK_OK)
        return;
    c->status = code;
    c->msg = std::string("torch shim: ") + op + ": " + why;
}

// A tensor argument may be NULL only where the header says so; after an
// earlier error every result is NULL, but then run_op never gets this far.
const at::Tensor &arg(const fkt_tensor *t, const char *name)
{
    if (!t)
        throw std::invalid_argument(std::string(name) + " is NULL");
    return t->t;
}

// Runs f() under the guards; false (and the sticky error set) if it threw.
template <class F>
bool guarded(fkt_ctx *c, const char *op, F &&f)
{
    if (!c || c->status != FK_OK)
        return false;
    try {
        // OpenMP's thread count is per calling thread: set it on whichever
        // thread the host uses for this call.
        if (c->threads > 0 && at::get_num_threads() != c->threads)
            at::set_num_threads(c->threads);
        c10::Warning::WarningHandlerGuard quiet(&c->warnings);
        c10::NoGradGuard no_grad;
        c10::InferenceMode inference;
        // CUDA: every op of this call is queued on the context's stream, in
        // the context's precision (TF32 and autocast are process-wide
        // switches, so they are set on each call, and autocast restored).
        c10::OptionalStreamGuard on_stream;
        if (c->stream) {
            on_stream.reset_stream(*c->stream);
            fkt_apply_tf32(c->precision == FKT_TF32);
        }
        fkt_autocast_scope autocast(c->device.is_cuda() && c->precision == FKT_BF16);
        f();
        return true;
    } catch (const c10::Error &ex) {
        fail(c, FK_ERR_PLUGIN, op, one_line(ex.what_without_backtrace()));
    } catch (const std::bad_alloc &) {
        fail(c, FK_ERR_NOMEM, op, "out of memory");
    } catch (const std::invalid_argument &ex) {
        fail(c, FK_ERR_ARG, op, one_line(ex.what()));
    } catch (const std::exception &ex) {
        fail(c, FK_ERR_PLUGIN, op, one_line(ex.what()));
    } catch (...) {
        fail(c, FK_ERR_INTERNAL, op, "unknown C++ exception");
    }
    return false;
}

template <class F>
fkt_tensor *run_op(fkt_ctx *c, const char *op, F &&f)
{
    fkt_tensor *out = nullptr;
    guarded(c, op, [&] {
        std::unique_ptr<fkt_tensor> t(new fkt_tensor{f()});
        c->tensors.push_back(std::move(t));
        out = c->tensors.back().get();
    });
    return out;
}

std::vector<int64_t> dims(int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > 8 || (ndim > 0 && !shape))
        throw std::invalid_argument("bad shape (ndim " + std::to_string(ndim) + ")");
    std::vector<int64_t> v(shape, shape + ndim);
    for (int64_t d : v)
        if (d < 0)
            throw std::invalid_argument("negative dimension in shape");
    return v;
}

std::string shape_str(const at::Tensor &t)
{
    std::string s = "(";
    for (int64_t i = 0; i < t.dim(); i++)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + ")";
}

at::Tensor layout(const fkt_ctx *c, at::Tensor t)
{
    if (c->channels_last && t.dim() == 4)
        return t.contiguous(at::MemoryFormat::ChannelsLast);
    return t;
}

// at::conv2d sends 1x1 convolutions of small single-threaded batches to
// its im2col path ("THNN is faster when single-threaded"); measured here on
// Inception's 1x1 layers, oneDNN takes two thirds of the time, so float32
// CPU convolutions go to oneDNN directly. Shapes are checked first: oneDNN
// is not the place to discover a bad one, and at::conv2d words the error.
at::Tensor conv(const at::Tensor &x, const at::Tensor &w, const at::Tensor *b, int sh, int sw, int ph,
                int pw, int groups)
{
    c10::optional<at::Tensor> bias;
    if (b)
        bias = *b;
    bool direct = at::hasMKLDNN() && x.device().is_cpu() && w.device().is_cpu() &&
                  x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat && x.dim() == 4 &&
                  w.dim() == 4 && w.numel() > 0 && groups >= 1 && sh >= 1 && sw >= 1 && ph >= 0 && pw >= 0 &&
                  x.size(0) > 0 && x.size(1) == w.size(1) * groups && w.size(0) % groups == 0 &&
                  x.size(2) + 2 * ph >= w.size(2) && x.size(3) + 2 * pw >= w.size(3) &&
                  (!b || (b->dim() == 1 && b->size(0) == w.size(0) && b->scalar_type() == at::kFloat));
    if (!direct)
        return at::conv2d(x, w, bias, {sh, sw}, {ph, pw}, {1, 1}, groups);
    return at::mkldnn_convolution(x, w, bias, {ph, pw}, {sh, sw}, {1, 1}, groups);
}

} // namespace

// A forward pass allocates and frees activations of tens of megabytes layer
// after layer, the same sizes on every batch. glibc serves blocks over its
// mmap threshold (at most 32 MiB) with a fresh mapping and unmaps them on
// free, and trims the heap's top, so every batch faults its activations in
// again, a page zeroed by the kernel each time: ~5,500 faults per image for
// Inception-v3 at batch 16. Alone, these cost 11 % of the plugin's time; run
// beside a Python process holding torch (the benchmark's set-up) they cost
// a third (13-17 img/s instead of 24). So the shim serves every block from
// the heap (no mmap) and never trims it: freed activations are reused by the
// next batch and a long extraction takes no page fault at all. The price is
// that the process keeps its peak heap until exit. This is a process-wide
// malloc setting, taken once, when the first torch context opens.
static void keep_activation_memory()
{
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_MAX, 0);
        mallopt(M_TRIM_THRESHOLD, INT_MAX);
    });
}

extern "C" {

fkt_ctx *fkt_open(const char *device, int threads, int channels_last, fk_error *e)
{
    if (threads < 0) {
        set_error(e, FK_ERR_ARG, "torch shim: threads must be >= 0, got " + std::to_string(threads));
        return nullptr;
    }
    int index = -1;
    std::string why;
    fk_status st = fkt_parse_device(device, &index, &why);
    if (st != FK_OK) {
        set_error(e, st, "torch shim: " + why);
        return nullptr;
    }
    try {
        keep_activation_memory();
        std::unique_ptr<fkt_ctx> c(new fkt_ctx);
        c->threads = threads;
        c->channels_last = channels_last != 0;
        if (threads > 0)
            at::set_num_threads(threads);
        if (index >= 0) {
            c->device = at::Device(at::kCUDA, (c10::DeviceIndex)index);
            c->device_name = c->device.str();
            c10::impl::VirtualGuardImpl impl(at::kCUDA);
            c->stream = impl.getStreamFromGlobalPool(c->device, false);
            fkt_apply_tf32(false);
        }
        return c.release();
    } catch (const c10::Error &ex) {
        set_error(e, FK_ERR_PLUGIN, std::string("torch shim: opening a context on ") +
                                        (device ? device : "cpu") + ": " +
                                        one_line(ex.what_without_backtrace()));
    } catch (const std::exception &ex) {
        set_error(e, FK_ERR_NOMEM, std::string("torch shim: opening a context: ") + one_line(ex.what()));
    } catch (...) {
        set_error(e, FK_ERR_INTERNAL, "torch shim: opening a context: unknown C++ exception");
    }
    return nullptr;
}

fk_status fkt_set_precision(fkt_ctx *c, const char *precision, fk_error *e)
{
    if (!c) {
        set_error(e, FK_ERR_ARG, "torch shim: context is NULL");
        return FK_ERR_ARG;
    }
    if (c->status == FK_OK) {
        fkt_prec p;
        std::string why;
        fk_status st = fkt_parse_precision(precision, c->device.is_cuda() ? 0 : -1, &p, &why);
        if (st != FK_OK) {
            c->status = st;
            c->msg = "torch shim: " + why;
        } else {
            c->precision = p;
        }
    }
    return fkt_status(c, e);
}

const char *fkt_device(const fkt_ctx *c)
{
    if (!c)
        return "";
    return c->device_name.c_str();
}

fk_status fkt_device_resolve(const char *device, const char *precision, char *out, size_t n,
                             fk_error *e)
{
    int index = -1;
    std::string why;
    fk_status st = fkt_parse_device(device, &index, &why);
    fkt_prec p;
    if (st == FK_OK)
        st = fkt_parse_precision(precision, index, &p, &why);
    if (st != FK_OK) {
        set_error(e, st, "torch shim: " + why);
        return st;
    }
    if (out && n)
        std::snprintf(out, n, "%s", index < 0 ? "cpu" : ("cuda:" + std::to_string(index)).c_str());
    return FK_OK;
}

// Pinned blocks handed out, by address: the tensor owns the block.
static std::mutex host_mu;
static std::vector<at::Tensor> host_blocks;

void *fkt_host_alloc(size_t bytes)
{
    try {
        if (fkt_cuda_devices() == 0 || bytes == 0)
            return nullptr;
        at::Tensor t = at::empty({(int64_t)bytes}, at::TensorOptions().dtype(at::kByte).pinned_memory(true));
        std::lock_guard<std::mutex> g(host_mu);
        host_blocks.push_back(t);
        return t.data_ptr();
    } catch (...) {
        return nullptr;
    }
}

void fkt_host_free(void *p)
{
    if (!p)
        return;
    try {
        std::lock_guard<std::mutex> g(host_mu);
        for (size_t i = 0; i < host_blocks.size(); i++)
            if (host_blocks[i].data_ptr() == p) {
                host_blocks.erase(host_blocks.begin() + (long)i);
                return;
            }
    } catch (...) {
    }
}

size_t fkt_runtime_info(char *buf, size_t n)
{
    std::string j = fkt_runtime_json();
    if (!buf || !n)
        return 0;
    std::snprintf(buf, n, "%s", j.c_str());
    return std::strlen(buf);
}

void fkt_free(fkt_ctx *c)
{
    try {
        delete c;
    } catch (...) {
        // Destructors of tensors do not throw; nothing sensible to do if one did.
    }
}

fk_status fkt_status(const fkt_ctx *c, fk_error *e)
{
    if (!c) {
        set_error(e, FK_ERR_ARG, "torch shim: context is NULL");
        return FK_ERR_ARG;
    }
    if (c->status != FK_OK)
        set_error(e, c->status, c->msg);
    return c->status;
}

void fkt_clear_error(fkt_ctx *c)
{
    if (!c)
        return;
    c->status = FK_OK;
    c->msg.clear();
}

const char *fkt_warning(const fkt_ctx *c)
{
    return c && !c->warnings.first.empty() ? c->warnings.first.c_str() : nullptr;
}

size_t fkt_mark(fkt_ctx *c)
{
    return c ? c->tensors.size() : 0;
}

void fkt_release(fkt_ctx *c, size_t mark)
{
    if (!c)
        return;
    try {
        while (c->tensors.size() > mark)
            c->tensors.pop_back();
    } catch (...) {
    }
}

void fkt_release_except(fkt_ctx *c, size_t mark, fkt_tensor *const *keep, int n)
{
    if (!c || mark >= c->tensors.size())
        return;
    try {
        // Reserved first, so that nothing throws once handles start to move.
        std::vector<std::unique_ptr<fkt_tensor>> kept;
        kept.reserve(n > 0 ? (size_t)n : 0);
        for (size_t i = mark; i < c->tensors.size(); i++)
            for (int k = 0; k < n && keep; k++)
                if (keep[k] == c->tensors[i].get()) {
                    kept.push_back(std::move(c->tensors[i]));
                    break;
                }
        c->tensors.resize(mark);
        for (auto &t : kept)
            c->tensors.push_back(std::move(t));
    } catch (...) {
        // Only the reservation can throw, before anything moved: the
        // tensors stay, to be freed by the next fkt_release.
    }
}

size_t fkt_count(const fkt_ctx *c)
{
    return c ? c->tensors.size() : 0;
}

fkt_tensor *fkt_from_f32(fkt_ctx *c, const float *data, int ndim, const int64_t *shape)
{
    return run_op(c, "from_f32", [&] {
        auto v = dims(ndim, shape);
        int64_t n = 1;
        for (int64_t d : v)
            n *= d;
        if (n > 0 && !data)
            throw std::invalid_argument("data is NULL");
        // On a CUDA device the values are staged in pinned memory (torch's
        // caching host allocator, which keeps the block until the copy has
        // run) and copied on the context's stream without waiting.
        const bool cuda = c->device.is_cuda();
        // A pinned buffer of the host's (fkt_host_alloc): copied straight
        // from, asynchronously; the host leaves it alone until fkt_to_f32.
        if (cuda && n > 0 && at::detail::getCUDAHooks().isPinnedPtr(const_cast<float *>(data)))
            return layout(c, at::from_blob(const_cast<float *>(data), v, at::TensorOptions().dtype(at::kFloat))
                                 .to(c->device, /*non_blocking=*/true));
        at::Tensor t = at::empty(v, at::TensorOptions().dtype(at::kFloat).pinned_memory(cuda));
        if (n > 0)
            std::memcpy(t.data_ptr<float>(), data, (size_t)n * sizeof(float));
        if (cuda)
            t = t.to(c->device, /*non_blocking=*/true);
        return layout(c, t);
    });
}

fkt_tensor *fkt_from_i64(fkt_ctx *c, const int64_t *data, int ndim, const int64_t *shape)
{
    return run_op(c, "from_i64", [&] {
        auto v = dims(ndim, shape);
        int64_t n = 1;
        for (int64_t d : v)
            n *= d;
        if (n > 0 && !data)
            throw std::invalid_argument("data is NULL");
        at::Tensor t = at::empty(v, at::TensorOptions().dtype(at::kLong));
        if (n > 0)
            std::memcpy(t.data_ptr<int64_t>(), data, (size_t)n * sizeof(int64_t));
        if (c->device.is_cuda())
            t = t.to(c->device); // token ids: small, synchronous
        return t;
    });
}

fk_status fkt_to_f32(fkt_ctx *c, const fkt_tensor *t, float *out, int64_t count)
{
    if (!c)
        return FK_ERR_ARG;
    guarded(c, "to_f32", [&] {
        const at::Tensor &x = arg(t, "tensor");
        if (x.numel() != count)
            throw std::invalid_argument("tensor of shape " + shape_str(x) + " has " +
                                        std::to_string(x.numel()) + " values, the caller expects " +
                                        std::to_string(count));
        if (count > 0 && !out)
            throw std::invalid_argument("output buffer is NULL");
        // From a CUDA device: a blocking copy, which waits for the stream.
        at::Tensor y = x.to(at::kFloat).contiguous();
        if (!y.device().is_cpu())
            y = y.to(at::kCPU);
        if (count > 0)
            std::memcpy(out, y.data_ptr<float>(), (size_t)count * sizeof(float));
    });
    return c->status;
}

int fkt_ndim(const fkt_tensor *t)
{
    return t ? (int)t->t.dim() : -1;
}

int64_t fkt_size(const fkt_tensor *t, int dim)
{
    if (!t || dim < 0 || dim >= t->t.dim())
        return -1;
    return t->t.size(dim);
}

fkt_tensor *fkt_conv2d(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *w, const fkt_tensor *b,
                       int sh, int sw, int ph, int pw, int groups)
{
    return run_op(c, "conv2d", [&] {
        return conv(arg(x, "input"), arg(w, "weight"), b ? &b->t : nullptr, sh, sw, ph, pw, groups);
    });
}

fkt_tensor *fkt_conv2d_relu(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *w, const fkt_tensor *b,
                            int sh, int sw, int ph, int pw, int groups)
{
    return run_op(c, "conv2d_relu", [&] {
        return conv(arg(x, "input"), arg(w, "weight"), b ? &b->t : nullptr, sh, sw, ph, pw, groups).relu_();
    });
}

fkt_tensor *fkt_linear(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *w, const fkt_tensor *b)
{
    return run_op(c, "linear", [&] {
        c10::optional<at::Tensor> bias;
        if (b)
            bias = b->t;
        return at::linear(arg(x, "input"), arg(w, "weight"), bias);
    });
}

fkt_tensor *fkt_batch_norm(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *gamma, const fkt_tensor *beta,
                           const fkt_tensor *mean, const fkt_tensor *var, double eps)
{
    return run_op(c, "batch_norm", [&] {
        c10::optional<at::Tensor> g, bt;
        if (gamma)
            g = gamma->t;
        if (beta)
            bt = beta->t;
        return at::batch_norm(arg(x, "input"), g, bt, arg(mean, "running mean"), arg(var, "running var"),
                              false, 0.0, eps, false);
    });
}

fkt_tensor *fkt_layer_norm(fkt_ctx *c, const fkt_tensor *x, const fkt_tensor *gamma, const fkt_tensor *beta,
                           double eps)
{
    return run_op(c, "layer_norm", [&] {
        const at::Tensor &in = arg(x, "input");
        if (in.dim() < 1)
            throw std::invalid_argument("input has no dimension to normalise");
        c10::optional<at::Tensor> g, bt;
        if (gamma)
            g = gamma->t;
        if (beta)
            bt = beta->t;
        return at::layer_norm(in, {in.size(-1)}, g, bt, eps, false);
    });
}

fkt_tensor *fkt_max_pool2d(fkt_ctx *c, const fkt_tensor *x, int k, int s, int p)
{
    return run_op(c, "max_pool2d", [&] { return at::max_pool2d(arg(x, "input"), {k, k}, {s, s}, {p, p}); });
}

fkt_tensor *fkt_avg_pool2d(fkt_ctx *c, const fkt_tensor *x, int k, int s, int p, int count_include_pad)
{
    return run_op(c, "avg_pool2d", [&] {
        return at::avg_pool2d(arg(x, "input"), {k, k}, {s, s}, {p, p}, false, count_include_pad != 0);
    });
}

fkt_tensor *fkt_global_avg_pool(fkt_ctx *c, const fkt_tensor *x)
{
    return run_op(c, "global_avg_pool", [&] {
        const at::Tensor &in = arg(x, "input");
        if (in.dim() != 4)
            throw std::invalid_argument("expects N,C,H,W, got " + std::to_string(in.dim()) + " dimensions");
        return at::adaptive_avg_pool2d(in, {1, 1}).flatten(1);
    });
}

fkt_tensor *fkt_relu(fkt_ctx *c, const fkt_tensor *x)
{
    return run_op(c, "relu", [&] { return at::relu(arg(x, "input")); });
}
fkt_tensor *fkt_relu6(fkt_ctx *c, const fkt_tensor *x)
{
    return run_op(c, "relu6", [&] { return at::hardtanh(arg(x, "input"), 0.0, 6.0); });
}
fkt_tensor *fkt_hardswish(fkt_ctx *c, const fkt_tensor *x)
{
    return run_op(c, "hardswish", [&] { return at::hardswish(arg(x, "input")); });
}
fkt_tensor *fkt_hardsigmoid(fkt_ctx *c, const fkt_tensor *x)
{
    return run_op(c, "hardsigmoid", [&] { return at::hardsigmoid(arg(x, "input")); });
}
fkt_tensor *fkt_sigmoid(fkt_ctx *c, const fkt_tensor *x)
{
    return run_op(c, "sigmoid", [&] { return at::sigmoid(arg(x, "input")); });
}
fkt_tensor *fkt_gelu(fkt_ctx *c, const fkt_tensor *x)
{
    return run_op(c, "gelu", [&] { return at::gelu(arg(x, "input")); });
}
fkt_tensor *fkt_add(fkt_ctx *c, const fkt_tensor *a, const fkt_tensor *b)
{
    return run_op(c, "add", [&] { return at::add(arg(a, "a"), arg(b, "b")); });
}
fkt_tensor *fkt_mul(fkt_ctx *c, const fkt_tensor *a, const fkt_tensor *b)
{
    return run_op(c, "mul", [&] { return at::mul(arg(a, "a"), arg(b, "b")); });
}
fkt_tensor *fkt_scale(fkt_ctx *c, const fkt_tensor *a, double s)
{
    return run_op(c, "scale", [&] { return at::mul(arg(a, "a"), s); });
}

fkt_tensor *fkt_cat(fkt_ctx *c, const fkt_tensor *const *xs, int n, int dim)
{
    return run_op(c, "cat", [&] {
        if (n <= 0 || !xs)
            throw std::invalid_argument("no tensors to concatenate");
        std::vector<at::Tensor> v;
        v.reserve((size_t)n);
        for (int i = 0; i < n; i++)
            v.push_back(arg(xs[i], "input"));
        return at::cat(v, dim);
    });
}

fkt_tensor *fkt_reshape(fkt_ctx *c, const fkt_tensor *x, int ndim, const int64_t *shape)
{
    return run_op(c, "reshape", [&] { return at::reshape(arg(x, "input"), dims(ndim, shape)); });
}

fkt_tensor *fkt_permute(fkt_ctx *c, const fkt_tensor *x, int ndim, const int *perm)
{
    return run_op(c, "permute", [&] {
        if (ndim < 0 || (ndim > 0 && !perm))
            throw std::invalid_argument("bad permutation");
        std::vector<int64_t> v(perm, perm + ndim);
        return arg(x, "input").permute(v);
    });
}

fkt_tensor *fkt_narrow(fkt_ctx *c, const fkt_tensor *x, int dim, int64_t start, int64_t len)
{
    return run_op(c, "narrow", [&] { return arg(x, "input").narrow(dim, start, len); });
}

fkt_tensor *fkt_select(fkt_ctx *c, const fkt_tensor *x, int dim, int64_t index)
{
    return run_op(c, "select", [&] { return arg(x, "input").select(dim, index); });
}

fkt_tensor *fkt_matmul(fkt_ctx *c, const fkt_tensor *a, const fkt_tensor *b)
{
    return run_op(c, "matmul", [&] { return at::matmul(arg(a, "a"), arg(b, "b")); });
}

fkt_tensor *fkt_softmax(fkt_ctx *c, const fkt_tensor *x, int dim)
{
    return run_op(c, "softmax", [&] { return at::softmax(arg(x, "input"), dim); });
}

fkt_tensor *fkt_flatten(fkt_ctx *c, const fkt_tensor *x, int start_dim)
{
    return run_op(c, "flatten", [&] { return arg(x, "input").flatten(start_dim); });
}

fkt_tensor *fkt_contiguous(fkt_ctx *c, const fkt_tensor *x)
{
    return run_op(c, "contiguous", [&] { return arg(x, "input").contiguous(); });
}

} // extern "C"
