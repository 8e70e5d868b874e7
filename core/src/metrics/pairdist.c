#include "metrics/pairdist.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

fk_status fk__pd_init(fk__pd *p, int d, int64_t rows, int64_t cols, fk_error *e)
{
    memset(p, 0, sizeof *p);
    p->d = d;
    p->rows = rows;
    p->cols = cols;
    p->a = malloc(sizeof(double) * (size_t)rows * (size_t)d);
    p->b = malloc(sizeof(double) * (size_t)cols * (size_t)d);
    p->tile = malloc(sizeof(double) * (size_t)rows * (size_t)cols);
    if (!p->a || !p->b || !p->tile) {
        fk__pd_free(p);
        return fk_fail(e, FK_ERR_NOMEM, "pairwise distances: cannot allocate a %lld x %lld tile "
                       "for %d dimensions", (long long)rows, (long long)cols, d);
    }
    return FK_OK;
}

void fk__pd_free(fk__pd *p)
{
    free(p->a);
    free(p->b);
    free(p->tile);
    p->a = p->b = p->tile = NULL;
}

void fk__pd_norms(const float *x, int64_t n, int d, const double *scale, double *out)
{
    for (int64_t i = 0; i < n; i++) {
        const float *r = x + (size_t)i * (size_t)d;
        double s = 0;
        for (int j = 0; j < d; j++)
            s += (double)r[j] * (double)r[j];
        out[i] = scale ? s * scale[i] * scale[i] : s;
    }
}

static void widen(const float *x, const double *scale, int64_t n, int d, double *out)
{
    for (int64_t i = 0; i < n; i++) {
        double s = scale ? scale[i] : 1.0;
        const float *r = x + (size_t)i * (size_t)d;
        double *o = out + (size_t)i * (size_t)d;
        for (int j = 0; j < d; j++)
            o[j] = s * (double)r[j];
    }
}

void fk__pd_tile(fk__pd *p, const float *a, const double *sa, const double *norm_a, int64_t na,
                 const float *b, const double *sb, const double *norm_b, int64_t nb)
{
    int d = p->d;
    widen(a, sa, na, d, p->a);
    widen(b, sb, nb, d, p->b);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, d, -2.0, p->a, d,
                p->b, d, 0.0, p->tile, (int)nb);
    for (int64_t i = 0; i < na; i++) {
        double *t = p->tile + (size_t)i * (size_t)nb;
        for (int64_t j = 0; j < nb; j++) {
            double v = t[j] + norm_a[i] + norm_b[j];
            t[j] = v > 0 ? v : 0;
        }
    }
}
