/* fidkit — contamination, TTUR's sixth disturbance: a fraction of a
 * dataset's items replaced by items of another dataset (CelebA mixed with
 * ImageNet in the paper). The plan is drawn once per sweep point from fk_rng
 * (rng.h documents its algorithm), so it does not depend on threads. */
#include "perturb/perturb_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "fidkit/rng.h"

fk_status fk_contamination_plan(uint64_t seed, double level, int64_t n, int64_t n_other,
                                int64_t *source, fk_error *e)
{
    if (!(level >= 0.0 && level <= 1.0))
        return fk_fail(e, FK_ERR_ARG, "perturbation contamination: level %g is not in [0, 1]",
                       level);
    if (n < 0 || n_other < 0 || (n > 0 && !source))
        return fk_fail(e, FK_ERR_ARG, "contamination: bad sizes (%" PRId64 " items, %" PRId64
                       " other items)", n, n_other);
    for (int64_t i = 0; i < n; i++)
        source[i] = -1;
    const int64_t k = (int64_t)floor(level * (double)n + 0.5);
    if (k == 0)
        return FK_OK;
    if (n_other < 1)
        return fk_fail(e, FK_ERR_ARG,
                       "contamination: %" PRId64 " items to replace but the other dataset is empty",
                       k);
    const int64_t big = n > n_other ? n : n_other;
    int64_t *scratch = malloc((size_t)big * sizeof *scratch);
    int64_t *chosen = malloc((size_t)k * sizeof *chosen);
    if (!scratch || !chosen) {
        free(scratch);
        free(chosen);
        return fk_fail(e, FK_ERR_NOMEM, "contamination: no memory for %" PRId64 " items", big);
    }
    fk_rng r;
    fk_rng_seed(&r, seed);
    fk_rng_choice(&r, n, k, scratch, chosen);
    fk_rng_permutation(&r, n_other, scratch);
    for (int64_t j = 0; j < k; j++)
        source[chosen[j]] = scratch[j % n_other];
    free(scratch);
    free(chosen);
    return FK_OK;
}

fk_status fk_contamination_hook(void *user, int64_t index, fk_image *im, fk_error *e)
{
    const fk_contamination *c = user;
    if (!c || !c->source || !im)
        return fk_fail(e, FK_ERR_ARG, "contamination hook: no plan given");
    if (index < 0 || index >= c->n)
        return fk_fail(e, FK_ERR_ARG,
                       "contamination hook: item %" PRId64 " is outside the plan of %" PRId64
                       " items",
                       index, c->n);
    const int64_t j = c->source[index];
    if (j < 0)
        return FK_OK;
    if (!c->other)
        return fk_fail(e, FK_ERR_ARG, "contamination hook: no other dataset given");
    fk_image repl = {0};
    fk_status s = fk_dataset_load(c->other, j, &repl, e);
    if (s != FK_OK) {
        if (e)
            fk_fail_prefix(e, "contamination of item %" PRId64, index);
        return s;
    }
    fk_image_free(im);
    *im = repl;
    return FK_OK;
}
