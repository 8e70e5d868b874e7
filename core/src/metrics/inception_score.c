#include "fidkit/inception_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/nprandom.h"
#include "fidkit/rng.h"
#include "fidkit/defaults.h"

fk_is_options fk_is_default_options(fk_is_convention c)
{
    fk_is_options o;
    memset(&o, 0, sizeof o);
    o.convention = c;
    o.splits = 10;
    o.shuffle = c != FK_IS_ADM;
    o.seed = FK_DEFAULT_SEED;
    o.permutation = NULL;
    o.split_size = 5000;
    return o;
}

int fk_is_convention_parse(const char *name, fk_is_convention *c)
{
    static const char *const names[] = {"torch-fidelity", "adm", "fidkit"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *c = (fk_is_convention)i;
            return 0;
        }
    return -1;
}

static const char *convention_name(fk_is_convention c)
{
    return c == FK_IS_ADM ? "adm" : c == FK_IS_FIDKIT ? "fidkit" : "torch-fidelity";
}

/* log-softmax of one row into lp (double). */
static void log_softmax(const float *z, int c, double *lp)
{
    double mx = -INFINITY;
    for (int j = 0; j < c; j++)
        if (z[j] > mx)
            mx = z[j];
    double s = 0;
    for (int j = 0; j < c; j++)
        s += exp((double)z[j] - mx);
    double lse = mx + log(s);
    for (int j = 0; j < c; j++)
        lp[j] = (double)z[j] - lse;
}

/* One split's score over rows rows[0..n) (NULL: consecutive from first). */
static double split_score(const fk_features *f, const int64_t *rows, int64_t first, int64_t n,
                          double *lp, double *q)
{
    int c = f->d;
    for (int j = 0; j < c; j++)
        q[j] = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t row = rows ? rows[first + i] : first + i;
        log_softmax(f->x + (size_t)row * (size_t)c, c, lp);
        for (int j = 0; j < c; j++)
            q[j] += exp(lp[j]);
    }
    for (int j = 0; j < c; j++)
        q[j] = log(q[j] / (double)n);
    double kl = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t row = rows ? rows[first + i] : first + i;
        log_softmax(f->x + (size_t)row * (size_t)c, c, lp);
        double s = 0;
        for (int j = 0; j < c; j++) {
            double p = exp(lp[j]);
            if (p > 0)
                s += p * (lp[j] - q[j]);
        }
        kl += s;
    }
    return exp(kl / (double)n);
}

fk_status fk_inception_score(const fk_features *logits, const fk_is_options *opt,
                             fk_is_result *r, double *split_scores, fk_error *e)
{
    fk_is_options o = opt ? *opt : fk_is_default_options(FK_IS_TORCH_FIDELITY);
    fk_status s = fk_features_check(logits, "Inception Score: logits", 1, e);
    if (s != FK_OK)
        return s;
    if (logits->d < 2)
        return fk_fail(e, FK_ERR_ARG, "Inception Score: logits have %d classes, at least 2 are "
                       "needed", logits->d);
    int64_t n = logits->n;
    int nsplit;
    int tf_splits = o.convention == FK_IS_TORCH_FIDELITY || o.convention == FK_IS_FIDKIT;
    if (tf_splits) {
        if (o.splits < 1)
            return fk_fail(e, FK_ERR_ARG, "Inception Score: %d splits, at least 1 is needed",
                           o.splits);
        if (n < o.splits)
            return fk_fail(e, FK_ERR_NUMERIC, "Inception Score: %lld rows cannot make %d "
                           "non-empty splits", (long long)n, o.splits);
        nsplit = o.splits;
        if (o.convention == FK_IS_TORCH_FIDELITY && o.shuffle && !o.permutation &&
            o.seed > 0xffffffffu)
            return fk_fail(e, FK_ERR_ARG, "Inception Score: seed %llu; torch-fidelity's "
                           "convention shuffles with numpy's RandomState, which takes seeds in "
                           "0..4294967295", (unsigned long long)o.seed);
    } else if (o.convention == FK_IS_ADM) {
        if (o.split_size < 1)
            return fk_fail(e, FK_ERR_ARG, "Inception Score: split size %lld, at least 1 is needed",
                           (long long)o.split_size);
        nsplit = (int)((n + o.split_size - 1) / o.split_size);
    } else {
        return fk_fail(e, FK_ERR_ARG, "Inception Score: unknown convention %d", (int)o.convention);
    }

    int c = logits->d;
    int64_t *perm = NULL;
    int shuffled = 0;
    double *lp = malloc(sizeof(double) * (size_t)c), *q = malloc(sizeof(double) * (size_t)c);
    double *scores = malloc(sizeof(double) * (size_t)nsplit);
    const int64_t *rows = NULL;
    if (!lp || !q || !scores) {
        s = fk_fail(e, FK_ERR_NOMEM, "Inception Score: out of memory");
        goto done;
    }
    if (tf_splits && o.permutation) {
        /* A caller-supplied order must be a permutation, or splits overlap silently. */
        unsigned char *seen = calloc((size_t)n, 1);
        if (!seen) {
            s = fk_fail(e, FK_ERR_NOMEM, "Inception Score: out of memory");
            goto done;
        }
        for (int64_t i = 0; i < n && s == FK_OK; i++) {
            int64_t v = o.permutation[i];
            if (v < 0 || v >= n || seen[v])
                s = fk_fail(e, FK_ERR_ARG, "Inception Score: the given row order is not a "
                            "permutation of 0..%lld (entry %lld is %lld)", (long long)n - 1,
                            (long long)i, (long long)v);
            else
                seen[v] = 1;
        }
        free(seen);
        if (s != FK_OK)
            goto done;
        rows = o.permutation;
        shuffled = 1;
    } else if (tf_splits && o.shuffle) {
        perm = malloc(sizeof(int64_t) * (size_t)n);
        if (!perm) {
            s = fk_fail(e, FK_ERR_NOMEM, "Inception Score: out of memory");
            goto done;
        }
        if (o.convention == FK_IS_TORCH_FIDELITY) {
            fk_np_random np; /* the seed was checked above */
            if ((s = fk_np_seed(&np, o.seed, e)) != FK_OK)
                goto done;
            fk_np_permutation(&np, n, perm);
        } else {
            fk_rng r;
            fk_rng_seed(&r, o.seed);
            fk_rng_permutation(&r, n, perm);
        }
        rows = perm;
        shuffled = 1;
    }
    for (int i = 0; i < nsplit; i++) {
        int64_t a, b;
        if (tf_splits) {
            a = (int64_t)i * n / nsplit;
            b = (int64_t)(i + 1) * n / nsplit;
        } else {
            a = (int64_t)i * o.split_size;
            b = a + o.split_size < n ? a + o.split_size : n;
        }
        scores[i] = split_score(logits, rows, a, b - a, lp, q);
        if (!isfinite(scores[i])) {
            s = fk_fail(e, FK_ERR_NUMERIC, "Inception Score: split %d is not finite", i);
            goto done;
        }
    }
    double mean = 0, ss = 0;
    for (int i = 0; i < nsplit; i++)
        mean += scores[i];
    mean /= nsplit;
    for (int i = 0; i < nsplit; i++)
        ss += (scores[i] - mean) * (scores[i] - mean);
    r->mean = mean;
    r->std = sqrt(ss / nsplit);
    r->splits = nsplit;
    r->convention = convention_name(o.convention);
    r->shuffled = shuffled;
    r->seed = shuffled && !o.permutation ? o.seed : 0;
    if (split_scores)
        memcpy(split_scores, scores, sizeof(double) * (size_t)nsplit);
done:
    free(perm);
    free(lp);
    free(q);
    free(scores);
    return s;
}
