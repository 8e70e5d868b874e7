/* Streaming moments against numpy (tests/ref/moments.py). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

typedef struct ref {
    fk_array rows, mean, cov;
    int64_t n;
    int d;
} ref;

static ref load(const char *name)
{
    char p[128];
    ref r;
    snprintf(p, sizeof p, "%s_rows.npy", name);
    r.rows = fk_test_load_npy(p);
    snprintf(p, sizeof p, "%s_mean.npy", name);
    r.mean = fk_test_load_npy(p);
    snprintf(p, sizeof p, "%s_cov.npy", name);
    r.cov = fk_test_load_npy(p);
    cr_assert_eq(r.rows.dtype, FK_F32);
    r.n = r.rows.shape[0];
    r.d = (int)r.rows.shape[1];
    return r;
}

static void compare(const fk_moments *m, const ref *r, double rtol)
{
    size_t d = (size_t)r->d;
    double *mean = malloc(d * sizeof(double)), *cov = malloc(d * d * sizeof(double));
    fk_error e;
    cr_assert_eq(fk_moments_result(m, mean, cov, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(m->n, r->n);
    /* Scale-aware absolute floor: entries near zero in a covariance whose
     * diagonal is O(1) are judged against that scale. */
    double top = 0;
    for (size_t i = 0; i < d; i++)
        top = fmax(top, ((double *)r->cov.data)[i * d + i]);
    double rm = fk_test_tol_ratio(mean, r->mean.data, d, 1e-12 * (1 + fabs(((double *)r->mean.data)[0])), rtol);
    double rc = fk_test_tol_ratio(cov, r->cov.data, d * d, 1e-12 * top, rtol);
    cr_assert(rm <= 1 && rc <= 1, "mean %.3g, cov %.3g of tolerance", rm, rc);
    free(mean);
    free(cov);
}

static void batches(const char *name, int64_t bs)
{
    ref r = load(name);
    fk_moments m;
    fk_error e;
    cr_assert_eq(fk_moments_init(&m, r.d, &e), FK_OK);
    const float *x = r.rows.data;
    for (int64_t i = 0; i < r.n; i += bs) {
        int64_t k = r.n - i < bs ? r.n - i : bs;
        cr_assert_eq(fk_moments_add(&m, x + i * r.d, k, &e), FK_OK, "%s", e.msg);
    }
    compare(&m, &r, 1e-10);
    fk_moments_free(&m);
}

Test(moments, one_batch) { batches("small", 1000); }
Test(moments, batches_of_one) { batches("small", 1); }
Test(moments, odd_batches) { batches("small", 7); }
Test(moments, large_mean_offset) { batches("offset", 250); }
Test(moments, more_dimensions_than_samples) { batches("wide", 64); }

Test(moments, merged_halves_equal_the_whole)
{
    ref r = load("offset");
    fk_moments a, b, whole;
    fk_error e;
    fk_moments_init(&a, r.d, &e);
    fk_moments_init(&b, r.d, &e);
    fk_moments_init(&whole, r.d, &e);
    const float *x = r.rows.data;
    int64_t half = 1234;
    cr_assert_eq(fk_moments_add(&a, x, half, &e), FK_OK);
    cr_assert_eq(fk_moments_add(&b, x + half * r.d, r.n - half, &e), FK_OK);
    cr_assert_eq(fk_moments_add(&whole, x, r.n, &e), FK_OK);
    cr_assert_eq(fk_moments_merge(&a, &b, &e), FK_OK);
    compare(&a, &r, 1e-10);
    /* and merged == whole to rounding */
    size_t dd = (size_t)r.d * r.d;
    double *ca = malloc(dd * 8), *cw = malloc(dd * 8);
    fk_moments_result(&a, NULL, ca, &e);
    fk_moments_result(&whole, NULL, cw, &e);
    cr_assert(fk_test_tol_ratio(ca, cw, dd, 1e-12, 1e-12) <= 1);
    free(ca);
    free(cw);
    fk_moments_free(&a);
    fk_moments_free(&b);
    fk_moments_free(&whole);
}

Test(moments, merge_into_empty_and_dimension_mismatch)
{
    fk_moments a, b, c;
    fk_error e;
    fk_moments_init(&a, 3, &e);
    fk_moments_init(&b, 3, &e);
    fk_moments_init(&c, 4, &e);
    float rows[6] = {1, 2, 3, 4, 5, 7};
    fk_moments_add(&b, rows, 2, &e);
    cr_assert_eq(fk_moments_merge(&a, &b, &e), FK_OK);
    cr_assert_eq(a.n, 2);
    cr_assert_float_eq(a.mean[2], 5.0, 1e-15);
    cr_assert_eq(fk_moments_merge(&a, &c, &e), FK_ERR_ARG);
    fk_moments_free(&a);
    fk_moments_free(&b);
    fk_moments_free(&c);
}

Test(moments, too_few_samples_and_nan_rows_are_errors)
{
    fk_moments m;
    fk_error e;
    fk_moments_init(&m, 2, &e);
    float one[2] = {1, 2};
    fk_moments_add(&m, one, 1, &e);
    double cov[4];
    cr_assert_eq(fk_moments_result(&m, NULL, cov, &e), FK_ERR_NUMERIC);
    cr_assert(strstr(e.msg, "at least 2 samples"), "%s", e.msg);
    float bad[4] = {1, 2, 3, NAN};
    cr_assert_eq(fk_moments_add(&m, bad, 2, &e), FK_ERR_NUMERIC);
    cr_assert(strstr(e.msg, "row 2"), "%s", e.msg);
    fk_moments_free(&m);
}
