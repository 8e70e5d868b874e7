/* fidkit — precision and recall (Kynkäänniemi et al. 2019), density and
 * coverage (Naeem et al. 2020), on feature rows.
 *
 * Every point gets a ball whose radius is the distance to its k-th nearest
 * neighbour in its own set, the point itself excluded (equivalently the
 * (k+1)-th smallest distance of its row when the zero self-distance is
 * counted, as every peer computes it).
 *
 *   precision = share of GENERATED rows inside the ball of some REAL row
 *   recall    = share of REAL rows inside the ball of some GENERATED row
 *   density   = (1/k) * mean over generated rows of the number of real balls
 *               that contain it
 *   coverage  = share of REAL rows whose nearest generated row lies inside
 *               their own ball
 *
 * Conventions (the result names the one used):
 *   FK_PR_ADM             guided-diffusion's evaluator: k = 3, squared
 *                         Euclidean distances, inside if d <= r. (It computes
 *                         distances in float16 first and falls back to float32
 *                         only on overflow; fidkit computes them in double, so
 *                         rows within float16 rounding of a ball edge may be
 *                         classified differently.)
 *   FK_PR_TORCH_FIDELITY  k = 3, Euclidean distances, d <= r, plus the
 *                         F-score 2PR / max(1e-5, P + R). Membership is the
 *                         same as FK_PR_ADM's: sqrt is monotone.
 *   FK_PRDC_DGM_EVAL      dgm-eval's PRDC (from clovaai's prdc): k = 5,
 *                         Euclidean, strict d < r, with density and coverage.
 * Density and coverage are also reported for the first two, with their <=.
 * fidkit compares squared distances throughout; that only changes which
 * number is printed as a radius, never a membership.
 *
 * Distances come from DGEMM tiles of block_rows x block_cols (1024 x 4096),
 * so memory is O(tile + (N_real + N_gen) * k), never O(N^2). */
#ifndef FIDKIT_PRDC_H
#define FIDKIT_PRDC_H

#include "export.h"

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "features.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_prdc_convention {
    FK_PR_ADM = 0,
    FK_PR_TORCH_FIDELITY,
    FK_PRDC_DGM_EVAL
} fk_prdc_convention;

typedef struct fk_prdc_options {
    fk_prdc_convention convention;
    int k;              /* 0: the convention's (3, 3, 5) */
    int64_t block_rows; /* 0: 1024 */
    int64_t block_cols; /* 0: 4096 */
} fk_prdc_options;

FK_API fk_prdc_options fk_prdc_default_options(fk_prdc_convention c);

typedef struct fk_prdc_result {
    double precision;   /* over generated rows */
    double recall;      /* over real rows */
    double f_score;     /* 2PR / max(1e-5, P + R), torch-fidelity's */
    double density;
    double coverage;
    int k;
    int strict;         /* 1: d < r, 0: d <= r */
    const char *convention; /* "adm", "torch-fidelity", "dgm-eval" */
    int64_t n_real, n_generated;
} fk_prdc_result;

/* real and generated are named in that order on purpose: swapping them swaps
 * precision and recall (torch-fidelity's issue #70). Each set needs k+1 rows. */
FK_API fk_status fk_prdc(const fk_features *real, const fk_features *generated,
                         const fk_prdc_options *opt, fk_prdc_result *r, fk_error *e);

/* One line for a report that says which set is which, e.g.
 * "precision 0.7312 (generated rows inside real balls), recall 0.6120 (real
 * rows inside generated balls), F 0.6663, density 0.9876, coverage 0.8412
 * [adm: k = 3, d <= r; 10000 real, 50000 generated]". Returns buf. */
FK_API char *fk_prdc_format(const fk_prdc_result *r, char *buf, size_t n);

/* radii[i] = Euclidean distance from row i to its k-th nearest other row. */
FK_API fk_status fk_knn_radii(const fk_features *x, int k, const fk_prdc_options *opt, double *radii,
                              fk_error *e);

#ifdef __cplusplus
}
#endif
#endif
