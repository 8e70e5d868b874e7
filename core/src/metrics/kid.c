#include "fidkit/kid.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/nprandom.h"
#include "fidkit/rng.h"
#include "fidkit/defaults.h"

static const char *const conv_names[] = {"torch-fidelity", "clean-fid", "torchmetrics", "fidkit"};

fk_kid_options fk_kid_convention_options(fk_kid_convention c)
{
    fk_kid_options o;
    o.convention = c;
    o.subsets = 100;
    o.subset_size = 1000;
    o.shrink_to_fit = c == FK_KID_CLEAN_FID;
    o.seed = FK_DEFAULT_SEED;
    o.degree = 3;
    o.gamma = 0;
    o.coef0 = 1;
    return o;
}

fk_kid_options fk_kid_default_options(void)
{
    return fk_kid_convention_options(FK_KID_TORCH_FIDELITY);
}

int fk_kid_convention_parse(const char *name, fk_kid_convention *c)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, conv_names[i])) {
            *c = (fk_kid_convention)i;
            return 0;
        }
    return -1;
}

const char *fk_kid_convention_name(fk_kid_convention c)
{
    return (unsigned)c < 4 ? conv_names[c] : "unknown";
}

static fk_status subset_size(int64_t n1, int64_t n2, const fk_kid_options *o, int64_t *m,
                             fk_error *e)
{
    if (o->subsets < 1)
        return fk_fail(e, FK_ERR_ARG, "KID: %d subsets, at least 1 is needed", o->subsets);
    if (o->subset_size < 2)
        return fk_fail(e, FK_ERR_ARG, "KID: subset size %lld, at least 2 is needed",
                       (long long)o->subset_size);
    if (o->degree < 1)
        return fk_fail(e, FK_ERR_ARG, "KID: kernel degree %d, at least 1 is needed", o->degree);
    if ((unsigned)o->convention > FK_KID_FIDKIT)
        return fk_fail(e, FK_ERR_ARG, "KID: unknown convention %d", (int)o->convention);
    if ((o->convention == FK_KID_TORCH_FIDELITY || o->convention == FK_KID_CLEAN_FID) &&
        o->seed > 0xffffffffu)
        return fk_fail(e, FK_ERR_ARG, "KID: seed %llu; the %s convention draws with numpy's "
                       "RandomState, which takes seeds in 0..4294967295",
                       (unsigned long long)o->seed, conv_names[o->convention]);
    int64_t s = o->subset_size;
    if (o->shrink_to_fit) {
        if (n1 < s)
            s = n1;
        if (n2 < s)
            s = n2;
        if (s < 2)
            return fk_fail(e, FK_ERR_NUMERIC, "KID: %lld and %lld rows, at least 2 per set are "
                           "needed", (long long)n1, (long long)n2);
    } else if (n1 < s || n2 < s) {
        return fk_fail(e, FK_ERR_NUMERIC,
                       "KID: the subset size is %lld but set 1 has %lld rows and set 2 has "
                       "%lld; ask for a subset size <= the smaller set (fidkit score "
                       "--kid-subset-size, whose default shrinks to it) or set the option "
                       "shrink_to_fit (clean-fid's min(n1, n2, size))",
                       (long long)s, (long long)n1, (long long)n2);
    }
    *m = s;
    return FK_OK;
}

fk_status fk_kid_subset_indices(int64_t n1, int64_t n2, const fk_kid_options *opt,
                                int64_t *idx1, int64_t *idx2, fk_error *e)
{
    fk_kid_options o = opt ? *opt : fk_kid_default_options();
    int64_t m;
    fk_status s = subset_size(n1, n2, &o, &m, e);
    if (s != FK_OK)
        return s;
    int64_t *scratch = malloc(sizeof(int64_t) * (size_t)(n1 > n2 ? n1 : n2));
    if (!scratch)
        return fk_fail(e, FK_ERR_NOMEM, "KID: out of memory for subset indices");
    fk_rng r;
    fk_np_random mt;
    if (o.convention == FK_KID_FIDKIT)
        fk_rng_seed(&r, o.seed);
    else if (o.convention == FK_KID_TORCHMETRICS)
        fk_torch_manual_seed(&mt, o.seed);
    else
        fk_np_seed(&mt, o.seed, NULL); /* in range: subset_size checked it */
    for (int q = 0; q < o.subsets; q++) {
        int64_t *s1 = idx1 + (size_t)q * (size_t)m, *s2 = idx2 + (size_t)q * (size_t)m;
        switch (o.convention) {
        case FK_KID_TORCH_FIDELITY:
            fk_np_choice(&mt, n1, m, scratch, s1);
            fk_np_choice(&mt, n2, m, scratch, s2);
            break;
        case FK_KID_CLEAN_FID: /* kernel_distance draws feats2's subset first */
            fk_np_choice(&mt, n2, m, scratch, s2);
            fk_np_choice(&mt, n1, m, scratch, s1);
            break;
        case FK_KID_TORCHMETRICS:
            fk_torch_randperm(&mt, n1, scratch);
            memcpy(s1, scratch, sizeof(int64_t) * (size_t)m);
            fk_torch_randperm(&mt, n2, scratch);
            memcpy(s2, scratch, sizeof(int64_t) * (size_t)m);
            break;
        case FK_KID_FIDKIT:
            fk_rng_choice(&r, n1, m, scratch, s1);
            fk_rng_choice(&r, n2, m, scratch, s2);
            break;
        }
    }
    free(scratch);
    return FK_OK;
}

static void gather(const fk_features *f, const int64_t *idx, int64_t m, double *out)
{
    for (int64_t i = 0; i < m; i++) {
        const float *r = f->x + (size_t)idx[i] * (size_t)f->d;
        double *o = out + (size_t)i * (size_t)f->d;
        for (int j = 0; j < f->d; j++)
            o[j] = r[j];
    }
}

static double kern(double dot, double g, double c0, int deg)
{
    double b = g * dot + c0, v = b;
    for (int i = 1; i < deg; i++)
        v *= b;
    return v;
}

/* Sum of the kernel over i != j of a Gram matrix whose lower triangle DSYRK
 * filled: twice the strict lower part. */
static double offdiag_kernel_sum(const double *gram, int64_t m, double g, double c0, int deg)
{
    double s = 0;
    for (int64_t i = 1; i < m; i++) {
        const double *row = gram + (size_t)i * (size_t)m;
        double rs = 0;
        for (int64_t j = 0; j < i; j++)
            rs += kern(row[j], g, c0, deg);
        s += rs;
    }
    return 2 * s;
}

/* buffers: a, b: m x d; gram: m x m */
static double mmd2_unbiased(const double *a, const double *b, int64_t m, int d, double g,
                            double c0, int deg, double *gram)
{
    int mi = (int)m;
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, mi, d, 1.0, a, d, 0.0, gram, mi);
    double kxx = offdiag_kernel_sum(gram, m, g, c0, deg);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, mi, d, 1.0, b, d, 0.0, gram, mi);
    double kyy = offdiag_kernel_sum(gram, m, g, c0, deg);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, mi, mi, d, 1.0, a, d, b, d, 0.0, gram, mi);
    double kxy = 0;
    for (int64_t i = 0; i < m; i++) {
        const double *row = gram + (size_t)i * (size_t)m;
        double rs = 0;
        for (int64_t j = 0; j < m; j++)
            rs += kern(row[j], g, c0, deg);
        kxy += rs;
    }
    double md = (double)m;
    return (kxx + kyy) / (md * (md - 1)) - 2 * kxy / (md * md);
}

typedef struct kid_work {
    double *a, *b, *gram;
} kid_work;

static fk_status work_alloc(kid_work *w, int64_t m, int d, fk_error *e)
{
    w->a = malloc(sizeof(double) * (size_t)m * (size_t)d);
    w->b = malloc(sizeof(double) * (size_t)m * (size_t)d);
    w->gram = malloc(sizeof(double) * (size_t)m * (size_t)m);
    if (!w->a || !w->b || !w->gram) {
        free(w->a);
        free(w->b);
        free(w->gram);
        w->a = w->b = w->gram = NULL;
        return fk_fail(e, FK_ERR_NOMEM, "KID: out of memory for subsets of %lld rows",
                       (long long)m);
    }
    return FK_OK;
}

static void work_free(kid_work *w)
{
    free(w->a);
    free(w->b);
    free(w->gram);
}

static fk_status check_indices(const int64_t *idx, int64_t m, int64_t n, int set, fk_error *e)
{
    for (int64_t i = 0; i < m; i++)
        if (idx[i] < 0 || idx[i] >= n)
            return fk_fail(e, FK_ERR_ARG, "KID: index %lld of set %d is %lld, outside 0..%lld",
                           (long long)i, set, (long long)idx[i], (long long)n - 1);
    return FK_OK;
}

fk_status fk_kid_mmd2(const fk_features *x, const int64_t *idx1, const fk_features *y,
                      const int64_t *idx2, int64_t m, const fk_kid_options *opt,
                      double *mmd2, fk_error *e)
{
    fk_kid_options o = opt ? *opt : fk_kid_default_options();
    fk_status s = fk_features_check_pair(x, "KID: features of set 1", y, "KID: features of set 2",
                                         2, e);
    if (s != FK_OK)
        return s;
    if (m < 2)
        return fk_fail(e, FK_ERR_ARG, "KID: subset size %lld, at least 2 is needed", (long long)m);
    if ((s = check_indices(idx1, m, x->n, 1, e)) != FK_OK ||
        (s = check_indices(idx2, m, y->n, 2, e)) != FK_OK)
        return s;
    kid_work w;
    if ((s = work_alloc(&w, m, x->d, e)) != FK_OK)
        return s;
    double g = o.gamma > 0 ? o.gamma : 1.0 / x->d;
    gather(x, idx1, m, w.a);
    gather(y, idx2, m, w.b);
    *mmd2 = mmd2_unbiased(w.a, w.b, m, x->d, g, o.coef0, o.degree, w.gram);
    work_free(&w);
    if (!isfinite(*mmd2))
        return fk_fail(e, FK_ERR_NUMERIC, "KID: the MMD estimate is not finite (features too "
                       "large for a degree-%d kernel?)", o.degree);
    return FK_OK;
}

fk_status fk_kid(const fk_features *x, const fk_features *y, const fk_kid_options *opt,
                 fk_kid_result *r, double *mmd2, fk_error *e)
{
    fk_kid_options o = opt ? *opt : fk_kid_default_options();
    fk_status s = fk_features_check_pair(x, "KID: features of set 1", y, "KID: features of set 2",
                                         1, e);
    if (s != FK_OK)
        return s;
    int64_t m;
    if ((s = subset_size(x->n, y->n, &o, &m, e)) != FK_OK)
        return s;
    size_t ni = (size_t)o.subsets * (size_t)m;
    int64_t *i1 = malloc(sizeof(int64_t) * ni), *i2 = malloc(sizeof(int64_t) * ni);
    double *vals = malloc(sizeof(double) * (size_t)o.subsets);
    kid_work w = {0};
    if (!i1 || !i2 || !vals) {
        s = fk_fail(e, FK_ERR_NOMEM, "KID: out of memory for %d subsets of %lld rows",
                    o.subsets, (long long)m);
        goto done;
    }
    if ((s = fk_kid_subset_indices(x->n, y->n, &o, i1, i2, e)) != FK_OK)
        goto done;
    if ((s = work_alloc(&w, m, x->d, e)) != FK_OK)
        goto done;
    double g = o.gamma > 0 ? o.gamma : 1.0 / x->d;
    double sum = 0;
    for (int q = 0; q < o.subsets; q++) {
        gather(x, i1 + (size_t)q * (size_t)m, m, w.a);
        gather(y, i2 + (size_t)q * (size_t)m, m, w.b);
        vals[q] = mmd2_unbiased(w.a, w.b, m, x->d, g, o.coef0, o.degree, w.gram);
        if (!isfinite(vals[q])) {
            s = fk_fail(e, FK_ERR_NUMERIC, "KID: subset %d gave a non-finite MMD (features too "
                        "large for a degree-%d kernel?)", q, o.degree);
            goto done;
        }
        sum += vals[q];
    }
    double mean = sum / o.subsets, ss = 0;
    for (int q = 0; q < o.subsets; q++)
        ss += (vals[q] - mean) * (vals[q] - mean);
    r->mean = mean;
    r->std = sqrt(ss / o.subsets);
    r->subsets = o.subsets;
    r->subset_size = m;
    r->convention = fk_kid_convention_name(o.convention);
    r->seed = o.seed;
    if (mmd2)
        for (int q = 0; q < o.subsets; q++)
            mmd2[q] = vals[q];
done:
    work_free(&w);
    free(i1);
    free(i2);
    free(vals);
    return s;
}
