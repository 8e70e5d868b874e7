/* The Fréchet engine against scipy (tests/ref/frechet.py). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static fk_fd_result run_case_opt(const char *name, const fk_fd_options *o);

static fk_fd_result run_case(const char *name, fk_fd_method method)
{
    fk_fd_options o = fk_fd_default_options();
    o.method = method;
    return run_case_opt(name, &o);
}

static fk_fd_result run_case_opt(const char *name, const fk_fd_options *opt)
{
    char pa[256], pb[256];
    snprintf(pa, sizeof pa, "%s_a.npz", name);
    snprintf(pb, sizeof pb, "%s_b.npz", name);
    fk_stats a, b;
    fk_error e;
    cr_assert_eq(fk_stats_read(fk_test_fixture(pa), &a, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_stats_read(fk_test_fixture(pb), &b, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(a.has_tag, 0, "pytorch-fid style files carry no tag");
    fk_fd_result r;
    cr_assert_eq(fk_frechet(a.d, a.mu, a.sigma, b.mu, b.sigma, opt, &r, &e), FK_OK, "%s: %s", name,
                 e.msg);
    fk_stats_free(&a);
    fk_stats_free(&b);
    return r;
}

static void check(const char *name, fk_fd_method method, double rtol)
{
    char pe[256];
    snprintf(pe, sizeof pe, "%s_expected.npy", name);
    fk_array ex = fk_test_load_npy(pe);
    cr_assert_eq(fk_array_count(&ex), 3);
    const double *want = ex.data;
    fk_fd_result r = run_case(name, method);
    double got[3] = {r.fd, r.mean_term, r.trace_term};
    /* Absolute floor: rounding on the scale of the traces. */
    double atol = 1e-9 * (fabs(want[2]) + fabs(want[1]) + 1e-3);
    double ratio = fk_test_tol_ratio(got, want, 3, atol, rtol);
    cr_assert(ratio <= 1.0, "%s: fd %.17g (ref %.17g), mean %.17g (%.17g), trace %.17g (%.17g): "
              "%.3g of tolerance", name, got[0], want[0], got[1], want[1], got[2], want[2], ratio);
    cr_assert(!isnan(r.fd) && r.fd >= 0);
    fk_array_free(&ex);
}

Test(frechet, spd_d2_matches_scipy_sqrtm) { check("spd2", FK_FD_AUTO, 1e-9); }
Test(frechet, spd_d64_matches_scipy_sqrtm) { check("spd64", FK_FD_AUTO, 1e-9); }
Test(frechet, spd_d2048_matches_scipy_sqrtm, .timeout = 120) { check("spd2048", FK_FD_AUTO, 1e-9); }
Test(frechet, spd_d64_eigen_route_agrees) { check("spd64", FK_FD_EIGEN, 1e-9); }

Test(frechet, both_singular_falls_back_to_eigen)
{
    check("sing_both", FK_FD_AUTO, 1e-7);
    fk_fd_result r = run_case("sing_both", FK_FD_AUTO);
    cr_assert_str_eq(r.method, "eigen");
    cr_assert_lt(r.rank, 64);
    cr_assert(fk_fd_ill_conditioned(&r, 64));
}

Test(frechet, first_singular_factors_the_second)
{
    check("sing_first", FK_FD_AUTO, 1e-7);
    fk_fd_result r = run_case("sing_first", FK_FD_AUTO);
    cr_assert_str_eq(r.method, "cholesky");
    cr_assert_eq(r.swapped, 1);
}

Test(frechet, constant_dimensions) { check("const_dims", FK_FD_AUTO, 1e-7); }

Test(frechet, identical_stats_give_zero)
{
    fk_fd_result r = run_case("same", FK_FD_AUTO);
    cr_assert(r.fd >= 0 && r.fd < 1e-8, "fd %g", r.fd);
}

Test(frechet, cholesky_only_refuses_singular)
{
    fk_stats a, b;
    fk_error e;
    cr_assert_eq(fk_stats_read(fk_test_fixture("sing_both_a.npz"), &a, &e), FK_OK);
    cr_assert_eq(fk_stats_read(fk_test_fixture("sing_both_b.npz"), &b, &e), FK_OK);
    fk_fd_options o = fk_fd_default_options();
    o.method = FK_FD_CHOLESKY;
    fk_fd_result r;
    cr_assert_eq(fk_frechet(a.d, a.mu, a.sigma, b.mu, b.sigma, &o, &r, &e), FK_ERR_NUMERIC);
    cr_assert(strstr(e.msg, "positive definite"), "%s", e.msg);
    fk_stats_free(&a);
    fk_stats_free(&b);
}

Test(frechet, nan_input_is_an_error_not_a_score)
{
    double mu[2] = {0, NAN}, s[4] = {1, 0, 0, 1}, mu2[2] = {0, 0};
    fk_fd_result r;
    fk_error e;
    cr_assert_eq(fk_frechet(2, mu, s, mu2, s, NULL, &r, &e), FK_ERR_NUMERIC);
    cr_assert(strstr(e.msg, "mu1"), "%s", e.msg);
    double bad[4] = {1, 0, 0, INFINITY};
    cr_assert_eq(fk_frechet(2, mu2, s, mu2, bad, NULL, &r, &e), FK_ERR_NUMERIC);
    cr_assert(strstr(e.msg, "sigma2"), "%s", e.msg);
}

Test(frechet, not_psd_input_is_refused)
{
    /* S2 with a large negative eigenvalue: FD would be negative. */
    double mu[2] = {0, 0}, s1[4] = {1, 0, 0, 1}, s2[4] = {0, 3, 3, 0};
    fk_fd_result r;
    fk_error e;
    fk_status st = fk_frechet(2, mu, s1, mu, s2, NULL, &r, &e);
    if (st == FK_OK)
        cr_assert(r.fd >= 0 && r.n_negative > 0, "clipped eigenvalues must be reported");
    else
        cr_assert_eq(st, FK_ERR_NUMERIC, "%s", e.msg);
}

Test(frechet, regularisation_is_reported)
{
    double mu[2] = {1, 0}, mu2[2] = {0, 0}, s[4] = {1, 0, 0, 1};
    fk_fd_options o = fk_fd_default_options();
    o.eps = 0.5;
    fk_fd_result r;
    fk_error e;
    cr_assert_eq(fk_frechet(2, mu, s, mu2, s, &o, &r, &e), FK_OK);
    cr_assert_eq(r.eps, 0.5);
    cr_assert_float_eq(r.fd, 1.0, 1e-12); /* equal covariances: only the means differ */
}

/* The float32 route (bootstrap replicates only) against scipy: the claim in
 * frechet.h is ~1e-7 relative on well-conditioned input; tested at 1e-5. */
Test(frechet, single_precision_route_within_1e5, .timeout = 120)
{
    const char *cases[] = {"spd64", "spd2048"};
    for (int i = 0; i < 2; i++) {
        char pe[64];
        snprintf(pe, sizeof pe, "%s_expected.npy", cases[i]);
        fk_array ex = fk_test_load_npy(pe);
        fk_fd_options o = fk_fd_default_options();
        o.single_precision = 1;
        fk_fd_result r = run_case_opt(cases[i], &o);
        double want = ((double *)ex.data)[0];
        cr_assert_str_eq(r.method, "cholesky-f32");
        cr_assert(fabs(r.fd - want) <= 1e-5 * fabs(want), "%s: %.12g vs %.12g", cases[i], r.fd, want);
        fk_array_free(&ex);
    }
}

/* Sets with fewer rows than dimensions: the factor route (singular values of
 * B1 B2^T) against scipy's eigh route on the covariances of the same rows,
 * and against fidkit's own covariance route. */
static void check_factors(const char *name, int d)
{
    char p1[256], p2[256], pe[256];
    snprintf(p1, sizeof p1, "%s_x1.npy", name);
    snprintf(p2, sizeof p2, "%s_x2.npy", name);
    snprintf(pe, sizeof pe, "%s_expected.npy", name);
    fk_array a = fk_test_load_npy(p1), b = fk_test_load_npy(p2), ex = fk_test_load_npy(pe);
    cr_assert_eq(a.dtype, FK_F32);
    cr_assert_eq((int)a.shape[1], d);
    fk_features x = fk_features_view(a.data, a.shape[0], d), y = fk_features_view(b.data, b.shape[0], d);
    cr_assert(fk_frechet_prefer_factors(x.n, y.n, d), "%s: the factor route is the cheaper one", name);
    double fd;
    fk_error e;
    cr_assert_eq(fk_boot_stat_fd(&x, &y, NULL, &fd, &e), FK_OK, "%s", e.msg);
    const double *want = ex.data;
    cr_assert(fabs(fd - want[0]) <= 1e-7 * fabs(want[0]), "%s: FD %.17g, scipy eigh %.17g (rel %.2e)", name, fd,
              want[0], fabs(fd - want[0]) / want[0]);
    /* The covariance route on the same rows: forced by asking for the eigen
     * method, which the factor route does not serve. */
    fk_fd_options o = fk_fd_default_options();
    o.method = FK_FD_EIGEN;
    double fd_cov;
    cr_assert_eq(fk_boot_stat_fd(&x, &y, &o, &fd_cov, &e), FK_OK, "%s", e.msg);
    cr_assert(fabs(fd - fd_cov) <= 1e-7 * fd_cov, "%s: factors %.17g, covariances %.17g", name, fd, fd_cov);
    cr_log_info("%s: factors %.12g, scipy %.12g, covariance route %.12g", name, fd, want[0], fd_cov);
    fk_array_free(&a);
    fk_array_free(&b);
    fk_array_free(&ex);
}

Test(frechet, few_rows_by_factors_match_scipy) { check_factors("rows_small", 512); }
Test(frechet, few_rows_by_factors_match_scipy_d2048, .timeout = 120) { check_factors("rows_2048", 2048); }

Test(frechet, factors_refuse_bad_input)
{
    double mu[2] = {0, 0}, b[4] = {1, 0, 0, NAN};
    fk_fd_result r;
    fk_error e;
    cr_expect_eq(fk_frechet_factors(2, mu, b, 2, mu, b, 2, &r, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "factor 1"), "%s", e.msg);
    cr_expect_eq(fk_frechet_factors(2, mu, b, 0, mu, b, 2, &r, &e), FK_ERR_ARG);
    double same[4] = {1, 2, -1, 0.5};
    cr_assert_eq(fk_frechet_factors(2, mu, same, 2, mu, same, 2, &r, &e), FK_OK, "%s", e.msg);
    cr_expect(r.fd >= 0 && r.fd < 1e-12, "identical factors: FD %g", r.fd);
    cr_expect_str_eq(r.method, "factors");
    cr_expect_eq(r.rank, 2);
}
