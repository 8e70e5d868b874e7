/* fidkit — resize dispatch, centre-crop geometry, the reusable resizer and
 * normalisation. The resampling itself is in resize_pil.c,
 * resize_bilinear.c and resize_torch.c. */
#include "fidkit/resize.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/resize_internal.h"

struct fk_resizer {
    fk_preprocess p;
    int in_w, in_h; /* the input size the plans were made for; 0: none yet */
    rs_axis ax, ay;
    rs_scratch tmp;
};

static const char *const names[] = {
    [FK_RESIZE_CLEAN] = "clean",
    [FK_RESIZE_LEGACY_PYTORCH] = "legacy_pytorch",
    [FK_RESIZE_LEGACY_TENSORFLOW] = "legacy_tensorflow",
    [FK_RESIZE_PIL_BICUBIC] = "pil_bicubic",
    [FK_RESIZE_NONE] = "none",
    [FK_RESIZE_TORCH_BICUBIC_AA] = "torch_bicubic_aa",
};
#define NMODES ((int)(sizeof names / sizeof names[0]))

const char *fk_resize_name(fk_resize_mode m)
{
    return (int)m >= 0 && (int)m < NMODES ? names[m] : "unknown";
}

fk_status fk_resize_parse(const char *name, fk_resize_mode *m, fk_error *e)
{
    if (!name)
        return fk_fail(e, FK_ERR_ARG, "resize mode: no name given");
    for (int i = 0; i < NMODES; i++)
        if (strcmp(name, names[i]) == 0) {
            if (m)
                *m = (fk_resize_mode)i;
            return FK_OK;
        }
    return fk_fail(e, FK_ERR_ARG,
                   "unknown resize mode '%s' (known: clean, legacy_pytorch, "
                   "legacy_tensorflow, pil_bicubic, none, torch_bicubic_aa)",
                   name);
}

static fk_status check_resize_args(const fk_preprocess *p, fk_error *e)
{
    if (!p)
        return fk_fail(e, FK_ERR_ARG, "resize: no preprocessing settings given");
    if ((int)p->resize < 0 || (int)p->resize >= NMODES)
        return fk_fail(e, FK_ERR_ARG, "resize: unknown resize mode %d", (int)p->resize);
    if (p->size < 1 || p->size > FK_RESIZE_MAX_SIZE)
        return fk_fail(e, FK_ERR_ARG, "resize: input size %d is outside 1..%d", p->size,
                       FK_RESIZE_MAX_SIZE);
    return FK_OK;
}

static fk_status check_norm_args(const fk_preprocess *p, fk_error *e)
{
    if (!isfinite(p->scale) || p->scale == 0.0f)
        return fk_fail(e, FK_ERR_ARG, "normalisation: scale %g must be finite and non-zero",
                       (double)p->scale);
    for (int c = 0; c < 3; c++)
        if (!isfinite(p->mean[c]) || !isfinite(p->std[c]) || p->std[c] == 0.0f)
            return fk_fail(e, FK_ERR_ARG,
                           "normalisation: channel %d has mean %g and std %g; both must be "
                           "finite and std non-zero",
                           c, (double)p->mean[c], (double)p->std[c]);
    return FK_OK;
}

/* int(round(d / 2.0)) in Python, which rounds halves to even. */
static int center_offset(int d)
{
    int q = d / 2;
    return (d % 2 == 0 || q % 2 == 0) ? q : q + 1;
}

/* The full resized size (ow x oh) and the kept window's corner (fx, fy). */
static fk_status geometry(const fk_preprocess *p, int w, int h, int *ow, int *oh, int *fx,
                          int *fy, fk_error *e)
{
    const int s = p->size;
    *ow = *oh = s;
    *fx = *fy = 0;
    if (!p->center_crop)
        return FK_OK;
    const int sh = w <= h ? w : h, lg = w <= h ? h : w;
    /* torchvision: int(size * long / short), a double division truncated. */
    const double nl = floor((double)s * (double)lg / (double)sh);
    if (nl > INT_MAX / 4)
        return fk_fail(e, FK_ERR_UNSUPPORTED,
                       "resize: a %dx%d image resized to short side %d would be %.0f pixels "
                       "long",
                       w, h, s, nl);
    if (w <= h)
        *oh = (int)nl;
    else
        *ow = (int)nl;
    *fx = center_offset(*ow - s);
    *fy = center_offset(*oh - s);
    return FK_OK;
}

static void resizer_init(fk_resizer *r, const fk_preprocess *p)
{
    memset(r, 0, sizeof *r);
    r->p = *p;
}

static void resizer_clear(fk_resizer *r)
{
    rs_axis_free(&r->ax);
    rs_axis_free(&r->ay);
    free(r->tmp.p);
    r->tmp.p = NULL;
    r->tmp.cap = 0;
    r->in_w = r->in_h = 0;
}

static fk_status make_plans(fk_resizer *r, int w, int h, fk_error *e)
{
    const fk_preprocess *p = &r->p;
    int ow, oh, fx, fy;
    fk_status st = geometry(p, w, h, &ow, &oh, &fx, &fy, e);
    if (st)
        return st;
    rs_axis_free(&r->ax);
    rs_axis_free(&r->ay);
    r->in_w = r->in_h = 0;
    const int s = p->size;
    switch (p->resize) {
    case FK_RESIZE_CLEAN:
    case FK_RESIZE_PIL_BICUBIC: {
        const int fixed8 = p->resize == FK_RESIZE_PIL_BICUBIC;
        st = rs_axis_pil(&r->ax, w, ow, fx, s, fixed8, e);
        if (!st)
            st = rs_axis_pil(&r->ay, h, oh, fy, s, fixed8, e);
        break;
    }
    case FK_RESIZE_TORCH_BICUBIC_AA:
        st = rs_axis_torch_aa(&r->ax, w, ow, fx, s, e);
        if (!st)
            st = rs_axis_torch_aa(&r->ay, h, oh, fy, s, e);
        break;
    case FK_RESIZE_LEGACY_PYTORCH:
    case FK_RESIZE_LEGACY_TENSORFLOW: {
        const int tf = p->resize == FK_RESIZE_LEGACY_TENSORFLOW;
        st = rs_axis_bilinear(&r->ax, w, ow, fx, s, tf, e);
        if (!st)
            st = rs_axis_bilinear(&r->ay, h, oh, fy, s, tf, e);
        break;
    }
    default:
        st = fk_fail(e, FK_ERR_INTERNAL, "resize: no plan for mode %s",
                     fk_resize_name(p->resize));
    }
    if (st) {
        rs_axis_free(&r->ax);
        rs_axis_free(&r->ay);
        return st;
    }
    r->in_w = w;
    r->in_h = h;
    return FK_OK;
}

static fk_status copy_as_is(const fk_image *in, int s, float *out, fk_error *e)
{
    if (in->w != s || in->h != s)
        return fk_fail(e, FK_ERR_ARG,
                       "resize mode 'none': the image is %dx%d but the backbone input is "
                       "%dx%d; choose a resize mode",
                       in->w, in->h, s, s);
    const size_t plane = (size_t)s * (size_t)s;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
            out[(size_t)c * plane + i] = in->rgb[3 * i + (size_t)c];
    return FK_OK;
}

static fk_status resizer_run(fk_resizer *r, const fk_image *in, float *out, fk_error *e)
{
    if (!in || !in->rgb || in->w < 1 || in->h < 1)
        return fk_fail(e, FK_ERR_ARG, "resize: empty image (%dx%d)", in ? in->w : 0,
                       in ? in->h : 0);
    if (!out)
        return fk_fail(e, FK_ERR_ARG, "resize: no output buffer");
    const fk_preprocess *p = &r->p;
    if (p->resize == FK_RESIZE_NONE)
        return copy_as_is(in, p->size, out, e);
    if (in->w != r->in_w || in->h != r->in_h) {
        fk_status st = make_plans(r, in->w, in->h, e);
        if (st)
            return st;
    }
    switch (p->resize) {
    case FK_RESIZE_CLEAN:
    case FK_RESIZE_TORCH_BICUBIC_AA:
        return rs_run_pil_float(&r->ax, &r->ay, in, out, &r->tmp, e);
    case FK_RESIZE_PIL_BICUBIC:
        return rs_run_pil_u8(&r->ax, &r->ay, in, out, &r->tmp, e);
    case FK_RESIZE_LEGACY_PYTORCH:
        return rs_run_bilinear(&r->ax, &r->ay, in, out, 0, &r->tmp, e);
    case FK_RESIZE_LEGACY_TENSORFLOW:
        return rs_run_bilinear(&r->ax, &r->ay, in, out, 1, &r->tmp, e);
    default:
        return fk_fail(e, FK_ERR_INTERNAL, "resize: mode %d not dispatched", (int)p->resize);
    }
}

void fk_normalize(const fk_preprocess *p, float *chw)
{
    const size_t plane = (size_t)p->size * (size_t)p->size;
    for (int c = 0; c < 3; c++) {
        const float scale = p->scale, mean = p->mean[c], sd = p->std[c];
        float *x = chw + (size_t)c * plane;
        for (size_t i = 0; i < plane; i++)
            x[i] = (x[i] * scale - mean) / sd;
    }
}

fk_status fk_resizer_new(const fk_preprocess *p, fk_resizer **out, fk_error *e)
{
    if (!out)
        return fk_fail(e, FK_ERR_ARG, "fk_resizer_new: no place for the result");
    *out = NULL;
    fk_status st = check_resize_args(p, e);
    if (st)
        return st;
    fk_resizer *r = malloc(sizeof *r);
    if (!r)
        return fk_fail(e, FK_ERR_NOMEM, "no memory for a resizer");
    resizer_init(r, p);
    *out = r;
    return FK_OK;
}

fk_status fk_resizer_resize(fk_resizer *r, const fk_image *in, float *out, fk_error *e)
{
    if (!r)
        return fk_fail(e, FK_ERR_ARG, "fk_resizer_resize: no resizer");
    return resizer_run(r, in, out, e);
}

fk_status fk_resizer_preprocess(fk_resizer *r, const fk_image *in, float *out, fk_error *e)
{
    if (!r)
        return fk_fail(e, FK_ERR_ARG, "fk_resizer_preprocess: no resizer");
    fk_status st = check_norm_args(&r->p, e);
    if (!st)
        st = resizer_run(r, in, out, e);
    if (!st)
        fk_normalize(&r->p, out);
    return st;
}

void fk_resizer_free(fk_resizer *r)
{
    if (r) {
        resizer_clear(r);
        free(r);
    }
}

fk_status fk_resize(const fk_image *in, const fk_preprocess *p, float *out, fk_error *e)
{
    fk_status st = check_resize_args(p, e);
    if (st)
        return st;
    fk_resizer r;
    resizer_init(&r, p);
    st = resizer_run(&r, in, out, e);
    resizer_clear(&r);
    return st;
}

fk_status fk_preprocess_image(const fk_image *in, const fk_preprocess *p, float *out,
                              fk_error *e)
{
    fk_status st = check_resize_args(p, e);
    if (!st)
        st = check_norm_args(p, e);
    if (st)
        return st;
    fk_resizer r;
    resizer_init(&r, p);
    st = resizer_run(&r, in, out, e);
    resizer_clear(&r);
    if (!st)
        fk_normalize(p, out);
    return st;
}
