/* fidkit — Kernel Inception Distance (Bińkowski et al. 2018): the unbiased
 * estimate of MMD^2 with the polynomial kernel k(x, y) = (gamma x.y + coef0)^degree,
 * gamma = 1/d, coef0 = 1, degree 3, averaged over random subsets.
 *
 * Per subset (m rows from each set, drawn without replacement):
 *   MMD^2 = [sum_{i!=j} Kxx + sum_{i!=j} Kyy] / (m (m-1)) - 2 sum_{i,j} Kxy / m^2
 * (the diagonal of Kxy is kept: torch-fidelity's and clean-fid's "unbiased").
 * The result is the mean over subsets and their standard deviation (ddof 0,
 * as np.std), as torch-fidelity prints them.
 *
 * Subsets (m rows of each set, without replacement) are drawn as the tool
 * that names the convention draws them, from `seed`, so that its number is
 * reproduced digit for digit (up to float64 vs the tool's float32 kernels):
 *   FK_KID_TORCH_FIDELITY  numpy RandomState(seed) (torch-fidelity's rng_seed,
 *                          default 2020); per subset: choice(n1, m,
 *                          replace=False) for set 1, then the same for set 2.
 *                          Set 1 is torch-fidelity's input1 (usually the
 *                          generated images), set 2 its input2.
 *   FK_KID_CLEAN_FID       clean-fid's kernel_distance(feats1, feats2): numpy's
 *                          global generator, which clean-fid never seeds, so
 *                          `seed` stands for np.random.seed(seed) before the
 *                          call; per subset: choice(n2, m, replace=False) for
 *                          set 2 first, then set 1; m = min(n1, n2,
 *                          subset_size) (shrink_to_fit). Set 1 is feats1
 *                          (fdir1, or the reference in dataset mode), set 2
 *                          feats2 (fdir2, the generated images). clean-fid
 *                          reports the mean only.
 *   FK_KID_TORCHMETRICS    torchmetrics' KernelInceptionDistance.compute():
 *                          torch's default CPU generator, which torchmetrics
 *                          does not seed, so `seed` stands for
 *                          torch.manual_seed(seed) just before compute() with
 *                          nothing else drawing from that generator in
 *                          between; per subset: randperm(n1)[:m] for set 1
 *                          (real), then randperm(n2)[:m] for set 2 (fake).
 *   FK_KID_FIDKIT          fidkit's own generator (rng.h): per subset
 *                          fk_rng_choice(n1, m) for set 1, then for set 2.
 * The MMD estimate is symmetric in the two sets; only the draw order needs
 * the sets in the tool's order. fk_kid_subset_indices exposes the draws so
 * that any other implementation can be fed the same subsets.
 *
 * Kernel matrices are formed in double (DSYRK / DGEMM) one subset at a time:
 * memory is O(m^2 + m d). */
#ifndef FIDKIT_KID_H
#define FIDKIT_KID_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "features.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_kid_convention {
    FK_KID_TORCH_FIDELITY = 0,
    FK_KID_CLEAN_FID,
    FK_KID_TORCHMETRICS,
    FK_KID_FIDKIT
} fk_kid_convention;

typedef struct fk_kid_options {
    fk_kid_convention convention; /* whose draws (above); torch-fidelity */
    int subsets;          /* 100 */
    int64_t subset_size;  /* 1000 */
    /* 0 (default): a set with fewer rows than subset_size is an error.
     * 1: clean-fid's, m = min(n1, n2, subset_size) (its convention's default). */
    int shrink_to_fit;
    uint64_t seed;        /* 2020; numpy's conventions need 0..2^32-1 */
    int degree;           /* 3 */
    double gamma;         /* 0: 1/d */
    double coef0;         /* 1 */
} fk_kid_options;

/* torch-fidelity's convention and defaults. */
FK_API fk_kid_options fk_kid_default_options(void);
/* The defaults of convention c (100 subsets of 1000, seed 2020; clean-fid:
 * shrink_to_fit). */
FK_API fk_kid_options fk_kid_convention_options(fk_kid_convention c);
/* "torch-fidelity", "clean-fid", "torchmetrics", "fidkit" -> *c; -1 otherwise. */
FK_API int fk_kid_convention_parse(const char *name, fk_kid_convention *c);
FK_API const char *fk_kid_convention_name(fk_kid_convention c);

typedef struct fk_kid_result {
    double mean;
    double std;           /* over subsets, ddof 0 */
    int subsets;
    int64_t subset_size;  /* the m actually used */
    const char *convention; /* whose draws: fk_kid_convention_name */
    uint64_t seed;
} fk_kid_result;

/* mmd2 (optional, `subsets` entries) receives each subset's estimate. */
FK_API fk_status fk_kid(const fk_features *x, const fk_features *y, const fk_kid_options *opt,
                        fk_kid_result *r, double *mmd2, fk_error *e);

/* The subsets fk_kid draws: idx1 and idx2 hold subsets * m indices each
 * (subset s at [s*m, (s+1)*m)), m = the subset size fk_kid would use. */
FK_API fk_status fk_kid_subset_indices(int64_t n1, int64_t n2, const fk_kid_options *opt,
                                       int64_t *idx1, int64_t *idx2, fk_error *e);

/* One subset's unbiased MMD^2 on given row indices (m each, distinct). */
FK_API fk_status fk_kid_mmd2(const fk_features *x, const int64_t *idx1, const fk_features *y,
                             const int64_t *idx2, int64_t m, const fk_kid_options *opt,
                             double *mmd2, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
