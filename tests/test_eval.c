/* The evaluation library called directly: every metric refuses mismatched
 * and untagged inputs itself (FK_ERR_TAG, both tags named); fk_evaluate
 * gives exactly the tagged layer's numbers; the streaming accumulator gives
 * fk_extract's features bit for bit, and the same FD however its rows are
 * batched or sharded (<= 1e-12 relative). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/accum.h"
#include "fidkit/eval.h"
#include "fidkit/fidkit.h"
#include "fidkit/npz.h"
#include "fidkit/score.h"
#include "fk_test.h"

#define TAG_A "tiny_pool/g4:pool@random-0/32/clean"
#define TAG_B "tiny_pool/g4:pool@random-1/32/clean"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

/* n x d rows, normal-ish (sum of uniforms), shifted by `shift`. */
static float *rows(int64_t n, int d, uint64_t seed, double shift)
{
    float *x = malloc((size_t)n * d * sizeof *x);
    for (int64_t i = 0; i < n * d; i++) {
        double v = 0;
        for (int k = 0; k < 4; k++)
            v += (double)lcg(&seed) / 9007199254740992.0 - 0.5;
        x[i] = (float)(v + shift);
    }
    return x;
}

static void make_set(const char *tag, int64_t n, int d, uint64_t seed, double shift, fk_featset *s)
{
    fk_tag t;
    fk_error e;
    cr_assert_eq(fk_tag_parse(tag, &t, &e), FK_OK, "%s", e.msg);
    float *x = rows(n, d, seed, shift);
    cr_assert_eq(fk_featset_from_rows(x, n, d, &t, tag, s, &e), FK_OK, "%s", e.msg);
    free(x);
}

static void refused(fk_status st, const fk_error *e, const char *what)
{
    cr_assert_eq(st, FK_ERR_TAG, "%s: status %s (%s)", what, fk_status_name(st), e->msg);
}

static void names_both(const fk_error *e, const char *what)
{
    cr_assert(strstr(e->msg, "random-0") && strstr(e->msg, "random-1"), "%s: %s", what, e->msg);
}

Test(eval, every_metric_refuses_mismatched_tags)
{
    fk_featset a, b;
    make_set(TAG_A, 60, 8, 1, 0, &a);
    make_set(TAG_B, 60, 8, 2, 0.1, &b);
    fk_error e;
    fk_stats sa, sb;
    cr_assert_eq(fk_stats_from_featset(&a, &sa, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_stats_from_featset(&b, &sb, &e), FK_OK, "%s", e.msg);

    fk_fd_result fr;
    refused(fk_score_fd(&sa, &sb, NULL, &fr, &e), &e, "FD");
    names_both(&e, "FD");
    fk_boot_options bo = fk_boot_default_options();
    bo.replicates = 10;
    fk_boot_result br;
    refused(fk_score_fd_bootstrap(&a, &b, &bo, &br, &e), &e, "FD bootstrap");
    refused(fk_score_fd_bootstrap_fixed(&sa, &b, 1, &bo, &br, &e), &e, "FD bootstrap vs stats");
    fk_kid_options ko = fk_kid_default_options();
    ko.subset_size = 20;
    fk_kid_result kr;
    refused(fk_score_kid(&a, &b, &ko, &kr, &e), &e, "KID");
    names_both(&e, "KID");
    fk_prdc_options po = fk_prdc_default_options(FK_PR_ADM);
    fk_prdc_result pr;
    refused(fk_score_prdc(&a, &b, &po, &pr, &e), &e, "P&R");
    po = fk_prdc_default_options(FK_PRDC_DGM_EVAL);
    refused(fk_score_prdc(&a, &b, &po, &pr, &e), &e, "D&C");
    fk_fdinf_options fo = fk_fdinf_default_options();
    fk_fdinf_result fir;
    refused(fk_score_fdinf(&a, &b, &fo, &fir, &e), &e, "FD-infinity");
    fk_cmmd_options co = fk_cmmd_default_options();
    fk_cmmd_result cr;
    refused(fk_score_cmmd(&a, &b, &co, &cr, &e), &e, "CMMD");

    /* CLIP-Score pairs two outputs of one model: another model is refused. */
    fk_featset img, txt;
    make_set("clip/vit-b-32:image@random-0/224/pil_bicubic", 10, 8, 3, 0, &img);
    make_set("clip/vit-b-32:text@random-1/224/pil_bicubic", 10, 8, 4, 0, &txt);
    fk_clipscore_result cs;
    refused(fk_score_clip(&img, &txt, FK_CLIPSCORE_HESSEL, NULL, NULL, &cs, &e), &e, "CLIP-Score");
    names_both(&e, "CLIP-Score");
    fk_featset_free(&txt);
    make_set("clip/vit-b-32:text@random-0/224/pil_bicubic", 10, 8, 4, 0, &txt);
    cr_assert_eq(fk_score_clip(&img, &txt, FK_CLIPSCORE_HESSEL, NULL, NULL, &cs, &e), FK_OK,
                 "same model, two towers: %s", e.msg);

    /* IS reads a classifier's logits: features of another layer are refused. */
    fk_is_options io = fk_is_default_options(FK_IS_TORCH_FIDELITY);
    io.splits = 2;
    fk_is_result ir;
    refused(fk_score_is(&a, &io, &ir, &e), &e, "IS of pool features");

    /* sFID and every metric through fk_evaluate, from feature sets. */
    for (int m = 0; m < FK_METRIC_COUNT; m++) {
        if (m == FK_METRIC_IS)
            continue;
        fk_eval_options o = fk_eval_default_options();
        o.metrics = FK_METRIC_BIT(m);
        o.interval = 0;
        o.kid_subset_size = 20;
        fk_featset sp[2];
        fk_eval_input in[2] = {{.sets = &a, .n_sets = 1}, {.sets = &b, .n_sets = 1}};
        if (m == FK_METRIC_SFID) {
            make_set("inception_v3/fid:spatial@random-0/299/legacy_pytorch", 30, 8, 5, 0, &sp[0]);
            make_set("inception_v3/fid:spatial@random-1/299/legacy_pytorch", 30, 8, 6, 0, &sp[1]);
            in[0].sets = &sp[0];
            in[1].sets = &sp[1];
        }
        fk_results res;
        refused(fk_evaluate(in, 2, &o, &res, &e), &e, fk_metric_name(m));
        names_both(&e, fk_metric_name(m));
        if (m == FK_METRIC_SFID) {
            fk_featset_free(&sp[0]);
            fk_featset_free(&sp[1]);
        }
    }
    fk_stats_free(&sa);
    fk_stats_free(&sb);
    fk_featset_free(&a);
    fk_featset_free(&b);
    fk_featset_free(&img);
    fk_featset_free(&txt);
}

Test(eval, untagged_inputs_are_refused_until_a_tag_is_declared)
{
    fk_featset a, b;
    make_set(TAG_A, 40, 6, 7, 0, &a);
    make_set(TAG_A, 40, 6, 8, 0.2, &b);
    fk_error e;
    b.has_tag = 0; /* as a clean-fid features file reads */
    fk_kid_options ko = fk_kid_default_options();
    ko.subset_size = 20;
    fk_kid_result kr;
    refused(fk_score_kid(&a, &b, &ko, &kr, &e), &e, "untagged KID");
    cr_assert(strstr(e.msg, "--assume-backbone"), "%s", e.msg);
    fk_tag t;
    fk_tag_parse(TAG_A, &t, NULL);
    fk_eval_options o = fk_eval_default_options();
    o.metrics = FK_METRIC_BIT(FK_METRIC_FD);
    o.interval = 0;
    fk_eval_input in[2] = {{.sets = &a, .n_sets = 1}, {.sets = &b, .n_sets = 1}};
    fk_results res;
    refused(fk_evaluate(in, 2, &o, &res, &e), &e, "untagged evaluate");
    o.assume = &t;
    cr_assert_eq(fk_evaluate(in, 2, &o, &res, &e), FK_OK, "%s", e.msg);
    fk_results_free(&res);
    fk_stats s = {0};
    refused(fk_stats_require_tag(&s, &e), &e, "untagged stats");
    fk_featset_free(&a);
    fk_featset_free(&b);
}

/* fk_evaluate adds nothing to the numbers: FD and KID equal the tagged
 * layer's, bit for bit, and the JSON carries the schema and both values. */
Test(eval, evaluate_equals_the_tagged_layer)
{
    fk_featset a, b;
    make_set(TAG_A, 80, 8, 9, 0, &a);
    make_set(TAG_A, 70, 8, 10, 0.3, &b);
    fk_error e;
    fk_eval_options o = fk_eval_default_options();
    o.metrics = FK_METRIC_BIT(FK_METRIC_FD) | FK_METRIC_BIT(FK_METRIC_KID);
    o.interval = 0;
    o.kid_subset_size = 50;
    fk_eval_input in[2] = {{.sets = &a, .n_sets = 1}, {.sets = &b, .n_sets = 1}};
    fk_results res;
    cr_assert_eq(fk_evaluate(in, 2, &o, &res, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(res.n, 2);
    fk_stats sa, sb;
    fk_fd_result fr;
    fk_stats_from_featset(&a, &sa, NULL);
    fk_stats_from_featset(&b, &sb, NULL);
    cr_assert_eq(fk_score_fd(&sa, &sb, NULL, &fr, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(res.items[0].value, fr.fd);
    cr_assert_str_eq(res.items[0].name, "FD_g4");
    fk_kid_options ko = fk_kid_default_options();
    ko.subset_size = 50;
    fk_kid_result kr;
    /* torch-fidelity's draws take the generated set as input1 */
    cr_assert_eq(fk_score_kid(&b, &a, &ko, &kr, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(res.items[1].value, kr.mean);
    char *js = fk_results_json(&res, "score", 0);
    cr_assert(strstr(js, "\"schema\":\"fidkit-result/1\""), "%s", js);
    cr_assert(strstr(js, "\"tag\":\"" TAG_A "\""), "%s", js);
    free(js);
    fk_results_free(&res);
    fk_stats_free(&sa);
    fk_stats_free(&sb);
    fk_featset_free(&a);
    fk_featset_free(&b);
}

static double fd_of(const fk_stats *a, const fk_stats *b)
{
    fk_fd_result r;
    fk_error e;
    cr_assert_eq(fk_score_fd(a, b, NULL, &r, &e), FK_OK, "%s", e.msg);
    return r.fd;
}

Test(eval, accumulator_batches_and_shards_give_one_pass_fd)
{
    const int64_t n = 301;
    const int d = 12;
    fk_featset a, b;
    make_set(TAG_A, n, d, 11, 0, &a);
    make_set(TAG_A, 200, d, 12, 0.25, &b);
    fk_error e;
    fk_stats one, sb;
    cr_assert_eq(fk_stats_from_featset(&a, &one, &e), FK_OK, "%s", e.msg);
    fk_stats_from_featset(&b, &sb, NULL);
    double ref = fd_of(&one, &sb);

    /* random batch sizes into one accumulator */
    uint64_t seed = 99;
    fk_accum *acc;
    cr_assert_eq(fk_accum_open_features(&a.tag, d, 0, &acc, &e), FK_OK, "%s", e.msg);
    for (int64_t at = 0; at < n;) {
        int64_t m = 1 + (int64_t)(lcg(&seed) % 37);
        if (m > n - at)
            m = n - at;
        cr_assert_eq(fk_accum_push_features(acc, 0, a.rows + at * d, m, d, &e), FK_OK, "%s", e.msg);
        at += m;
    }
    fk_stats s;
    cr_assert_eq(fk_accum_stats(acc, 0, &s, &e), FK_OK, "%s", e.msg);
    double got = fd_of(&s, &sb);
    cr_assert(fabs(got - ref) <= 1e-12 * fabs(ref), "batched %.17g vs one pass %.17g", got, ref);
    fk_stats_free(&s);

    /* three shards, merged in a fixed order */
    fk_accum *sh[3];
    int64_t cut[4] = {0, 97, 211, n};
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(fk_accum_open_features(&a.tag, d, 0, &sh[k], &e), FK_OK, "%s", e.msg);
        fk_accum_push_features(sh[k], 0, a.rows + cut[k] * d, cut[k + 1] - cut[k], d, &e);
    }
    cr_assert_eq(fk_accum_merge(sh[0], sh[1], &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_accum_merge(sh[0], sh[2], &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_accum_count(sh[0]), n);
    cr_assert_eq(fk_accum_stats(sh[0], 0, &s, &e), FK_OK, "%s", e.msg);
    got = fd_of(&s, &sb);
    cr_assert(fabs(got - ref) <= 1e-12 * fabs(ref), "3 shards %.17g vs one pass %.17g", got, ref);
    fk_stats_free(&s);

    /* a shard of another tag is refused */
    fk_tag other;
    fk_tag_parse(TAG_B, &other, NULL);
    fk_accum *foreign;
    fk_accum_open_features(&other, d, 0, &foreign, &e);
    refused(fk_accum_merge(sh[0], foreign, &e), &e, "foreign shard");
    fk_accum_close(foreign);
    for (int k = 0; k < 3; k++)
        fk_accum_close(sh[k]);
    fk_accum_close(acc);
    fk_stats_free(&one);
    fk_stats_free(&sb);
    fk_featset_free(&a);
    fk_featset_free(&b);
}

/* Images pushed from memory give the features fk_extract gives for the
 * same pixels read from a dataset file: bit-identical. */
Test(eval, accumulator_images_equal_extract)
{
    const char *dir = fk_test_tmpdir();
    char cfg[1024], data[1024];
    snprintf(cfg, sizeof cfg, "%s/tiny.yaml", dir);
    snprintf(data, sizeof data, "%s/samples.npz", dir);
    FILE *f = fopen(cfg, "w");
    fputs("fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  random: 0\ninput:\n"
          "  size: 32\n  resize: clean\n  crop: none\n  scale: 0.00392156862745098\n"
          "  mean: [0.5, 0.5, 0.5]\n  std: [0.5, 0.5, 0.5]\noutput: pool\nbatch_size: 4\n", f);
    fclose(f);
    const int n = 11, h = 40, w = 36;
    uint8_t *px = malloc((size_t)n * h * w * 3);
    uint64_t seed = 5;
    for (size_t i = 0; i < (size_t)n * h * w * 3; i++)
        px[i] = (uint8_t)(lcg(&seed) & 255);
    fk_error e;
    fk_npz_writer *wr;
    fk_array arr = {FK_U8, 4, {n, h, w, 3}, px};
    cr_assert_eq(fk_npz_writer_open(&wr, data, 0, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_writer_add(wr, "arr_0", &arr, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_writer_commit(wr, &e), FK_OK, "%s", e.msg);

    fk_accum *acc;
    cr_assert_eq(fk_accum_open(cfg, NULL, 0, 1, &acc, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_accum_push_images(acc, px, 5, h, w, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_accum_push_images(acc, px + (size_t)5 * h * w * 3, n - 5, h, w, &e), FK_OK, "%s", e.msg);
    fk_featset mem;
    cr_assert_eq(fk_accum_featset(acc, 0, &mem, &e), FK_OK, "%s", e.msg);

    fk_config c;
    fk_backbone *b;
    cr_assert_eq(fk_config_load(cfg, &c, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_backbone_open(&c, NULL, 0, &b, &e), FK_OK, "%s", e.msg);
    fk_extract_options xo = fk_extract_default_options();
    xo.keep_rows = 1;
    fk_feature_set set;
    cr_assert_eq(fk_extract(b, data, &xo, &set, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(set.n, mem.n);
    cr_assert_eq(set.d, mem.d);
    cr_assert(fk_tag_equal(&set.tag, &mem.tag));
    cr_assert_eq(memcmp(set.rows, mem.rows, (size_t)set.n * set.d * sizeof(float)), 0,
                 "features from memory differ from the dataset's");
    fk_feature_set_free(&set);
    fk_backbone_close(b);
    fk_featset_free(&mem);
    fk_accum_close(acc);
    free(px);
}
