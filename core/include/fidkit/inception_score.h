/* fidkit — Inception Score (Salimans et al. 2016) from classifier logits.
 *
 *   IS = exp( mean_x KL(p(y|x) || p(y)) ),  p(y) = the split's mean of p(y|x)
 *
 * computed per split; softmax and logs in double from the float32 logits
 * (N x C, any C: 1008 for the FID Inception, whose logits must be pool3 @ W
 * without the fc bias, see METRICS.md). Terms with p(y|x) = 0 (softmax
 * underflow) contribute 0, their limit, where a direct p*log(p) would be NaN.
 *
 * Split conventions (the result names the one used):
 *   FK_IS_TORCH_FIDELITY  torch-fidelity's isc: the rows are shuffled by
 *                         numpy's RandomState(seed).permutation(N) (seed 2020,
 *                         torch-fidelity's default rng_seed; fidkit draws the
 *                         same permutation, nprandom.h), then `splits` (10)
 *                         splits [i*N/splits, (i+1)*N/splits); mean and std
 *                         (ddof 0) over splits. shuffle = 0 keeps the file
 *                         order (torch-fidelity's samples_shuffle=False). The
 *                         seed must be in 0..2^32-1, as numpy requires.
 *   FK_IS_ADM             guided-diffusion's evaluator: consecutive chunks of
 *                         `split_size` (5000) rows in file order, no shuffle,
 *                         the last partial chunk counted as a split of its
 *                         own; it prints the mean only. fidkit also fills std
 *                         (over the chunks, ddof 0) for information.
 *   FK_IS_FIDKIT          torch-fidelity's splits, shuffled by fidkit's own
 *                         generator (rng.h, fk_rng_permutation from `seed`):
 *                         fidkit's numbers before torch-fidelity's draws were
 *                         reproduced; same expectation, other digits. */
#ifndef FIDKIT_INCEPTION_SCORE_H
#define FIDKIT_INCEPTION_SCORE_H

#include "export.h"

#include <stdint.h>
#include "error.h"
#include "features.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_is_convention {
    FK_IS_TORCH_FIDELITY = 0,
    FK_IS_ADM,
    FK_IS_FIDKIT
} fk_is_convention;

typedef struct fk_is_options {
    fk_is_convention convention;
    int splits;           /* torch-fidelity, fidkit: 10 */
    int shuffle;          /* torch-fidelity, fidkit: 1 */
    uint64_t seed;        /* torch-fidelity, fidkit: 2020 */
    const int64_t *permutation; /* optional: use this row order instead of a seeded shuffle */
    int64_t split_size;   /* ADM: 5000 */
} fk_is_options;

FK_API fk_is_options fk_is_default_options(fk_is_convention c);

typedef struct fk_is_result {
    double mean;
    double std;
    int splits;           /* number of splits actually used */
    const char *convention; /* "torch-fidelity", "adm" or "fidkit" */
    int shuffled;         /* 1 if the rows were shuffled (seeded or given) */
    uint64_t seed;        /* the seed of that shuffle (0 when none was drawn) */
} fk_is_result;

/* "torch-fidelity", "adm", "fidkit" -> *c; -1 for another name. */
FK_API int fk_is_convention_parse(const char *name, fk_is_convention *c);

/* logits: N x C. split_scores (optional) receives each split's score; it
 * needs room for r->splits entries: `splits` for torch-fidelity and fidkit,
 * ceil(N / split_size) for ADM. */
FK_API fk_status fk_inception_score(const fk_features *logits, const fk_is_options *opt,
                                    fk_is_result *r, double *split_scores, fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
