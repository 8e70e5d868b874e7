/* fidkit — CLIP-Score conventions, from image and text embeddings (rows as
 * a CLIP backbone gives them, not normalised).
 *
 * Two conventions are in use and give different numbers for the same pairs;
 * every report names the one it used:
 *
 *   hessel        CLIP-S of Hessel et al. (EMNLP 2021) and their reference
 *                 code: per pair w * max(cos(image, text), 0) with w = 2.5,
 *                 averaged. Their code tokenizes "A photo depicts " + caption
 *                 (the prefix is the caller's business: fidkit clipscore adds
 *                 it by default in this convention). RefCLIP-S per pair is the
 *                 harmonic mean of CLIP-S and max(max_r cos(text, ref_r), 0)
 *                 over the pair's reference captions (0 when both are 0).
 *   torchmetrics  torchmetrics' CLIPScore / clip_score: per pair
 *                 100 * cos(image, text), unclamped; the score is the mean
 *                 over pairs, then max(mean, 0): the clamp comes after the
 *                 average (functional clip_score: score.mean(0) then
 *                 torch.max(score, 0); the module: max(sum / n, 0)).
 *
 * Cosines are computed in double from the float rows. The standard
 * deviation reported is that of the per-pair values (population, ddof 0,
 * as numpy's std); for torchmetrics it is that of the unclamped 100 * cos. */
#ifndef FIDKIT_CLIPSCORE_H
#define FIDKIT_CLIPSCORE_H

#include "export.h"

#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_clipscore_convention {
    FK_CLIPSCORE_HESSEL = 0,
    FK_CLIPSCORE_TORCHMETRICS
} fk_clipscore_convention;

#define FK_CLIPSCORE_HESSEL_W 2.5
#define FK_CLIPSCORE_HESSEL_PREFIX "A photo depicts "

/* "hessel", "torchmetrics". */
FK_API const char *fk_clipscore_convention_name(fk_clipscore_convention c);
/* Accepts the names above; FK_ERR_ARG naming the known ones otherwise. */
FK_API fk_status fk_clipscore_convention_parse(const char *name, fk_clipscore_convention *c, fk_error *e);

/* Cosine of two d-vectors in double. FK_ERR_NUMERIC when either has zero
 * norm or a value is not finite (naming `what`). */
FK_API fk_status fk_cosine(const float *a, const float *b, int d, const char *what, double *out,
                           fk_error *e);

typedef struct fk_clipscore_result {
    fk_clipscore_convention convention;
    int64_t n;
    double score;        /* the convention's score (torchmetrics: clamped mean) */
    double mean;         /* mean of the per-pair values (unclamped for torchmetrics) */
    double std;          /* population std of the per-pair values */
    int64_t n_negative;  /* pairs with cos < 0 */
    int has_ref;
    double ref_score;    /* RefCLIP-S mean (hessel with references) */
    double ref_std;
} fk_clipscore_result;

/* n pairs of rows image[i], text[i] (d floats each). per_pair and cosine (n
 * values each, may be NULL) receive each pair's value in the convention and
 * its cosine. */
FK_API fk_status fk_clipscore(const float *image, const float *text, int64_t n, int d,
                              fk_clipscore_convention c, double *per_pair, double *cosine,
                              fk_clipscore_result *r, fk_error *e);

/* RefCLIP-S (hessel convention only): after fk_clipscore filled r and
 * per_pair, the references of pair i are rows ref_off[i] .. ref_off[i+1]-1
 * of refs (d floats each; a pair without references counts a reference
 * cosine of 0, so its RefCLIP-S is 0). ref_cos and ref_per (n each, may be
 * NULL) receive max(max_r cos, 0) and RefCLIP-S per pair. */
FK_API fk_status fk_refclipscore(const float *text, const double *clip_s, int64_t n, int d,
                                 const float *refs, const int64_t *ref_off, double *ref_cos,
                                 double *ref_per, fk_clipscore_result *r, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
