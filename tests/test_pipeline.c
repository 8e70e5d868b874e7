/* The whole path, dataset -> loader -> plugin -> moments -> stats -> FD,
 * through the fidkit command with the tiny_pool template backbone, against
 * tests/ref/pipeline.py (PIL decode, clean resize, NumPy, scipy sqrtm). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static double json_value(const char *out)
{
    const char *v = strstr(out, "\"value\":");
    cr_assert(v, "no value in: %s", out);
    return strtod(v + 8, NULL);
}

static char cfg4[1024], cfg8[1024], real[1024], fake[1024];

static void paths(void)
{
    snprintf(cfg4, sizeof cfg4, "%s", fk_test_fixture("tiny_g4.yaml"));
    snprintf(cfg8, sizeof cfg8, "%s", fk_test_fixture("tiny_g8.yaml"));
    snprintf(real, sizeof real, "%s", fk_test_fixture("real"));
    snprintf(fake, sizeof fake, "%s", fk_test_fixture("fake"));
}

/* float32 resize, normalisation and pooling against float64 in NumPy: FD
 * agrees to 1e-4 relative (the tolerance for FID). */
#define FD_RTOL 1e-4

Test(pipeline, fid_of_two_folders_matches_numpy)
{
    paths();
    char out[16384];
    int rc = fk_test_run_cli(out, sizeof out, "fid %s %s --backbone %s --json", real, fake, cfg4);
    cr_assert_eq(rc, 0, "%s", out);
    fk_array want = fk_test_load_npy("fd.npy");
    double got = json_value(out), ref = ((double *)want.data)[0];
    cr_assert(fabs(got - ref) <= FD_RTOL * fabs(ref), "fidkit %.10g, numpy %.10g (rel %.2g)", got, ref,
              fabs(got - ref) / fabs(ref));
    cr_assert(strstr(out, "tiny_pool/g4:pool@random-0/32/clean"), "%s", out);
    fk_array_free(&want);
}

Test(pipeline, stats_file_then_fid_against_a_folder)
{
    paths();
    char out[16384], st[1024];
    snprintf(st, sizeof st, "%s/real.npz", fk_test_tmpdir());
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s --threads 1", real, st, cfg4);
    cr_assert_eq(rc, 0, "%s", out);

    fk_stats s;
    fk_error e;
    cr_assert_eq(fk_stats_read(st, &s, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(s.n, 40);
    cr_assert_eq(s.d, 48);
    fk_array mu = fk_test_load_npy("real_mu.npy"), sg = fk_test_load_npy("real_sigma.npy");
    cr_assert(fk_test_tol_ratio(s.mu, mu.data, 48, 1e-6, 1e-5) <= 1, "mu");
    cr_assert(fk_test_tol_ratio(s.sigma, sg.data, 48 * 48, 1e-6, 1e-4) <= 1, "sigma");
    cr_assert(strstr(s.meta_json, "\"resize\":\"clean\""), "%s", s.meta_json);

    rc = fk_test_run_cli(out, sizeof out, "fid %s %s --backbone %s --json", st, fake, cfg4);
    cr_assert_eq(rc, 0, "%s", out);
    fk_array want = fk_test_load_npy("fd.npy");
    double ref = ((double *)want.data)[0];
    cr_assert(fabs(json_value(out) - ref) <= FD_RTOL * fabs(ref));

    /* The same images through another variant are another ruler. */
    rc = fk_test_run_cli(out, sizeof out, "fid %s %s --backbone %s", st, fake, cfg8);
    cr_assert_eq(rc, 3, "%s", out);
    cr_assert(strstr(out, "refusing to compare tiny_pool/g4:pool@random-0/32/clean with "
                          "tiny_pool/g8:pool@random-0/32/clean"), "%s", out);
    fk_stats_free(&s);
    fk_array_free(&mu);
    fk_array_free(&sg);
    fk_array_free(&want);
}

/* Features are computed per image, so batching and threading change only
 * the order of the moment updates: the statistics agree to double rounding.
 * (Not the FD itself: with N = 40 < d = 48 the covariance is singular, and
 * sqrt() of its zero eigenvalues turns 1e-16 into 1e-8.) */
Test(pipeline, batch_size_and_threads_do_not_change_the_statistics)
{
    paths();
    char out[16384], a[1024], b[1024];
    const char *dir = fk_test_tmpdir();
    snprintf(a, sizeof a, "%s/a.npz", dir);
    snprintf(b, sizeof b, "%s/b.npz", dir);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s --batch-size 1 --threads 1",
                             real, a, cfg4), 0, "%s", out);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s --batch-size 17 --threads 3",
                             real, b, cfg4), 0, "%s", out);
    fk_stats sa, sb;
    fk_error e;
    cr_assert_eq(fk_stats_read(a, &sa, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_stats_read(b, &sb, &e), FK_OK, "%s", e.msg);
    double top = 0;
    for (int i = 0; i < sa.d; i++)
        top = fmax(top, sa.sigma[i * sa.d + i]);
    cr_assert(fk_test_tol_ratio(sb.mu, sa.mu, (size_t)sa.d, 1e-12, 1e-12) <= 1, "mu depends on batching");
    cr_assert(fk_test_tol_ratio(sb.sigma, sa.sigma, (size_t)sa.d * sa.d, 1e-12 * top, 1e-12) <= 1,
              "sigma depends on batching");
    fk_stats_free(&sa);
    fk_stats_free(&sb);
}

Test(pipeline, a_missing_dataset_and_a_missing_config)
{
    paths();
    char out[16384];
    int rc = fk_test_run_cli(out, sizeof out, "fid /nonexistent/x %s --backbone %s", fake, cfg4);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "/nonexistent/x"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "fid %s %s --backbone no_such_config", real, fake);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "no backbone config 'no_such_config'"), "%s", out);
}

/* fidkit extract keeps rows; fidkit score computes several metrics from
 * them, each with convention, N, tag and interval; a features file and a
 * folder give the same numbers; mixed tags are refused. */
Test(pipeline, extract_then_score_equals_score_on_folders)
{
    paths();
    char out[65536], fr[1024], ff[1024], f8[1024];
    const char *dir = fk_test_tmpdir();
    snprintf(fr, sizeof fr, "%s/real_feats.npz", dir);
    snprintf(ff, sizeof ff, "%s/fake_feats.npz", dir);
    snprintf(f8, sizeof f8, "%s/fake_g8.npz", dir);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "extract %s -o %s --backbone %s", real, fr, cfg4), 0, "%s", out);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "extract %s -o %s --backbone %s", fake, ff, cfg4), 0, "%s", out);

    const char *m = "--metrics fid,kid,pr,prdc,fd-inf,cmmd --kid-subset-size 30 --json";
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s %s", real, fake, cfg4, m), 0, "%s", out);
    /* The reports differ only in the file names and timings: compare the
     * results. */
    char *a = strdup(strstr(out, "\"results\""));
    *strstr(a, "\"timings\"") = 0;
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "score %s %s %s", fr, ff, m), 0, "%s", out);
    *strstr(out, "\"timings\"") = 0;
    cr_assert_str_eq(a, strstr(out, "\"results\""), "features files must give the same scores");
    free(a);

    fk_array want = fk_test_load_npy("fd.npy");
    double ref = ((double *)want.data)[0];
    const char *fd = strstr(out, "\"metric\":\t\"fid\"");
    cr_assert(fd, "%s", out);
    double got = strtod(strstr(fd, "\"value\":") + 8, NULL);
    cr_assert(fabs(got - ref) <= FD_RTOL * fabs(ref), "score's FD %.10g vs numpy %.10g", got, ref);
    /* N = 40 < d = 48: the raw replicates sit far above the estimate; the
     * reported interval is centred on it. */
    const char *iv = strstr(fd, "\"interval\":");
    double lo = strtod(strstr(iv, "\"lo\":") + 5, NULL), hi = strtod(strstr(iv, "\"hi\":") + 5, NULL);
    cr_assert(lo <= got && got <= hi, "FD %.6g outside its interval [%.6g, %.6g]", got, lo, hi);
    const char *names[] = {"\"name\":\t\"KID\"", "\"name\":\t\"precision\"", "\"name\":\t\"recall\"",
                           "\"name\":\t\"density\"", "\"name\":\t\"coverage\"", "\"name\":\t\"FD-inf\"",
                           "\"name\":\t\"CMMD\""};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cr_assert(strstr(out, names[i]), "%s missing: %s", names[i], out);
    int intervals = 0;
    for (const char *p = out; (p = strstr(p, "\"interval\":\t{")); p++)
        intervals++;
    cr_assert_eq(intervals, 1 + 1 + 2 + 4 + 1 + 1, "every score has an interval: %s", out);
    cr_assert(strstr(out, "tiny_pool/g4:pool@random-0/32/clean"));

    /* fid takes features files too. */
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "fid %s %s --json", fr, ff), 0, "%s", out);
    double via_feats = json_value(out);
    cr_assert(fabs(via_feats - ref) <= FD_RTOL * fabs(ref), "fid on features files %.10g vs %.10g",
              via_feats, ref);

    cr_assert_eq(fk_test_run_cli(out, sizeof out, "extract %s -o %s --backbone %s", fake, f8, cfg8), 0, "%s", out);
    int rc = fk_test_run_cli(out, sizeof out, "score %s %s --metrics kid --kid-subset-size 30", fr, f8);
    cr_assert_eq(rc, 3, "mixed tags must be refused: %s", out);
    cr_assert(strstr(out, "refusing to compare"), "%s", out);
    fk_array_free(&want);
}

Test(pipeline, score_without_intervals_and_bad_metric)
{
    paths();
    char out[65536];
    int rc = fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s --metrics fid --ci none --json", real, fake, cfg4);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"interval\":\tnull"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s --metrics fid,magic", real, fake, cfg4);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "unknown metric 'magic'"), "%s", out);
    /* KID on 40 and 35 images: the subsets shrink to the smaller set, and
     * the report says so. */
    rc = fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s --metrics kid --ci none", real, fake, cfg4);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "100 subsets of 35") && strstr(out, "subsets of 35 (the smaller set's size)"), "%s", out);
}

/* score takes stats files for fid: the interval then resamples only the
 * side that has images; other metrics need rows and say so. */
Test(pipeline, score_with_a_stats_file)
{
    paths();
    char out[65536], st[1024], st2[1024];
    const char *dir = fk_test_tmpdir();
    snprintf(st, sizeof st, "%s/real.npz", dir);
    snprintf(st2, sizeof st2, "%s/fake.npz", dir);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s", real, st, cfg4), 0, "%s", out);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s", fake, st2, cfg4), 0, "%s", out);
    int rc = fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s --metrics fid --json", st, fake, cfg4);
    cr_assert_eq(rc, 0, "%s", out);
    fk_array want = fk_test_load_npy("fd.npy");
    double ref = ((double *)want.data)[0];
    double got = json_value(out);
    cr_assert(fabs(got - ref) <= FD_RTOL * fabs(ref), "%.10g vs %.10g", got, ref);
    cr_assert(strstr(out, "over the generated images (real side: statistics)"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "score %s %s --metrics fid --json", st, st2);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"interval\":\tnull"), "two stats files: nothing to resample: %s", out);
    rc = fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s --metrics fid,kid", st, fake, cfg4);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "kid needs feature rows"), "%s", out);
    fk_array_free(&want);
}
