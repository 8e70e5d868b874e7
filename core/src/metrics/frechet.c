/* The Fréchet distance by eigenvalues only; see frechet.h for the method.
 *
 * Symmetric matrices are the same in row- and column-major order, so the
 * caller's row-major arrays go to LAPACK (column-major) as they are. */
#include "fidkit/frechet.h"

#include "base/bigalloc.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

fk_fd_options fk_fd_default_options(void)
{
    fk_fd_options o = {FK_FD_AUTO, 0.0, 0};
    return o;
}

int fk_fd_ill_conditioned(const fk_fd_result *r, int d)
{
    return r->rank < d || r->rcond < 1e-12 || r->most_negative < -1e-10;
}

static fk_status check_finite(const char *what, const double *x, size_t n, fk_error *e)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return fk_fail(e, FK_ERR_NUMERIC, "Fréchet distance: %s has a non-finite entry (%g at %zu)",
                           what, x[i], i);
    return FK_OK;
}

/* |mu1 - mu2|^2 */
static double mean_term(const double *mu1, const double *mu2, int d)
{
    double mt = 0;
    for (int i = 0; i < d; i++) {
        double t = mu1[i] - mu2[i];
        mt += t * t;
    }
    return mt;
}

static double trace(const double *s, int d)
{
    double t = 0;
    for (int i = 0; i < d; i++)
        t += s[(size_t)i * d + i];
    return t;
}

/* Sum of square roots of the eigenvalues w[0..n), with the negative ones set
 * to zero and reported. */
static double sum_sqrt(const double *w, int n, fk_fd_result *r)
{
    double top = 0, s = 0;
    for (int i = 0; i < n; i++)
        if (w[i] > top)
            top = w[i];
    r->n_negative = 0;
    r->most_negative = 0;
    for (int i = 0; i < n; i++) {
        if (w[i] > 0) {
            s += sqrt(w[i]);
        } else if (w[i] < 0) {
            r->n_negative++;
            double rel = top > 0 ? w[i] / top : -1.0;
            if (rel < r->most_negative)
                r->most_negative = rel;
        }
    }
    return s;
}

/* Cholesky route: a = copy of the other covariance, b = copy of the one to
 * factor. Returns 1 if b was not positive definite (nothing computed). */
static int cholesky_route(int d, double *a, double *b, double *w, fk_fd_result *r, fk_status *st,
                          fk_error *e)
{
    double anorm = LAPACKE_dlansy(LAPACK_COL_MAJOR, '1', 'L', d, b, d);
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', d, b, d);
    if (info > 0)
        return 1;
    if (info < 0) {
        *st = fk_fail(e, FK_ERR_INTERNAL, "dpotrf: argument %d invalid", (int)-info);
        return 0;
    }
    double rcond = 0;
    if (LAPACKE_dpocon(LAPACK_COL_MAJOR, 'L', d, b, d, anorm, &rcond) == 0)
        r->rcond = rcond;
    /* itype 3 gives L^T A L: its eigenvalues are those of B A = S1 S2. */
    info = LAPACKE_dsygst(LAPACK_COL_MAJOR, 3, 'L', d, a, d, b, d);
    if (info == 0)
        info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', d, a, d, w);
    if (info) {
        *st = fk_fail(e, FK_ERR_NUMERIC, "Fréchet distance: eigenvalue solver failed (info %d)",
                      (int)info);
        return 0;
    }
    r->method = "cholesky";
    r->rank = d;
    r->tr_sqrt = sum_sqrt(w, d, r);
    *st = FK_OK;
    return 0;
}

/* The Cholesky route in float32, for bootstrap replicates. Returns 1 if it
 * could not be used (s1 not positive definite in float). */
static int cholesky_route_f32(int d, const double *s1, const double *s2, double eps,
                              fk_fd_result *r, fk_status *st, fk_error *e)
{
    size_t dd = (size_t)d * d;
    float *a = malloc(dd * sizeof(float)), *b = malloc(dd * sizeof(float));
    float *w = malloc((size_t)d * sizeof(float));
    double *wd = malloc((size_t)d * sizeof(double));
    int not_pd = 1;
    *st = FK_OK;
    if (!a || !b || !w || !wd) {
        *st = fk_fail(e, FK_ERR_NOMEM, "Fréchet distance: out of memory");
        not_pd = 0;
        goto out;
    }
    for (size_t i = 0; i < dd; i++) {
        a[i] = (float)s2[i];
        b[i] = (float)s1[i];
    }
    for (int i = 0; i < d && eps > 0; i++) {
        a[(size_t)i * d + i] += (float)eps;
        b[(size_t)i * d + i] += (float)eps;
    }
    if (LAPACKE_spotrf(LAPACK_COL_MAJOR, 'L', d, b, d) != 0)
        goto out;
    if (LAPACKE_ssygst(LAPACK_COL_MAJOR, 3, 'L', d, a, d, b, d) ||
        LAPACKE_ssyevd(LAPACK_COL_MAJOR, 'N', 'L', d, a, d, w))
        goto out;
    for (int i = 0; i < d; i++)
        wd[i] = w[i];
    r->method = "cholesky-f32";
    r->rank = d;
    r->rcond = 0; /* not estimated on this route */
    r->tr_sqrt = sum_sqrt(wd, d, r);
    not_pd = 0;
out:
    free(a);
    free(b);
    free(w);
    free(wd);
    return not_pd;
}

/* Eigen route for any PSD s1: s1 = V D V^T, W = V_r D_r^(1/2), eigenvalues of
 * W^T s2 W. Only the eigenpairs above the rank threshold are computed
 * (dsyevr with a value range): with N samples that is N - 1 of them, so the
 * back-transformation costs r/d of a full eigendecomposition. The threshold
 * d * eps * tr(s1) bounds the usual d * eps * max eigenvalue from above by
 * at most a factor d, without knowing the maximum first. v holds a copy of
 * s1 and is overwritten. */
static fk_status eigen_route(int d, double *v, const double *s2, double *w, fk_fd_result *r,
                             fk_error *e)
{
    double tr = trace(v, d);
    double tol = (double)d * DBL_EPSILON * (tr > 0 ? tr : 0);
    r->method = "eigen";
    r->rank = 0;
    r->rcond = 0;
    r->tr_sqrt = 0;
    r->n_negative = 0;
    r->most_negative = 0;
    if (!(tr > 0))
        return FK_OK; /* S1 = 0: no square root to take */
    double *z = fk_alloc_big((size_t)d * d * sizeof(double));
    lapack_int *isuppz = malloc(2 * (size_t)d * sizeof(lapack_int));
    if (!z || !isuppz) {
        free(z);
        free(isuppz);
        return fk_fail(e, FK_ERR_NOMEM, "Fréchet distance: out of memory");
    }
    lapack_int m = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'V', 'L', d, v, d, tol, 2.0 * tr + 1.0, 0,
                                     0, 0.0, &m, w, z, d, isuppz);
    free(isuppz);
    if (info) {
        free(z);
        return fk_fail(e, FK_ERR_NUMERIC, "Fréchet distance: eigendecomposition failed (info %d)",
                       (int)info);
    }
    int rk = (int)m;
    r->rank = rk;
    r->rcond = (rk == d && w[d - 1] > 0) ? w[0] / w[d - 1] : 0.0;
    if (rk == 0) {
        free(z);
        return FK_OK;
    }
    for (int j = 0; j < rk; j++) {
        double s = sqrt(w[j]);
        for (int i = 0; i < d; i++)
            z[(size_t)j * d + i] *= s;
    }
    double *t = malloc((size_t)d * rk * sizeof(double));
    double *mm = malloc((size_t)rk * rk * sizeof(double));
    double *mw = malloc((size_t)rk * sizeof(double));
    fk_status st = FK_OK;
    if (!t || !mm || !mw) {
        st = fk_fail(e, FK_ERR_NOMEM, "Fréchet distance: out of memory");
    } else {
        cblas_dsymm(CblasColMajor, CblasLeft, CblasLower, d, rk, 1.0, s2, d, z, d, 0.0, t, d);
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, rk, rk, d, 1.0, z, d, t, d, 0.0, mm,
                    rk);
        info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', rk, mm, rk, mw);
        if (info)
            st = fk_fail(e, FK_ERR_NUMERIC,
                         "Fréchet distance: eigenvalue solver failed (info %d)", (int)info);
        else
            r->tr_sqrt = sum_sqrt(mw, rk, r);
    }
    free(z);
    free(t);
    free(mm);
    free(mw);
    return st;
}

fk_status fk_frechet(int d, const double *mu1, const double *s1, const double *mu2,
                     const double *s2, const fk_fd_options *opt, fk_fd_result *r, fk_error *e)
{
    fk_fd_options o = opt ? *opt : fk_fd_default_options();
    memset(r, 0, sizeof *r);
    if (d <= 0)
        return fk_fail(e, FK_ERR_ARG, "Fréchet distance: dimension must be positive, got %d", d);
    if (!(o.eps >= 0) || !isfinite(o.eps))
        return fk_fail(e, FK_ERR_ARG, "Fréchet distance: eps must be >= 0");
    size_t dd = (size_t)d * (size_t)d;
    fk_status st;
    if ((st = check_finite("mu1", mu1, (size_t)d, e)) || (st = check_finite("mu2", mu2, (size_t)d, e)) ||
        (st = check_finite("sigma1", s1, dd, e)) || (st = check_finite("sigma2", s2, dd, e)))
        return st;

    r->mean_term = mean_term(mu1, mu2, d);
    r->eps = o.eps;

    double *a = fk_alloc_big(dd * sizeof(double));
    double *b = fk_alloc_big(dd * sizeof(double));
    double *w = malloc((size_t)d * sizeof(double));
    if (!a || !b || !w) {
        free(a), free(b), free(w);
        return fk_fail(e, FK_ERR_NOMEM, "Fréchet distance: cannot allocate 2 x %d x %d doubles", d, d);
    }
    double tr1 = trace(s1, d) + d * o.eps, tr2 = trace(s2, d) + d * o.eps;

#define COPY_EPS(dst, src)                                     \
    do {                                                       \
        memcpy(dst, src, dd * sizeof(double));                 \
        if (o.eps > 0)                                         \
            for (int i_ = 0; i_ < d; i_++)                     \
                (dst)[(size_t)i_ * d + i_] += o.eps;           \
    } while (0)

    int not_pd = 1;
    st = FK_OK;
    if (o.single_precision && o.method != FK_FD_EIGEN)
        not_pd = cholesky_route_f32(d, s1, s2, o.eps, r, &st, e);
    if (not_pd && !st && o.method != FK_FD_EIGEN) {
        COPY_EPS(a, s2);
        COPY_EPS(b, s1);
        not_pd = cholesky_route(d, a, b, w, r, &st, e);
        if (not_pd && !st) {
            /* S1 is singular; S1 S2 and S2 S1 share eigenvalues, so try S2. */
            COPY_EPS(a, s1);
            COPY_EPS(b, s2);
            not_pd = cholesky_route(d, a, b, w, r, &st, e);
            r->swapped = !not_pd;
        }
        if (not_pd && o.method == FK_FD_CHOLESKY)
            st = fk_fail(e, FK_ERR_NUMERIC,
                         "Fréchet distance: neither covariance is positive definite (too few "
                         "samples for d = %d?); the eigen method handles this", d);
    }
    if (!st && not_pd) {
        COPY_EPS(a, s1);
        if (o.eps > 0) {
            COPY_EPS(b, s2);
            st = eigen_route(d, a, b, w, r, e);
        } else {
            st = eigen_route(d, a, s2, w, r, e);
        }
    }
#undef COPY_EPS
    free(a);
    free(b);
    free(w);
    if (st)
        return st;

    r->trace_term = tr1 + tr2 - 2.0 * r->tr_sqrt;
    r->fd = r->mean_term + r->trace_term;
    if (!isfinite(r->fd))
        return fk_fail(e, FK_ERR_NUMERIC, "Fréchet distance: the result is not finite");
    if (r->fd < 0) {
        /* By Cauchy-Schwarz tr sqrt(S1 S2) <= sqrt(tr S1 tr S2), so FD >= 0
         * for PSD input; below zero only by rounding, or for input that is
         * not PSD, which is an error rather than a number to print. */
        double scale = tr1 + tr2 + r->mean_term;
        if (r->fd >= -1e-9 * (scale > 1 ? scale : 1)) {
            r->fd = 0;
            r->clamped = 1;
        } else {
            return fk_fail(e, FK_ERR_NUMERIC,
                           "Fréchet distance came out negative (%g): a covariance is not "
                           "positive semi-definite", r->fd);
        }
    }
    return FK_OK;
}

int fk_frechet_prefer_factors(int64_t n1, int64_t n2, int d)
{
    double a = (double)n1, b = (double)n2, dd = (double)d, m = a < b ? a : b;
    /* gemm + dgesdd against two covariances (syrk) + dsygst/dsyevd */
    double factors = 2 * a * b * dd + 20 * m * m * m;
    double moments = (a + b) * dd * dd + 10 * dd * dd * dd;
    return factors < moments;
}

fk_status fk_frechet_factors(int d, const double *mu1, const double *b1, int64_t m1,
                             const double *mu2, const double *b2, int64_t m2,
                             fk_fd_result *r, fk_error *e)
{
    memset(r, 0, sizeof *r);
    r->method = "factors";
    if (d <= 0 || m1 < 1 || m2 < 1 || m1 > INT32_MAX || m2 > INT32_MAX)
        return fk_fail(e, FK_ERR_ARG, "Fréchet distance: bad factor shapes (%lld and %lld rows, d %d)",
                       (long long)m1, (long long)m2, d);
    fk_status st;
    if ((st = check_finite("mu1", mu1, (size_t)d, e)) || (st = check_finite("mu2", mu2, (size_t)d, e)) ||
        (st = check_finite("factor 1", b1, (size_t)m1 * (size_t)d, e)) ||
        (st = check_finite("factor 2", b2, (size_t)m2 * (size_t)d, e)))
        return st;
    r->mean_term = mean_term(mu1, mu2, d);
    double tr1 = 0, tr2 = 0;
    for (size_t i = 0; i < (size_t)m1 * (size_t)d; i++)
        tr1 += b1[i] * b1[i];
    for (size_t i = 0; i < (size_t)m2 * (size_t)d; i++)
        tr2 += b2[i] * b2[i];

    int p = (int)m1, q = (int)m2, k = p < q ? p : q;
    double *c = malloc(sizeof(double) * (size_t)p * (size_t)q);
    double *sv = malloc(sizeof(double) * (size_t)k);
    if (!c || !sv) {
        free(c), free(sv);
        return fk_fail(e, FK_ERR_NOMEM, "Fréchet distance: cannot allocate %d x %d doubles", p, q);
    }
    /* C = B1 B2^T, p x q row-major */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p, q, d, 1.0, b1, d, b2, d, 0.0, c, q);
    /* Read column-major, the array is C^T (q x p): same singular values, and
     * no transposing copy. */
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', q, p, c, q, sv, NULL, 1, NULL, 1);
    if (info) {
        st = fk_fail(e, FK_ERR_NUMERIC, "Fréchet distance: singular value solver failed (info %d)",
                     (int)info);
    } else {
        double tol = (double)k * DBL_EPSILON * (k > 0 ? sv[0] : 0);
        for (int i = 0; i < k; i++) {
            r->tr_sqrt += sv[i];
            r->rank += sv[i] > tol;
        }
    }
    free(c);
    free(sv);
    if (st)
        return st;
    r->trace_term = tr1 + tr2 - 2.0 * r->tr_sqrt;
    r->fd = r->mean_term + r->trace_term;
    if (!isfinite(r->fd))
        return fk_fail(e, FK_ERR_NUMERIC, "Fréchet distance: the result is not finite");
    if (r->fd < 0) {
        /* Cauchy-Schwarz holds for singular values too: only rounding. */
        r->fd = 0;
        r->clamped = 1;
    }
    return FK_OK;
}
