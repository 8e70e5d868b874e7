/* Perturbations against tests/ref/perturb.py (scipy.ndimage, skimage, PIL
 * and the documented random draws rewritten in Python), plus determinism,
 * argument checks, contamination plans and the loader hook.
 *
 * Tolerance: level 0 and the integer paths (jpeg, downscale_upscale,
 * salt_and_pepper, black_rectangles) must be identical. The float paths
 * (gaussian_noise, gaussian_blur, swirl) may differ by 1 grey level where
 * the value sits on a rounding tie and a last-bit difference between numpy's
 * and the C library's exp() tips it: at most 1 level, on at most 0.1 % of
 * the values compared (over all float cases). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/loader.h"
#include "fidkit/npz.h"
#include "fidkit/perturb.h"
#include "fk_test.h"

static fk_image load_image(const char *name)
{
    char file[256];
    snprintf(file, sizeof file, "img_%s.npy", name);
    fk_array a = fk_test_load_npy(file);
    cr_assert(a.dtype == FK_U8 && a.ndim == 3 && a.shape[2] == 3, "%s: not (H, W, 3) uint8", file);
    fk_image im = {(int)a.shape[1], (int)a.shape[0], a.data};
    return im;
}

static fk_image copy_image(const fk_image *src)
{
    size_t n = (size_t)src->w * src->h * 3;
    fk_image im = {src->w, src->h, malloc(n)};
    cr_assert(im.rgb);
    memcpy(im.rgb, src->rgb, n);
    return im;
}

static int is_exact_kind(fk_perturb_kind k)
{
    return k == FK_PERTURB_JPEG || k == FK_PERTURB_DOWNSCALE_UPSCALE ||
           k == FK_PERTURB_SALT_AND_PEPPER || k == FK_PERTURB_BLACK_RECTANGLES;
}

Test(perturb, matches_reference)
{
    fk_array expected = fk_test_load_npy("expected.npy");
    cr_assert_eq(expected.dtype, FK_U8);
    const uint8_t *ref = expected.data;
    FILE *f = fopen(fk_test_fixture("cases.txt"), "r");
    cr_assert(f, "cases.txt missing");
    const char *names[] = {"odd", "wide", "tiny"};
    fk_image inputs[3];
    for (int i = 0; i < 3; i++)
        inputs[i] = load_image(names[i]);

    char kind_name[64], img[32];
    double level;
    unsigned long long seed;
    long long index, offset;
    int cases = 0, float_cases = 0;
    long long float_values = 0, float_off = 0, exact_values = 0;
    int float_worst = 0;
    int per_kind_off[16] = {0};
    while (fscanf(f, "%63s %lf %llu %lld %31s %lld", kind_name, &level, &seed, &index, img,
                  &offset) == 6) {
        fk_perturbation p = {FK_PERTURB_NONE, level, seed};
        fk_error e;
        cr_assert_eq(fk_perturb_parse(kind_name, &p.kind, &e), FK_OK, "%s", e.msg);
        int which = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(img, names[i]) == 0)
                which = i;
        cr_assert(which >= 0, "unknown image %s", img);
        fk_image im = copy_image(&inputs[which]);
        cr_assert_eq(fk_perturb_apply(&p, index, &im, &e), FK_OK, "%s: %s", kind_name, e.msg);
        cr_assert(im.w == inputs[which].w && im.h == inputs[which].h, "%s changed the size",
                  kind_name);
        const size_t n = (size_t)im.w * im.h * 3;
        cr_assert((size_t)offset + n <= (size_t)fk_array_count(&expected));
        const uint8_t *want = ref + offset;
        int worst = 0, off = 0;
        for (size_t j = 0; j < n; j++) {
            int d = abs((int)im.rgb[j] - (int)want[j]);
            if (d > worst)
                worst = d;
            off += d != 0;
        }
        if (level == 0.0 || is_exact_kind(p.kind)) {
            cr_assert_eq(off, 0,
                         "%s level %g seed %llu index %lld on %s: %d values differ (max %d), "
                         "expected identical",
                         kind_name, level, seed, index, img, off, worst);
            exact_values += (long long)n;
        } else {
            cr_assert_leq(worst, 1, "%s level %g seed %llu index %lld on %s: max diff %d",
                          kind_name, level, seed, index, img, worst);
            float_cases++;
            float_values += (long long)n;
            float_off += off;
            per_kind_off[p.kind] += off;
            if (worst > float_worst)
                float_worst = worst;
        }
        fk_image_free(&im);
        cases++;
    }
    fclose(f);
    cr_assert_gt(cases, 100, "only %d reference cases read", cases);
    cr_assert_gt(float_values, 0);
    cr_log_info("perturb: %d cases; exact paths: %lld values identical; float paths: %d cases, "
                "%lld values, %lld off by 1 (noise %d, blur %d, swirl %d), max diff %d",
                cases, exact_values, float_cases, float_values, float_off,
                per_kind_off[FK_PERTURB_GAUSSIAN_NOISE], per_kind_off[FK_PERTURB_GAUSSIAN_BLUR],
                per_kind_off[FK_PERTURB_SWIRL], float_worst);
    cr_assert_leq(float_off * 1000, float_values,
                  "%lld of %lld float-path values differ by 1: more than 0.1 %%", float_off,
                  float_values);
    for (int i = 0; i < 3; i++)
        free(inputs[i].rgb);
    fk_array_free(&expected);
}

static int same_bytes(const fk_image *a, const fk_image *b)
{
    return a->w == b->w && a->h == b->h && memcmp(a->rgb, b->rgb, (size_t)a->w * a->h * 3) == 0;
}

Test(perturb, deterministic_per_seed_and_index)
{
    fk_image src = load_image("wide");
    const fk_perturb_kind random_kinds[] = {FK_PERTURB_GAUSSIAN_NOISE, FK_PERTURB_SALT_AND_PEPPER,
                                            FK_PERTURB_BLACK_RECTANGLES};
    for (int k = 0; k < 3; k++) {
        fk_perturbation p = {random_kinds[k], 0.3, 42};
        fk_error e;
        fk_image a = copy_image(&src), b = copy_image(&src), c = copy_image(&src),
                 d = copy_image(&src);
        cr_assert_eq(fk_perturb_apply(&p, 5, &a, &e), FK_OK, "%s", e.msg);
        cr_assert_eq(fk_perturb_apply(&p, 5, &b, &e), FK_OK, "%s", e.msg);
        cr_assert_eq(fk_perturb_apply(&p, 6, &c, &e), FK_OK, "%s", e.msg);
        fk_perturbation q = p;
        q.seed = 43;
        cr_assert_eq(fk_perturb_apply(&q, 5, &d, &e), FK_OK, "%s", e.msg);
        const char *nm = fk_perturb_name(p.kind);
        cr_assert(same_bytes(&a, &b), "%s: same (seed, index) gave different bytes", nm);
        cr_assert(!same_bytes(&a, &c), "%s: index 5 and 6 gave the same bytes", nm);
        cr_assert(!same_bytes(&a, &d), "%s: seed 42 and 43 gave the same bytes", nm);
        cr_assert(!same_bytes(&a, &src), "%s at level 0.3 changed nothing", nm);
        fk_image_free(&a);
        fk_image_free(&b);
        fk_image_free(&c);
        fk_image_free(&d);
    }
    free(src.rgb);
}

Test(perturb, names_and_bad_arguments)
{
    fk_error e;
    for (int k = FK_PERTURB_NONE; k <= FK_PERTURB_DOWNSCALE_UPSCALE; k++) {
        fk_perturb_kind back;
        cr_assert_eq(fk_perturb_parse(fk_perturb_name((fk_perturb_kind)k), &back, &e), FK_OK);
        cr_assert_eq((int)back, k);
    }
    fk_perturb_kind kind;
    cr_assert_eq(fk_perturb_parse("gausian_blur", &kind, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "gausian_blur") && strstr(e.msg, "gaussian_blur"), "%s", e.msg);
    cr_assert_str_eq(fk_perturb_name((fk_perturb_kind)99), "unknown");

    fk_image src = load_image("odd");
    const double bad[] = {NAN, -0.01, 1.5, INFINITY, -INFINITY};
    for (int i = 0; i < 5; i++) {
        fk_perturbation p = {FK_PERTURB_GAUSSIAN_BLUR, bad[i], 0};
        fk_image im = copy_image(&src);
        cr_assert_eq(fk_perturb_apply(&p, 0, &im, &e), FK_ERR_ARG, "level %g accepted", bad[i]);
        cr_assert(strstr(e.msg, "gaussian_blur") && strstr(e.msg, "level"), "%s", e.msg);
        cr_assert(same_bytes(&im, &src), "a refused perturbation changed the image");
        cr_assert_eq(fk_perturb_hook(&p, 0, &im, &e), FK_ERR_ARG);
        fk_image_free(&im);
    }
    fk_perturbation p = {FK_PERTURB_CONTAMINATION, 0.5, 0};
    fk_image im = copy_image(&src);
    cr_assert_eq(fk_perturb_apply(&p, 0, &im, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "fk_contamination_plan"), "%s", e.msg);
    p.kind = FK_PERTURB_SWIRL;
    cr_assert_eq(fk_perturb_apply(&p, -1, &im, &e), FK_ERR_ARG);
    p.kind = (fk_perturb_kind)42;
    cr_assert_eq(fk_perturb_apply(&p, 0, &im, &e), FK_ERR_ARG);
    fk_image empty = {0};
    p.kind = FK_PERTURB_JPEG;
    cr_assert_eq(fk_perturb_apply(&p, 0, &empty, &e), FK_ERR_ARG);
    /* NULL error buffers are allowed. */
    p.level = NAN;
    cr_assert_eq(fk_perturb_apply(&p, 0, &im, NULL), FK_ERR_ARG);
    fk_image_free(&im);
    free(src.rgb);

    char buf[160];
    fk_perturbation b = {FK_PERTURB_GAUSSIAN_BLUR, 0.5, 0};
    cr_assert(strstr(fk_perturb_describe(&b, 64, 48, buf, sizeof buf), "sigma=2"), "%s", buf);
    cr_assert_eq(fk_perturb_jpeg_quality(0.0), 100);
    cr_assert_eq(fk_perturb_jpeg_quality(1.0), 1);
    int dw, dh;
    fk_perturb_downscale_size(1.0, 64, 48, &dw, &dh);
    cr_assert(dw == 8 && dh == 6, "%dx%d", dw, dh);
}

Test(perturb, contamination_plans_match_reference)
{
    fk_array want = fk_test_load_npy("contamination.npy");
    cr_assert_eq(want.dtype, FK_I64);
    const int64_t *ref = want.data;
    FILE *f = fopen(fk_test_fixture("contamination.txt"), "r");
    cr_assert(f);
    unsigned long long seed;
    double level;
    long long n, n_other, off;
    int plans = 0;
    while (fscanf(f, "%llu %lf %lld %lld %lld", &seed, &level, &n, &n_other, &off) == 5) {
        int64_t *src = malloc((size_t)n * sizeof *src);
        fk_error e;
        cr_assert_eq(fk_contamination_plan(seed, level, n, n_other, src, &e), FK_OK, "%s",
                     e.msg);
        int64_t replaced = 0;
        for (int64_t i = 0; i < n; i++) {
            cr_assert_eq(src[i], ref[off + i], "plan (seed %llu, level %g, %lld of %lld): item "
                         "%lld is %lld, reference %lld",
                         seed, level, n, n_other, (long long)i, (long long)src[i],
                         (long long)ref[off + i]);
            replaced += src[i] >= 0;
        }
        cr_assert_eq(replaced, (int64_t)floor(level * n + 0.5));
        free(src);
        plans++;
    }
    fclose(f);
    cr_assert_gt(plans, 3);
    int64_t s[4];
    fk_error e;
    cr_assert_eq(fk_contamination_plan(0, NAN, 4, 4, s, &e), FK_ERR_ARG);
    cr_assert_eq(fk_contamination_plan(0, 0.5, 4, 0, s, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "empty"), "%s", e.msg);
    fk_array_free(&want);
}

Test(perturb, contamination_hook_loads_other_items)
{
    fk_dataset *other = NULL;
    fk_error e;
    char path[4096];
    snprintf(path, sizeof path, "%s", fk_test_fixture("other.npy"));
    cr_assert_eq(fk_dataset_open(path, NULL, &other, &e), FK_OK, "%s", e.msg);
    const int64_t n = 8;
    int64_t src[8];
    cr_assert_eq(fk_contamination_plan(11, 0.5, n, fk_dataset_size(other), src, &e), FK_OK);
    fk_contamination c = {src, n, other};
    fk_image base = load_image("tiny");
    int replaced = 0;
    for (int64_t i = 0; i < n; i++) {
        fk_image im = copy_image(&base);
        cr_assert_eq(fk_contamination_hook(&c, i, &im, &e), FK_OK, "%s", e.msg);
        if (src[i] < 0) {
            cr_assert(same_bytes(&im, &base), "item %lld should be kept", (long long)i);
        } else {
            fk_image want;
            cr_assert_eq(fk_dataset_load(other, src[i], &want, &e), FK_OK, "%s", e.msg);
            cr_assert(same_bytes(&im, &want), "item %lld is not other item %lld", (long long)i,
                      (long long)src[i]);
            fk_image_free(&want);
            replaced++;
        }
        fk_image_free(&im);
    }
    cr_assert_eq(replaced, 4);
    fk_image im = copy_image(&base);
    cr_assert_eq(fk_contamination_hook(&c, n, &im, &e), FK_ERR_ARG);
    fk_image_free(&im);
    free(base.rgb);
    fk_dataset_close(other);
}

/* Through the loader on two threads, every row equals the single-image
 * perturbation of its dataset index: no dependence on thread timing. */
Test(perturb, loader_hook_matches_single_image_path)
{
    fk_dataset *ds = NULL;
    fk_error e;
    char path[4096];
    snprintf(path, sizeof path, "%s", fk_test_fixture("loader.npy"));
    cr_assert_eq(fk_dataset_open(path, NULL, &ds, &e), FK_OK, "%s", e.msg);
    const int size = 16;
    fk_preprocess pp = {size, FK_RESIZE_NONE, 0, 1.0f, {0, 0, 0}, {1, 1, 1}};
    const fk_perturb_kind kinds[] = {FK_PERTURB_GAUSSIAN_NOISE, FK_PERTURB_SWIRL,
                                     FK_PERTURB_JPEG};
    for (int k = 0; k < 3; k++) {
        fk_perturbation p = {kinds[k], 0.6, 77};
        fk_loader_options o = fk_loader_default_options();
        o.batch_size = 4;
        o.threads = 2;
        o.hook = fk_perturb_hook;
        o.hook_user = &p;
        fk_loader *l;
        cr_assert_eq(fk_loader_open(ds, &pp, &o, &l, &e), FK_OK, "%s", e.msg);
        int64_t rows = 0;
        for (;;) {
            fk_batch b;
            cr_assert_eq(fk_loader_next(l, &b, &e), FK_OK, "%s", e.msg);
            if (b.n == 0)
                break;
            for (int r = 0; r < b.n; r++) {
                fk_image im;
                cr_assert_eq(fk_dataset_load(ds, b.index[r], &im, &e), FK_OK, "%s", e.msg);
                cr_assert_eq(fk_perturb_apply(&p, b.index[r], &im, &e), FK_OK, "%s", e.msg);
                const float *chw = b.data + (size_t)r * 3 * size * size;
                for (int c = 0; c < 3; c++)
                    for (int j = 0; j < size * size; j++)
                        cr_assert_eq(chw[c * size * size + j], (float)im.rgb[3 * j + c],
                                     "%s: row of item %lld differs from fk_perturb_apply",
                                     fk_perturb_name(p.kind), (long long)b.index[r]);
                fk_image_free(&im);
                rows++;
            }
        }
        fk_loader_close(l);
        cr_assert_eq(rows, fk_dataset_size(ds));
    }
    fk_dataset_close(ds);
}
