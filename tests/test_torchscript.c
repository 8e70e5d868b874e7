/* ctest-label: torch */
/* The torchscript plugin against tests/ref/torchscript.py: a small CNN
 * exported with torch.jit.save (scripted with a second method, traced, with
 * an (n, d, 1, 1) output), run through the registry from the YAML configs the
 * reference writes, compared with the eager module: max |a - ref| <= 1e-5 *
 * max |ref| (the same TorchScript graph runs in both, so only threading may
 * reorder sums). Configs that must fail: a wrong output_dim (on the first
 * batch), a tuple-returning module, a missing method. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/config.h"
#include "fidkit/registry.h"
#include "fk_test.h"

#define REL_TOL 1e-5

static fk_status open_config(const char *yaml, fk_backbone **b, fk_error *e)
{
    fk_config c;
    const char *path = fk_test_fixture(yaml);
    cr_assert_eq(fk_config_load(path, &c, e), FK_OK, "%s: %s", path, e->msg);
    return fk_backbone_open(&c, NULL, 0, b, e);
}

static void check(const char *name)
{
    char yaml[64], ref_name[96];
    snprintf(yaml, sizeof yaml, "%s.yaml", name);
    snprintf(ref_name, sizeof ref_name, "%s_features.npy", name);
    fk_backbone *b = NULL;
    fk_error e = {0};
    cr_assert_eq(open_config(yaml, &b, &e), FK_OK, "%s: %s", yaml, e.msg);
    fk_array in = fk_test_load_npy("inputs.npy");
    fk_array ref = fk_test_load_npy(ref_name);
    int n = (int)in.shape[0], dim = (int)ref.shape[1];
    cr_assert_eq(ref.shape[0], n);
#ifdef FK_PLUGIN_OUTPUT_DIM
    /* A host that asks the instance knows the dimension after open. */
    cr_expect_eq(fk_backbone_output_dim(b, 0), dim);
#endif
    size_t per = (size_t)(in.shape[1] * in.shape[2] * in.shape[3]);
    float *out = calloc((size_t)n * dim, sizeof(float));
    /* Two calls: batches of 3 and 2. */
    float *o1[1] = {out}, *o2[1] = {out + 3 * (size_t)dim};
    cr_assert_eq(fk_backbone_extract(b, in.data, 3, o1, &e), FK_OK, "%s: %s", yaml, e.msg);
    cr_assert_eq(fk_backbone_extract(b, (float *)in.data + 3 * per, n - 3, o2, &e), FK_OK, "%s: %s",
                 yaml, e.msg);
    const float *r = ref.data;
    double scale = 0, worst = 0;
    size_t m = (size_t)n * dim;
    cr_assert(m > 0);
    for (size_t i = 0; i < m; i++)
        scale = fmax(scale, fabs(r[i]));
    cr_assert(scale > 0);
    for (size_t i = 0; i < m; i++) {
        double d = fabs((double)out[i] - r[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    cr_log_info("%s: max rel error %.3g over %zu values", yaml, worst / scale, m);
    cr_expect(worst / scale <= REL_TOL, "%s: max error %.3g of the scale", yaml, worst / scale);

    fk_tag t;
    fk_backbone_tag(b, 0, &t);
    cr_expect_str_eq(t.backbone, "torchscript");
    cr_expect_str_eq(t.layer, "features");
    cr_expect_str_eq(t.weights, fk_backbone_config(b)->weights_sha256);
    cr_expect_eq(strlen(t.weights), 64);
    free(out);
    fk_array_free(&in);
    fk_array_free(&ref);
    fk_backbone_close(b);
}

Test(torchscript, scripted_forward) { check("scripted"); }
Test(torchscript, traced_forward) { check("traced"); }
Test(torchscript, scripted_exported_method) { check("embed"); }
Test(torchscript, four_d_output_is_flattened) { check("spatial"); }

static void expect_extract_failure(const char *yaml, const char *needle)
{
    fk_backbone *b = NULL;
    fk_error e = {0};
    cr_assert_eq(open_config(yaml, &b, &e), FK_OK, "%s: %s", yaml, e.msg);
    fk_array in = fk_test_load_npy("inputs.npy");
    float *out = calloc(64 * 2, sizeof(float));
    float *o[1] = {out};
    fk_status st = fk_backbone_extract(b, in.data, 2, o, &e);
    cr_expect_eq(st, FK_ERR_FORMAT, "%s: status %d: %s", yaml, st, e.msg);
    cr_expect(strstr(e.msg, needle), "%s: message lacks '%s': %s", yaml, needle, e.msg);
    free(out);
    fk_array_free(&in);
    fk_backbone_close(b);
}

Test(torchscript, wrong_output_dim_fails_on_first_batch)
{
    expect_extract_failure("wrong_dim.yaml", "output_dim is 17");
}
Test(torchscript, tuple_output_is_refused) { expect_extract_failure("tuple.yaml", "a tuple"); }

Test(torchscript, missing_method_is_refused_at_open)
{
    fk_backbone *b = NULL;
    fk_error e = {0};
    fk_status st = open_config("no_method.yaml", &b, &e);
    cr_expect_eq(st, FK_ERR_ARG, "status %d: %s", st, e.msg);
    cr_expect(strstr(e.msg, "no_such_method"), "%s", e.msg);
}

/* A state dict is not a TorchScript archive: refused at open, naming the file. */
Test(torchscript, non_torchscript_file_is_refused)
{
    fk_config c;
    fk_error e = {0};
    cr_assert_eq(fk_config_load(fk_test_fixture("scripted.yaml"), &c, &e), FK_OK, "%s", e.msg);
    snprintf(c.weights_file, sizeof c.weights_file, "inputs.npy");
    c.weights_sha256[0] = 0;
    fk_backbone *b = NULL;
    fk_status st = fk_backbone_open(&c, NULL, 0, &b, &e);
    cr_expect_eq(st, FK_ERR_FORMAT, "status %d: %s", st, e.msg);
    cr_expect(strstr(e.msg, "inputs.npy") && strstr(e.msg, "TorchScript"), "%s", e.msg);
}

Test(torchscript, example_config_loads)
{
    const char *src = getenv("FK_SOURCE_DIR");
    cr_assert(src);
    char path[4096];
    snprintf(path, sizeof path, "%s/configs/torchscript_example.yaml", src);
    fk_config c;
    fk_error e = {0};
    cr_assert_eq(fk_config_load(path, &c, &e), FK_OK, "%s: %s", path, e.msg);
    cr_expect_str_eq(c.plugin, "torchscript");
    cr_expect_str_eq(c.output, "features");
}
