/* ctest-label: torch */
/* The mobilenet_v3 plugin against tests/ref/mobilenet.py: torchvision's
 * MobileNetV3-Large and -Small with seeded random weights, opened through
 * the registry from the YAML configs the reference writes (zip and legacy
 * torch.save files), every output compared with the eager NCHW model; the
 * tag; the shipped configs. Tolerance: max |a - ref| <= 1e-4 * max |ref| per
 * output. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/config.h"
#include "fidkit/registry.h"
#include "fk_test.h"

#define REL_TOL 1e-4

static const char *const all_outputs[] = {"pool", "penultimate", "logits"};
enum { N_ALL = 3 };

/* When set, the channels_last and sub_batch options the backbones are
 * opened with. */
static const char *memory_format_option, *sub_batch_option;

static void add_option(fk_config *c, const char *key, const char *value)
{
    fk_config_option *o = &c->options[c->n_options++];
    snprintf(o->key, sizeof o->key, "%s", key);
    snprintf(o->value, sizeof o->value, "%s", value);
}

static fk_backbone *open_config(const char *path, const char *const *outs, int n_out)
{
    fk_config c;
    fk_error e = {0};
    cr_assert_eq(fk_config_load(path, &c, &e), FK_OK, "%s: %s", path, e.msg);
    if (memory_format_option)
        add_option(&c, "channels_last", memory_format_option);
    if (sub_batch_option)
        add_option(&c, "sub_batch", sub_batch_option);
    fk_backbone *b = NULL;
    cr_assert_eq(fk_backbone_open(&c, outs, n_out, &b, &e), FK_OK, "%s: %s", path, e.msg);
    return b;
}

static double rel_error(const float *a, const float *ref, size_t n)
{
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs((double)ref[i]));
    cr_assert(scale > 0, "reference output is all zeros");
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)ref[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    return worst / scale;
}

/* inputs.npy through the backbone in two calls, each requested output
 * against VARIANT_OUTPUT.npy. */
static void check_config(const char *yaml, const char *variant, int n_out, const char *const *outs)
{
    fk_backbone *b = open_config(fk_test_fixture(yaml), outs, n_out);
    fk_array in = fk_test_load_npy("inputs.npy");
    cr_assert_eq(in.ndim, 4);
    int n = (int)in.shape[0];
    size_t per = (size_t)(in.shape[1] * in.shape[2] * in.shape[3]);
    float *out[N_ALL], *rest[N_ALL];
    for (int k = 0; k < n_out; k++)
        out[k] = malloc((size_t)n * fk_backbone_output_dim(b, k) * sizeof(float));
    int first = n / 2 + 1;
    fk_error e = {0};
    cr_assert_eq(fk_backbone_extract(b, in.data, first, out, &e), FK_OK, "%s: %s", yaml, e.msg);
    for (int k = 0; k < n_out; k++)
        rest[k] = out[k] + (size_t)first * fk_backbone_output_dim(b, k);
    cr_assert_eq(fk_backbone_extract(b, (float *)in.data + first * per, n - first, rest, &e), FK_OK,
                 "%s: %s", yaml, e.msg);
    for (int k = 0; k < n_out; k++) {
        char name[128];
        snprintf(name, sizeof name, "%s_%s.npy", variant, outs[k]);
        fk_array ref = fk_test_load_npy(name);
        int dim = fk_backbone_output_dim(b, k);
        cr_assert_eq(ref.shape[0], n, "%s rows", name);
        cr_assert_eq(ref.shape[1], dim, "%s has %lld columns, plugin says %d", name,
                     (long long)ref.shape[1], dim);
        size_t m = (size_t)n * dim;
        cr_assert(m > 0);
        double r = rel_error(out[k], ref.data, m);
        cr_log_info("%s %s: max rel error %.3g over %zu values", yaml, outs[k], r, m);
        cr_expect(r <= REL_TOL, "%s output %s: max error %.3g of the scale (tolerance %g)", yaml,
                  outs[k], r, REL_TOL);
        fk_array_free(&ref);
        free(out[k]);
    }
    fk_array_free(&in);
    fk_backbone_close(b);
}

Test(mobilenet, large_all_outputs) { check_config("large.yaml", "large", N_ALL, all_outputs); }
Test(mobilenet, small_all_outputs) { check_config("small.yaml", "small", N_ALL, all_outputs); }
Test(mobilenet, small_legacy_format) { check_config("small_legacy.yaml", "small", N_ALL, all_outputs); }
Test(mobilenet, large_logits_alone)
{
    const char *const outs[] = {"logits"};
    check_config("large.yaml", "large", 1, outs);
}

Test(mobilenet, dims_and_tag)
{
    fk_backbone *b = open_config(fk_test_fixture("large.yaml"), all_outputs, N_ALL);
    cr_expect_eq(fk_backbone_output_dim(b, 0), 960);
    cr_expect_eq(fk_backbone_output_dim(b, 1), 1280);
    cr_expect_eq(fk_backbone_output_dim(b, 2), 1000);
    fk_tag t;
    fk_backbone_tag(b, 1, &t);
    cr_expect_str_eq(t.backbone, "mobilenet_v3");
    cr_expect_str_eq(t.variant, "large");
    cr_expect_str_eq(t.layer, "penultimate");
    cr_expect_str_eq(t.weights, fk_backbone_config(b)->weights_sha256);
    fk_backbone_close(b);
    b = open_config(fk_test_fixture("small.yaml"), all_outputs, N_ALL);
    cr_expect_eq(fk_backbone_output_dim(b, 0), 576);
    cr_expect_eq(fk_backbone_output_dim(b, 1), 1024);
    fk_backbone_close(b);
}

/* Small's weights opened as large: the first tensor that differs is named
 * with both shapes. */
Test(mobilenet, wrong_variant_names_the_tensor)
{
    fk_config c;
    fk_error e = {0};
    cr_assert_eq(fk_config_load(fk_test_fixture("small.yaml"), &c, &e), FK_OK, "%s", e.msg);
    snprintf(c.variant, sizeof c.variant, "large");
    fk_backbone *b = NULL;
    fk_status st = fk_backbone_open(&c, NULL, 0, &b, &e);
    cr_assert_eq(st, FK_ERR_FORMAT, "status %d: %s", st, e.msg);
    cr_expect(strstr(e.msg, "features.1.") && strstr(e.msg, "small.pth"), "%s", e.msg);
}

Test(mobilenet, shipped_configs)
{
    static const char *const names[] = {"mobilenet_v3_large", "mobilenet_v3_small",
                                        "mobilenet_v3_large_random", "mobilenet_v3_small_random"};
    const char *src = getenv("FK_SOURCE_DIR");
    cr_assert(src);
    int n_random = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/configs/%s.yaml", src, names[i]);
        fk_config c;
        fk_error e = {0};
        cr_assert_eq(fk_config_load(path, &c, &e), FK_OK, "%s: %s", path, e.msg);
        cr_expect_str_eq(c.plugin, "mobilenet_v3");
        cr_expect(strstr(names[i], c.variant), "%s: variant %s", path, c.variant);
        if (!c.random_weights) {
            cr_expect(c.weights_source[0] && strlen(c.weights_sha256) == 64, "%s", path);
            continue;
        }
        c.input.size = 64;
        fk_backbone *b1 = NULL, *b2 = NULL;
        cr_assert_eq(fk_backbone_open(&c, NULL, 0, &b1, &e), FK_OK, "%s: %s", path, e.msg);
        cr_assert_eq(fk_backbone_open(&c, NULL, 0, &b2, &e), FK_OK, "%s: %s", path, e.msg);
        fk_array in = fk_test_load_npy("inputs.npy");
        int d = fk_backbone_output_dim(b1, 0);
        float *o1 = malloc(2 * (size_t)d * sizeof(float)), *o2 = malloc(2 * (size_t)d * sizeof(float));
        cr_assert_eq(fk_backbone_extract(b1, in.data, 2, &o1, &e), FK_OK, "%s: %s", path, e.msg);
        cr_assert_eq(fk_backbone_extract(b2, in.data, 2, &o2, &e), FK_OK, "%s: %s", path, e.msg);
        double scale = 0;
        for (int j = 0; j < 2 * d; j++) {
            cr_assert(isfinite(o1[j]));
            scale = fmax(scale, fabs(o1[j]));
        }
        cr_expect(scale > 1e-3 && scale < 1e4, "%s: features of scale %g", path, scale);
        cr_expect(memcmp(o1, o2, 2 * (size_t)d * sizeof(float)) == 0, "%s: not reproducible", path);
        free(o1), free(o2);
        fk_array_free(&in);
        fk_backbone_close(b1);
        fk_backbone_close(b2);
        n_random++;
    }
    cr_expect_eq(n_random, 2);
}

/* The other memory format than the default gives the same features. */
Test(mobilenet, large_channels_last_true)
{
    memory_format_option = "true";
    check_config("large.yaml", "large", N_ALL, all_outputs);
}

/* Internal passes of 3 images (the 4 + 2 images of the two calls then take
 * 3 + 1 and 2) give the same features. */
Test(mobilenet, large_sub_batches_of_three)
{
    sub_batch_option = "3";
    check_config("large.yaml", "large", N_ALL, all_outputs);
}
