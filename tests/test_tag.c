/* Tags: parsing, printing, matching, and the refusal on the command line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

#define FULL "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"

Test(tag, parse_and_print)
{
    fk_tag t;
    fk_error e;
    cr_assert_eq(fk_tag_parse("inception_v3/fid:pool3@" FULL "/299/legacy_pytorch", &t, &e), FK_OK,
                 "%s", e.msg);
    cr_assert_str_eq(t.backbone, "inception_v3");
    cr_assert_str_eq(t.variant, "fid");
    cr_assert_str_eq(t.layer, "pool3");
    cr_assert_str_eq(t.weights, FULL);
    cr_assert_eq(t.input_size, 299);
    cr_assert_str_eq(t.resize, "legacy_pytorch");
    char b[FK_TAG_STR_MAX];
    cr_assert_str_eq(fk_tag_str(&t, 1, b, sizeof b), "inception_v3/fid:pool3@6726825d/299/legacy_pytorch");
    cr_assert_str_eq(fk_tag_str(&t, 0, b, sizeof b), "inception_v3/fid:pool3@" FULL "/299/legacy_pytorch");
}

Test(tag, short_sha_matches_its_full_form_only)
{
    fk_tag a, b, c, r;
    fk_error e;
    fk_tag_parse("inception_v3/fid:pool3@" FULL "/299/legacy_pytorch", &a, &e);
    fk_tag_parse("inception_v3/fid:pool3@6726825D/299/legacy_pytorch", &b, &e);
    fk_tag_parse("inception_v3/fid:pool3@6726825e/299/legacy_pytorch", &c, &e);
    fk_tag_parse("inception_v3/fid:pool3@random-0/299/legacy_pytorch", &r, &e);
    cr_assert(fk_tag_equal(&a, &b));
    cr_assert(!fk_tag_equal(&a, &c));
    cr_assert(!fk_tag_equal(&a, &r));
}

Test(tag, every_field_counts)
{
    const char *base = "inception_v3/fid:pool3@random-0/299/clean";
    const char *other[] = {"resnet/fid:pool3@random-0/299/clean", "inception_v3/tv:pool3@random-0/299/clean",
                           "inception_v3/fid:logits@random-0/299/clean", "inception_v3/fid:pool3@random-1/299/clean",
                           "inception_v3/fid:pool3@random-0/224/clean", "inception_v3/fid:pool3@random-0/299/legacy_pytorch"};
    fk_tag a, b;
    fk_error e;
    fk_tag_parse(base, &a, &e);
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        cr_assert_eq(fk_tag_parse(other[i], &b, &e), FK_OK);
        cr_assert_eq(fk_tag_check(&a, &b, &e), FK_ERR_TAG, "%s", other[i]);
        cr_assert(strstr(e.msg, "refusing to compare"), "%s", e.msg);
    }
}

Test(tag, malformed)
{
    fk_tag t;
    fk_error e;
    const char *bad[] = {"", "inception_v3", "a/b:c@d/x/clean", "a/b:c@1234/299/clean",
                         "a/b:c@d/299/", "a b/c:d@e/1/r", "/b:c@d/1/r"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(fk_tag_parse(bad[i], &t, &e), FK_ERR_ARG, "'%s' must be refused", bad[i]);
}

/* Writes a tagged stats file with identity covariance, mean shifted by off. */
static void write_tagged(const char *path, const char *tag, double off)
{
    double mu[4] = {off, 0, 0, 0}, sg[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    fk_stats s = {.d = 4, .n = 10, .mu = mu, .sigma = sg, .has_tag = 1};
    fk_error e;
    cr_assert_eq(fk_tag_parse(tag, &s.tag, &e), FK_OK);
    cr_assert_eq(fk_stats_write(path, &s, NULL, &e), FK_OK, "%s", e.msg);
}

Test(cli_fd, refuses_different_backbones_with_exit_3)
{
    const char *dir = fk_test_tmpdir();
    char a[256], b[256], out[8192];
    snprintf(a, sizeof a, "%s/a.npz", dir);
    snprintf(b, sizeof b, "%s/b.npz", dir);
    write_tagged(a, "inception_v3/fid:pool3@" FULL "/299/legacy_pytorch", 0);
    write_tagged(b, "clip/vit-b-32:image@abcdef0123456789/224/pil_bicubic", 1);
    int rc = fk_test_run_cli(out, sizeof out, "fd %s %s", a, b);
    cr_assert_eq(rc, 3, "exit %d: %s", rc, out);
    cr_assert(strstr(out, "inception_v3/fid:pool3@6726825d/299/legacy_pytorch"), "%s", out);
    cr_assert(strstr(out, "clip/vit-b-32:image@abcdef01/224/pil_bicubic"), "%s", out);
    cr_assert(!strstr(out, "FD:"), "no score may be printed: %s", out);
}

Test(cli_fd, same_backbone_scores_and_json)
{
    const char *dir = fk_test_tmpdir();
    char a[256], b[256], out[8192];
    snprintf(a, sizeof a, "%s/a.npz", dir);
    snprintf(b, sizeof b, "%s/b.npz", dir);
    write_tagged(a, "inception_v3/fid:pool3@" FULL "/299/legacy_pytorch", 0);
    write_tagged(b, "inception_v3/fid:pool3@" FULL "/299/legacy_pytorch", 3);
    int rc = fk_test_run_cli(out, sizeof out, "fd %s %s --json", a, b);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"value\":\t9"), "FD of means 3 apart, equal covariances: %s", out);
    cr_assert(strstr(out, "\"tag\":\t\"inception_v3/fid:pool3@" FULL), "%s", out);
}

/* A file as pytorch-fid writes it: mu and sigma only. */
static void write_untagged(const char *path)
{
    double mu[2] = {1, 2}, sg[4] = {2, 1, 1, 2};
    fk_array a = {FK_F64, 1, {2}, mu}, b = {FK_F64, 2, {2, 2}, sg};
    fk_npz_writer *w;
    fk_error e;
    cr_assert_eq(fk_npz_writer_open(&w, path, 1, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_writer_add(w, "mu", &a, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_add(w, "sigma", &b, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_commit(w, &e), FK_OK, "%s", e.msg);
}

Test(cli_fd, untagged_files_need_assume_backbone)
{
    const char *dir = fk_test_tmpdir();
    char a[256], b[256], c[256], out[8192];
    snprintf(a, sizeof a, "%s/a.npz", dir);
    snprintf(b, sizeof b, "%s/b.npz", dir);
    snprintf(c, sizeof c, "%s/c.npz", dir);
    write_untagged(a);
    write_untagged(b);
    int rc = fk_test_run_cli(out, sizeof out, "fd %s %s", a, b);
    cr_assert_eq(rc, 3, "%s", out);
    cr_assert(strstr(out, "--assume-backbone"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out,
                     "fd %s %s --assume-backbone inception_v3/fid:pool3@6726825d/299/legacy_pytorch", a, b);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "FID: 0.000000"), "same statistics, labelled by their backbone: %s", out);
    /* An assumption does not override a tag a file carries. */
    write_tagged(c, "resnet/resnet50:pool@random-0/224/clean", 0);
    rc = fk_test_run_cli(out, sizeof out,
                     "fd %s %s --assume-backbone inception_v3/fid:pool3@6726825d/299/legacy_pytorch", a, c);
    cr_assert_eq(rc, 3, "%s", out);
}

Test(cli_fd, bad_input_exit_codes)
{
    char out[8192];
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "fd"), 2);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "fd a.npz b.npz --bogus"), 2);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "fd --help"), 0);
    cr_assert(strstr(out, "usage: fidkit fd"));
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "fd /nonexistent/a.npz /nonexistent/b.npz"), 1);
    cr_assert(strstr(out, "/nonexistent/a.npz"), "%s", out);
    cr_assert_eq(fk_test_run_cli(out, sizeof out, "stats-info --help"), 0);
}

Test(cli_demo, stats_only_demo_scores_two_tagged_files)
{
    char out[8192];
    int rc = fk_test_run_cli(out, sizeof out, "demo --stats-only --out %s", fk_test_tmpdir());
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "exact FD of the two Gaussians: 3.200000"), "%s", out);
    const char *v = strstr(out, "FD_gaussian: ");
    cr_assert(v, "%s", out);
    double fd = strtod(v + 13, NULL);
    /* 5000 samples of 64 dims: the estimate is 3.2 plus a small-sample bias
     * of roughly d^2/N-order terms; it must be close to 3.2 and above it. */
    cr_assert(fd > 3.2 && fd < 4.5, "FD %g", fd);
}
