/* Streaming moments, see moments.h. */
#include "fidkit/moments.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows centred per dsyrk call: large enough for BLAS to run near its peak,
 * small enough that the scratch stays a few MB at d = 2048. */
#define FK_MOMENTS_BLOCK 512

fk_status fk_moments_init(fk_moments *m, int d, fk_error *e)
{
    memset(m, 0, sizeof *m);
    if (d <= 0)
        return fk_fail(e, FK_ERR_ARG, "moments: dimension must be positive, got %d", d);
    m->d = d;
    m->mean = calloc((size_t)d, sizeof(double));
    m->m2 = calloc((size_t)d * (size_t)d, sizeof(double));
    m->work = malloc((size_t)FK_MOMENTS_BLOCK * (size_t)d * sizeof(double));
    if (!m->mean || !m->m2 || !m->work) {
        fk_moments_free(m);
        return fk_fail(e, FK_ERR_NOMEM, "moments: cannot allocate %d x %d doubles", d, d);
    }
    return FK_OK;
}

void fk_moments_free(fk_moments *m)
{
    free(m->mean);
    free(m->m2);
    free(m->work);
    memset(m, 0, sizeof *m);
}

void fk_moments_reset(fk_moments *m)
{
    m->n = 0;
    memset(m->mean, 0, (size_t)m->d * sizeof(double));
    memset(m->m2, 0, (size_t)m->d * (size_t)m->d * sizeof(double));
}

/* Folds a block of nb rows, already in m->work, into m: the block's scatter
 * about its own mean, then Chan et al.'s correction for the two means. */
static void fold_block(fk_moments *m, int64_t nb, double *bmean)
{
    const int d = m->d;
    double *w = m->work;
    memset(bmean, 0, (size_t)d * sizeof(double));
    for (int64_t r = 0; r < nb; r++)
        for (int j = 0; j < d; j++)
            bmean[j] += w[r * d + j];
    for (int j = 0; j < d; j++)
        bmean[j] /= (double)nb;
    for (int64_t r = 0; r < nb; r++)
        for (int j = 0; j < d; j++)
            w[r * d + j] -= bmean[j];
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, d, (int)nb, 1.0, w, d, 1.0, m->m2, d);

    if (m->n == 0) {
        memcpy(m->mean, bmean, (size_t)d * sizeof(double));
    } else {
        double n = (double)(m->n + nb);
        for (int j = 0; j < d; j++)
            bmean[j] -= m->mean[j]; /* now delta */
        cblas_dsyr(CblasRowMajor, CblasLower, d, (double)m->n * (double)nb / n, bmean, 1, m->m2, d);
        for (int j = 0; j < d; j++)
            m->mean[j] += bmean[j] * ((double)nb / n);
    }
    m->n += nb;
}

static fk_status add_rows(fk_moments *m, const void *rows, int is_f64, int64_t n, fk_error *e)
{
    if (n < 0)
        return fk_fail(e, FK_ERR_ARG, "moments: negative row count");
    const int d = m->d;
    double *bmean = malloc((size_t)d * sizeof(double));
    if (!bmean)
        return fk_fail(e, FK_ERR_NOMEM, "moments: out of memory");
    for (int64_t start = 0; start < n; start += FK_MOMENTS_BLOCK) {
        int64_t nb = n - start < FK_MOMENTS_BLOCK ? n - start : FK_MOMENTS_BLOCK;
        for (int64_t r = 0; r < nb; r++) {
            double *dst = m->work + r * d;
            if (is_f64) {
                memcpy(dst, (const double *)rows + (start + r) * d, (size_t)d * sizeof(double));
            } else {
                const float *src = (const float *)rows + (start + r) * d;
                for (int j = 0; j < d; j++)
                    dst[j] = src[j];
            }
            for (int j = 0; j < d; j++) {
                if (!isfinite(dst[j])) {
                    free(bmean);
                    return fk_fail(e, FK_ERR_NUMERIC,
                                   "moments: feature row %lld has a non-finite value (%g) in "
                                   "dimension %d", (long long)(m->n + r), dst[j], j);
                }
            }
        }
        fold_block(m, nb, bmean);
    }
    free(bmean);
    return FK_OK;
}

fk_status fk_moments_add(fk_moments *m, const float *rows, int64_t n, fk_error *e)
{
    return add_rows(m, rows, 0, n, e);
}

fk_status fk_moments_add_f64(fk_moments *m, const double *rows, int64_t n, fk_error *e)
{
    return add_rows(m, rows, 1, n, e);
}

fk_status fk_moments_merge(fk_moments *dst, const fk_moments *src, fk_error *e)
{
    if (dst->d != src->d)
        return fk_fail(e, FK_ERR_ARG, "moments: cannot merge dimension %d into %d", src->d, dst->d);
    if (src->n == 0)
        return FK_OK;
    const int d = dst->d;
    if (dst->n == 0) {
        dst->n = src->n;
        memcpy(dst->mean, src->mean, (size_t)d * sizeof(double));
        memcpy(dst->m2, src->m2, (size_t)d * (size_t)d * sizeof(double));
        return FK_OK;
    }
    double *delta = calloc((size_t)d, sizeof(double));
    if (!delta)
        return fk_fail(e, FK_ERR_NOMEM, "moments: out of memory");
    double n = (double)(dst->n + src->n);
    for (int j = 0; j < d; j++)
        delta[j] = src->mean[j] - dst->mean[j];
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++)
            dst->m2[(size_t)i * d + j] += src->m2[(size_t)i * d + j];
    cblas_dsyr(CblasRowMajor, CblasLower, d, (double)dst->n * (double)src->n / n, delta, 1,
               dst->m2, d);
    for (int j = 0; j < d; j++)
        dst->mean[j] += delta[j] * ((double)src->n / n);
    dst->n += src->n;
    free(delta);
    return FK_OK;
}

fk_status fk_moments_result(const fk_moments *m, double *mean, double *cov, fk_error *e)
{
    if (m->n < 2)
        return fk_fail(e, FK_ERR_NUMERIC,
                       "a covariance needs at least 2 samples, got %lld", (long long)m->n);
    const int d = m->d;
    if (mean)
        memcpy(mean, m->mean, (size_t)d * sizeof(double));
    if (cov) {
        double s = 1.0 / (double)(m->n - 1);
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++) {
                double v = m->m2[(size_t)i * d + j] * s;
                cov[(size_t)i * d + j] = v;
                cov[(size_t)j * d + i] = v;
            }
    }
    return FK_OK;
}
