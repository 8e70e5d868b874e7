/* ctest-label: torch */
/* The clip plugin, CLIP-Score and CLIP-FD against tests/ref/clip.py (OpenAI
 * CLIP's architecture in torch.nn at the vit-tiny-test size, seeded weights
 * written as a TorchScript archive, an OpenAI-named torch.save file and a
 * Hugging Face safetensors file).
 *
 * Tolerances: embeddings max |a - ref| <= 1e-4 * max |ref| per matrix (float32
 * against the eager model); scores and FD |a - ref| <= 1e-6 + 1e-4 |ref|.
 * Tokens must be identical. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/clipscore.h"
#include "fidkit/config.h"
#include "fidkit/registry.h"
#include "fidkit/tokenizer.h"
#include "fk_test.h"

#define REL 1e-4
#define N_IMAGES 6

static const char *const configs[] = {"clip_jit.yaml", "clip_oa.yaml", "clip_hf.yaml"};

/* fk_test_fixture has one buffer: commands name several fixtures at once. */
static const char *fx(const char *name)
{
    static _Thread_local char ring[8][4096];
    static _Thread_local int next;
    char *b = ring[next++ % 8];
    snprintf(b, sizeof ring[0], "%s", fk_test_fixture(name));
    return b;
}

static void max_rel(const float *a, const float *ref, int64_t n, double tol, const char *what)
{
    double md = 0, mr = 0;
    for (int64_t i = 0; i < n; i++) {
        cr_assert(isfinite(a[i]), "%s: value %lld not finite", what, (long long)i);
        md = fmax(md, fabs((double)a[i] - ref[i]));
        mr = fmax(mr, fabs((double)ref[i]));
    }
    cr_assert(n > 0 && mr > 0, "%s: nothing compared", what);
    cr_assert(md <= tol * mr, "%s: max |diff| %.3g > %.1g * max |ref| %.3g", what, md, tol, mr);
}

static void near(double a, double ref, const char *what)
{
    cr_assert(fabs(a - ref) <= 1e-6 + REL * fabs(ref), "%s: %.10g, reference %.10g", what, a, ref);
}

static fk_backbone *open_backbone(const char *cfg_name, const char *output)
{
    fk_config c;
    fk_error e = {0};
    fk_backbone *b = NULL;
    cr_assert(fk_config_load(fk_test_fixture(cfg_name), &c, &e) == FK_OK, "%s", e.msg);
    const char *outs[1] = {output};
    fk_status st = fk_backbone_open(&c, outs, 1, &b, &e);
    cr_assert(st == FK_OK, "%s: %s", cfg_name, e.msg);
    return b;
}

/* The text tower through the plugin's encode_text entry point. */
static void *open_text(const char *cfg_name, const fk_plugin **p, char *weights, size_t n)
{
    fk_config c;
    fk_error e = {0};
    cr_assert(fk_config_load(fk_test_fixture(cfg_name), &c, &e) == FK_OK, "%s", e.msg);
    cr_assert(fk_plugin_load("clip", p, &e) == FK_OK, "%s", e.msg);
    cr_assert(FK_PLUGIN_HAS(*p, encode_text), "clip has no encode_text");
    cr_assert(fk_config_weights_path(&c, weights, n, &e) == FK_OK, "%s", e.msg);
    const char *outs[1] = {"text"};
    fk_option_value opt[1] = {{.s = ""}};
    fk_plugin_params pp = {.struct_size = sizeof pp, .config_path = cfg_name, .variant = "vit-tiny-test", .weights_path = weights,
                           .device = "cpu", .input_size = 224, .n_outputs = 1, .outputs = outs,
                           .options = opt};
    void *inst = NULL;
    cr_assert((*p)->open(&pp, &inst, &e) == FK_OK, "%s: %s", cfg_name, e.msg);
    return inst;
}

Test(clip, tokens_identical_to_reference)
{
    fk_array blob = fk_test_load_npy("texts.npy"), off = fk_test_load_npy("texts_off.npy"),
             ref = fk_test_load_npy("tokens.npy"), trunc = fk_test_load_npy("truncated.npy");
    char bpe[2048];
    snprintf(bpe, sizeof bpe, "%s", fk_test_fixture("bpe_simple_vocab_16e6.txt.gz"));
    fk_tokenizer *tok;
    fk_error e = {0};
    cr_assert(fk_tokenizer_open(bpe, &tok, &e) == FK_OK, "%s", e.msg);
    int64_t n = ref.shape[0], n_trunc = 0;
    cr_assert(n > 10 && ref.shape[1] == FK_CLIP_CONTEXT_LEN);
    const int64_t *o = off.data;
    for (int64_t i = 0; i < n; i++) {
        size_t len = (size_t)(o[i + 1] - o[i]);
        char *s = malloc(len + 1);
        memcpy(s, (const char *)blob.data + o[i], len);
        s[len] = 0;
        int32_t row[FK_CLIP_CONTEXT_LEN];
        cr_assert(fk_tokenizer_encode(tok, s, row, FK_CLIP_CONTEXT_LEN, 1, NULL, &e) == FK_OK, "%s", e.msg);
        cr_assert(memcmp(row, (const int32_t *)ref.data + i * FK_CLIP_CONTEXT_LEN, sizeof row) == 0,
                  "tokens of text %lld differ", (long long)i);
        n_trunc += ((const int32_t *)trunc.data)[i];
        free(s);
    }
    cr_assert(n_trunc > 0, "the corpus must hold a caption that is truncated");
    fk_tokenizer_close(tok);
    fk_array_free(&blob);
    fk_array_free(&off);
    fk_array_free(&ref);
    fk_array_free(&trunc);
}

Test(clip, image_embeddings_every_format)
{
    fk_array x = fk_test_load_npy("inputs.npy"), ref = fk_test_load_npy("image_emb.npy");
    cr_assert(x.shape[0] == N_IMAGES && ref.shape[1] == 64);
    for (int k = 0; k < 3; k++) {
        fk_backbone *b = open_backbone(configs[k], "image");
        cr_assert(fk_backbone_output_dim(b, 0) == 64);
        float out[N_IMAGES * 64];
        float *outs[1] = {out};
        fk_error e = {0};
        cr_assert(fk_backbone_extract(b, x.data, N_IMAGES, outs, &e) == FK_OK, "%s", e.msg);
        max_rel(out, ref.data, N_IMAGES * 64, REL, configs[k]);
        fk_tag t;
        char ts[FK_TAG_STR_MAX];
        fk_backbone_tag(b, 0, &t);
        fk_tag_str(&t, 0, ts, sizeof ts);
        cr_assert(strstr(ts, "clip/vit-tiny-test:image@") && strstr(ts, "/224/pil_bicubic"), "%s", ts);
        fk_backbone_close(b);
    }
    fk_array_free(&x);
    fk_array_free(&ref);
}

Test(clip, text_embeddings_every_format)
{
    fk_array tok = fk_test_load_npy("tokens.npy"), ref = fk_test_load_npy("text_emb.npy");
    int n = (int)tok.shape[0];
    float *out = malloc((size_t)n * 64 * sizeof *out);
    for (int k = 0; k < 3; k++) {
        const fk_plugin *p;
        char w[2048];
        void *inst = open_text(configs[k], &p, w, sizeof w);
        fk_error e = {0};
        cr_assert(p->encode_text(inst, tok.data, n, FK_CLIP_CONTEXT_LEN, out, &e) == FK_OK, "%s", e.msg);
        max_rel(out, ref.data, (int64_t)n * 64, REL, configs[k]);
        /* the image tower was not requested: extract refuses */
        float img[3 * 224 * 224] = {0}, row[64];
        float *outs[1] = {row};
        cr_assert(p->extract(inst, img, 1, outs, &e) != FK_OK);
        cr_assert(strstr(e.msg, "text"), "%s", e.msg);
        /* ids outside the vocabulary and a wrong context are refused */
        int32_t bad[FK_CLIP_CONTEXT_LEN] = {49406, 49408, 49407};
        cr_assert(p->encode_text(inst, bad, 1, FK_CLIP_CONTEXT_LEN, out, &e) == FK_ERR_ARG);
        cr_assert(p->encode_text(inst, tok.data, 1, 64, out, &e) == FK_ERR_ARG);
        p->close(inst);
    }
    free(out);
    fk_array_free(&tok);
    fk_array_free(&ref);
}

/* A number after "key": in the CLI's JSON. */
static double json_num(const char *js, const char *key)
{
    char k[128];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *at = strstr(js, k);
    cr_assert(at, "no %s in %s", key, js);
    return strtod(at + strlen(k), NULL);
}

/* The last `col` numeric columns of each data line of the per-pair CSV
 * (captions may hold commas, numbers never do). */
static int read_per_pair(const char *path, int from_end, double *vals, int cap)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s missing", path);
    char line[8192];
    int n = 0;
    cr_assert(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f) && n < cap) {
        line[strcspn(line, "\n")] = 0;
        char *p = line + strlen(line);
        for (int c = 0; c < from_end; c++) {
            while (p > line && p[-1] != ',')
                p--;
            if (c < from_end - 1 && p > line)
                *--p = 0;
        }
        vals[n++] = strtod(p, NULL);
    }
    fclose(f);
    return n;
}

Test(clip, clipscore_cli_hessel)
{
    fk_array per = fk_test_load_npy("hessel_per.npy"), cs = fk_test_load_npy("hessel_cos.npy"),
             sum = fk_test_load_npy("summary.npy");
    const double *s = sum.data;
    char out[16384], csv[2048];
    snprintf(csv, sizeof csv, "%s/per_pair_hessel.csv", fk_test_tmpdir());
    int rc = fk_test_run_cli(out, sizeof out, "clipscore '%s' --backbone '%s' --json --per-pair '%s'",
                         fx("manifest.csv"), fx("clip_jit.yaml"), csv);
    cr_assert(rc == 0, "%s", out);
    cr_assert(strstr(out, "\"convention_name\":\t\"hessel\"") && strstr(out, "A photo depicts "), "%s", out);
    cr_assert(strstr(out, "clip/vit-tiny-test:image@"), "%s", out);
    near(json_num(out, "value"), s[0], "CLIP-S mean");
    near(json_num(out, "std"), s[1], "CLIP-S std");
    near(json_num(out, "truncated"), s[6], "truncated captions");
    cr_assert(s[6] >= 1, "the manifest must hold a caption that is truncated");
    double v[16];
    int n = read_per_pair(csv, 2, v, 16); /* score (then truncated) */
    cr_assert(n == N_IMAGES, "%d rows", n);
    for (int i = 0; i < n; i++)
        near(v[i], ((const double *)per.data)[i], "per-pair CLIP-S");
    n = read_per_pair(csv, 3, v, 16); /* cosine */
    for (int i = 0; i < n; i++)
        near(v[i], ((const double *)cs.data)[i], "per-pair cosine");
    fk_array_free(&per);
    fk_array_free(&cs);
    fk_array_free(&sum);
}

Test(clip, clipscore_cli_torchmetrics_hf_jsonl)
{
    fk_array per = fk_test_load_npy("tm_per.npy"), sum = fk_test_load_npy("summary.npy");
    const double *s = sum.data;
    char out[16384], csv[2048];
    snprintf(csv, sizeof csv, "%s/per_pair_tm.csv", fk_test_tmpdir());
    /* clip_hf.yaml names no merge list: the one beside the weights is used */
    int rc = fk_test_run_cli(out, sizeof out,
                         "clipscore '%s' --backbone '%s' --convention torchmetrics --json --per-pair '%s'",
                         fx("manifest.jsonl"), fx("clip_hf.yaml"), csv);
    cr_assert(rc == 0, "%s", out);
    cr_assert(strstr(out, "\"convention_name\":\t\"torchmetrics\""), "%s", out);
    near(json_num(out, "value"), s[2], "torchmetrics score");
    near(json_num(out, "mean"), s[3], "torchmetrics unclamped mean");
    near(json_num(out, "std"), s[4], "torchmetrics std");
    near(json_num(out, "truncated"), s[7], "truncated captions");
    double v[16];
    int n = read_per_pair(csv, 2, v, 16);
    cr_assert(n == N_IMAGES);
    for (int i = 0; i < n; i++)
        near(v[i], ((const double *)per.data)[i], "per-pair 100 cos");
    fk_array_free(&per);
    fk_array_free(&sum);
}

Test(clip, refclipscore_cli)
{
    fk_array per = fk_test_load_npy("refclip_per.npy"), sum = fk_test_load_npy("summary.npy");
    char out[16384], csv[2048];
    snprintf(csv, sizeof csv, "%s/per_pair_ref.csv", fk_test_tmpdir());
    int rc = fk_test_run_cli(out, sizeof out, "clipscore '%s' --backbone '%s' --refs '%s' --json --per-pair '%s'",
                         fx("manifest.csv"), fx("clip_oa.yaml"),
                         fx("refs.csv"), csv);
    cr_assert(rc == 0, "%s", out);
    const char *ref = strstr(out, "\"name\":\t\"RefCLIP-S\"");
    cr_assert(ref, "%s", out);
    near(json_num(ref, "value"), ((const double *)sum.data)[5], "RefCLIP-S");
    near(json_num(out, "value"), ((const double *)sum.data)[0], "CLIP-S");
    double v[16];
    int n = read_per_pair(csv, 1, v, 16);
    cr_assert(n == N_IMAGES);
    for (int i = 0; i < n; i++)
        near(v[i], ((const double *)per.data)[i], "per-pair RefCLIP-S");
    /* RefCLIP-S only in the hessel convention */
    rc = fk_test_run_cli(out, sizeof out, "clipscore '%s' --backbone '%s' --refs '%s' --convention torchmetrics",
                     fx("manifest.csv"), fx("clip_oa.yaml"), fx("refs.csv"));
    cr_assert(rc == 2, "%s", out);
    fk_array_free(&per);
    fk_array_free(&sum);
}

Test(clip, clipscore_cli_errors)
{
    char out[16384];
    /* captions longer than 77 tokens with --no-truncate */
    int rc = fk_test_run_cli(out, sizeof out, "clipscore '%s' --backbone '%s' --no-truncate",
                         fx("manifest.csv"), fx("clip_jit.yaml"));
    cr_assert(rc != 0 && strstr(out, "caption"), "%s", out);
    /* a merge list that does not exist */
    rc = fk_test_run_cli(out, sizeof out, "clipscore '%s' --backbone '%s' --bpe /nonexistent/bpe.txt.gz",
                     fx("manifest.csv"), fx("clip_jit.yaml"));
    cr_assert(rc != 0 && strstr(out, "bpe"), "%s", out);
    /* a dataset without captions */
    rc = fk_test_run_cli(out, sizeof out, "clipscore '%s' --backbone '%s'", fx("images"),
                     fx("clip_jit.yaml"));
    cr_assert(rc != 0 && strstr(out, "manifest"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "clipscore '%s' --convention nope", fx("manifest.csv"));
    cr_assert(rc == 2, "%s", out);
}

Test(clip, clip_fd_through_fid)
{
    fk_array fd = fk_test_load_npy("fd.npy");
    char out[16384], a[2048];
    snprintf(a, sizeof a, "%s", fx("fd_a"));
    int rc = fk_test_run_cli(out, sizeof out, "fid '%s' '%s' --backbone '%s' --json --quiet", a,
                         fx("fd_b"), fx("clip_jit.yaml"));
    cr_assert(rc == 0, "%s", out);
    cr_assert(strstr(out, "clip/vit-tiny-test:image@"), "%s", out);
    near(json_num(out, "value"), ((const double *)fd.data)[0], "CLIP-FD");
    fk_array_free(&fd);
}

/* Conventions on analytic cases (no model). */
Test(clip, score_conventions)
{
    float img[3 * 2] = {1, 0, 1, 0, 0, 3}, txt[3 * 2] = {-2, 0, 1, 1, 0, 1};
    /* cosines: -1, 1/sqrt(2), 1/sqrt(2)... third: (0,3).(0,1) = 1 */
    double per[3], cs[3];
    fk_clipscore_result r;
    fk_error e = {0};
    cr_assert(fk_clipscore(img, txt, 3, 2, FK_CLIPSCORE_HESSEL, per, cs, &r, &e) == FK_OK, "%s", e.msg);
    double c1 = 1 / sqrt(2.0);
    near(cs[0], -1, "cos 0");
    near(cs[1], c1, "cos 1");
    near(cs[2], 1, "cos 2");
    near(per[0], 0, "clamped per pair");
    near(r.score, 2.5 * (0 + c1 + 1) / 3, "hessel mean");
    cr_assert(r.n_negative == 1);
    /* torchmetrics clamps after the average: a negative mean becomes 0 */
    float a[2] = {1, 0}, b[2] = {-1, 0.5f};
    cr_assert(fk_clipscore(a, b, 1, 2, FK_CLIPSCORE_TORCHMETRICS, per, cs, &r, &e) == FK_OK);
    near(r.mean, -100 / sqrt(1.25), "unclamped");
    near(r.score, 0, "clamped after averaging");
    cr_assert(fk_clipscore(img, txt, 3, 2, FK_CLIPSCORE_TORCHMETRICS, per, cs, &r, &e) == FK_OK);
    near(r.score, 100 * (-1 + c1 + 1) / 3, "torchmetrics keeps negative pairs in the mean");
    /* RefCLIP-S: harmonic mean with the best reference cosine */
    fk_clipscore_result h;
    double clip_s[3];
    cr_assert(fk_clipscore(img, txt, 3, 2, FK_CLIPSCORE_HESSEL, clip_s, NULL, &h, &e) == FK_OK);
    float refs[3 * 2] = {1, 0, 0, 1, -1, 1};
    int64_t off[4] = {0, 0, 2, 3}; /* pair 0 none, pair 1 two, pair 2 one */
    double rc[3], rp[3];
    cr_assert(fk_refclipscore(txt, clip_s, 3, 2, refs, off, rc, rp, &h, &e) == FK_OK, "%s", e.msg);
    near(rc[0], 0, "no references");
    near(rc[1], c1, "best of two references");
    near(rc[2], c1, "one reference");
    double s1 = 2.5 * c1, s2 = 2.5;
    near(rp[1], 2 * s1 * c1 / (s1 + c1), "harmonic mean 1");
    near(rp[2], 2 * s2 * c1 / (s2 + c1), "harmonic mean 2");
    near(h.ref_score, (rp[1] + rp[2]) / 3, "RefCLIP-S mean");
    /* undefined cosines are errors, not NaN */
    float z[2] = {0, 0};
    cr_assert(fk_clipscore(z, a, 1, 2, FK_CLIPSCORE_HESSEL, NULL, NULL, &r, &e) == FK_ERR_NUMERIC);
    fk_clipscore_convention c;
    cr_assert(fk_clipscore_convention_parse("torchmetrics", &c, &e) == FK_OK && c == FK_CLIPSCORE_TORCHMETRICS);
    cr_assert(fk_clipscore_convention_parse("clip", &c, &e) == FK_ERR_ARG);
}

Test(clip, wrong_weights_and_inputs)
{
    /* tiny weights under a published variant: a shape error naming the key */
    fk_config c;
    fk_error e = {0};
    cr_assert(fk_config_load(fk_test_fixture("clip_jit.yaml"), &c, &e) == FK_OK);
    snprintf(c.variant, sizeof c.variant, "vit-b-32");
    fk_backbone *b = NULL;
    cr_assert(fk_backbone_open(&c, NULL, 0, &b, &e) != FK_OK);
    cr_assert(strstr(e.msg, "visual.conv1.weight") && strstr(e.msg, "shape"), "%s", e.msg);
    /* a file that is no CLIP */
    cr_assert(fk_config_load(fk_test_fixture("clip_jit.yaml"), &c, &e) == FK_OK);
    snprintf(c.weights_file, sizeof c.weights_file, "./tokens.npy");
    cr_assert(fk_backbone_open(&c, NULL, 0, &b, &e) != FK_OK);
    /* the positional embedding fixes the input side */
    cr_assert(fk_config_load(fk_test_fixture("clip_jit.yaml"), &c, &e) == FK_OK);
    c.input.size = 256;
    cr_assert(fk_backbone_open(&c, NULL, 0, &b, &e) == FK_ERR_ARG);
    cr_assert(strstr(e.msg, "224"), "%s", e.msg);
}

Test(clip, random_weights)
{
    /* the shipped ViT-B/32 random config: the published dimensions */
    char path[2048];
    fk_config c;
    fk_error e = {0};
    snprintf(path, sizeof path, "%s/configs/clip_vit_b32_random.yaml", getenv("FK_SOURCE_DIR"));
    cr_assert(fk_config_load(path, &c, &e) == FK_OK, "%s", e.msg);
    fk_array x = fk_test_load_npy("inputs.npy");
    float big[2 * 512];
    fk_backbone *b = NULL;
    cr_assert(fk_backbone_open(&c, NULL, 0, &b, &e) == FK_OK, "%s", e.msg);
    cr_assert(fk_backbone_output_dim(b, 0) == 512);
    float *outs[1] = {big};
    cr_assert(fk_backbone_extract(b, x.data, 2, outs, &e) == FK_OK, "%s", e.msg);
    fk_tag t;
    fk_backbone_tag(b, 0, &t);
    cr_assert(!strcmp(t.weights, "random-0") && !strcmp(t.variant, "vit-b-32"), "%s %s", t.weights, t.variant);
    fk_backbone_close(b);
    double norm = 0;
    for (int i = 0; i < 1024; i++)
        norm += (double)big[i] * big[i];
    cr_assert(isfinite(norm) && norm > 0);

    /* the same seed gives the same network, another seed another one */
    cr_assert(fk_config_load(fx("clip_jit.yaml"), &c, &e) == FK_OK);
    c.random_weights = 1;
    float r[3][2 * 64];
    const uint64_t seeds[3] = {5, 5, 6};
    for (int k = 0; k < 3; k++) {
        c.random_seed = seeds[k];
        cr_assert(fk_backbone_open(&c, NULL, 0, &b, &e) == FK_OK, "%s", e.msg);
        float *o[1] = {r[k]};
        cr_assert(fk_backbone_extract(b, x.data, 2, o, &e) == FK_OK, "%s", e.msg);
        fk_backbone_close(b);
    }
    cr_assert(memcmp(r[0], r[1], sizeof r[0]) == 0, "random weights are not reproducible");
    cr_assert(memcmp(r[0], r[2], sizeof r[0]) != 0, "the seed is ignored");
    fk_array_free(&x);
}

/* CMMD's ViT-L/14 at 336 px: the shipped config names the official archive,
 * the plugin knows the geometry (24 x 24 patches of 14, 768-d embedding),
 * and without the file the message says where it comes from. */
Test(clip, vit_l14_336_variant_and_config)
{
    const fk_plugin *p;
    fk_error e = {0};
    cr_assert_eq(fk_plugin_load("clip", &p, &e), FK_OK, "%s", e.msg);
    cr_expect_eq(p->default_input_size("vit-l-14-336"), 336);
    fk_output_desc out[4];
    cr_assert_eq(p->list_outputs("vit-l-14-336", out, 4), 2);
    cr_expect_str_eq(out[0].name, "image");
    cr_expect_eq(out[0].dim, 768);

    char path[2048];
    fk_config c;
    snprintf(path, sizeof path, "%s/configs/clip_vit_l14_336.yaml", getenv("FK_SOURCE_DIR"));
    cr_assert_eq(fk_config_load(path, &c, &e), FK_OK, "%s", e.msg);
    cr_expect_eq(c.input.size, 336);
    cr_expect_str_eq(c.variant, "vit-l-14-336");
    cr_expect_str_eq(c.weights_sha256, "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02");
    setenv("FIDKIT_WEIGHTS_PATH", fk_test_tmpdir(), 1);
    fk_backbone *b = NULL;
    cr_assert_neq(fk_backbone_open(&c, NULL, 0, &b, &e), FK_OK);
    cr_expect(strstr(e.msg, "ViT-L-14-336px.pt") && strstr(e.msg, "openaipublic"), "%s", e.msg);
}
