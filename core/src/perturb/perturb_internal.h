/* fidkit — what the perturbation files share: the counter-based draws of
 * perturb.h and the image-wide passes. Not installed. */
#ifndef FIDKIT_PERTURB_INTERNAL_H
#define FIDKIT_PERTURB_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "fidkit/perturb.h"

#define PT_GOLDEN 0x9E3779B97F4A7C15ull

static inline uint64_t pt_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t pt_h(uint64_t x) { return pt_mix(x + PT_GOLDEN); }

static inline uint64_t pt_key(uint64_t seed, int64_t index, fk_perturb_kind kind)
{
    return pt_h(pt_h(pt_h(seed) ^ (uint64_t)index) ^ (uint64_t)kind);
}

static inline uint64_t pt_draw(uint64_t key, uint64_t k)
{
    return pt_mix(key + (k + 1) * PT_GOLDEN);
}

static inline double pt_uniform(uint64_t key, uint64_t k)
{
    return (double)(pt_draw(key, k) >> 11) * 0x1.0p-53;
}

/* Half away from zero, then clipped: the rule for every float path. */
static inline uint8_t pt_round_clip(double v)
{
    double r = round(v);
    return !(r > 0.0) ? 0 : r >= 255.0 ? 255 : (uint8_t)r;
}

fk_status pt_blur(fk_image *im, double sigma, fk_error *e);
fk_status pt_swirl(fk_image *im, double strength, double radius, fk_error *e);
fk_status pt_jpeg(fk_image *im, int quality, fk_error *e);
fk_status pt_downscale_upscale(fk_image *im, int dw, int dh, fk_error *e);

#endif
