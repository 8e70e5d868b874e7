/* Resize conventions against tests/ref/resize.py (Pillow, torch,
 * torchvision, a NumPy TF1 rule): every output value of every case is
 * compared with |a - b| <= atol (atol per convention, written by the
 * reference: clean 1e-3, legacy_* 1e-4, pil_bicubic 0, torch_bicubic_aa 3e-4). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/resize.h"

typedef struct rcase {
    char name[48];
    int32_t mode, crop, size, w, h, norm;
    float scale, mean[3], std[3], atol;
    uint8_t *img;
    float *exp;
} rcase;

typedef struct rcases {
    rcase *c;
    uint32_t n;
} rcases;

static void must_read(FILE *f, void *p, size_t n, const char *what)
{
    cr_assert_eq(fread(p, 1, n, f), n, "resize_cases.bin: truncated at %s", what);
}

static rcases load_cases(void)
{
    const char *dir = getenv("FK_FIXTURES");
    cr_assert(dir, "FK_FIXTURES is not set: run the tests through ctest");
    char path[4096];
    snprintf(path, sizeof path, "%s/resize_cases.bin", dir);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s (written by tests/ref/resize.py)", path);
    char magic[8];
    rcases r = {0};
    must_read(f, magic, 8, "magic");
    cr_assert(memcmp(magic, "FKRSZ001", 8) == 0, "%s: bad magic", path);
    must_read(f, &r.n, 4, "count");
    cr_assert(r.n > 0 && r.n < 100000, "%s: %u cases", path, r.n);
    r.c = calloc(r.n, sizeof *r.c);
    cr_assert(r.c);
    for (uint32_t i = 0; i < r.n; i++) {
        rcase *c = &r.c[i];
        int32_t hdr[6];
        float fl[8];
        must_read(f, c->name, 48, "name");
        c->name[47] = 0;
        must_read(f, hdr, sizeof hdr, c->name);
        must_read(f, fl, sizeof fl, c->name);
        c->mode = hdr[0];
        c->crop = hdr[1];
        c->size = hdr[2];
        c->w = hdr[3];
        c->h = hdr[4];
        c->norm = hdr[5];
        c->scale = fl[0];
        memcpy(c->mean, fl + 1, sizeof c->mean);
        memcpy(c->std, fl + 4, sizeof c->std);
        c->atol = fl[7];
        cr_assert(c->w > 0 && c->h > 0 && c->size > 0, "%s: bad sizes", c->name);
        size_t ni = (size_t)c->w * c->h * 3, ne = (size_t)3 * c->size * c->size;
        c->img = malloc(ni);
        c->exp = malloc(ne * sizeof(float));
        cr_assert(c->img && c->exp);
        must_read(f, c->img, ni, c->name);
        must_read(f, c->exp, ne * sizeof(float), c->name);
    }
    fclose(f);
    return r;
}

static void free_cases(rcases *r)
{
    for (uint32_t i = 0; i < r->n; i++) {
        free(r->c[i].img);
        free(r->c[i].exp);
    }
    free(r->c);
}

static fk_preprocess settings(const rcase *c)
{
    fk_preprocess p = {.size = c->size, .resize = (fk_resize_mode)c->mode,
                       .center_crop = c->crop, .scale = c->scale};
    memcpy(p.mean, c->mean, sizeof p.mean);
    memcpy(p.std, c->std, sizeof p.std);
    return p;
}

/* Compares every value; returns how many were compared. */
static size_t compare(const rcase *c, const float *got, const char *how)
{
    const size_t n = (size_t)3 * c->size * c->size;
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert(isfinite(got[i]), "%s (%s): value %zu is %g", c->name, how, i, got[i]);
        double d = fabs((double)got[i] - (double)c->exp[i]);
        if (d > worst) {
            worst = d;
            at = i;
        }
    }
    const size_t plane = (size_t)c->size * c->size;
    cr_log_info("%-40s %-16s max |diff| %.3g (atol %.3g)", c->name, how, worst,
                (double)c->atol);
    cr_expect(worst <= c->atol,
              "%s (%s): max |diff| %.3g > atol %.3g at channel %zu row %zu col %zu "
              "(fidkit %.6f, reference %.6f)",
              c->name, how, worst, (double)c->atol, at / plane, at % plane / c->size,
              at % c->size, (double)got[at], (double)c->exp[at]);
    return n;
}

static void run_mode(int mode)
{
    rcases r = load_cases();
    size_t compared = 0, ncases = 0;
    fk_resizer *rz = NULL;
    int rz_size = -1, rz_crop = -1;
    for (uint32_t i = 0; i < r.n; i++) {
        const rcase *c = &r.c[i];
        if (c->mode != mode)
            continue;
        ncases++;
        fk_preprocess p = settings(c);
        fk_image im = {.w = c->w, .h = c->h, .rgb = c->img};
        float *out = malloc((size_t)3 * c->size * c->size * sizeof(float));
        cr_assert(out);
        fk_error e = {0};
        fk_status st = c->norm ? fk_preprocess_image(&im, &p, out, &e)
                               : fk_resize(&im, &p, out, &e);
        cr_assert_eq(st, FK_OK, "%s: %s", c->name, e.msg);
        compared += compare(c, out, "one-shot");

        /* The same through a resizer kept across cases: plans are rebuilt
         * when the input size changes and must give the same values. */
        if (!c->norm) {
            if (!rz || rz_size != c->size || rz_crop != c->crop) {
                fk_resizer_free(rz);
                cr_assert_eq(fk_resizer_new(&p, &rz, &e), FK_OK, "%s", e.msg);
                rz_size = c->size;
                rz_crop = c->crop;
            }
            for (int rep = 0; rep < 2; rep++) {
                memset(out, 0xff, (size_t)3 * c->size * c->size * sizeof(float));
                st = fk_resizer_resize(rz, &im, out, &e);
                cr_assert_eq(st, FK_OK, "%s: %s", c->name, e.msg);
                compared += compare(c, out, rep ? "resizer, reused" : "resizer");
            }
        }
        free(out);
    }
    fk_resizer_free(rz);
    free_cases(&r);
    cr_assert_gt(ncases, 0, "no %s cases in the reference file", fk_resize_name(mode));
    cr_assert_gt(compared, 0);
}

Test(resize, clean_matches_pil_float) { run_mode(FK_RESIZE_CLEAN); }
Test(resize, pil_bicubic_matches_pil_uint8) { run_mode(FK_RESIZE_PIL_BICUBIC); }
Test(resize, legacy_pytorch_matches_torch) { run_mode(FK_RESIZE_LEGACY_PYTORCH); }
Test(resize, legacy_tensorflow_matches_tf1_rule) { run_mode(FK_RESIZE_LEGACY_TENSORFLOW); }
Test(resize, torch_bicubic_aa_matches_torch) { run_mode(FK_RESIZE_TORCH_BICUBIC_AA); }

Test(resize, names_round_trip)
{
    const fk_resize_mode all[] = {FK_RESIZE_CLEAN, FK_RESIZE_LEGACY_PYTORCH,
                                  FK_RESIZE_LEGACY_TENSORFLOW, FK_RESIZE_PIL_BICUBIC,
                                  FK_RESIZE_NONE, FK_RESIZE_TORCH_BICUBIC_AA};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        fk_resize_mode m = (fk_resize_mode)-1;
        fk_error e;
        cr_assert_eq(fk_resize_parse(fk_resize_name(all[i]), &m, &e), FK_OK, "%s", e.msg);
        cr_assert_eq(m, all[i]);
    }
    fk_error e;
    cr_assert_eq(fk_resize_parse("bicubic", NULL, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "'bicubic'"), "message should name the input: %s", e.msg);
    cr_assert_str_eq(fk_resize_name((fk_resize_mode)42), "unknown");
}

Test(resize, none_copies_or_names_both_sizes)
{
    enum { S = 5 };
    uint8_t px[S * S * 3];
    for (int i = 0; i < S * S * 3; i++)
        px[i] = (uint8_t)(i * 37 + 11);
    fk_image im = {.w = S, .h = S, .rgb = px};
    fk_preprocess p = {.size = S, .resize = FK_RESIZE_NONE, .scale = 1,
                       .std = {1, 1, 1}};
    float out[3 * S * S];
    fk_error e;
    cr_assert_eq(fk_resize(&im, &p, out, &e), FK_OK, "%s", e.msg);
    size_t n = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < S * S; i++, n++)
            cr_assert_eq(out[c * S * S + i], (float)px[3 * i + c]);
    cr_assert_gt(n, 0);

    fk_image wide = {.w = 7, .h = 3, .rgb = px};
    cr_assert_eq(fk_resize(&wide, &p, out, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "7x3") && strstr(e.msg, "5x5"),
              "message should name both sizes: %s", e.msg);
}

Test(resize, refuses_bad_arguments)
{
    uint8_t px[12] = {0};
    fk_image im = {.w = 2, .h = 2, .rgb = px};
    fk_preprocess p = {.size = 4, .resize = FK_RESIZE_CLEAN, .scale = 1,
                       .std = {1, 1, 1}};
    float out[3 * 16];
    fk_error e;
    fk_preprocess bad = p;
    bad.size = 0;
    cr_assert_eq(fk_resize(&im, &bad, out, &e), FK_ERR_ARG);
    bad = p;
    bad.resize = (fk_resize_mode)99;
    cr_assert_eq(fk_resize(&im, &bad, out, &e), FK_ERR_ARG);
    fk_image empty = {.w = 0, .h = 2, .rgb = px};
    cr_assert_eq(fk_resize(&empty, &p, out, &e), FK_ERR_ARG);
    cr_assert_eq(fk_resize(NULL, &p, out, &e), FK_ERR_ARG);
    fk_image norgb = {.w = 2, .h = 2, .rgb = NULL};
    cr_assert_eq(fk_resize(&norgb, &p, out, &e), FK_ERR_ARG);
    bad = p;
    bad.std[1] = 0.0f;
    cr_assert_eq(fk_preprocess_image(&im, &bad, out, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "channel 1"), "%s", e.msg);
    bad = p;
    bad.scale = NAN;
    cr_assert_eq(fk_preprocess_image(&im, &bad, out, &e), FK_ERR_ARG);
    fk_resizer *rz = NULL;
    bad = p;
    bad.size = FK_RESIZE_MAX_SIZE + 1;
    cr_assert_eq(fk_resizer_new(&bad, &rz, &e), FK_ERR_ARG);
    cr_assert_null(rz);
    cr_assert_eq(fk_resizer_resize(NULL, &im, out, &e), FK_ERR_ARG);
    cr_assert_eq(fk_resize(&im, &p, NULL, &e), FK_ERR_ARG);
}

/* A 1 x 89M-pixel strip must not be blown up to its full resized length
 * (89M * 299 pixels) before the centre crop: only the crop is computed. */
Test(resize, crop_of_an_extreme_strip_stays_small)
{
    const int w = 1, h = 200000;
    uint8_t *px = malloc((size_t)w * h * 3);
    cr_assert(px);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        px[i] = (uint8_t)(i % 251);
    fk_image im = {.w = w, .h = h, .rgb = px};
    fk_preprocess p = {.size = 64, .resize = FK_RESIZE_CLEAN, .center_crop = 1, .scale = 1,
                       .std = {1, 1, 1}};
    float *out = malloc(3 * 64 * 64 * sizeof(float));
    fk_error e;
    for (int m = FK_RESIZE_CLEAN; m <= FK_RESIZE_PIL_BICUBIC; m++) {
        p.resize = (fk_resize_mode)m;
        cr_assert_eq(fk_resize(&im, &p, out, &e), FK_OK, "%s: %s", fk_resize_name(m), e.msg);
        for (int i = 0; i < 3 * 64 * 64; i++)
            cr_assert(out[i] >= 0.0f && out[i] <= 255.0f, "%s: value %g",
                      fk_resize_name(m), out[i]);
    }
    free(out);
    free(px);
}
