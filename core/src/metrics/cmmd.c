#include "fidkit/cmmd.h"

#include <math.h>
#include <stdlib.h>

#include "metrics/pairdist.h"

#define ROW_BLOCK 1024
#define COL_BLOCK 4096

fk_cmmd_options fk_cmmd_default_options(void)
{
    fk_cmmd_options o;
    o.sigma = 10;
    o.scale = 1000;
    o.normalize = 0;
    o.block_rows = 0;
    o.block_cols = 0;
    return o;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Mean of exp(-gamma |a_i - b_j|^2) over all pairs. For a set against itself
 * only tiles on or right of the diagonal block are formed: the square
 * diagonal part counts every ordered pair, the rest counts for both (i, j)
 * and (j, i). That saves a third of the work of CMMD. */
static double kernel_mean(fk__pd *pd, const fk_features *a, const double *sa, const double *na,
                          const fk_features *b, const double *sb, const double *nb, double gamma)
{
    int d = a->d;
    int self = a == b;
    double total = 0;
    for (int64_t i0 = 0; i0 < a->n; i0 += pd->rows) {
        int64_t ni = min64(pd->rows, a->n - i0);
        for (int64_t j0 = self ? i0 : 0; j0 < b->n; j0 += pd->cols) {
            int64_t nj = min64(pd->cols, b->n - j0);
            fk__pd_tile(pd, a->x + (size_t)i0 * d, sa ? sa + i0 : NULL, na + i0, ni,
                        b->x + (size_t)j0 * d, sb ? sb + j0 : NULL, nb + j0, nj);
            /* columns before `twice` lie in the diagonal square */
            int64_t twice = self ? min64(i0 + ni - j0, nj) : 0;
            if (twice < 0)
                twice = 0;
            double ts = 0;
            for (int64_t i = 0; i < ni; i++) {
                const double *t = pd->tile + (size_t)i * (size_t)nj;
                double s1 = 0, s2 = 0;
                for (int64_t j = 0; j < twice; j++)
                    s1 += exp(-gamma * t[j]);
                for (int64_t j = twice; j < nj; j++)
                    s2 += exp(-gamma * t[j]);
                ts += s1 + (self ? 2 * s2 : s2);
            }
            total += ts;
        }
    }
    return total / ((double)a->n * (double)b->n);
}

static fk_status inverse_norms(const fk_features *f, const char *what, double *s, fk_error *e)
{
    fk__pd_norms(f->x, f->n, f->d, NULL, s);
    for (int64_t i = 0; i < f->n; i++) {
        if (!(s[i] > 0))
            return fk_fail(e, FK_ERR_NUMERIC, "CMMD: %s row %lld is all zeros and cannot be "
                           "L2-normalised", what, (long long)i);
        s[i] = 1.0 / sqrt(s[i]);
    }
    return FK_OK;
}

fk_status fk_cmmd(const fk_features *x, const fk_features *y, const fk_cmmd_options *opt,
                  fk_cmmd_result *r, fk_error *e)
{
    fk_cmmd_options o = opt ? *opt : fk_cmmd_default_options();
    if (!(o.sigma > 0) || !isfinite(o.sigma))
        return fk_fail(e, FK_ERR_ARG, "CMMD: sigma %g must be positive", o.sigma);
    fk_status s = fk_features_check_pair(x, "CMMD: reference embeddings", y,
                                         "CMMD: generated embeddings", 1, e);
    if (s != FK_OK)
        return s;
    int64_t nmax = x->n > y->n ? x->n : y->n;
    int64_t rb = min64(o.block_rows > 0 ? o.block_rows : ROW_BLOCK, nmax);
    int64_t cb = min64(o.block_cols > 0 ? o.block_cols : COL_BLOCK, nmax);
    double *sx = NULL, *sy = NULL;
    double *nx = malloc(sizeof(double) * (size_t)x->n), *ny = malloc(sizeof(double) * (size_t)y->n);
    fk__pd pd = {0};
    if (!nx || !ny) {
        s = fk_fail(e, FK_ERR_NOMEM, "CMMD: out of memory");
        goto done;
    }
    if (o.normalize) {
        sx = malloc(sizeof(double) * (size_t)x->n);
        sy = malloc(sizeof(double) * (size_t)y->n);
        if (!sx || !sy) {
            s = fk_fail(e, FK_ERR_NOMEM, "CMMD: out of memory");
            goto done;
        }
        if ((s = inverse_norms(x, "reference", sx, e)) != FK_OK ||
            (s = inverse_norms(y, "generated", sy, e)) != FK_OK)
            goto done;
    }
    fk__pd_norms(x->x, x->n, x->d, sx, nx);
    fk__pd_norms(y->x, y->n, y->d, sy, ny);
    if ((s = fk__pd_init(&pd, x->d, rb, cb, e)) != FK_OK)
        goto done;
    double gamma = 1.0 / (2 * o.sigma * o.sigma);
    r->kxx = kernel_mean(&pd, x, sx, nx, x, sx, nx, gamma);
    r->kyy = kernel_mean(&pd, y, sy, ny, y, sy, ny, gamma);
    r->kxy = kernel_mean(&pd, x, sx, nx, y, sy, ny, gamma);
    r->cmmd = o.scale * (r->kxx + r->kyy - 2 * r->kxy);
done:
    fk__pd_free(&pd);
    free(sx);
    free(sy);
    free(nx);
    free(ny);
    return s;
}
