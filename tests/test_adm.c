/* ctest-label: torch */
/* fidkit adm against the commands it is made of: on the same images and
 * network, its FID equals `fidkit fid` against the reference statistics, its
 * IS equals `fidkit is --convention adm` and its precision/recall equal
 * `fidkit score --metrics pr` (each metric is checked against its peer's
 * reference in test_metrics). The network is the FID Inception with random
 * weights, fed through the ADM evaluator's npz layout. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static double value_after(const char *out, const char *key)
{
    const char *p = strstr(out, key);
    cr_assert(p, "'%s' not in: %s", key, out);
    p = strstr(p, "\"value\":");
    cr_assert(p, "no value after '%s': %s", key, out);
    return strtod(p + 8, NULL);
}

static void write_ref(const char *ref, const char *images, const char *feats)
{
    fk_array img, f, fs;
    fk_error e;
    cr_assert_eq(fk_npz_load(images, NULL, &img, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_load(feats, "feats", &f, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_load(feats, "feats_spatial", &fs, &e), FK_OK, "%s", e.msg);
    fk_moments m[2];
    const fk_array *src[2] = {&f, &fs};
    double *mu[2], *sg[2];
    for (int k = 0; k < 2; k++) {
        int d = (int)src[k]->shape[1];
        mu[k] = malloc(sizeof(double) * d);
        sg[k] = malloc(sizeof(double) * d * d);
        cr_assert_eq(fk_moments_init(&m[k], d, &e), FK_OK);
        cr_assert_eq(fk_moments_add(&m[k], src[k]->data, src[k]->shape[0], &e), FK_OK);
        cr_assert_eq(fk_moments_result(&m[k], mu[k], sg[k], &e), FK_OK);
    }
    fk_npz_writer *w;
    cr_assert_eq(fk_npz_writer_open(&w, ref, 0, &e), FK_OK);
    fk_array a0 = img;
    fk_array am = {FK_F64, 1, {f.shape[1]}, mu[0]}, as = {FK_F64, 2, {f.shape[1], f.shape[1]}, sg[0]};
    fk_array bm = {FK_F64, 1, {fs.shape[1]}, mu[1]}, bs = {FK_F64, 2, {fs.shape[1], fs.shape[1]}, sg[1]};
    cr_assert_eq(fk_npz_writer_add(w, "arr_0", &a0, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_add(w, "mu", &am, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_add(w, "sigma", &as, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_add(w, "mu_s", &bm, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_add(w, "sigma_s", &bs, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_commit(w, &e), FK_OK, "%s", e.msg);
    for (int k = 0; k < 2; k++) {
        fk_moments_free(&m[k]);
        free(mu[k]);
        free(sg[k]);
    }
    fk_array_free(&img);
    fk_array_free(&f);
    fk_array_free(&fs);
}

Test(adm, equals_its_parts, .timeout = 600)
{
    const char *dir = fk_test_tmpdir();
    char out[65536], real[512], fake[512], ref[512], feats[512], stats[512];
    snprintf(real, sizeof real, "%s/real.npy", dir);
    snprintf(fake, sizeof fake, "%s/fake.npy", dir);
    snprintf(ref, sizeof ref, "%s/ref.npz", dir);
    snprintf(feats, sizeof feats, "%s/ref_feats.npz", dir);
    snprintf(stats, sizeof stats, "%s/ref_stats.npz", dir);
    const char *bb = "--backbone inception_v3_random --quiet";
    /* The demo's two-set FID, smaller: 12 generated images per side through
     * the random-weights Inception. */
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "demo --fid-only --n 12 --out %s", dir), 0, "%s", out);
    cr_assert(strstr(out, "FID: "), "%s", out);
    cr_assert(strstr(out, "inception_v3/fid:pool3@random-0/299/clean"), "%s", out);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "extract %s -o %s --outputs pool3,spatial %s", real, feats, bb),
                 0, "%s", out);
    write_ref(ref, real, feats);

    cr_assert_eq(fk_test_run_cli(out, sizeof out, "adm %s %s %s --ci none --json", ref, fake, bb), 0, "%s", out);
    char *adm = strdup(out);

    /* FID: the sample's features against the reference's statistics. */
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "stats %s -o %s %s", real, stats, bb), 0, "%s", out);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "fid %s %s %s --json", stats, fake, bb), 0, "%s", out);
    double fid = value_after(out, "\"metric\"");
    double adm_fid = value_after(adm, "\"name\":\t\"FID\"");
    cr_assert(fabs(adm_fid - fid) <= 1e-9 * fabs(fid) + 1e-12, "adm FID %.12g, fid %.12g", adm_fid, fid);

    cr_assert_eq(fk_test_run_cli(out, sizeof out, "is %s %s --convention adm --json", fake, bb), 0, "%s", out);
    double is = value_after(out, "\"metric\"");
    /* is on kept logits gives the same number. */
    char ff[512];
    snprintf(ff, sizeof ff, "%s/fake_feats.npz", dir);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "extract %s -o %s --outputs pool3,logits_unbiased %s", fake,
                                 ff, bb), 0, "%s", out);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "is %s --convention adm --json", ff), 0, "%s", out);
    cr_assert(fabs(value_after(out, "\"metric\"") - is) <= 1e-12 * is, "%s", out);
    cr_assert(fabs(value_after(adm, "\"name\":\t\"Inception Score\"") - is) <= 1e-12 * is);

    cr_assert_eq(fk_test_run_cli(out, sizeof out, "score %s %s %s --metrics pr --ci none --json", real, fake, bb),
                 0, "%s", out);
    cr_assert_eq(value_after(adm, "\"name\":\t\"Precision\""), value_after(out, "\"name\":\t\"precision\""));
    cr_assert_eq(value_after(adm, "\"name\":\t\"Recall\""), value_after(out, "\"name\":\t\"recall\""));
    double sfid = value_after(adm, "\"name\":\t\"sFID\"");
    cr_assert(isfinite(sfid) && sfid >= 0);
    free(adm);
}

Test(adm, missing_reference_statistics)
{
    const char *dir = fk_test_tmpdir();
    char out[8192], ref[512];
    snprintf(ref, sizeof ref, "%s/ref.npz", dir);
    /* An npz with images but no mu/sigma is not a reference batch. */
    uint8_t px[2 * 8 * 8 * 3] = {0};
    fk_array a = {FK_U8, 4, {2, 8, 8, 3}, px};
    fk_npz_writer *w;
    fk_error e;
    cr_assert_eq(fk_npz_writer_open(&w, ref, 0, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_add(w, "arr_0", &a, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_commit(w, &e), FK_OK);
    int rc = fk_test_run_cli(out, sizeof out, "adm %s %s --backbone inception_v3_random --quiet --ci none", ref, ref);
    cr_assert_eq(rc, 4, "%s", out); /* bad input data (docs/cli.md) */
    cr_assert(strstr(out, "has no array 'mu'"), "%s", out);
}
