/* ctest-label: torch */
/* The resnet plugin against tests/ref/resnet.py: torchvision's ResNet-18 and
 * ResNet-50 with seeded random weights, opened through the registry from the
 * YAML configs the reference writes (zip and legacy torch.save files),
 * every output compared with the eager NCHW model; the Fréchet distance of
 * two image sets' features against scipy's sqrtm route; the tag that keeps
 * resnet statistics from being compared with Inception ones; the shipped
 * configs. Tolerance: max |a - ref| <= 1e-4 * max |ref| per output (float32
 * with folded batch norms and channels-last convolutions), FD within 1e-4
 * relative. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/config.h"
#include "fidkit/frechet.h"
#include "fidkit/moments.h"
#include "fidkit/registry.h"
#include "fidkit/stats.h"
#include "fk_test.h"

#define REL_TOL 1e-4

static const char *const all_outputs[] = {"pool", "layer1", "layer2", "layer3", "logits"};
enum { N_ALL = 5 };

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

/* Max |a - ref| / max |ref| over one output. */
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

/* Runs the backbone on inputs.npy in two calls (batch, then the rest) and
 * compares every requested output with ARCH_OUTPUT.npy. */
static void check_config(const char *yaml, const char *arch, int n_out, const char *const *outs)
{
    fk_backbone *b = open_config(fk_test_fixture(yaml), outs, n_out);
    fk_array in = fk_test_load_npy("inputs.npy");
    cr_assert_eq(in.ndim, 4);
    int n = (int)in.shape[0];
    size_t per = (size_t)(in.shape[1] * in.shape[2] * in.shape[3]);
    float *out[N_ALL];
    for (int k = 0; k < n_out; k++)
        out[k] = malloc((size_t)n * fk_backbone_output_dim(b, k) * sizeof(float));
    int first = n / 2;
    fk_error e = {0};
    cr_assert_eq(fk_backbone_extract(b, in.data, first, out, &e), FK_OK, "%s: %s", yaml, e.msg);
    float *rest[N_ALL];
    for (int k = 0; k < n_out; k++)
        rest[k] = out[k] + (size_t)first * fk_backbone_output_dim(b, k);
    cr_assert_eq(fk_backbone_extract(b, (float *)in.data + first * per, n - first, rest, &e), FK_OK,
                 "%s: %s", yaml, e.msg);
    for (int k = 0; k < n_out; k++) {
        char name[128];
        snprintf(name, sizeof name, "%s_%s.npy", arch, outs[k]);
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

Test(resnet, resnet18_zip_all_outputs) { check_config("resnet18.yaml", "resnet18", N_ALL, all_outputs); }
Test(resnet, resnet18_legacy_pool)
{
    check_config("resnet18_legacy.yaml", "resnet18", 1, all_outputs);
}
Test(resnet, resnet50_zip_all_outputs) { check_config("resnet50.yaml", "resnet50", N_ALL, all_outputs); }
Test(resnet, resnet50_logits_and_layer2_only)
{
    const char *const outs[] = {"logits", "layer2"};
    check_config("resnet50.yaml", "resnet50", 2, outs);
}

static void moments_of(fk_backbone *b, const char *npy, double *mu, double *sigma, int d)
{
    fk_array x = fk_test_load_npy(npy);
    int n = (int)x.shape[0];
    size_t per = (size_t)(x.shape[1] * x.shape[2] * x.shape[3]);
    float *rows = malloc((size_t)n * d * sizeof(float));
    fk_error e = {0};
    for (int s = 0; s < n; s += 128) {
        int m = n - s < 128 ? n - s : 128;
        float *dst[1] = {rows + (size_t)s * d};
        cr_assert_eq(fk_backbone_extract(b, (float *)x.data + s * per, m, dst, &e), FK_OK, "%s", e.msg);
    }
    fk_moments mo;
    cr_assert_eq(fk_moments_init(&mo, d, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_moments_add(&mo, rows, n, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_moments_result(&mo, mu, sigma, &e), FK_OK, "%s", e.msg);
    fk_moments_free(&mo);
    free(rows);
    fk_array_free(&x);
}

Test(resnet, frechet_distance_matches_scipy)
{
    fk_backbone *b = open_config(fk_test_fixture("fd.yaml"), NULL, 0);
    int d = fk_backbone_output_dim(b, 0);
    cr_assert_eq(d, 512);
    double *mu1 = malloc(d * sizeof(double)), *mu2 = malloc(d * sizeof(double));
    double *s1 = malloc((size_t)d * d * sizeof(double)), *s2 = malloc((size_t)d * d * sizeof(double));
    moments_of(b, "fd_a.npy", mu1, s1, d);
    moments_of(b, "fd_b.npy", mu2, s2, d);
    fk_fd_options opt = fk_fd_default_options();
    fk_fd_result r;
    fk_error e = {0};
    cr_assert_eq(fk_frechet(d, mu1, s1, mu2, s2, &opt, &r, &e), FK_OK, "%s", e.msg);
    fk_array ref = fk_test_load_npy("fd_ref.npy");
    double want = ((double *)ref.data)[0];
    cr_assert(want > 0);
    double rel = fabs(r.fd - want) / want;
    cr_log_info("resnet18 FD %.10g, scipy %.10g, relative difference %.3g", r.fd, want, rel);
    cr_expect(rel <= REL_TOL, "FD %.10g vs scipy %.10g: relative difference %.3g", r.fd, want, rel);
    fk_array_free(&ref);
    free(mu1), free(mu2), free(s1), free(s2);
    fk_backbone_close(b);
}

Test(resnet, tag_names_depth_layer_and_weights)
{
    const char *const outs[] = {"pool", "layer3"};
    fk_backbone *b = open_config(fk_test_fixture("resnet50.yaml"), outs, 2);
    fk_tag t;
    fk_backbone_tag(b, 1, &t);
    cr_expect_str_eq(t.backbone, "resnet");
    cr_expect_str_eq(t.variant, "resnet50");
    cr_expect_str_eq(t.layer, "layer3");
    cr_expect_eq(t.input_size, 64);
    cr_expect_str_eq(t.weights, fk_backbone_config(b)->weights_sha256);
    cr_expect_eq(fk_backbone_output_dim(b, 0), 2048);
    cr_expect_eq(fk_backbone_output_dim(b, 1), 1024);
    fk_backbone_close(b);
}

/* Statistics measured with resnet50 are refused by `fidkit fd` (exit 3)
 * against statistics of the same dimension tagged as the FID Inception's
 * (the tag its shipped config gives), and compare with themselves. */
Test(resnet, cli_refuses_resnet_against_inception)
{
    const char *dir = fk_test_tmpdir();
    char out[8192], images[4096], config[4096], path[4200];
    /* fk_test_fixture returns a static buffer: copy before the next call. */
    snprintf(images, sizeof images, "%s", fk_test_fixture("images_u8.npy"));
    snprintf(config, sizeof config, "%s", fk_test_fixture("resnet50.yaml"));
    int rc = fk_test_run_cli(out, sizeof out, "stats '%s' -o '%s/r50.npz' --backbone '%s' --quiet", images,
                         dir, config);
    cr_assert_eq(rc, 0, "fidkit stats (resnet50): %s", out);

    const char *src = getenv("FK_SOURCE_DIR");
    cr_assert(src);
    snprintf(path, sizeof path, "%s/configs/inception_v3_fid.yaml", src);
    fk_config c;
    fk_error e = {0};
    cr_assert_eq(fk_config_load(path, &c, &e), FK_OK, "%s: %s", path, e.msg);
    fk_stats s;
    memset(&s, 0, sizeof s);
    s.d = 2048;
    s.n = 4;
    s.mu = calloc(2048, sizeof(double));
    s.sigma = calloc((size_t)2048 * 2048, sizeof(double));
    for (int i = 0; i < 2048; i++)
        s.sigma[(size_t)i * 2048 + i] = 1.0;
    s.has_tag = 1;
    fk_config_tag(&c, c.weights_sha256, &s.tag);
    snprintf(path, sizeof path, "%s/inc.npz", dir);
    cr_assert_eq(fk_stats_write(path, &s, NULL, &e), FK_OK, "%s: %s", path, e.msg);
    free(s.mu);
    free(s.sigma);

    rc = fk_test_run_cli(out, sizeof out, "fd '%s/r50.npz' '%s/inc.npz'", dir, dir);
    cr_expect_eq(rc, 3, "fidkit fd resnet50 vs inception: exit %d, expected 3: %s", rc, out);
    cr_expect(strstr(out, "resnet/resnet50") && strstr(out, "inception_v3/fid"), "message names both: %s",
              out);
    rc = fk_test_run_cli(out, sizeof out, "fd '%s/r50.npz' '%s/r50.npz'", dir, dir);
    cr_expect_eq(rc, 0, "fidkit fd resnet50 vs itself: exit %d: %s", rc, out);
}

Test(resnet, wrong_depth_for_the_weights_names_the_tensor)
{
    fk_config c;
    fk_error e = {0};
    cr_assert_eq(fk_config_load(fk_test_fixture("resnet18.yaml"), &c, &e), FK_OK, "%s", e.msg);
    snprintf(c.variant, sizeof c.variant, "resnet50");
    fk_backbone *b = NULL;
    fk_status st = fk_backbone_open(&c, NULL, 0, &b, &e);
    cr_assert_eq(st, FK_ERR_FORMAT, "status %d: %s", st, e.msg);
    cr_expect(strstr(e.msg, "layer1.0.conv1.weight") && strstr(e.msg, "resnet18.pth"), "%s", e.msg);
}

/* Every shipped resnet config loads, names a known variant and, for the
 * random ones, gives finite, reproducible features. */
Test(resnet, shipped_configs)
{
    static const char *const names[] = {"resnet18", "resnet34", "resnet50", "resnet50_v2",
                                        "resnet101", "resnet152", "resnet18_random",
                                        "resnet50_random"};
    const char *src = getenv("FK_SOURCE_DIR");
    cr_assert(src);
    int n_random = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/configs/%s.yaml", src, names[i]);
        fk_config c;
        fk_error e = {0};
        cr_assert_eq(fk_config_load(path, &c, &e), FK_OK, "%s: %s", path, e.msg);
        cr_expect_str_eq(c.plugin, "resnet");
        cr_expect(strncmp(c.variant, names[i], strlen(c.variant)) == 0, "%s: variant %s", path, c.variant);
        if (!c.random_weights) {
            cr_expect(c.weights_source[0], "%s has no weights source", path);
            continue;
        }
        c.input.size = 64; /* keep the test fast: the net is convolutional */
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
    cr_expect(n_random >= 2);
}

/* The other memory format than the default gives the same features. */
Test(resnet, resnet50_channels_last_false)
{
    memory_format_option = "false";
    check_config("resnet50.yaml", "resnet50", N_ALL, all_outputs);
}

/* Internal passes of 2 images (the 3 + 3 images of each call then take two
 * passes, the last one partial) give the same features. */
Test(resnet, resnet50_sub_batches_of_two)
{
    sub_batch_option = "2";
    check_config("resnet50.yaml", "resnet50", N_ALL, all_outputs);
}
