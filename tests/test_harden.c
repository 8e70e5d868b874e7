/* Hardening (issue 16 §2): each test here failed on the code before its fix.
 * Tags that carry the input normalisation, outputs that never destroy what a
 * user owns, bounded and strict readers, finite printing, exit codes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* n random uint8 images of h x w, as an .npz dataset. */
static void write_samples(const char *path, int n, int h, int w, uint64_t seed)
{
    uint8_t *px = malloc((size_t)n * h * w * 3);
    for (size_t i = 0; i < (size_t)n * h * w * 3; i++)
        px[i] = (uint8_t)(lcg(&seed) & 255);
    fk_error e;
    fk_npz_writer *wr;
    fk_array arr = {FK_U8, 4, {n, h, w, 3}, px};
    cr_assert_eq(fk_npz_writer_open(&wr, path, 0, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_writer_add(wr, "arr_0", &arr, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_writer_commit(wr, &e), FK_OK, "%s", e.msg);
    free(px);
}

/* A tiny_pool config (no torch, random weights) with the given input line. */
static void write_config(const char *path, const char *norm)
{
    char text[1024];
    snprintf(text, sizeof text,
             "fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  random: 0\ninput:\n"
             "  size: 16\n  resize: clean\n  crop: none\n%soutput: pool\nbatch_size: 4\n", norm);
    write_text(path, text);
}

/* ---- 1. the tag carries the input normalisation ---- */

/* Every shipped config is canonical: its tag is the one it had before the
 * norm segment existed, so stats files written before stay comparable. */
Test(tag_norm, shipped_configs_keep_their_tags)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/configs", getenv("FK_SOURCE_DIR"));
    DIR *d = opendir(dir);
    cr_assert(d, "%s", dir);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        size_t k = strlen(de->d_name);
        if (k < 6 || strcmp(de->d_name + k - 5, ".yaml"))
            continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        fk_config c;
        fk_error e;
        cr_assert_eq(fk_config_load(p, &c, &e), FK_OK, "%s", e.msg);
        fk_tag t;
        fk_config_tag(&c, NULL, &t);
        if (!strcmp(c.plugin, "torchscript")) /* a user's network: no canonical input */
            continue;
        cr_assert_str_eq(t.norm, "", "%s: canonical input expected, tag has norm=%s", p, t.norm);
        cr_assert_str_eq(t.prec, "");
        n++;
    }
    closedir(d);
    cr_assert_gt(n, 10);
}

Test(tag_norm, parse_print_and_canonical_forms)
{
    fk_tag t;
    fk_error e;
    char b[FK_TAG_STR_MAX];
    /* A preset given as numbers prints as its name; the canonical one is dropped. */
    cr_assert_eq(fk_tag_parse("resnet/resnet50:pool@random-0/224/clean/norm=s0.00392156886_m0.5_0.5"
                              "_0.5_d0.5_0.5_0.5", &t, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(t.norm, "pm1");
    cr_assert_str_eq(fk_tag_str(&t, 1, b, sizeof b), "resnet/resnet50:pool@random-0/224/clean/norm=pm1");
    cr_assert_eq(fk_tag_parse("resnet/resnet50:pool@random-0/224/clean/norm=imagenet", &t, &e), FK_OK);
    cr_assert_str_eq(t.norm, "");
    cr_assert_str_eq(fk_tag_str(&t, 1, b, sizeof b), "resnet/resnet50:pool@random-0/224/clean");
    /* Arbitrary numbers round-trip exactly (as floats). */
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@random-0/299/clean/norm=s1_m1e-05_-2_3.5_d0.1_0.2"
                              "_0.3/prec=tf32", &t, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(t.prec, "tf32");
    fk_tag u;
    cr_assert_eq(fk_tag_parse(fk_tag_str(&t, 0, b, sizeof b), &u, &e), FK_OK, "%s: %s", b, e.msg);
    cr_assert(fk_tag_equal(&t, &u), "%s", b);
    cr_assert_str_eq(b, "inception_v3/fid:pool3@random-0/299/clean/norm=s1_m9.99999975e-06_-2_3.5_"
                        "d0.100000001_0.200000003_0.300000012/prec=tf32");
    /* fp32 is the default precision: absent. */
    cr_assert_eq(fk_tag_parse("clip/vit-b-32:image@random-0/224/pil_bicubic/prec=fp32", &t, &e), FK_OK);
    cr_assert_str_eq(fk_tag_str(&t, 1, b, sizeof b), "clip/vit-b-32:image@random-0/224/pil_bicubic");
    /* From a config: the same rule. */
    fk_tag c = {.backbone = "inception_v3", .variant = "fid", .layer = "pool3",
                .weights = "random-0", .input_size = 299, .resize = "legacy_tensorflow"};
    fk_tag_set_norm(&c, 1.0f, (float[3]){128, 128, 128}, (float[3]){128, 128, 128});
    cr_assert_str_eq(c.norm, "");
    fk_tag_set_norm(&c, 1.0f / 255, (float[3]){0.5f, 0.5f, 0.5f}, (float[3]){0.5f, 0.5f, 0.5f});
    cr_assert_str_eq(c.norm, "pm1");
}

Test(tag_norm, refused_forms)
{
    const char *bad[] = {
        "a/b:c@random-0/1/clean/norm=",            "a/b:c@random-0/1/clean/norm=fancy",
        "a/b:c@random-0/1/clean/prec=tf32/norm=pm1", "a/b:c@random-0/1/clean/norm=pm1/norm=pm1",
        "a/b:c@random-0/1/clean/colour=red",       "a/b:c@random-0/1/clean/pm1",
        "a/b:c@random-0/1/clean/norm=s0_m0_0_0_d1_1_1", "a/b:c@random-0/1/clean/norm=s1_m0_0_0_d1_0_1",
        "a/b:c@random-0/1/clean/norm=s1_minf_0_0_d1_1_1", "a/b:c@random-0/1/clean/prec=TF32",
        "a/b:c@random-0/1/clean\x1b[31m",           "a/b:c@random-0/1/cl\tean",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fk_tag t;
        fk_error e;
        cr_assert_eq(fk_tag_parse(bad[i], &t, &e), FK_ERR_ARG, "'%s' must be refused", bad[i]);
    }
}

Test(tag_norm, norm_and_prec_refuse_comparison)
{
    fk_tag a, b, c;
    fk_error e;
    fk_tag_parse("tiny_pool/g4:pool@random-0/16/clean", &a, &e);
    fk_tag_parse("tiny_pool/g4:pool@random-0/16/clean/norm=raw", &b, &e);
    fk_tag_parse("tiny_pool/g4:pool@random-0/16/clean/prec=bf16", &c, &e);
    cr_assert_eq(fk_tag_check(&a, &b, &e), FK_ERR_TAG);
    cr_assert(strstr(e.msg, "norm=raw"), "%s", e.msg);
    cr_assert_eq(fk_tag_check(&a, &c, &e), FK_ERR_TAG);
    cr_assert(!fk_tag_str_comparable("tiny_pool/g4:pool@random-0/16/clean",
                                     "tiny_pool/g4:pool@random-0/16/clean/norm=raw"));
    /* An unknown backbone always carries its normalisation. */
    fk_tag u = {.backbone = "mynet", .variant = "v", .layer = "x", .weights = "random-0",
                .input_size = 8, .resize = "clean"};
    fk_tag_set_norm(&u, 1.0f / 255, (float[3]){0.485f, 0.456f, 0.406f}, (float[3]){0.229f, 0.224f, 0.225f});
    cr_assert_str_eq(u.norm, "imagenet");
}

/* The review's case: two configs that differ only in mean/std. fidkit
 * computed an FD between their stats; now it refuses with exit 3. */
Test(tag_norm, cli_refuses_stats_of_different_mean_std)
{
    const char *dir = fk_test_tmpdir();
    char c1[512], c2[512], data[512], s1[512], s2[512], out[8192];
    snprintf(c1, sizeof c1, "%s/a.yaml", dir);
    snprintf(c2, sizeof c2, "%s/b.yaml", dir);
    snprintf(data, sizeof data, "%s/samples.npz", dir);
    snprintf(s1, sizeof s1, "%s/s1.npz", dir);
    snprintf(s2, sizeof s2, "%s/s2.npz", dir);
    write_config(c1, "  scale: 0.00392156862745098\n  mean: [0.5, 0.5, 0.5]\n  std: [0.5, 0.5, 0.5]\n");
    write_config(c2, "  scale: 0.00392156862745098\n  mean: [0.485, 0.456, 0.406]\n"
                     "  std: [0.229, 0.224, 0.225]\n");
    write_samples(data, 12, 20, 20, 7);
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s --quiet", data, s1, c1);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(!strstr(out, "/norm="), "the canonical normalisation is not printed: %s", out);
    rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s --quiet", data, s2, c2);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "/norm=imagenet"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "fd %s %s", s1, s2);
    cr_assert_eq(rc, 3, "exit %d: %s", rc, out);
    cr_assert(strstr(out, "refusing to compare"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "fd %s %s", s1, s1);
    cr_assert_eq(rc, 0, "%s", out);
}
