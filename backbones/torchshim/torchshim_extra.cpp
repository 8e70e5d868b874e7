// fidkit — torch shim additions: TorchScript modules (see torchshim_extra.h).
#pragma GCC visibility push(default)
#include "torchshim_extra.h"
#pragma GCC visibility pop

#include <ATen/Parallel.h>
#include <torch/script.h>

#include "torchshim_device.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

struct fkt_script {
    torch::jit::Module module;
    at::Device device = at::Device(at::kCPU); // fp32 with TF32 off on CUDA
    int threads = 0;
    std::string path;
};

namespace {

void set_error(fk_error *e, fk_status code, const std::string &msg)
{
    if (!e)
        return;
    e->code = code;
    std::snprintf(e->msg, sizeof e->msg, "%s", msg.c_str());
}

// One line: torch's messages carry hints and a source location below.
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
    if (s.size() > 600)
        s = s.substr(0, 600) + "...";
    return s;
}

std::string shape_str(const at::Tensor &t)
{
    std::string s = "(";
    for (int64_t i = 0; i < t.dim(); i++)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + ")";
}

const char *kind_of(const c10::IValue &v)
{
    if (v.isTuple())
        return "a tuple";
    if (v.isList())
        return "a list";
    if (v.isGenericDict())
        return "a dict";
    if (v.isNone())
        return "None";
    return v.tagKind().c_str();
}

} // namespace

extern "C" {

fkt_script *fkt_script_load(const char *path, const char *device, int threads, fk_error *e)
{
    if (!path) {
        set_error(e, FK_ERR_ARG, "torch shim: TorchScript path is NULL");
        return nullptr;
    }
    int index = -1;
    std::string why;
    fk_status dst = fkt_parse_device(device, &index, &why);
    if (dst != FK_OK) {
        set_error(e, dst, "torch shim: " + why);
        return nullptr;
    }
    if (threads < 0) {
        set_error(e, FK_ERR_ARG, "torch shim: threads must be >= 0, got " + std::to_string(threads));
        return nullptr;
    }
    {
        std::ifstream f(path, std::ios::binary);
        if (!f) {
            set_error(e, FK_ERR_IO, std::string(path) + ": cannot open the TorchScript file");
            return nullptr;
        }
    }
    try {
        auto *m = new fkt_script;
        m->threads = threads;
        m->path = path;
        try {
            if (index >= 0)
                m->device = at::Device(at::kCUDA, (c10::DeviceIndex)index);
            m->module = torch::jit::load(path, m->device);
            m->module.eval();
        } catch (...) {
            delete m;
            throw;
        }
        if (threads > 0)
            at::set_num_threads(threads);
        return m;
    } catch (const c10::Error &ex) {
        set_error(e, FK_ERR_FORMAT,
                  std::string(path) + ": not a loadable TorchScript archive (torch.jit.save): " +
                      one_line(ex.what_without_backtrace()));
    } catch (const std::bad_alloc &) {
        set_error(e, FK_ERR_NOMEM, std::string(path) + ": out of memory loading TorchScript");
    } catch (const std::exception &ex) {
        set_error(e, FK_ERR_FORMAT,
                  std::string(path) + ": not a loadable TorchScript archive: " + one_line(ex.what()));
    } catch (...) {
        set_error(e, FK_ERR_INTERNAL, std::string(path) + ": unknown C++ exception loading TorchScript");
    }
    return nullptr;
}

void fkt_script_free(fkt_script *m)
{
    try {
        delete m;
    } catch (...) {
    }
}

int fkt_script_has_method(const fkt_script *m, const char *method)
{
    if (!m || !method)
        return 0;
    try {
        return m->module.find_method(method).has_value() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

fk_status fkt_script_run(fkt_script *m, const char *method, const float *nchw, int n, int c, int h,
                         int w, float *out, int64_t dim, int64_t *got_dim, fk_error *e)
{
    if (got_dim)
        *got_dim = -1;
    if (!m || !method || n < 0 || c < 1 || h < 1 || w < 1 || (n > 0 && (!nchw || !out))) {
        set_error(e, FK_ERR_ARG, "torch shim: bad arguments to fkt_script_run");
        return FK_ERR_ARG;
    }
    if (n == 0)
        return FK_OK;
    const std::string where = m->path + ": " + method + "()";
    try {
        if (m->threads > 0 && at::get_num_threads() != m->threads)
            at::set_num_threads(m->threads);
        c10::NoGradGuard no_grad;
        auto found = m->module.find_method(method);
        if (!found) {
            set_error(e, FK_ERR_ARG, m->path + ": the TorchScript module has no method '" + method + "'");
            return FK_ERR_ARG;
        }
        at::Tensor x = torch::from_blob(const_cast<float *>(nchw), {n, c, h, w}, torch::kFloat);
        if (m->device.is_cuda()) {
            fkt_apply_tf32(false);
            x = x.to(m->device);
        }
        c10::IValue r = (*found)(std::vector<c10::IValue>{x});
        if (!r.isTensor()) {
            set_error(e, FK_ERR_FORMAT, where + " returned " + kind_of(r) +
                                            ", expected one tensor of features (n, dim)");
            return FK_ERR_FORMAT;
        }
        at::Tensor y = r.toTensor();
        if (!y.is_floating_point() || y.dim() < 1 || y.size(0) != n) {
            set_error(e, FK_ERR_FORMAT,
                      where + " returned a tensor of shape " + shape_str(y) + " and type " +
                          std::string(c10::toString(y.scalar_type())) + " for " + std::to_string(n) +
                          " images: expected floating-point features with one row per image");
            return FK_ERR_FORMAT;
        }
        int64_t per = n > 0 ? y.numel() / n : 0;
        if (got_dim)
            *got_dim = per;
        if (per != dim) {
            set_error(e, FK_ERR_FORMAT,
                      where + " returned " + std::to_string(per) + " values per image (shape " +
                          shape_str(y) + "), but the config's output_dim is " + std::to_string(dim));
            return FK_ERR_FORMAT;
        }
        at::Tensor flat = y.reshape({n, per}).to(torch::kFloat).to(at::kCPU).contiguous();
        std::memcpy(out, flat.data_ptr<float>(), (size_t)n * (size_t)per * sizeof(float));
        return FK_OK;
    } catch (const c10::Error &ex) {
        set_error(e, FK_ERR_PLUGIN, where + ": " + one_line(ex.what_without_backtrace()));
    } catch (const std::bad_alloc &) {
        set_error(e, FK_ERR_NOMEM, where + ": out of memory");
    } catch (const std::exception &ex) {
        set_error(e, FK_ERR_PLUGIN, where + ": " + one_line(ex.what()));
    } catch (...) {
        set_error(e, FK_ERR_INTERNAL, where + ": unknown C++ exception");
    }
    return e ? e->code : FK_ERR_PLUGIN;
}

} // extern "C"
