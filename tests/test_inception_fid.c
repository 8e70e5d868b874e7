/* ctest-label: torch */
/* FID and IS through the whole path with the FID Inception — PNG files,
 * decoding, each resize mode, normalisation, the network loaded from each
 * weight format, moments, the Fréchet engine — against the PyTorch/PIL/scipy
 * reference of tests/ref/inception_fid.py. Tolerances as the issue states:
 * FID 1e-4 relative, IS 1e-3 relative. (10 images a side: the covariances
 * are singular, which the engine's eigen route handles.) */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static double json_value(const char *out)
{
    const char *v = strstr(out, "\"value\"");
    cr_assert(v, "no value in: %s", out);
    v = strchr(v, ':');
    return strtod(v + 1, NULL);
}

/* Every weight format on one mode (they load byte-identical weights, see
 * test_weights), one format on the others: each resize mode and each format
 * is covered at half the cost of all pairs. */
static void check_mode(const char *mode, int nformats)
{
    static const char *const formats[] = {"w_pth", "w_legacy_pth", "w_safetensors"};
    char out[16384], real[1024], fake[1024], cfg[1024], name[128];
    snprintf(real, sizeof real, "%s", fk_test_fixture("real"));
    snprintf(fake, sizeof fake, "%s", fk_test_fixture("fake"));
    snprintf(name, sizeof name, "fid_%s.npy", mode);
    fk_array ef = fk_test_load_npy(name);
    snprintf(name, sizeof name, "is_%s.npy", mode);
    fk_array ei = fk_test_load_npy(name);
    double want_fid = ((double *)ef.data)[0], want_is = ((double *)ei.data)[0];
    for (int k = 0; k < nformats; k++) {
        snprintf(name, sizeof name, "%s_%s.yaml", mode, formats[k]);
        snprintf(cfg, sizeof cfg, "%s", fk_test_fixture(name));
        int rc = fk_test_run_cli(out, sizeof out, "fid %s %s --backbone %s --json --quiet", real, fake, cfg);
        cr_assert_eq(rc, 0, "%s", out);
        double got = json_value(out);
        cr_assert(fabs(got - want_fid) <= 1e-4 * fabs(want_fid), "%s: FID %.10g, reference %.10g (rel %.2e)",
                  name, got, want_fid, fabs(got - want_fid) / fabs(want_fid));
        cr_log_info("%s: FID %.10g, reference %.10g, rel %.2e", name, got, want_fid,
                    fabs(got - want_fid) / fabs(want_fid));
        rc = fk_test_run_cli(out, sizeof out, "is %s --backbone %s --convention adm --json --quiet", fake, cfg);
        cr_assert_eq(rc, 0, "%s", out);
        got = json_value(out);
        cr_assert(fabs(got - want_is) <= 1e-3 * want_is, "%s: IS %.10g, reference %.10g", name, got, want_is);
        cr_log_info("%s: IS %.10g, reference %.10g, rel %.2e", name, got, want_is,
                    fabs(got - want_is) / want_is);
        /* IS near 1 would make a relative test weak: check log IS too. */
        cr_assert(fabs(log(got) - log(want_is)) <= 1e-2 * fabs(log(want_is)) + 1e-7,
                  "%s: log IS %.6g vs %.6g", name, log(got), log(want_is));
    }
    fk_array_free(&ef);
    fk_array_free(&ei);
}

Test(inception_fid, clean, .timeout = 600) { check_mode("clean", 1); }
Test(inception_fid, legacy_pytorch_every_format, .timeout = 600) { check_mode("legacy_pytorch", 3); }
Test(inception_fid, legacy_tensorflow, .timeout = 600) { check_mode("legacy_tensorflow", 1); }

/* sFID as the ADM evaluator computes it (TF resize, spatial features)
 * through `fidkit score`. */
Test(inception_fid, sfid_through_score, .timeout = 600)
{
    char out[65536], real[1024], fake[1024], cfg[1024];
    snprintf(real, sizeof real, "%s", fk_test_fixture("real"));
    snprintf(fake, sizeof fake, "%s", fk_test_fixture("fake"));
    snprintf(cfg, sizeof cfg, "%s", fk_test_fixture("legacy_tensorflow_w_safetensors.yaml"));
    fk_array ef = fk_test_load_npy("sfid_legacy_tensorflow.npy");
    double want = ((double *)ef.data)[0];
    int rc = fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s --metrics sfid --ci none --json --quiet",
                         real, fake, cfg);
    cr_assert_eq(rc, 0, "%s", out);
    const char *p = strstr(out, "\"name\":\t\"sFID\"");
    cr_assert(p, "%s", out);
    double got = strtod(strstr(p, "\"value\":") + 8, NULL);
    cr_assert(fabs(got - want) <= 1e-4 * fabs(want), "sFID %.10g, reference %.10g", got, want);
    cr_log_info("sFID %.10g, reference %.10g, rel %.2e", got, want, fabs(got - want) / fabs(want));
    fk_array_free(&ef);
}
