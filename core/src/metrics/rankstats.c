/* Spearman's rho and Kendall's tau-b; see rankstats.h. */
#include "fidkit/rankstats.h"

#include <math.h>
#include <stdlib.h>

static fk_status check(const double *x, const double *y, int n, fk_error *e)
{
    if (!x || !y || n < 2)
        return fk_fail(e, FK_ERR_ARG, "rank agreement needs at least 2 items, got %d", n);
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return fk_fail(e, FK_ERR_NUMERIC, "rank agreement: item %d is not a finite number", i);
    return FK_OK;
}

fk_status fk_rank_average(const double *x, int n, double *r, fk_error *e)
{
    if (!x || !r || n < 1)
        return fk_fail(e, FK_ERR_ARG, "ranks of an empty vector");
    /* Quadratic, exact: rank = 1 + #less + (#equal - 1)/2, no sort needed. */
    for (int i = 0; i < n; i++) {
        int less = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            less += x[j] < x[i];
            equal += x[j] == x[i];
        }
        r[i] = 1.0 + less + (equal - 1) / 2.0;
    }
    return FK_OK;
}

fk_status fk_spearman(const double *x, const double *y, int n, double *rho, fk_error *e)
{
    fk_status st = check(x, y, n, e);
    if (st)
        return st;
    double *rx = malloc(sizeof(double) * 2 * (size_t)n);
    if (!rx)
        return fk_fail(e, FK_ERR_NOMEM, "out of memory");
    double *ry = rx + n;
    fk_rank_average(x, n, rx, NULL);
    fk_rank_average(y, n, ry, NULL);
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += rx[i];
        my += ry[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    free(rx);
    if (sxx == 0 || syy == 0)
        return fk_fail(e, FK_ERR_NUMERIC, "Spearman's rho is undefined: the %s values are all equal",
                       sxx == 0 ? "first" : "second");
    *rho = sxy / sqrt(sxx * syy);
    return FK_OK;
}

fk_status fk_kendall_tau_b(const double *x, const double *y, int n, double *tau, fk_error *e)
{
    fk_status st = check(x, y, n, e);
    if (st)
        return st;
    double p = 0, q = 0, tx = 0, ty = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double a = x[i] - x[j], b = y[i] - y[j];
            tx += a == 0;
            ty += b == 0;
            if (a != 0 && b != 0) {
                if ((a > 0) == (b > 0))
                    p++;
                else
                    q++;
            }
        }
    double n0 = (double)n * (n - 1) / 2.0;
    if (tx == n0 || ty == n0)
        return fk_fail(e, FK_ERR_NUMERIC, "Kendall's tau-b is undefined: the %s values are all equal",
                       tx == n0 ? "first" : "second");
    *tau = (p - q) / sqrt((n0 - tx) * (n0 - ty));
    return FK_OK;
}
