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
