#include "fidkit/features.h"

#include <math.h>

fk_status fk_features_check(const fk_features *f, const char *what, int64_t min_rows,
                            fk_error *e)
{
    if (!f || !f->x)
        return fk_fail(e, FK_ERR_ARG, "%s: no feature rows were given (NULL)", what);
    if (f->d < 1)
        return fk_fail(e, FK_ERR_ARG, "%s: feature dimension %d is not positive", what, f->d);
    if (f->n < min_rows)
        return fk_fail(e, FK_ERR_NUMERIC, "%s: %lld rows, at least %lld are needed", what,
                       (long long)f->n, (long long)min_rows);
    const float *p = f->x;
    for (int64_t i = 0; i < f->n; i++, p += f->d)
        for (int j = 0; j < f->d; j++)
            if (!isfinite(p[j]))
                return fk_fail(e, FK_ERR_NUMERIC, "%s: row %lld, column %d is %s", what,
                               (long long)i, j, isnan(p[j]) ? "NaN" : "infinite");
    return FK_OK;
}

fk_status fk_features_check_pair(const fk_features *a, const char *what_a,
                                 const fk_features *b, const char *what_b,
                                 int64_t min_rows, fk_error *e)
{
    fk_status s = fk_features_check(a, what_a, min_rows, e);
    if (s != FK_OK)
        return s;
    if ((s = fk_features_check(b, what_b, min_rows, e)) != FK_OK)
        return s;
    if (a->d != b->d)
        return fk_fail(e, FK_ERR_ARG, "%s have %d dimensions but %s have %d: features of "
                       "different layers or backbones cannot be compared",
                       what_a, a->d, what_b, b->d);
    return FK_OK;
}
