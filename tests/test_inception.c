/* ctest-label: torch */
/* The inception_v3 plugin against tests/ref/inception.py: the FID network
 * from every weights format, torchvision's Inception3, bad weights files,
 * shim errors, random weights. Tolerance for every output: max |a - ref| <=
 * 1e-4 * max |ref| (float32 with folded batch norms and channels-last
 * convolutions against the eager NCHW model). */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/error.h"
#include "fidkit/plugin.h"
#include "fk_test.h"

#define SIDE 299
#define REL_TOL 1e-4

/* Must match MISSING_KEY, BAD_KEY and BAD_SHAPE in tests/ref/inception.py. */
#define MISSING_KEY "Mixed_7c.branch_pool.conv.weight"
#define BAD_KEY "Mixed_6b.branch7x7_2.conv.weight"

static const char *const all_outputs[] = {"pool3",    "logits",   "logits_unbiased", "block64",
                                          "block192", "block768", "spatial"};
enum { N_ALL = 7 };

static const fk_plugin *plugin(void)
{
    static _Thread_local const fk_plugin *p;
    if (p)
        return p;
    /* FIDKIT_PLUGIN_PATH is a colon-separated search path. */
    const char *dirs = getenv("FIDKIT_PLUGIN_PATH");
    cr_assert(dirs, "FIDKIT_PLUGIN_PATH is not set: run the tests through ctest");
    char path[4096];
    void *h = NULL;
    for (const char *d = dirs; !h && *d;) {
        size_t len = strcspn(d, ":");
        snprintf(path, sizeof path, "%.*s/inception_v3.so", (int)len, d);
        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        d += len + (d[len] == ':');
    }
    cr_assert(h, "inception_v3.so not found on FIDKIT_PLUGIN_PATH=%s: %s", dirs, dlerror());
    fk_plugin_entry_fn entry = (fk_plugin_entry_fn)dlsym(h, FK_PLUGIN_ENTRY_SYMBOL);
    cr_assert(entry, "%s has no %s", path, FK_PLUGIN_ENTRY_SYMBOL);
    p = entry();
    cr_assert(p && p->abi_version == FK_PLUGIN_ABI_VERSION && p->struct_size == sizeof(fk_plugin));
    return p;
}

static fk_plugin_params params(const char *variant, const char *weights, int n_out,
                               const char *const *outs)
{
    fk_plugin_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.config_path = "test_inception";
    p.variant = variant;
    p.weights_path = weights;
    p.random_weights = weights == NULL;
    p.random_seed = 1;
    p.device = "cpu";
    p.input_size = SIDE;
    p.n_outputs = n_out;
    p.outputs = outs;
    return p;
}

static int output_dim(const char *variant, const char *name)
{
    fk_output_desc d[16];
    int n = plugin()->list_outputs(variant, d, 16);
    for (int i = 0; i < n && i < 16; i++)
        if (strcmp(d[i].name, name) == 0)
            return d[i].dim;
    cr_assert_fail("%s offers no output %s", variant, name);
    return 0;
}

/* Runs the plugin on the reference inputs (in batches of `batch`) and
 * compares each requested output with PREFIX_NAME.npy. */
static void check_against_ref(const char *variant, const char *weights_file, const char *prefix,
                              int n_out, const char *const *outs, int batch, int channels_last)
{
    const fk_plugin *pl = plugin();
    fk_array in = fk_test_load_npy("inputs.npy");
    cr_assert(in.dtype == FK_F32 && in.ndim == 4 && in.shape[1] == 3 && in.shape[2] == SIDE);
    int n = (int)in.shape[0];
    cr_assert(n > 0);

    char wpath[4096];
    snprintf(wpath, sizeof wpath, "%s", weights_file ? fk_test_fixture(weights_file) : "");
    fk_plugin_params p = params(variant, weights_file ? wpath : NULL, n_out, outs);
    fk_option_value opt = {.i = channels_last};
    p.options = &opt;
    fk_error e = {0};
    void *inst = NULL;
    fk_status st = pl->open(&p, &inst, &e);
    cr_assert_eq(st, FK_OK, "open %s (%s): %s", variant, weights_file, e.msg);

    float *res[N_ALL];
    int dims[N_ALL];
    for (int k = 0; k < n_out; k++) {
        dims[k] = output_dim(variant, outs[k]);
        res[k] = calloc((size_t)n * dims[k], sizeof(float));
        cr_assert(res[k]);
    }
    for (int i = 0; i < n; i += batch) {
        int b = n - i < batch ? n - i : batch;
        float *o[N_ALL];
        for (int k = 0; k < n_out; k++)
            o[k] = res[k] + (size_t)i * dims[k];
        st = pl->extract(inst, (const float *)in.data + (size_t)i * 3 * SIDE * SIDE, b, o, &e);
        cr_assert_eq(st, FK_OK, "extract: %s", e.msg);
    }
    pl->close(inst);

    for (int k = 0; k < n_out; k++) {
        char name[128];
        snprintf(name, sizeof name, "%s_%s.npy", prefix, outs[k]);
        fk_array ref = fk_test_load_npy(name);
        cr_assert(ref.dtype == FK_F32 && ref.ndim == 2 && ref.shape[0] == n && ref.shape[1] == dims[k],
                  "%s has an unexpected shape", name);
        size_t m = (size_t)n * dims[k];
        cr_assert(m > 0);
        const float *r = ref.data;
        double ref_max = 0, err = 0;
        for (size_t i = 0; i < m; i++) {
            if (fabs(r[i]) > ref_max)
                ref_max = fabs(r[i]);
            double d = fabs((double)res[k][i] - r[i]);
            if (!(d <= err))
                err = isnan(d) ? INFINITY : d;
        }
        cr_assert(ref_max > 0, "%s is all zeros", name);
        fprintf(stderr, "inception %-12s %-18s %-16s batch %d %s: max|err| %.3g = %.3g x max|ref| (%.4g), %zu values\n",
                variant, weights_file ? weights_file : "random", outs[k], batch,
                channels_last ? "nhwc" : "nchw", err, err / ref_max, ref_max, m);
        cr_expect(err <= REL_TOL * ref_max, "%s %s from %s: max |err| %g > %g * max |ref| %g", variant,
                  outs[k], weights_file, err, REL_TOL, ref_max);
        fk_array_free(&ref);
        free(res[k]);
    }
    fk_array_free(&in);
}

Test(inception, fid_torch_zip)
{
    check_against_ref("fid", "fid.pth", "fid", N_ALL, all_outputs, 8, 1);
}

/* In NCHW memory format (option channels_last false). */
Test(inception, fid_torch_legacy_nchw)
{
    check_against_ref("fid", "fid_legacy.pth", "fid", N_ALL, all_outputs, 8, 0);
}

/* Also: batches of 3 (results must not depend on the batch beyond float32
 * rounding) and outputs asked for in another order. */
Test(inception, fid_safetensors_split_batches)
{
    const char *outs[] = {"spatial", "logits_unbiased", "block768", "pool3", "block64", "logits",
                          "block192"};
    check_against_ref("fid", "fid.safetensors", "fid", N_ALL, outs, 3, 1);
}

Test(inception, torchvision_zip)
{
    check_against_ref("torchvision", "tv.pth", "tv", N_ALL, all_outputs, 8, 1);
}

/* Only early blocks: the pass stops after the second max pool. */
Test(inception, fid_early_blocks_only)
{
    const char *outs[] = {"block192", "block64"};
    check_against_ref("fid", "fid.safetensors", "fid", 2, outs, 8, 1);
}

static void expect_open_error(const char *weights_file, const char *const *needles, int n_needles)
{
    const char *outs[] = {"pool3"};
    char wpath[4096];
    snprintf(wpath, sizeof wpath, "%s", fk_test_fixture(weights_file));
    fk_plugin_params p = params("fid", wpath, 1, outs);
    fk_error e = {0};
    void *inst = NULL;
    fk_status st = plugin()->open(&p, &inst, &e);
    cr_assert_neq(st, FK_OK, "opening %s should fail", weights_file);
    cr_assert_null(inst);
    cr_assert_eq(e.code, st);
    fprintf(stderr, "inception error for %s: %s\n", weights_file, e.msg);
    for (int i = 0; i < n_needles; i++)
        cr_expect(strstr(e.msg, needles[i]), "message lacks '%s': %s", needles[i], e.msg);
}

Test(inception, missing_key)
{
    const char *needles[] = {MISSING_KEY, "fid_missing.safetensors", "(192, 2048, 1, 1)"};
    expect_open_error("fid_missing.safetensors", needles, 3);
}

Test(inception, wrong_shape)
{
    const char *needles[] = {BAD_KEY, "(128, 128, 7, 1)", "(128, 128, 1, 7)"};
    expect_open_error("fid_badshape.safetensors", needles, 3);
}

Test(inception, missing_file)
{
    const char *needles[] = {"no_such_weights.pth"};
    expect_open_error("no_such_weights.pth", needles, 1);
}

/* A failure inside torch (an input too small for the network) comes back as
 * a message, and the instance still serves the next batch. */
Test(inception, shim_error_is_a_message)
{
    const fk_plugin *pl = plugin();
    const char *outs[] = {"pool3"};
    fk_plugin_params p = params("fid", NULL, 1, outs);
    p.input_size = 32;
    fk_error e = {0};
    void *inst = NULL;
    cr_assert_eq(pl->open(&p, &inst, &e), FK_OK, "%s", e.msg);
    float *x = calloc(2 * 3 * 32 * 32, sizeof(float));
    float feat[2 * 2048];
    float *o = feat;
    for (int round = 0; round < 2; round++) {
        fk_status st = pl->extract(inst, x, 2, &o, &e);
        cr_assert_eq(st, FK_ERR_PLUGIN, "round %d: got %s: %s", round, fk_status_name(st), e.msg);
        cr_expect(strstr(e.msg, "torch shim"), "%s", e.msg);
        cr_expect(strstr(e.msg, "inception_v3/fid"), "%s", e.msg);
        cr_expect(!strchr(e.msg, '\n'), "multi-line message: %s", e.msg);
        fprintf(stderr, "inception shim error: %s\n", e.msg);
    }
    pl->close(inst);
    free(x);
}

/* A NaN in the input is reported (naming the image), not passed on; the
 * next batch is served normally. */
Test(inception, non_finite_input)
{
    const fk_plugin *pl = plugin();
    const char *outs[] = {"block64"};
    fk_plugin_params p = params("fid", NULL, 1, outs);
    fk_error e = {0};
    void *inst = NULL;
    cr_assert_eq(pl->open(&p, &inst, &e), FK_OK, "%s", e.msg);
    size_t per = 3 * SIDE * SIDE;
    float *x = calloc(2 * per, sizeof(float));
    float feat[2 * 64];
    float *o = feat;
    x[per + 5000] = NAN;
    cr_expect_eq(pl->extract(inst, x, 2, &o, &e), FK_ERR_NUMERIC);
    cr_expect(strstr(e.msg, "image 1"), "%s", e.msg);
    x[per + 5000] = 0;
    cr_expect_eq(pl->extract(inst, x, 2, &o, &e), FK_OK, "%s", e.msg);
    cr_expect(isfinite(feat[0]) && isfinite(feat[127]));
    pl->close(inst);
    free(x);
}

Test(inception, bad_params)
{
    const fk_plugin *pl = plugin();
    fk_error e = {0};
    void *inst = NULL;
    const char *bad[] = {"pool4"};
    fk_plugin_params p = params("fid", NULL, 1, bad);
    cr_expect_eq(pl->open(&p, &inst, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "pool4"), "%s", e.msg);
    const char *outs[] = {"pool3"};
    p = params("tf", NULL, 1, outs);
    cr_expect_eq(pl->open(&p, &inst, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "'tf'"), "%s", e.msg);
    const char *sp[] = {"spatial"};
    p = params("fid", NULL, 1, sp);
    p.input_size = 256;
    cr_expect_eq(pl->open(&p, &inst, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "spatial"), "%s", e.msg);
    p = params("fid", NULL, 1, outs);
    p.device = "cuda";
    cr_expect_eq(pl->open(&p, &inst, &e), FK_ERR_UNSUPPORTED);
    cr_expect(strstr(e.msg, "cuda"), "%s", e.msg);
    cr_expect_null(inst);
}

Test(inception, describe)
{
    const fk_plugin *pl = plugin();
    cr_expect_str_eq(pl->name, "inception_v3");
    cr_expect_str_eq(pl->variants[0], "fid");
    cr_expect_str_eq(pl->variants[1], "torchvision");
    cr_expect_null(pl->variants[2]);
    cr_expect_eq(pl->default_input_size("fid"), 299);
    cr_expect_eq(output_dim("fid", "pool3"), 2048);
    cr_expect_eq(output_dim("fid", "logits"), 1008);
    cr_expect_eq(output_dim("torchvision", "logits"), 1000);
    cr_expect_eq(output_dim("fid", "spatial"), 2023);
    cr_expect_eq(pl->list_outputs("nope", NULL, 0), 0);
}

/* Random weights: deterministic for a seed, different across seeds, finite,
 * and not degenerate (features vary across images in most dimensions). The
 * second and third runs ask for block64 only, so they also check that a pass
 * stopped early gives the numbers of a full one. */
Test(inception, random_weights)
{
    const fk_plugin *pl = plugin();
    fk_array in = fk_test_load_npy("inputs.npy");
    int n = (int)in.shape[0];
    cr_assert(n > 1);
    float *pool3 = malloc((size_t)n * 2048 * sizeof(float));
    float *b64[3];
    for (int run = 0; run < 3; run++) {
        const char *both[] = {"block64", "pool3"}, *early[] = {"block64"};
        fk_plugin_params p = params("fid", NULL, run == 0 ? 2 : 1, run == 0 ? both : early);
        p.random_seed = run == 2 ? 99 : 7;
        fk_error e = {0};
        void *inst = NULL;
        cr_assert_eq(pl->open(&p, &inst, &e), FK_OK, "%s", e.msg);
        b64[run] = malloc((size_t)n * 64 * sizeof(float));
        float *o[2] = {b64[run], pool3};
        cr_assert_eq(pl->extract(inst, in.data, n, o, &e), FK_OK, "%s", e.msg);
        pl->close(inst);
    }
    cr_expect(memcmp(b64[0], b64[1], (size_t)n * 64 * sizeof(float)) == 0,
              "same seed, other block64 (or an early stop changed the numbers)");
    cr_expect(memcmp(b64[0], b64[2], (size_t)n * 64 * sizeof(float)) != 0, "seed ignored");
    int varying = 0;
    double mean_abs = 0;
    for (int d = 0; d < 2048; d++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double v = pool3[(size_t)i * 2048 + d];
            cr_assert(isfinite(v));
            s += v;
            s2 += v * v;
            mean_abs += fabs(v);
        }
        double var = (s2 - s * s / n) / (n - 1);
        varying += var > 1e-12;
    }
    mean_abs /= (double)n * 2048;
    fprintf(stderr, "inception random weights: %d of 2048 pool3 dims vary over %d images, mean |x| %.3g\n",
            varying, n, mean_abs);
    cr_expect(varying > 1024, "only %d of 2048 dimensions vary", varying);
    cr_expect(mean_abs > 1e-3 && mean_abs < 1e3, "pool3 badly scaled: mean |x| %g", mean_abs);
    for (int run = 0; run < 3; run++)
        free(b64[run]);
    free(pool3);
    fk_array_free(&in);
}

/* ---- the torch shim's contract, through the copy the plugin loaded ------- */

#include "../backbones/torchshim/torchshim.h"

#define SHIM_FN(name) __typeof__(&name) name##_p = (__typeof__(&name))shim_sym(#name)

static void *shim_sym(const char *name)
{
    plugin(); /* loads libfidkit_torchshim.so as the plugin's dependency */
    void *h = dlopen("libfidkit_torchshim.so", RTLD_NOW | RTLD_NOLOAD);
    cr_assert(h, "libfidkit_torchshim.so is not loaded: %s", dlerror());
    void *f = dlsym(h, name);
    cr_assert(f, "the shim exports no %s", name);
    return f;
}

/* Sticky first error, arena release, recovery, messages instead of crashes,
 * and conv2d's argument order against a direct convolution in double. */
Test(inception, torchshim_contract)
{
    SHIM_FN(fkt_open);
    SHIM_FN(fkt_free);
    SHIM_FN(fkt_status);
    SHIM_FN(fkt_clear_error);
    SHIM_FN(fkt_mark);
    SHIM_FN(fkt_release);
    SHIM_FN(fkt_count);
    SHIM_FN(fkt_release_except);
    SHIM_FN(fkt_from_f32);
    SHIM_FN(fkt_to_f32);
    SHIM_FN(fkt_add);
    SHIM_FN(fkt_matmul);
    SHIM_FN(fkt_conv2d);

    fk_error e = {0};
    cr_expect_null(fkt_open_p("cuda", 0, 0, &e));
    cr_expect_eq(e.code, FK_ERR_UNSUPPORTED);

    for (int cl = 0; cl < 2; cl++) {
        fkt_ctx *c = fkt_open_p("cpu", 0, cl, &e);
        cr_assert(c, "%s", e.msg);
        float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, -1, 2, 0.5f, -3, 4}, m[4];
        int64_t sa[2] = {2, 3}, sb[2] = {3, 2};
        fkt_tensor *ta = fkt_from_f32_p(c, a, 2, sa), *tb = fkt_from_f32_p(c, b, 2, sb);
        size_t mark = fkt_mark_p(c);
        cr_expect_eq(mark, 2);
        cr_assert_eq(fkt_to_f32_p(c, fkt_matmul_p(c, ta, tb), m, 4), FK_OK);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                double s = 0;
                for (int k = 0; k < 3; k++)
                    s += (double)a[i * 3 + k] * b[k * 2 + j];
                cr_expect(fabs(m[i * 2 + j] - s) < 1e-5, "matmul[%d][%d] %g != %g", i, j, m[i * 2 + j], s);
            }

        /* Shapes that do not broadcast: an error, and the first one sticks. */
        cr_expect_null(fkt_add_p(c, ta, tb));
        cr_expect_eq(fkt_status_p(c, &e), FK_ERR_PLUGIN);
        cr_expect(strstr(e.msg, "torch shim: add"), "%s", e.msg);
        cr_expect(!strchr(e.msg, '\n'), "%s", e.msg);
        char first[FK_ERROR_MSG_MAX];
        snprintf(first, sizeof first, "%s", e.msg);
        cr_expect_null(fkt_matmul_p(c, ta, tb));
        cr_expect_eq(fkt_to_f32_p(c, ta, m, 4), FK_ERR_PLUGIN);
        fkt_status_p(c, &e);
        cr_expect_str_eq(e.msg, first);

        fkt_release_p(c, mark);
        cr_expect_eq(fkt_count_p(c), mark);
        fkt_clear_error_p(c);

        /* Settling keeps the listed tensors (their handles and values) and
         * frees the rest; NULLs in the list are skipped. */
        fkt_tensor *t1 = fkt_add_p(c, ta, ta), *t2 = fkt_add_p(c, tb, tb), *t3 = fkt_add_p(c, ta, ta);
        fkt_tensor *keep[3] = {t3, NULL, t1};
        fkt_release_except_p(c, mark, keep, 3);
        cr_expect_eq(fkt_count_p(c), mark + 2);
        (void)t2;
        float k1[6], k3[6];
        cr_expect_eq(fkt_to_f32_p(c, t1, k1, 6), FK_OK);
        cr_expect_eq(fkt_to_f32_p(c, t3, k3, 6), FK_OK);
        for (int i = 0; i < 6; i++)
            cr_expect(k1[i] == 2 * a[i] && k3[i] == 2 * a[i], "kept tensor %d: %g %g", i, k1[i], k3[i]);
        fkt_release_except_p(c, mark, NULL, 0);
        cr_expect_eq(fkt_count_p(c), mark);
        cr_expect_eq(fkt_status_p(c, NULL), FK_OK);
        cr_expect_eq(fkt_to_f32_p(c, fkt_matmul_p(c, ta, tb), m, 4), FK_OK);

        /* Wrong count and NULL arguments are argument errors. */
        cr_expect_eq(fkt_to_f32_p(c, ta, m, 4), FK_ERR_ARG);
        fkt_status_p(c, &e);
        cr_expect(strstr(e.msg, "(2, 3)"), "%s", e.msg);
        fkt_clear_error_p(c);
        cr_expect_null(fkt_add_p(c, ta, NULL));
        cr_expect_eq(fkt_status_p(c, &e), FK_ERR_ARG);
        fkt_clear_error_p(c);

        /* conv2d(x, w, b, sh=2, sw=1, ph=1, pw=0) on 1x2x5x6 with 3x2x3x2. */
        enum { CI = 2, CO = 3, H = 5, W = 6, KH = 3, KW = 2, SH = 2, SW = 1, PH = 1, PW = 0 };
        enum { OH = (H + 2 * PH - KH) / SH + 1, OW = (W + 2 * PW - KW) / SW + 1 };
        float x[CI * H * W], w[CO * CI * KH * KW], bias[CO], y[CO * OH * OW];
        for (int i = 0; i < CI * H * W; i++)
            x[i] = (float)sin(0.7 * i);
        for (int i = 0; i < CO * CI * KH * KW; i++)
            w[i] = (float)cos(1.3 * i);
        for (int i = 0; i < CO; i++)
            bias[i] = 0.25f * (float)i;
        int64_t sx[4] = {1, CI, H, W}, sw[4] = {CO, CI, KH, KW}, sbias[1] = {CO};
        fkt_tensor *ty = fkt_conv2d_p(c, fkt_from_f32_p(c, x, 4, sx), fkt_from_f32_p(c, w, 4, sw),
                                      fkt_from_f32_p(c, bias, 1, sbias), SH, SW, PH, PW, 1);
        cr_assert_eq(fkt_to_f32_p(c, ty, y, CO * OH * OW), FK_OK, "conv2d");
        int compared = 0;
        for (int o = 0; o < CO; o++)
            for (int i = 0; i < OH; i++)
                for (int j = 0; j < OW; j++) {
                    double s = bias[o];
                    for (int ci = 0; ci < CI; ci++)
                        for (int u = 0; u < KH; u++)
                            for (int v = 0; v < KW; v++) {
                                int r = i * SH - PH + u, q = j * SW - PW + v;
                                if (r >= 0 && r < H && q >= 0 && q < W)
                                    s += (double)x[(ci * H + r) * W + q] * w[((o * CI + ci) * KH + u) * KW + v];
                            }
                    cr_expect(fabs(y[(o * OH + i) * OW + j] - s) < 1e-5, "conv[%d][%d][%d] %g != %g", o, i,
                              j, y[(o * OH + i) * OW + j], s);
                    compared++;
                }
        cr_expect_eq(compared, CO * OH * OW);
        cr_expect(compared > 0);
        fkt_free_p(c);
    }
}
