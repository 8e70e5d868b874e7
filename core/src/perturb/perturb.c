/* fidkit — perturbations: names, levels, the per-pixel random ones (noise,
 * salt and pepper, black rectangles) and the dispatch to the others. The
 * formulas are in perturb.h and docs/perturbations.md. */
#include "perturb/perturb_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    "none",  "gaussian_noise", "gaussian_blur", "black_rectangles", "swirl",
    "salt_and_pepper", "contamination", "jpeg", "downscale_upscale"};
#define NKINDS ((int)(sizeof names / sizeof names[0]))

const char *fk_perturb_name(fk_perturb_kind k)
{
    return (int)k >= 0 && (int)k < NKINDS ? names[k] : "unknown";
}

fk_status fk_perturb_parse(const char *name, fk_perturb_kind *k, fk_error *e)
{
    for (int i = 0; name && i < NKINDS; i++) {
        if (strcmp(name, names[i]) == 0) {
            *k = (fk_perturb_kind)i;
            return FK_OK;
        }
    }
    return fk_fail(e, FK_ERR_ARG,
                   "unknown perturbation '%s' (known: none, gaussian_noise, gaussian_blur, "
                   "black_rectangles, swirl, salt_and_pepper, contamination, jpeg, "
                   "downscale_upscale)",
                   name ? name : "(null)");
}

fk_status fk_perturb_check(const fk_perturbation *p, fk_error *e)
{
    if (!p)
        return fk_fail(e, FK_ERR_ARG, "no perturbation given");
    if ((int)p->kind < 0 || (int)p->kind >= NKINDS)
        return fk_fail(e, FK_ERR_ARG, "unknown perturbation kind %d", (int)p->kind);
    if (!(p->level >= 0.0 && p->level <= 1.0))
        return fk_fail(e, FK_ERR_ARG, "perturbation %s: level %g is not in [0, 1]",
                       names[p->kind], p->level);
    return FK_OK;
}

int fk_perturb_jpeg_quality(double level)
{
    int q = (int)floor(100.0 - 99.0 * level + 0.5);
    return q < 1 ? 1 : q > 100 ? 100 : q;
}

static int scaled_side(int side, double f)
{
    int s = (int)floor(side / f + 0.5);
    return s < 1 ? 1 : s > side ? side : s;
}

void fk_perturb_downscale_size(double level, int w, int h, int *dw, int *dh)
{
    const double f = 1.0 + level * (FK_PERTURB_DOWNSCALE_MAX - 1.0);
    *dw = scaled_side(w, f);
    *dh = scaled_side(h, f);
}

static double swirl_radius(int w, int h)
{
    return FK_PERTURB_SWIRL_RADIUS_REL * (w < h ? w : h);
}

char *fk_perturb_describe(const fk_perturbation *p, int w, int h, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    if (fk_perturb_check(p, NULL) != FK_OK) {
        snprintf(buf, n, "invalid perturbation");
        return buf;
    }
    const double a = p->level;
    const char *nm = names[p->kind];
    int dw, dh;
    switch (p->kind) {
    case FK_PERTURB_GAUSSIAN_NOISE:
        snprintf(buf, n, "%s level=%g: x' = (1-%g) x + %g N(%g, %g^2)", nm, a, a, a,
                 FK_PERTURB_NOISE_MEAN, FK_PERTURB_NOISE_STD);
        break;
    case FK_PERTURB_GAUSSIAN_BLUR: {
        double s = a * FK_PERTURB_BLUR_SIGMA_MAX;
        snprintf(buf, n, "%s level=%g: sigma=%g px, radius %d, mode nearest", nm, a, s,
                 (int)(FK_PERTURB_BLUR_TRUNCATE * s + 0.5));
        break;
    }
    case FK_PERTURB_BLACK_RECTANGLES:
        snprintf(buf, n, "%s level=%g: %d rectangles of %dx%d", nm, a, FK_PERTURB_RECT_COUNT,
                 (int)floor(a * w), (int)floor(a * h));
        break;
    case FK_PERTURB_SWIRL:
        snprintf(buf, n, "%s level=%g: strength +-%g, radius %g px", nm, a,
                 a * FK_PERTURB_SWIRL_STRENGTH_MAX, swirl_radius(w, h));
        break;
    case FK_PERTURB_SALT_AND_PEPPER:
        snprintf(buf, n, "%s level=%g: %g of the pixels black or white", nm, a, a);
        break;
    case FK_PERTURB_CONTAMINATION:
        snprintf(buf, n, "%s level=%g: %g of the items from another dataset", nm, a, a);
        break;
    case FK_PERTURB_JPEG:
        snprintf(buf, n, "%s level=%g: quality %d", nm, a, fk_perturb_jpeg_quality(a));
        break;
    case FK_PERTURB_DOWNSCALE_UPSCALE:
        fk_perturb_downscale_size(a, w, h, &dw, &dh);
        snprintf(buf, n, "%s level=%g: %dx%d -> %dx%d -> %dx%d (PIL bicubic)", nm, a, w, h, dw,
                 dh, w, h);
        break;
    default:
        snprintf(buf, n, "%s", nm);
        break;
    }
    return buf;
}

static void gaussian_noise(fk_image *im, double a, uint64_t key)
{
    const size_t n = (size_t)im->w * (size_t)im->h * 3;
    for (size_t j = 0; j < n; j++) {
        const double u1 = 1.0 - pt_uniform(key, 2 * (uint64_t)j);
        const double u2 = pt_uniform(key, 2 * (uint64_t)j + 1);
        const double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        const double noise = FK_PERTURB_NOISE_MEAN + FK_PERTURB_NOISE_STD * z;
        im->rgb[j] = pt_round_clip((1.0 - a) * im->rgb[j] + a * noise);
    }
}

static void salt_and_pepper(fk_image *im, double a, uint64_t key)
{
    const size_t n = (size_t)im->w * (size_t)im->h;
    for (size_t p = 0; p < n; p++) {
        const uint64_t d = pt_draw(key, p);
        if ((double)(d >> 11) * 0x1.0p-53 < a) {
            const uint8_t v = (d & 1) ? 255 : 0;
            memset(im->rgb + 3 * p, v, 3);
        }
    }
}

static void black_rectangles(fk_image *im, double a, uint64_t key)
{
    const int rh = (int)floor(a * im->h), rw = (int)floor(a * im->w);
    if (rh < 1 || rw < 1)
        return;
    for (int r = 0; r < FK_PERTURB_RECT_COUNT; r++) {
        const int top = (int)(pt_draw(key, 2 * (uint64_t)r) % (uint64_t)(im->h - rh + 1));
        const int left = (int)(pt_draw(key, 2 * (uint64_t)r + 1) % (uint64_t)(im->w - rw + 1));
        for (int y = top; y < top + rh; y++)
            memset(im->rgb + ((size_t)y * (size_t)im->w + (size_t)left) * 3, 0, (size_t)rw * 3);
    }
}

fk_status fk_perturb_apply(const fk_perturbation *p, int64_t index, fk_image *im, fk_error *e)
{
    fk_status s = fk_perturb_check(p, e);
    if (s != FK_OK)
        return s;
    if (!im || !im->rgb || im->w < 1 || im->h < 1)
        return fk_fail(e, FK_ERR_ARG, "perturbation %s: no image (or an empty one)",
                       names[p->kind]);
    if (index < 0)
        return fk_fail(e, FK_ERR_ARG, "perturbation %s: negative image index %lld",
                       names[p->kind], (long long)index);
    if (p->kind == FK_PERTURB_CONTAMINATION)
        return fk_fail(e, FK_ERR_ARG,
                       "perturbation contamination replaces dataset items, not pixels: use "
                       "fk_contamination_plan and fk_contamination_hook");
    const double a = p->level;
    if (a == 0.0 || p->kind == FK_PERTURB_NONE)
        return FK_OK;
    const uint64_t key = pt_key(p->seed, index, p->kind);
    int dw, dh;
    switch (p->kind) {
    case FK_PERTURB_GAUSSIAN_NOISE:
        gaussian_noise(im, a, key);
        return FK_OK;
    case FK_PERTURB_SALT_AND_PEPPER:
        salt_and_pepper(im, a, key);
        return FK_OK;
    case FK_PERTURB_BLACK_RECTANGLES:
        black_rectangles(im, a, key);
        return FK_OK;
    case FK_PERTURB_GAUSSIAN_BLUR:
        return pt_blur(im, a * FK_PERTURB_BLUR_SIGMA_MAX, e);
    case FK_PERTURB_SWIRL: {
        const double sign = pt_uniform(key, 0) < 0.5 ? -1.0 : 1.0;
        return pt_swirl(im, sign * a * FK_PERTURB_SWIRL_STRENGTH_MAX,
                        swirl_radius(im->w, im->h), e);
    }
    case FK_PERTURB_JPEG:
        return pt_jpeg(im, fk_perturb_jpeg_quality(a), e);
    case FK_PERTURB_DOWNSCALE_UPSCALE:
        fk_perturb_downscale_size(a, im->w, im->h, &dw, &dh);
        return pt_downscale_upscale(im, dw, dh, e);
    default:
        return fk_fail(e, FK_ERR_INTERNAL, "perturbation %s has no image path",
                       names[p->kind]);
    }
}

fk_status fk_perturb_hook(void *user, int64_t index, fk_image *im, fk_error *e)
{
    return fk_perturb_apply((const fk_perturbation *)user, index, im, e);
}
