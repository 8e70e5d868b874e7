/* ctest-label: torch */
/* The dinov2 plugin against tests/ref/dinov2.py (DINOv2's architecture in
 * torch.nn, seeded weights in the official key layout saved with
 * torch.save, features in float64): ViT-S/14 and B/14 with and without
 * registers, and g/14's architecture at depth 2; L/14 and g/14 too with
 * FIDKIT_SLOW_TESTS=1.
 *
 * Tolerances: features max |a - ref| <= 1e-4 * max |ref| per matrix (cls,
 * patch_mean and cls_patch); FD of the cls features (first half of the
 * images against the second) |a - ref| <= 1e-6 |ref|. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/config.h"
#include "fidkit/frechet.h"
#include "fidkit/registry.h"
#include "fk_test.h"

#define REL 1e-4
#define FD_REL 1e-6

static void max_rel(const float *a, int stride, const double *ref, int64_t n, int d, const char *what)
{
    double md = 0, mr = 0;
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            double v = a[i * stride + j], r = ref[i * d + j];
            cr_assert(isfinite(v), "%s: value %lld not finite", what, (long long)i);
            md = fmax(md, fabs(v - r));
            mr = fmax(mr, fabs(r));
        }
    cr_assert(n > 0 && mr > 0, "%s: nothing compared", what);
    cr_log_info("%s: max |diff| %.3g, max |ref| %.3g (rel %.3g)", what, md, mr, md / mr);
    cr_assert(md <= REL * mr, "%s: max |diff| %.3g > %.1g * max |ref| %.3g", what, md, REL, mr);
}

static double fd_of(const float *rows, int n, int d)
{
    int h = n / 2;
    double *mu[2], *b[2];
    for (int s = 0; s < 2; s++) {
        mu[s] = calloc((size_t)d, sizeof(double));
        b[s] = malloc((size_t)h * d * sizeof(double));
        for (int i = 0; i < h; i++)
            for (int j = 0; j < d; j++)
                mu[s][j] += rows[(size_t)(s * h + i) * d + j] / (double)h;
        for (int i = 0; i < h; i++)
            for (int j = 0; j < d; j++)
                b[s][(size_t)i * d + j] =
                    (rows[(size_t)(s * h + i) * d + j] - mu[s][j]) / sqrt(h - 1.0);
    }
    fk_fd_result r;
    fk_error e = {0};
    cr_assert(fk_frechet_factors(d, mu[0], b[0], h, mu[1], b[1], h, &r, &e) == FK_OK, "%s", e.msg);
    for (int s = 0; s < 2; s++) {
        free(mu[s]);
        free(b[s]);
    }
    return r.fd;
}

static void check_variant(const char *v)
{
    char name[128];
    snprintf(name, sizeof name, "%s.yaml", v);
    fk_config c;
    fk_error e = {0};
    cr_assert(fk_config_load(fk_test_fixture(name), &c, &e) == FK_OK, "%s", e.msg);
    const char *outs[3] = {"cls", "patch_mean", "cls_patch"};
    fk_backbone *b = NULL;
    cr_assert(fk_backbone_open(&c, outs, 3, &b, &e) == FK_OK, "%s: %s", v, e.msg);
    snprintf(name, sizeof name, "%s_cls.npy", v);
    fk_array cls = fk_test_load_npy(name);
    snprintf(name, sizeof name, "%s_patch_mean.npy", v);
    fk_array pm = fk_test_load_npy(name);
    snprintf(name, sizeof name, "%s_fd.npy", v);
    fk_array fd = fk_test_load_npy(name);
    fk_array x = fk_test_load_npy("inputs.npy");
    int n = (int)cls.shape[0], d = (int)cls.shape[1];
    cr_assert(fk_backbone_output_dim(b, 0) == d && fk_backbone_output_dim(b, 2) == 2 * d);
    float *o[3];
    for (int i = 0; i < 3; i++)
        o[i] = malloc((size_t)n * (i == 2 ? 2 : 1) * d * sizeof(float));
    cr_assert(fk_backbone_extract(b, x.data, n, o, &e) == FK_OK, "%s: %s", v, e.msg);
    char what[160];
    snprintf(what, sizeof what, "%s cls", v);
    max_rel(o[0], d, cls.data, n, d, what);
    snprintf(what, sizeof what, "%s patch_mean", v);
    max_rel(o[1], d, pm.data, n, d, what);
    snprintf(what, sizeof what, "%s cls_patch (cls half)", v);
    max_rel(o[2], 2 * d, cls.data, n, d, what);
    snprintf(what, sizeof what, "%s cls_patch (patch half)", v);
    max_rel(o[2] + d, 2 * d, pm.data, n, d, what);
    double got = fd_of(o[0], n, d), ref = ((const double *)fd.data)[0];
    cr_log_info("%s FD %.10g, reference %.10g (rel %.3g)", v, got, ref, fabs(got - ref) / ref);
    cr_assert(fabs(got - ref) <= FD_REL * fabs(ref), "%s: FD %.10g, reference %.10g (rel %.3g)", v, got,
              ref, fabs(got - ref) / fabs(ref));
    fk_tag t;
    char ts[FK_TAG_STR_MAX];
    fk_backbone_tag(b, 0, &t);
    fk_tag_str(&t, 0, ts, sizeof ts);
    snprintf(what, sizeof what, "dinov2/%s:cls@", v);
    cr_assert(strstr(ts, what) && strstr(ts, "/224/pil_bicubic"), "%s", ts);
    char label[64];
    cr_assert_str_eq(fk_tag_fd_label(&t, label, sizeof label), "FD_DINOv2");
    for (int i = 0; i < 3; i++)
        free(o[i]);
    fk_backbone_close(b);
    fk_array_free(&cls);
    fk_array_free(&pm);
    fk_array_free(&fd);
    fk_array_free(&x);
}

Test(dinov2, vits14) { check_variant("vits14"); }
Test(dinov2, vits14_reg4) { check_variant("vits14_reg4"); }
Test(dinov2, vitb14) { check_variant("vitb14"); }
Test(dinov2, vitb14_reg4) { check_variant("vitb14_reg4"); }
/* g/14's width, 24 heads and SwiGLU FFN (w12, w3, hidden 4096), 2 blocks */
Test(dinov2, vitg14_depth2_test) { check_variant("vitg14_depth2_test"); }

static void slow(const char *v)
{
    const char *s = getenv("FIDKIT_SLOW_TESTS");
    if (!s || strcmp(s, "1"))
        cr_skip_test("L/14 and g/14 run with FIDKIT_SLOW_TESTS=1 only");
    check_variant(v);
}

Test(dinov2, vitl14_slow) { slow("vitl14"); }
Test(dinov2, vitl14_reg4_slow) { slow("vitl14_reg4"); }
Test(dinov2, vitg14_slow) { slow("vitg14"); }
Test(dinov2, vitg14_reg4_slow) { slow("vitg14_reg4"); }

/* Refusals that name the problem: a file of the other register kind, an
 * input side that is not a multiple of the patch. */
Test(dinov2, refuses_wrong_kind_and_size)
{
    fk_config c;
    fk_error e = {0};
    cr_assert(fk_config_load(fk_test_fixture("vits14.yaml"), &c, &e) == FK_OK, "%s", e.msg);
    snprintf(c.variant, sizeof c.variant, "vits14_reg4");
    const char *outs[1] = {"cls"};
    fk_backbone *b = NULL;
    cr_assert(fk_backbone_open(&c, outs, 1, &b, &e) != FK_OK);
    cr_assert(strstr(e.msg, "register_tokens"), "%s", e.msg);
    cr_assert(fk_config_load(fk_test_fixture("vits14.yaml"), &c, &e) == FK_OK, "%s", e.msg);
    c.input.size = 220;
    cr_assert(fk_backbone_open(&c, outs, 1, &b, &e) != FK_OK);
    cr_assert(strstr(e.msg, "multiple of 14"), "%s", e.msg);
}

/* The shipped protocol configs: all load, name the official file and URL,
 * never crop, and the three ViT-L/14 protocols differ in their resize, so
 * their tags differ and their FD_DINOv2 are never compared. */
Test(dinov2, protocol_configs_have_distinct_tags)
{
    static const char *const sizes[] = {"s", "b", "l", "g"};
    const char *src = getenv("FK_SOURCE_DIR");
    cr_assert(src, "FK_SOURCE_DIR is not set: run through ctest");
    char path[4096];
    fk_config c;
    fk_error e = {0};
    for (int i = 0; i < 4; i++)
        for (int r = 0; r < 2; r++) {
            snprintf(path, sizeof path, "%s/configs/dinov2_vit%s14%s_dgm.yaml", src, sizes[i],
                     r ? "_reg" : "");
            cr_assert(fk_config_load(path, &c, &e) == FK_OK, "%s", e.msg);
            char v[64], file[128];
            snprintf(v, sizeof v, "vit%s14%s", sizes[i], r ? "_reg4" : "");
            snprintf(file, sizeof file, "dinov2_%s_pretrain.pth", v);
            cr_assert_str_eq(c.plugin, "dinov2");
            cr_assert_str_eq(c.variant, v);
            cr_assert_str_eq(c.weights_file, file);
            cr_assert(strstr(c.weights_source, "https://dl.fbaipublicfiles.com/dinov2/") &&
                      strstr(c.weights_source, file), "%s", c.weights_source);
            cr_assert(c.input.resize == FK_RESIZE_PIL_BICUBIC && !c.input.center_crop &&
                      c.input.size == 224, "%s", path);
        }
    static const char *const proto[] = {"dgm", "edm2", "torch_fidelity"};
    const fk_resize_mode want[] = {FK_RESIZE_PIL_BICUBIC, FK_RESIZE_TORCH_BICUBIC_AA,
                                   FK_RESIZE_LEGACY_TENSORFLOW};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/configs/dinov2_vitl14_%s.yaml", src, proto[i]);
        cr_assert(fk_config_load(path, &c, &e) == FK_OK, "%s", e.msg);
        cr_assert_str_eq(c.variant, "vitl14");
        cr_assert_eq(c.input.resize, want[i], "%s: resize %s", path, fk_resize_name(c.input.resize));
        cr_assert(!c.input.center_crop);
    }
    snprintf(path, sizeof path, "%s/configs/dinov2_vits14_random.yaml", src);
    cr_assert(fk_config_load(path, &c, &e) == FK_OK, "%s", e.msg);
    cr_assert(c.random_weights && c.random_seed == 0);
}

/* Seeded random weights: the same seed gives the same features, another
 * seed other ones; finite, of the variant's width. */
Test(dinov2, random_weights_are_seeded)
{
    fk_config c;
    fk_error e = {0};
    cr_assert(fk_config_load(fk_test_fixture("vits14.yaml"), &c, &e) == FK_OK, "%s", e.msg);
    c.random_weights = 1;
    c.weights_file[0] = 0;
    c.weights_sha256[0] = 0;
    fk_array x = fk_test_load_npy("inputs.npy");
    const char *outs[1] = {"cls"};
    float a[2][384], b2[2][384];
    for (int k = 0; k < 3; k++) {
        c.random_seed = k == 2 ? 5 : 3;
        fk_backbone *b = NULL;
        cr_assert(fk_backbone_open(&c, outs, 1, &b, &e) == FK_OK, "%s", e.msg);
        float *o[1] = {k == 0 ? a[0] : b2[0]};
        if (k == 2)
            o[0] = a[1];
        cr_assert(fk_backbone_extract(b, x.data, 1, o, &e) == FK_OK, "%s", e.msg);
        fk_backbone_close(b);
    }
    cr_assert(memcmp(a[0], b2[0], sizeof a[0]) == 0, "same seed, different features");
    cr_assert(memcmp(a[0], a[1], sizeof a[0]) != 0, "different seeds, same features");
    for (int j = 0; j < 384; j++)
        cr_assert(isfinite(a[0][j]));
    fk_array_free(&x);
}
