// fidkit — TorchScript archive parameters (see torchshim_clip.h).
#pragma GCC visibility push(default)
#include "torchshim_clip.h"
#pragma GCC visibility pop

#include <torch/script.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct fkt_jit_params {
    std::string path;
    std::vector<std::string> names;
    std::vector<at::Tensor> tensors; // float32, contiguous, CPU
};

namespace {

fk_status fail(fk_error *e, fk_status code, const std::string &msg)
{
    if (e) {
        e->code = code;
        std::snprintf(e->msg, sizeof e->msg, "%s", msg.c_str());
    }
    return code;
}

std::string first_line(const char *what)
{
    std::string s = what ? what : "unknown error";
    size_t cut = s.find('\n');
    if (cut != std::string::npos)
        s.resize(cut);
    return s;
}

std::string shape_text(at::IntArrayRef s)
{
    std::string r = "(";
    for (size_t i = 0; i < s.size(); i++)
        r += (i ? ", " : "") + std::to_string(s[i]);
    return r + ")";
}

void keep(fkt_jit_params *p, const std::string &name, const at::Tensor &t)
{
    if (!t.defined() || !at::isFloatingType(t.scalar_type()))
        return;
    for (const std::string &n : p->names)
        if (n == name)
            return;
    p->names.push_back(name);
    p->tensors.push_back(t.detach().to(at::kCPU).to(at::kFloat).contiguous().clone());
}

} // namespace

extern "C" {

fk_status fkt_jit_params_open(const char *path, fkt_jit_params **out, fk_error *e)
{
    *out = nullptr;
    FILE *f = std::fopen(path, "rb");
    if (!f)
        return fail(e, FK_ERR_IO, std::string(path) + ": cannot open: " + std::strerror(errno));
    std::fclose(f);
    auto *p = new (std::nothrow) fkt_jit_params;
    if (!p)
        return fail(e, FK_ERR_NOMEM, "out of memory");
    p->path = path;
    try {
        c10::InferenceMode guard;
        torch::jit::Module m = torch::jit::load(path, at::Device(at::kCPU));
        for (const auto &np : m.named_parameters(true))
            keep(p, np.name, np.value);
        for (const auto &nb : m.named_buffers(true))
            keep(p, nb.name, nb.value);
    } catch (const std::exception &ex) {
        delete p;
        return fail(e, FK_ERR_FORMAT,
                    std::string(path) + ": not a readable TorchScript archive (libtorch: " +
                        first_line(ex.what()) + ")");
    }
    if (p->names.empty()) {
        delete p;
        return fail(e, FK_ERR_FORMAT, std::string(path) + ": TorchScript archive without parameters");
    }
    *out = p;
    return FK_OK;
}

void fkt_jit_params_close(fkt_jit_params *p)
{
    delete p;
}

int fkt_jit_params_count(const fkt_jit_params *p)
{
    return p ? (int)p->names.size() : 0;
}

const char *fkt_jit_params_name(const fkt_jit_params *p, int i)
{
    if (!p || i < 0 || i >= (int)p->names.size())
        return nullptr;
    return p->names[(size_t)i].c_str();
}

int fkt_jit_params_find(const fkt_jit_params *p, const char *name)
{
    if (!p || !name)
        return -1;
    for (size_t i = 0; i < p->names.size(); i++)
        if (p->names[i] == name)
            return (int)i;
    return -1;
}

int fkt_jit_params_shape(const fkt_jit_params *p, const char *name, int64_t *shape, int cap)
{
    int i = fkt_jit_params_find(p, name);
    if (i < 0)
        return -1;
    at::IntArrayRef s = p->tensors[(size_t)i].sizes();
    for (int d = 0; d < (int)s.size() && d < cap; d++)
        shape[d] = s[(size_t)d];
    return (int)s.size();
}

fk_status fkt_jit_params_get_f32(const fkt_jit_params *p, const char *name, int ndim,
                                 const int64_t *shape, float **out, fk_error *e)
{
    *out = nullptr;
    int i = fkt_jit_params_find(p, name);
    if (i < 0)
        return fail(e, FK_ERR_FORMAT, p->path + ": no tensor '" + name + "' in the TorchScript archive");
    const at::Tensor &t = p->tensors[(size_t)i];
    if (ndim >= 0) {
        bool same = t.dim() == ndim;
        for (int d = 0; same && d < ndim; d++)
            same = t.size(d) == shape[d];
        if (!same)
            return fail(e, FK_ERR_FORMAT,
                        p->path + ": tensor '" + name + "' has shape " + shape_text(t.sizes()) +
                            ", expected " + shape_text(at::IntArrayRef(shape, (size_t)ndim)));
    }
    size_t n = (size_t)t.numel();
    float *buf = (float *)std::malloc((n ? n : 1) * sizeof(float));
    if (!buf)
        return fail(e, FK_ERR_NOMEM, "out of memory");
    if (n)
        std::memcpy(buf, t.data_ptr<float>(), n * sizeof(float));
    *out = buf;
    return FK_OK;
}

} // extern "C"
