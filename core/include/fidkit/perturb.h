/* fidkit — image perturbations for ablation sweeps: the disturbances with
 * which Heusel et al. (TTUR, NeurIPS 2017) showed that FID grows with the
 * disturbance level, plus JPEG re-encoding and downscale-upscale.
 *
 * A perturbation acts on a decoded image (RGB uint8, after decoding, before
 * resizing) and gives an image again: computed in double, then rounded half
 * away from zero and clipped to 0..255. Its `level` in [0, 1] maps to the
 * parameter by the formulas below (docs/perturbations.md derives them from
 * TTUR's code); level 0 is the identity, exactly, for every kind.
 *
 *   gaussian_noise     x' = (1 - a) x + a n, a = level, n per channel and
 *                      pixel ~ N(127.5, 21.25^2) (TTUR's noise, min-max
 *                      scaled to [0, 255] over ~6e8 draws: about +-6 sigma)
 *   gaussian_blur      scipy.ndimage.gaussian_filter over rows and columns,
 *                      sigma = 4 level pixels, truncate 4.0 (radius
 *                      int(4 sigma + 0.5)), mode 'nearest' (edge pixels
 *                      repeated): skimage.filters.gaussian's defaults, which
 *                      TTUR used
 *   black_rectangles   5 black rectangles of floor(level H) x floor(level W)
 *                      at random positions (may overlap)
 *   swirl              skimage.transform.swirl: strength 4 level with a
 *                      random sign, radius 70/64 min(H, W), centre (W // 2,
 *                      H // 2), rotation 0, bilinear (order 1), edge mode
 *                      skimage 'reflect' (= ndimage 'mirror': d c b|a b c d|c b a)
 *   salt_and_pepper    each pixel (all channels together) with probability
 *                      level becomes black or white, 50/50
 *   jpeg               PIL's save(quality=q) + open: q = round(100 - 99 level)
 *                      (1..100), 4:2:0, standard tables, baseline, islow DCT
 *   downscale_upscale  PIL BICUBIC (8-bit) to round(W/f) x round(H/f) and back,
 *                      f = 1 + 7 level
 *   contamination      dataset level: a fraction `level` of the items is
 *                      replaced by items of another dataset
 *                      (fk_contamination_plan, fk_contamination_hook)
 *
 * Randomness is a counter-based scheme, so that an image's draws depend only
 * on (seed, dataset index, kind), never on threads or on the order in which
 * images are processed. With mix() splitmix64's finaliser and
 * g = 0x9E3779B97F4A7C15 (all arithmetic mod 2^64):
 *   h(x)     = mix(x + g)                (splitmix64's first output from x)
 *   key      = h(h(h(seed) ^ index) ^ kind)   (kind: the enum value below)
 *   draw(k)  = mix(key + (k + 1) g)      (k-th splitmix64 output from key)
 *   uniform  u(k) = (draw(k) >> 11) 2^-53 in [0, 1)
 * gaussian_noise, element j = 3 (y W + x) + c: Box-Muller in double,
 *   z = sqrt(-2 log(1 - u(2j))) cos(6.283185307179586 u(2j + 1)).
 * salt_and_pepper, pixel p = y W + x: hit when u(p) < level; white when
 *   draw(p) is odd, else black.
 * black_rectangles, rectangle r = 0..4: top = draw(2r) mod (H - rh + 1),
 *   left = draw(2r + 1) mod (W - rw + 1).
 * swirl: the strength is negative when u(0) < 0.5.
 * tests/ref/perturb.py reimplements all of it in Python. */
#ifndef FIDKIT_PERTURB_H
#define FIDKIT_PERTURB_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>
#include "dataset.h"
#include "error.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The values are part of the random scheme (the stream of each kind): never
 * renumber them. */
typedef enum fk_perturb_kind {
    FK_PERTURB_NONE = 0,
    FK_PERTURB_GAUSSIAN_NOISE = 1,
    FK_PERTURB_GAUSSIAN_BLUR = 2,
    FK_PERTURB_BLACK_RECTANGLES = 3,
    FK_PERTURB_SWIRL = 4,
    FK_PERTURB_SALT_AND_PEPPER = 5,
    FK_PERTURB_CONTAMINATION = 6,
    FK_PERTURB_JPEG = 7,
    FK_PERTURB_DOWNSCALE_UPSCALE = 8
} fk_perturb_kind;

#define FK_PERTURB_NOISE_MEAN 127.5
#define FK_PERTURB_NOISE_STD 21.25
#define FK_PERTURB_BLUR_SIGMA_MAX 4.0
#define FK_PERTURB_BLUR_TRUNCATE 4.0
#define FK_PERTURB_RECT_COUNT 5
#define FK_PERTURB_SWIRL_STRENGTH_MAX 4.0
#define FK_PERTURB_SWIRL_RADIUS_REL (70.0 / 64.0)
#define FK_PERTURB_DOWNSCALE_MAX 8.0

typedef struct fk_perturbation {
    fk_perturb_kind kind;
    double level;    /* in [0, 1]; 0 = identity */
    uint64_t seed;
} fk_perturbation;

/* "none", "gaussian_noise", "gaussian_blur", "black_rectangles", "swirl",
 * "salt_and_pepper", "contamination", "jpeg", "downscale_upscale";
 * "unknown" for other values. */
FK_API const char *fk_perturb_name(fk_perturb_kind k);
/* The inverse of fk_perturb_name; an unknown name is FK_ERR_ARG, with the
 * known names in the message. */
FK_API fk_status fk_perturb_parse(const char *name, fk_perturb_kind *k, fk_error *e);
/* FK_ERR_ARG for an unknown kind or a level that is NaN or outside [0, 1]. */
FK_API fk_status fk_perturb_check(const fk_perturbation *p, fk_error *e);

/* The parameters a level gives for a w x h image, in words, for reports:
 * e.g. "gaussian_blur level=0.5: sigma=2 px, radius 8". Returns buf. */
FK_API char *fk_perturb_describe(const fk_perturbation *p, int w, int h, char *buf, size_t n);

/* The JPEG quality and the downscaled size used at this level (exposed for
 * reports and tests). */
FK_API int fk_perturb_jpeg_quality(double level);
FK_API void fk_perturb_downscale_size(double level, int w, int h, int *dw, int *dh);

/* Perturbs im in place; `index` is the image's dataset index (>= 0), the only
 * per-image input to the random draws. May replace im->rgb (jpeg): the old
 * buffer is freed. Refuses contamination (a dataset-level perturbation). On
 * error im is left as it was. Thread-safe: nothing is shared. */
FK_API fk_status fk_perturb_apply(const fk_perturbation *p, int64_t index, fk_image *im, fk_error *e);

/* An fk_image_hook (loader.h): user is a const fk_perturbation *. */
FK_API fk_status fk_perturb_hook(void *user, int64_t index, fk_image *im, fk_error *e);

/* Contamination (TTUR's "ImageNet contamination"): which of the n items of a
 * dataset are replaced, and by which of the n_other items of another one.
 * source[i] = -1 keeps item i; source[i] = j >= 0 replaces it by item j of the
 * other dataset. Exactly k = floor(level n + 0.5) items are replaced. With
 * fk_rng seeded by `seed` (rng.h): the replaced items are
 * fk_rng_choice(n, k) (the j-th drawn is the j-th replaced), then
 * perm = fk_rng_permutation(n_other) from the same generator, and the j-th
 * replaced item takes perm[j mod n_other] (other items are reused only when
 * k > n_other). source holds n entries. */
FK_API fk_status fk_contamination_plan(uint64_t seed, double level, int64_t n, int64_t n_other,
                                       int64_t *source, fk_error *e);

/* The loader hook of a plan: replaces item `index` by the decoded item
 * source[index] of `other` (fk_dataset_load is thread-safe). */
typedef struct fk_contamination {
    const int64_t *source;  /* n entries, from fk_contamination_plan */
    int64_t n;
    fk_dataset *other;
} fk_contamination;
FK_API fk_status fk_contamination_hook(void *user, int64_t index, fk_image *im, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
