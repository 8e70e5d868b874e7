/* The metric family (KID, precision/recall, density/coverage, IS,
 * FD-infinity, CMMD, bootstrap) against tests/ref/metrics.py, plus bad input
 * and a simulation check of the bootstrap. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fidkit/bootstrap.h"
#include "fidkit/cmmd.h"
#include "fidkit/fdinf.h"
#include "fidkit/featfile.h"
#include "fidkit/features.h"
#include "fidkit/inception_score.h"
#include "fidkit/kid.h"
#include "fidkit/prdc.h"
#include "fidkit/rng.h"
#include "fk_test.h"

#define RTOL 1e-6

static fk_array load(const char *name, fk_dtype t)
{
    fk_array a = fk_test_load_npy(name);
    cr_assert_eq(a.dtype, t, "%s: dtype %s", name, fk_dtype_name(a.dtype));
    cr_assert_gt(fk_array_count(&a), 0, "%s is empty", name);
    return a;
}

static fk_features feats(const fk_array *a)
{
    cr_assert_eq(a->ndim, 2);
    return fk_features_view(a->data, a->shape[0], (int)a->shape[1]);
}

static void near(double got, double want, double atol, double rtol, const char *what)
{
    double r = fk_test_tol_ratio(&got, &want, 1, atol, rtol);
    cr_expect(r <= 1, "%s: fidkit %.12g, reference %.12g (ratio %.3g)", what, got, want, r);
}

/* ---- generator ------------------------------------------------------------ */

Test(metrics, rng_matches_documented_algorithm)
{
    fk_array perm = load("is_perm.npy", FK_I64);
    int64_t n = perm.shape[0];
    int64_t *p = malloc(sizeof(int64_t) * (size_t)n);
    fk_rng r;
    fk_rng_seed(&r, 2020);
    fk_rng_permutation(&r, n, p);
    cr_assert_eq(memcmp(p, perm.data, sizeof(int64_t) * (size_t)n), 0,
                 "permutation differs from the Python re-implementation");
    free(p);
    fk_array_free(&perm);
    /* below(n) stays in range and is not constant */
    fk_rng_seed(&r, 1);
    uint64_t seen = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t v = fk_rng_below(&r, 7);
        cr_assert_lt(v, 7u);
        seen |= 1u << v;
    }
    cr_expect_eq(seen, 0x7fu);
}

/* ---- KID ------------------------------------------------------------------ */

Test(metrics, kid_same_subsets_as_reference)
{
    fk_array a = load("x1.npy", FK_F32), b = load("x2.npy", FK_F32);
    fk_array i1 = load("kid_idx1.npy", FK_I64), i2 = load("kid_idx2.npy", FK_I64);
    fk_array mm = load("kid_mmd.npy", FK_F64), ms = load("kid_mean_std.npy", FK_F64);
    fk_features x = feats(&a), y = feats(&b);
    fk_kid_options o = fk_kid_convention_options(FK_KID_FIDKIT); /* fidkit's own draws */
    o.subsets = (int)i1.shape[0];
    o.subset_size = i1.shape[1];
    o.seed = 7;
    size_t ni = (size_t)o.subsets * (size_t)o.subset_size;
    int64_t *j1 = malloc(sizeof(int64_t) * ni), *j2 = malloc(sizeof(int64_t) * ni);
    fk_error e;
    cr_assert_eq(fk_kid_subset_indices(x.n, y.n, &o, j1, j2, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(memcmp(j1, i1.data, ni * sizeof(int64_t)), 0, "KID subsets of set 1 differ");
    cr_assert_eq(memcmp(j2, i2.data, ni * sizeof(int64_t)), 0, "KID subsets of set 2 differ");

    double *vals = malloc(sizeof(double) * (size_t)o.subsets);
    fk_kid_result r;
    cr_assert_eq(fk_kid(&x, &y, &o, &r, vals, &e), FK_OK, "%s", e.msg);
    const double *want = mm.data;
    int compared = 0;
    for (int q = 0; q < o.subsets; q++, compared++) {
        char what[64];
        snprintf(what, sizeof what, "KID subset %d", q);
        near(vals[q], want[q], 1e-12, RTOL, what);
        double one;
        cr_assert_eq(fk_kid_mmd2(&x, j1 + (size_t)q * o.subset_size, &y,
                                 j2 + (size_t)q * o.subset_size, o.subset_size, &o, &one, &e),
                     FK_OK, "%s", e.msg);
        near(one, want[q], 1e-12, RTOL, "fk_kid_mmd2");
    }
    cr_assert_gt(compared, 0);
    near(r.mean, ((double *)ms.data)[0], 1e-12, RTOL, "KID mean");
    near(r.std, ((double *)ms.data)[1], 1e-12, RTOL, "KID std");
    cr_expect_eq(r.subset_size, o.subset_size);
    free(j1);
    free(j2);
    free(vals);
    fk_array_free(&a);
    fk_array_free(&b);
    fk_array_free(&i1);
    fk_array_free(&i2);
    fk_array_free(&mm);
    fk_array_free(&ms);
}

/* One KID under a named convention against the tool's own loop (tests/ref). */
static void kid_case(fk_kid_convention c, const fk_features *x, const fk_features *y, int subsets,
                     int64_t size, uint64_t seed, const char *ref, int has_std)
{
    fk_array w = load(ref, FK_F64);
    const double *t = w.data;
    fk_kid_options o = fk_kid_convention_options(c);
    o.subsets = subsets;
    o.subset_size = size;
    o.seed = seed;
    fk_kid_result r;
    fk_error e;
    cr_assert_eq(fk_kid(x, y, &o, &r, NULL, &e), FK_OK, "%s: %s", ref, e.msg);
    char what[128];
    snprintf(what, sizeof what, "%s KID mean (%s)", fk_kid_convention_name(c), ref);
    near(r.mean, t[0], 0, RTOL, what);
    if (has_std) {
        snprintf(what, sizeof what, "%s KID std (%s)", fk_kid_convention_name(c), ref);
        near(r.std, t[1], 0, RTOL, what);
    } else {
        cr_expect_eq(r.subset_size, (int64_t)t[1], "%s: m = %lld, clean-fid's %g", ref,
                     (long long)r.subset_size, t[1]);
    }
    cr_expect_str_eq(r.convention, fk_kid_convention_name(c));
    cr_expect_eq(r.seed, seed);
    fk_array_free(&w);
}

Test(metrics, kid_named_conventions_give_the_tools_numbers)
{
    fk_array a = load("x1.npy", FK_F32), b = load("x2.npy", FK_F32);
    fk_features x = feats(&a), y = feats(&b);
    fk_features y300 = fk_features_view(y.x, 300, y.d); /* clean-fid: m = min(n1, n2, 1000) */
    kid_case(FK_KID_TORCH_FIDELITY, &x, &y, 100, 500, 2020, "kid_tfid_100x500.npy", 1);
    kid_case(FK_KID_TORCH_FIDELITY, &x, &y, 20, 200, 0, "kid_tfid_20x200_s0.npy", 1);
    kid_case(FK_KID_TORCH_FIDELITY, &x, &y, 10, 100, 4294967295u, "kid_tfid_10x100_smax.npy", 1);
    kid_case(FK_KID_CLEAN_FID, &x, &y300, 100, 1000, 2020, "kid_cleanfid_300.npy", 0);
    kid_case(FK_KID_CLEAN_FID, &x, &y300, 30, 1000, 0, "kid_cleanfid_300_s0.npy", 0);
    kid_case(FK_KID_TORCHMETRICS, &x, &y, 50, 400, 2020, "kid_tm_50x400.npy", 1);
    kid_case(FK_KID_TORCHMETRICS, &x, &y, 20, 200, 7, "kid_tm_20x200_s7.npy", 1);
    fk_array_free(&a);
    fk_array_free(&b);
}

Test(metrics, kid_conventions_by_name_and_seed_range)
{
    const char *names[] = {"torch-fidelity", "clean-fid", "torchmetrics", "fidkit"};
    for (int i = 0; i < 4; i++) {
        fk_kid_convention c;
        cr_assert_eq(fk_kid_convention_parse(names[i], &c), 0);
        cr_expect_eq((int)c, i);
        cr_expect_str_eq(fk_kid_convention_name(c), names[i]);
    }
    fk_kid_convention c;
    cr_expect_eq(fk_kid_convention_parse("tfid", &c), -1);
    cr_expect(fk_kid_convention_options(FK_KID_CLEAN_FID).shrink_to_fit);
    cr_expect(!fk_kid_default_options().shrink_to_fit);
    cr_expect_eq(fk_kid_default_options().convention, FK_KID_TORCH_FIDELITY);
    /* numpy's RandomState refuses seeds past 2^32 - 1; torch and fidkit take them */
    float z[40];
    for (int i = 0; i < 40; i++)
        z[i] = (float)(i % 7) - 0.5f * (float)(i % 3);
    fk_features x = fk_features_view(z, 20, 2);
    fk_kid_result r;
    fk_error e;
    for (int i = 0; i < 4; i++) {
        fk_kid_options o = fk_kid_convention_options((fk_kid_convention)i);
        o.subsets = 2;
        o.subset_size = 5;
        o.seed = 4294967296ull;
        fk_status st = fk_kid(&x, &x, &o, &r, NULL, &e);
        if (i < 2) {
            cr_expect_eq(st, FK_ERR_ARG, "%s", names[i]);
            cr_expect(strstr(e.msg, "4294967295"), "%s", e.msg);
        } else {
            cr_expect_eq(st, FK_OK, "%s: %s", names[i], e.msg);
        }
    }
}

Test(metrics, kid_bad_input)
{
    fk_array a = load("x1.npy", FK_F32), b = load("x2.npy", FK_F32);
    fk_features x = feats(&a), y = feats(&b);
    fk_kid_options o = fk_kid_default_options(); /* subsets of 1000 */
    fk_features small = fk_features_view(x.x, 800, x.d);
    fk_kid_result r;
    fk_error e;
    cr_expect_eq(fk_kid(&small, &y, &o, &r, NULL, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "subset size is 1000") && strstr(e.msg, "800"), "%s", e.msg);
    o.shrink_to_fit = 1;
    o.subsets = 3;
    cr_expect_eq(fk_kid(&small, &y, &o, &r, NULL, &e), FK_OK, "%s", e.msg);
    cr_expect_eq(r.subset_size, 800);
    o = fk_kid_default_options();
    o.subset_size = 100;
    o.subsets = 2;
    fk_features narrow = fk_features_view(y.x, y.n / 2, y.d * 2);
    cr_expect_eq(fk_kid(&x, &narrow, &o, &r, NULL, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "64") && strstr(e.msg, "128"), "%s", e.msg);
    float *bad = malloc(sizeof(float) * (size_t)y.n * y.d);
    memcpy(bad, y.x, sizeof(float) * (size_t)y.n * y.d);
    bad[5 * y.d + 3] = NAN;
    fk_features fb = fk_features_view(bad, y.n, y.d);
    cr_expect_eq(fk_kid(&x, &fb, &o, &r, NULL, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "row 5, column 3 is NaN"), "%s", e.msg);
    free(bad);
    fk_array_free(&a);
    fk_array_free(&b);
}

/* ---- precision / recall / density / coverage ------------------------------ */

static void prdc_run(fk_prdc_convention c, int64_t rb, int64_t cb, fk_prdc_result *r)
{
    fk_array a = load("x1.npy", FK_F32), b = load("x2.npy", FK_F32);
    fk_features real = fk_features_view(a.data, 1100, (int)a.shape[1]);
    fk_features gen = fk_features_view(b.data, 900, (int)b.shape[1]);
    fk_prdc_options o = fk_prdc_default_options(c);
    o.block_rows = rb;
    o.block_cols = cb;
    fk_error e;
    cr_assert_eq(fk_prdc(&real, &gen, &o, r, &e), FK_OK, "%s", e.msg);
    cr_expect_eq(r->n_real, 1100);
    cr_expect_eq(r->n_generated, 900);
    fk_array_free(&a);
    fk_array_free(&b);
}

Test(metrics, precision_recall_adm)
{
    fk_array w = load("pr_adm.npy", FK_F64);
    const double *want = w.data;
    int64_t blocks[][2] = {{0, 0}, {77, 300}, {1100, 900}};
    for (int i = 0; i < 3; i++) {
        fk_prdc_result r;
        prdc_run(FK_PR_ADM, blocks[i][0], blocks[i][1], &r);
        cr_expect_eq(r.k, 3);
        cr_expect_eq(r.strict, 0);
        cr_expect_str_eq(r.convention, "adm");
        near(r.precision, want[0], 1e-12, RTOL, "ADM precision");
        near(r.recall, want[1], 1e-12, RTOL, "ADM recall");
    }
    fk_array_free(&w);
}

Test(metrics, precision_recall_torch_fidelity)
{
    fk_array w = load("pr_tfid.npy", FK_F64);
    const double *want = w.data;
    fk_prdc_result r;
    prdc_run(FK_PR_TORCH_FIDELITY, 128, 256, &r);
    cr_expect_str_eq(r.convention, "torch-fidelity");
    near(r.precision, want[0], 1e-12, RTOL, "torch-fidelity precision");
    near(r.recall, want[1], 1e-12, RTOL, "torch-fidelity recall");
    near(r.f_score, want[2], 1e-12, RTOL, "torch-fidelity F-score");
    char line[512];
    fk_prdc_format(&r, line, sizeof line);
    cr_expect(strstr(line, "generated rows inside real balls") &&
                  strstr(line, "1100 real, 900 generated") &&
                  strstr(line, "torch-fidelity: k = 3, d <= r"),
              "%s", line);
    fk_array_free(&w);
}

Test(metrics, prdc_dgm_eval)
{
    fk_array w = load("prdc_dgm.npy", FK_F64);
    const double *want = w.data;
    int64_t blocks[][2] = {{0, 0}, {50, 333}};
    for (int i = 0; i < 2; i++) {
        fk_prdc_result r;
        prdc_run(FK_PRDC_DGM_EVAL, blocks[i][0], blocks[i][1], &r);
        cr_expect_eq(r.k, 5);
        cr_expect_eq(r.strict, 1);
        near(r.precision, want[0], 1e-12, RTOL, "dgm-eval precision");
        near(r.recall, want[1], 1e-12, RTOL, "dgm-eval recall");
        near(r.density, want[2], 1e-12, RTOL, "dgm-eval density");
        near(r.coverage, want[3], 1e-12, RTOL, "dgm-eval coverage");
    }
    fk_array_free(&w);
}

Test(metrics, knn_radii)
{
    fk_array a = load("x1.npy", FK_F32), w = load("knn3_real.npy", FK_F64);
    fk_features real = fk_features_view(a.data, 1100, (int)a.shape[1]);
    double *rad = malloc(sizeof(double) * 1100);
    fk_prdc_options o = fk_prdc_default_options(FK_PR_ADM);
    o.block_rows = 100;
    o.block_cols = 250;
    fk_error e;
    cr_assert_eq(fk_knn_radii(&real, 3, &o, rad, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(w.shape[0], 1100);
    double ratio = fk_test_tol_ratio(rad, w.data, 1100, 1e-12, 1e-9);
    cr_expect(ratio <= 1, "k-NN radii off by %.3g tolerances", ratio);
    o.block_rows = 300; /* taller than wide: the diagonal square spans tiles */
    o.block_cols = 64;
    cr_assert_eq(fk_knn_radii(&real, 3, &o, rad, &e), FK_OK, "%s", e.msg);
    ratio = fk_test_tol_ratio(rad, w.data, 1100, 1e-12, 1e-9);
    cr_expect(ratio <= 1, "k-NN radii (300 x 64 tiles) off by %.3g tolerances", ratio);
    free(rad);
    fk_array_free(&a);
    fk_array_free(&w);
}

Test(metrics, prdc_bad_input)
{
    fk_array a = load("x1.npy", FK_F32);
    fk_features four = fk_features_view(a.data, 4, (int)a.shape[1]);
    fk_features many = fk_features_view(a.data, 100, (int)a.shape[1]);
    fk_prdc_options o = fk_prdc_default_options(FK_PRDC_DGM_EVAL); /* k = 5: needs 6 rows */
    fk_prdc_result r;
    fk_error e;
    cr_expect_eq(fk_prdc(&many, &four, &o, &r, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "generated") && strstr(e.msg, "4 rows"), "%s", e.msg);
    fk_features other = fk_features_view(a.data, 50, 32);
    cr_expect_eq(fk_prdc(&many, &other, &o, &r, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "dimensions"), "%s", e.msg);
    fk_array_free(&a);
}

/* ---- Inception Score ------------------------------------------------------ */

Test(metrics, inception_score_torch_fidelity)
{
    fk_array l = load("logits.npy", FK_F32), w = load("is_tfid.npy", FK_F64);
    fk_array w0 = load("is_tfid_noshuffle.npy", FK_F64);
    fk_features f = feats(&l);
    cr_assert_eq(f.d, 1008);
    fk_is_options o = fk_is_default_options(FK_IS_TORCH_FIDELITY);
    fk_is_result r;
    fk_error e;
    double sc[10];
    cr_assert_eq(fk_inception_score(&f, &o, &r, sc, &e), FK_OK, "%s", e.msg);
    cr_expect_eq(r.splits, 10);
    cr_expect_str_eq(r.convention, "torch-fidelity");
    cr_expect(r.shuffled && r.seed == 2020);
    near(r.mean, ((double *)w.data)[0], 0, RTOL, "IS mean (RandomState(2020) shuffle)");
    near(r.std, ((double *)w.data)[1], 0, 1e-5, "IS std (RandomState(2020) shuffle)");
    o.shuffle = 0;
    fk_is_result r2;
    cr_assert_eq(fk_inception_score(&f, &o, &r2, NULL, &e), FK_OK, "%s", e.msg);
    cr_expect(!r2.shuffled);
    near(r2.mean, ((double *)w0.data)[0], 0, RTOL, "IS mean (file order)");
    near(r2.std, ((double *)w0.data)[1], 0, 1e-5, "IS std (file order)");
    o.shuffle = 1;
    o.seed = 4294967296ull; /* numpy's RandomState refuses it: so does the convention */
    cr_expect_eq(fk_inception_score(&f, &o, &r2, NULL, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "4294967295"), "%s", e.msg);
    fk_array_free(&l);
    fk_array_free(&w);
    fk_array_free(&w0);
}

Test(metrics, inception_score_torch_fidelity_seeds_and_splits)
{
    fk_array l = load("logits.npy", FK_F32), cases = load("is_tfid_grid_cases.npy", FK_I64);
    fk_array w = load("is_tfid_grid.npy", FK_F64);
    fk_features f = feats(&l);
    const int64_t *cs = cases.data;
    const double *t = w.data;
    for (int64_t i = 0; i < cases.shape[0]; i++) {
        fk_is_options o = fk_is_default_options(FK_IS_TORCH_FIDELITY);
        o.seed = (uint64_t)cs[2 * i];
        o.splits = (int)cs[2 * i + 1];
        fk_is_result r;
        fk_error e;
        cr_assert_eq(fk_inception_score(&f, &o, &r, NULL, &e), FK_OK, "%s", e.msg);
        char what[96];
        snprintf(what, sizeof what, "IS mean, seed %lld, %lld splits", (long long)cs[2 * i],
                 (long long)cs[2 * i + 1]);
        near(r.mean, t[2 * i], 0, RTOL, what);
        if (o.splits > 1) {
            snprintf(what, sizeof what, "IS std, seed %lld, %lld splits", (long long)cs[2 * i],
                     (long long)cs[2 * i + 1]);
            near(r.std, t[2 * i + 1], 0, 1e-5, what);
        }
    }
    fk_array_free(&l);
    fk_array_free(&cases);
    fk_array_free(&w);
}

Test(metrics, inception_score_issue_23_fifty_images)
{
    /* The issue's case: 50 images, torch-fidelity's defaults (10 splits,
     * RandomState(2020)). fidkit's old draws (now the fidkit convention) gave
     * another number; the torch-fidelity convention gives torch-fidelity's. */
    fk_array l = load("logits.npy", FK_F32), w = load("is_tfid_50.npy", FK_F64);
    fk_array wf = load("is_fidkit_50.npy", FK_F64);
    fk_features f = fk_features_view(l.data, 50, (int)l.shape[1]);
    const double *t = w.data, *tf = wf.data;
    fk_is_options o = fk_is_default_options(FK_IS_TORCH_FIDELITY);
    fk_is_result r, rf;
    fk_error e;
    cr_assert_eq(fk_inception_score(&f, &o, &r, NULL, &e), FK_OK, "%s", e.msg);
    o = fk_is_default_options(FK_IS_FIDKIT);
    cr_assert_eq(fk_inception_score(&f, &o, &rf, NULL, &e), FK_OK, "%s", e.msg);
    cr_expect_str_eq(rf.convention, "fidkit");
    near(r.mean, t[0], 0, RTOL, "IS mean, 50 images, torch-fidelity");
    near(r.std, t[1], 0, 1e-5, "IS std, 50 images, torch-fidelity");
    near(rf.mean, tf[0], 0, RTOL, "IS mean, 50 images, fidkit's draws");
    near(rf.std, tf[1], 0, 1e-5, "IS std, 50 images, fidkit's draws");
    cr_expect(fabs(rf.mean - t[0]) > 1e-4 * t[0], "the two draws should differ");
    cr_log_info("50 images: torch-fidelity %.6f +- %.6f; fidkit convention %.6f +- %.6f "
                "(torch-fidelity's own %.6f +- %.6f)", r.mean, r.std, rf.mean, rf.std, t[0], t[1]);
    fk_array_free(&l);
    fk_array_free(&w);
    fk_array_free(&wf);
}

Test(metrics, inception_score_fidkit_draws)
{
    fk_array l = load("logits.npy", FK_F32), w = load("is_fidkit.npy", FK_F64);
    fk_array p = load("is_perm.npy", FK_I64);
    fk_features f = feats(&l);
    fk_is_options o = fk_is_default_options(FK_IS_FIDKIT);
    fk_is_result r, r2;
    fk_error e;
    cr_assert_eq(fk_inception_score(&f, &o, &r, NULL, &e), FK_OK, "%s", e.msg);
    near(r.mean, ((double *)w.data)[0], 0, RTOL, "IS mean (fidkit's shuffle)");
    near(r.std, ((double *)w.data)[1], 0, 1e-5, "IS std (fidkit's shuffle)");
    o.permutation = p.data; /* the same order given explicitly */
    cr_assert_eq(fk_inception_score(&f, &o, &r2, NULL, &e), FK_OK, "%s", e.msg);
    near(r2.mean, r.mean, 0, 1e-14, "IS with explicit permutation");
    fk_is_convention c;
    cr_expect_eq(fk_is_convention_parse("fidkit", &c), 0);
    cr_expect_eq(c, FK_IS_FIDKIT);
    cr_expect_eq(fk_is_convention_parse("adm", &c), 0);
    cr_expect_eq(c, FK_IS_ADM);
    cr_expect_eq(fk_is_convention_parse("tf", &c), -1);
    fk_array_free(&l);
    fk_array_free(&w);
    fk_array_free(&p);
}

Test(metrics, inception_score_adm)
{
    fk_array l = load("logits.npy", FK_F32);
    fk_array w1 = load("is_adm_1000.npy", FK_F64), w5 = load("is_adm_5000.npy", FK_F64);
    fk_features f = feats(&l);
    fk_is_options o = fk_is_default_options(FK_IS_ADM);
    fk_is_result r;
    fk_error e;
    double sc[8];
    cr_assert_eq(fk_inception_score(&f, &o, &r, sc, &e), FK_OK, "%s", e.msg);
    cr_expect_eq(r.splits, 1);
    near(r.mean, ((double *)w5.data)[0], 0, RTOL, "ADM IS, chunks of 5000");
    o.split_size = 1000;
    cr_assert_eq(fk_inception_score(&f, &o, &r, sc, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(r.splits, (int)w1.shape[0], "2500 rows in chunks of 1000: 3 chunks");
    double m = 0;
    for (int i = 0; i < r.splits; i++) {
        near(sc[i], ((double *)w1.data)[i], 0, RTOL, "ADM IS chunk");
        m += ((double *)w1.data)[i] / r.splits;
    }
    near(r.mean, m, 0, RTOL, "ADM IS mean (partial last chunk counted)");
    fk_array_free(&l);
    fk_array_free(&w1);
    fk_array_free(&w5);
}

Test(metrics, inception_score_bad_input)
{
    float z[6] = {1, 2, 3, 4, 5, NAN};
    fk_features f = fk_features_view(z, 3, 2);
    fk_is_options o = fk_is_default_options(FK_IS_TORCH_FIDELITY);
    fk_is_result r;
    fk_error e;
    cr_expect_eq(fk_inception_score(&f, &o, &r, NULL, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "NaN"), "%s", e.msg);
    z[5] = 1;
    cr_expect_eq(fk_inception_score(&f, &o, &r, NULL, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "10"), "%s", e.msg);
}

/* ---- FD-infinity ---------------------------------------------------------- */

Test(metrics, fd_infinity)
{
    fk_array a = load("x1.npy", FK_F32), b = load("x2.npy", FK_F32);
    fk_array ws = load("fdinf_sizes.npy", FK_I64), wf = load("fdinf_fds.npy", FK_F64);
    fk_array wfit = load("fdinf_fit.npy", FK_F64);
    fk_features ref = feats(&a), gen = feats(&b);
    fk_fdinf_options o = fk_fdinf_default_options();
    fk_fdinf_result r;
    int64_t sizes[15];
    double fds[15];
    fk_error e;
    cr_assert_eq(fk_fd_infinity(&ref, &gen, &o, &r, sizes, fds, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(ws.shape[0], 15);
    for (int i = 0; i < 15; i++) {
        cr_expect_eq(sizes[i], ((int64_t *)ws.data)[i], "size %d", i);
        near(fds[i], ((double *)wf.data)[i], 1e-9, RTOL, "FD_N");
    }
    const double *fit = wfit.data;
    near(r.fd_inf, fit[0], 1e-9, RTOL, "FD-infinity intercept");
    near(r.std_error, fit[1], 1e-9, 1e-5, "FD-infinity standard error");
    near(r.slope, fit[2], 1e-9, RTOL, "FD-infinity slope");
    /* too few generated rows for distinct sizes */
    fk_features two = fk_features_view(gen.x, 2, gen.d);
    cr_expect_eq(fk_fd_infinity(&ref, &two, &o, &r, NULL, NULL, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "FD-infinity"), "%s", e.msg);
    fk_array_free(&a);
    fk_array_free(&b);
    fk_array_free(&ws);
    fk_array_free(&wf);
    fk_array_free(&wfit);
}

/* ---- CMMD ----------------------------------------------------------------- */

Test(metrics, cmmd)
{
    fk_array a = load("x1.npy", FK_F32), b = load("x2.npy", FK_F32);
    fk_array w = load("cmmd_raw.npy", FK_F64), wn = load("cmmd_normalised.npy", FK_F64);
    fk_features x = feats(&a), y = feats(&b);
    fk_cmmd_options o = fk_cmmd_default_options();
    fk_cmmd_result r;
    fk_error e;
    cr_assert_eq(fk_cmmd(&x, &y, &o, &r, &e), FK_OK, "%s", e.msg);
    near(r.cmmd, ((double *)w.data)[0], 1e-12, RTOL, "CMMD, rows as given");
    o.block_rows = 100;
    o.block_cols = 333;
    cr_assert_eq(fk_cmmd(&x, &y, &o, &r, &e), FK_OK, "%s", e.msg);
    near(r.cmmd, ((double *)w.data)[0], 1e-12, RTOL, "CMMD, 100 x 333 tiles");
    o.block_rows = 500;
    o.block_cols = 128;
    cr_assert_eq(fk_cmmd(&x, &y, &o, &r, &e), FK_OK, "%s", e.msg);
    near(r.cmmd, ((double *)w.data)[0], 1e-12, RTOL, "CMMD, 500 x 128 tiles");
    o.block_rows = o.block_cols = 0;
    o.normalize = 1;
    cr_assert_eq(fk_cmmd(&x, &y, &o, &r, &e), FK_OK, "%s", e.msg);
    near(r.cmmd, ((double *)wn.data)[0], 1e-12, RTOL, "CMMD, L2-normalised here");
    fk_array_free(&a);
    fk_array_free(&b);
    fk_array_free(&w);
    fk_array_free(&wn);
}

/* ---- bootstrap ------------------------------------------------------------ */

static float *gaussian(fk_rng *r, int64_t n, int d, double shift, double scale)
{
    float *x = malloc(sizeof(float) * (size_t)n * (size_t)d);
    for (int64_t i = 0; i < n * d; i++)
        x[i] = (float)(shift + scale * fk_rng_normal(r));
    return x;
}

Test(metrics, bootstrap_fd_fast_path_equals_generic)
{
    fk_rng g;
    fk_rng_seed(&g, 99);
    int d = 16;
    int64_t n1 = 300, n2 = 250;
    float *a = gaussian(&g, n1, d, 0, 1), *b = gaussian(&g, n2, d, 0.2, 1.2);
    fk_features x = fk_features_view(a, n1, d), y = fk_features_view(b, n2, d);
    fk_boot_options o = fk_boot_default_options();
    o.replicates = 40;
    o.single_precision = 0;
    double v1[40], v2[40], v3[40];
    fk_boot_result r1, r2, r3;
    fk_error e;
    cr_assert_eq(fk_bootstrap(&x, &y, fk_boot_stat_fd, &o.fd, &o, &r1, v1, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_bootstrap_fd(&x, &y, &o, &r2, v2, &e), FK_OK, "%s", e.msg);
    o.single_precision = 1;
    cr_assert_eq(fk_bootstrap_fd(&x, &y, &o, &r3, v3, &e), FK_OK, "%s", e.msg);
    double worst32 = 0;
    for (int i = 0; i < 40; i++) {
        near(v2[i], v1[i], 1e-12, 1e-9, "FD bootstrap replicate, counts vs gathered rows");
        near(v3[i], v1[i], 1e-9, 1e-4, "FD bootstrap replicate, float32 SYRK");
        double rel = fabs(v3[i] - v1[i]) / fabs(v1[i]);
        if (rel > worst32)
            worst32 = rel;
    }
    cr_log_info("float32 SYRK: largest relative change of a replicate FD %.2e", worst32);
    near(r2.estimate, r1.estimate, 0, 1e-12, "estimate");
    near(r2.lo, r1.lo, 1e-12, 1e-9, "interval low");
    near(r2.hi, r1.hi, 1e-12, 1e-9, "interval high");
    /* Resampling duplicates rows, which adds FD's small-sample bias once
     * more: the replicates sit above the estimate. The result reports it. */
    cr_expect(r1.lo < r1.hi, "interval [%g, %g]", r1.lo, r1.hi);
    near(r1.bias, r1.mean - r1.estimate, 1e-12, 1e-12, "bias = mean - estimate");
    cr_log_info("FD %.4f, 95%% interval [%.4f, %.4f], bias %.4f", r1.estimate, r1.lo, r1.hi,
                r1.bias);
    free(a);
    free(b);
}

/* Few rows for the dimension: the replicates go by factors (the resample's
 * rows scaled by sqrt(count)); they must equal the covariance route's
 * replicates on the same resamples, and the generic bootstrap's. */
Test(metrics, bootstrap_fd_by_factors_equals_covariances)
{
    fk_rng g;
    fk_rng_seed(&g, 7);
    int d = 256;
    int64_t n1 = 40, n2 = 55;
    float *a = gaussian(&g, n1, d, 0, 1), *b = gaussian(&g, n2, d, 0.1, 1.3);
    fk_features x = fk_features_view(a, n1, d), y = fk_features_view(b, n2, d);
    cr_assert(fk_frechet_prefer_factors(n1, n2, d));
    enum { B = 12 };
    fk_boot_options o = fk_boot_default_options();
    o.replicates = B;
    o.single_precision = 0;
    double vf[B], vc[B], vg[B];
    fk_boot_result rf, rc, rg;
    fk_error e;
    cr_assert_eq(fk_bootstrap_fd(&x, &y, &o, &rf, vf, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_bootstrap(&x, &y, fk_boot_stat_fd, NULL, &o, &rg, vg, &e), FK_OK, "%s", e.msg);
    o.fd.method = FK_FD_EIGEN; /* served by covariances only */
    cr_assert_eq(fk_bootstrap_fd(&x, &y, &o, &rc, vc, &e), FK_OK, "%s", e.msg);
    for (int i = 0; i < B; i++) {
        near(vf[i], vc[i], 1e-9, 1e-8, "replicate, factors vs covariances");
        near(vf[i], vg[i], 1e-9, 1e-8, "replicate, factors from counts vs gathered rows");
    }
    near(rf.estimate, rc.estimate, 1e-9, 1e-8, "estimate");
    near(rf.lo, rc.lo, 1e-9, 1e-8, "interval low");
    near(rf.hi, rc.hi, 1e-9, 1e-8, "interval high");
    free(a);
    free(b);
}

Test(metrics, bootstrap_spread_matches_repeated_samples)
{
    /* Two Gaussians that differ in mean and scale (FD about 1.1): the
     * bootstrap std of FD from one pair of samples must match the std of FD
     * over independent pairs within 20 %. The bootstrap std is averaged over
     * a few original pairs so that this test checks the method, not luck. */
    int d = 8, reps = 400, pairs = 10;
    int64_t n = 400;
    fk_rng g;
    fk_rng_seed(&g, 4242);
    double *fd = malloc(sizeof(double) * (size_t)reps);
    fk_error e;
    for (int q = 0; q < reps; q++) {
        float *a = gaussian(&g, n, d, 0, 1), *b = gaussian(&g, n, d, 0.3, sqrt(1.5));
        fk_features x = fk_features_view(a, n, d), y = fk_features_view(b, n, d);
        cr_assert_eq(fk_boot_stat_fd(&x, &y, NULL, &fd[q], &e), FK_OK, "%s", e.msg);
        free(a);
        free(b);
    }
    double m = 0, ss = 0;
    for (int q = 0; q < reps; q++)
        m += fd[q] / reps;
    for (int q = 0; q < reps; q++)
        ss += (fd[q] - m) * (fd[q] - m);
    double true_sd = sqrt(ss / (reps - 1)), boot_sd = 0;
    fk_boot_options o = fk_boot_default_options();
    for (int p = 0; p < pairs; p++) {
        float *a = gaussian(&g, n, d, 0, 1), *b = gaussian(&g, n, d, 0.3, sqrt(1.5));
        fk_features x = fk_features_view(a, n, d), y = fk_features_view(b, n, d);
        fk_boot_result r;
        o.seed = 100 + (uint64_t)p;
        cr_assert_eq(fk_bootstrap_fd(&x, &y, &o, &r, NULL, &e), FK_OK, "%s", e.msg);
        cr_expect_eq(r.replicates, 200);
        cr_expect(r.lo < r.hi);
        boot_sd += r.std / pairs;
        free(a);
        free(b);
    }
    cr_log_info("FD spread: repeated samples %.4f, bootstrap %.4f (ratio %.3f)", true_sd, boot_sd,
                boot_sd / true_sd);
    cr_expect(fabs(boot_sd / true_sd - 1) <= 0.2, "bootstrap std %.4f vs repeated-sample std %.4f",
              boot_sd, true_sd);
    free(fd);
}

Test(metrics, bootstrap_bad_input)
{
    float one[4] = {1, 2, 3, 4};
    fk_features x = fk_features_view(one, 1, 4), y = fk_features_view(one, 1, 4);
    fk_boot_result r;
    fk_error e;
    cr_expect_eq(fk_bootstrap_fd(&x, &y, NULL, &r, NULL, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "1 rows, at least 2"), "covariance needs 2 rows: %s", e.msg);
    fk_boot_options o = fk_boot_default_options();
    o.level = 1.5;
    fk_features x2 = fk_features_view(one, 2, 2);
    cr_expect_eq(fk_bootstrap_fd(&x2, &x2, &o, &r, NULL, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "level"), "%s", e.msg);
}

Test(metrics, percentile_like_numpy)
{
    double v[5] = {5, 1, 4, 2, 3};
    cr_expect_float_eq(fk_percentile_sorted_inplace(v, 5, 0.025), 1.1, 1e-12);
    cr_expect_float_eq(fk_percentile_sorted_inplace(v, 5, 0.975), 4.9, 1e-12);
}

static fk_status column0_mean(const fk_features *x, const fk_features *y, void *ctx,
                              double *value, fk_error *e)
{
    (void)ctx;
    (void)e;
    cr_assert_null(y, "one-sample bootstrap passes no second set");
    double s = 0;
    for (int64_t i = 0; i < x->n; i++)
        s += x->x[(size_t)i * (size_t)x->d];
    *value = s / (double)x->n;
    return FK_OK;
}

Test(metrics, bootstrap_one_sample_mean)
{
    /* The bootstrap std of a mean is sigma / sqrt(n): here 2 / sqrt(500). */
    fk_rng g;
    fk_rng_seed(&g, 5);
    float *a = gaussian(&g, 500, 3, 1.0, 2.0);
    fk_features x = fk_features_view(a, 500, 3);
    fk_boot_options o = fk_boot_default_options();
    o.replicates = 400;
    fk_boot_result r;
    fk_error e;
    cr_assert_eq(fk_bootstrap(&x, NULL, column0_mean, NULL, &o, &r, NULL, &e), FK_OK, "%s", e.msg);
    double want = 2.0 / sqrt(500.0);
    cr_expect(fabs(r.std / want - 1) < 0.15, "bootstrap std %.4f, sigma/sqrt(n) %.4f", r.std, want);
    cr_expect(r.lo < r.estimate && r.estimate < r.hi, "[%g, %g] around %g", r.lo, r.hi, r.estimate);
    near(r.hi - r.lo, 2 * 1.96 * want, 0, 0.2, "95% interval width");
    free(a);
}

Test(metrics, fd_infinity_bad_input)
{
    fk_array b = load("x2.npy", FK_F32);
    fk_features gen = feats(&b);
    double mu[3] = {0}, sig[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    fk_fdinf_result r;
    fk_error e;
    cr_expect_eq(fk_fd_infinity_stats(3, mu, sig, &gen, NULL, &r, NULL, NULL, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "3 dimensions") && strstr(e.msg, "64"), "%s", e.msg);
    fk_fdinf_options o = fk_fdinf_default_options();
    o.num_points = 2;
    fk_features g3 = fk_features_view(gen.x, 300, 3);
    cr_expect_eq(fk_fd_infinity_stats(3, mu, sig, &g3, &o, &r, NULL, NULL, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "at least 3"), "%s", e.msg);
    fk_array_free(&b);
}

/* ---- the CLI passes convention, seed and splits through ------------------- */

/* The number after `"key":` in a JSON text (cJSON prints a tab, fidkit is a space). */
static double json_number(const char *out, const char *key)
{
    const char *p = strstr(out, key);
    cr_assert(p, "no %s in: %s", key, out);
    p = strchr(p, ':');
    cr_assert(p, "%s", out);
    return strtod(p + 1, NULL);
}

/* A features file as `fidkit extract` writes it: f as pool3 and, if logits,
 * f again as logits_unbiased. */
static void write_feats_file(const char *path, const fk_features *f, int logits)
{
    fk_featset s[2];
    memset(s, 0, sizeof s);
    for (int k = 0; k < 1 + logits; k++) {
        snprintf(s[k].tag.backbone, sizeof s[k].tag.backbone, "inception_v3");
        snprintf(s[k].tag.variant, sizeof s[k].tag.variant, "fid");
        snprintf(s[k].tag.layer, sizeof s[k].tag.layer, k ? "logits_unbiased" : "pool3");
        snprintf(s[k].tag.weights, sizeof s[k].tag.weights, "random-0");
        snprintf(s[k].tag.resize, sizeof s[k].tag.resize, "clean");
        s[k].tag.input_size = 299;
        s[k].has_tag = 1;
        s[k].d = f->d;
        s[k].n = f->n;
        s[k].rows = (float *)f->x;
    }
    fk_error e;
    cr_assert_eq(fk_featfile_write(path, s, 1 + logits, NULL, &e), FK_OK, "%s", e.msg);
}

Test(metrics, cli_is_and_score_pass_seed_and_splits)
{
    fk_array l = load("logits.npy", FK_F32), cases = load("is_tfid_grid_cases.npy", FK_I64);
    fk_array w = load("is_tfid_grid.npy", FK_F64);
    fk_features f = feats(&l);
    char path[512], out[16384];
    snprintf(path, sizeof path, "%s/logits_feats.npz", fk_test_tmpdir());
    write_feats_file(path, &f, 1);
    const int64_t *cs = cases.data;
    const double *t = w.data;
    /* case 1: seed 0, 3 splits; case 8: seed 2^32-1, 10 splits */
    const int pick[2] = {1, 8};
    for (int k = 0; k < 2; k++) {
        int i = pick[k];
        long long seed = (long long)cs[2 * i], splits = (long long)cs[2 * i + 1];
        int rc = fk_test_run_cli(out, sizeof out, "is %s --seed %lld --splits %lld --json", path,
                                 seed, splits);
        cr_assert_eq(rc, 0, "%s", out);
        near(json_number(out, "\"value\""), t[2 * i], 0, RTOL, "fidkit is: IS mean");
        near(json_number(out, "\"std\""), t[2 * i + 1], 0, 1e-5, "fidkit is: IS std");
        cr_expect_eq(json_number(out, "\"seed\""), (double)seed, "%s", out);
        cr_expect_eq(json_number(out, "\"splits\""), (double)splits, "%s", out);
        cr_expect(strstr(out, "\"convention_name\":\t\"torch-fidelity\""), "%s", out);
        rc = fk_test_run_cli(out, sizeof out, "score %s %s --metrics is --ci none --seed %lld "
                             "--splits %lld --json", path, path, seed, splits);
        cr_assert_eq(rc, 0, "%s", out);
        near(json_number(out, "\"value\""), t[2 * i], 0, RTOL, "fidkit score: IS mean");
        near(json_number(out, "\"std\""), t[2 * i + 1], 0, 1e-5, "fidkit score: IS std");
        cr_expect_eq(json_number(out, "\"seed\""), (double)seed, "%s", out);
        cr_expect_eq(json_number(out, "\"splits\""), (double)splits, "%s", out);
    }
    /* file order: no seed is recorded; adm ignores --splits and --seed */
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "is %s --convention adm --seed 5 --json", path), 0,
                 "%s", out);
    cr_expect(strstr(out, "\"seed\":\tnull") && strstr(out, "\"convention_name\":\t\"adm\""), "%s", out);
    int rc = fk_test_run_cli(out, sizeof out, "is %s --seed 4294967296", path);
    cr_expect(rc == 1 || rc == 2, "exit %d: %s", rc, out);
    cr_expect(strstr(out, "4294967295"), "%s", out);
    cr_expect_eq(fk_test_run_cli(out, sizeof out, "is %s --seed -3", path), 2, "%s", out);
    cr_expect_eq(fk_test_run_cli(out, sizeof out, "is %s --convention tfid", path), 2, "%s", out);
    fk_array_free(&l);
    fk_array_free(&cases);
    fk_array_free(&w);
}

Test(metrics, cli_score_kid_conventions)
{
    fk_array a = load("x1.npy", FK_F32), b = load("x2.npy", FK_F32), w = load("kid_cli.npy", FK_F64);
    fk_features x = feats(&a), y = feats(&b);
    char real[512], fake[512], out[16384];
    snprintf(real, sizeof real, "%s/real_feats.npz", fk_test_tmpdir());
    snprintf(fake, sizeof fake, "%s/fake_feats.npz", fk_test_tmpdir());
    write_feats_file(real, &x, 0);
    write_feats_file(fake, &y, 0);
    const char *conv[3] = {"torch-fidelity", "clean-fid", "torchmetrics"};
    for (int k = 0; k < 3; k++) {
        int rc = fk_test_run_cli(out, sizeof out, "score %s %s --metrics kid --kid-subset-size 100 "
                                 "--kid-convention %s --ci none --json", real, fake, conv[k]);
        cr_assert_eq(rc, 0, "%s", out);
        char what[64];
        snprintf(what, sizeof what, "fidkit score: KID, %s convention", conv[k]);
        near(json_number(out, "\"value\""), ((double *)w.data)[k], 0, RTOL, what);
        cr_expect_eq(json_number(out, "\"seed\""), 2020, "%s", out);
        cr_expect(strstr(out, conv[k]), "%s", out);
    }
    cr_expect_eq(fk_test_run_cli(out, sizeof out, "score %s %s --metrics kid --kid-convention x",
                                 real, fake), 2, "%s", out);
    fk_array_free(&a);
    fk_array_free(&b);
    fk_array_free(&w);
}
