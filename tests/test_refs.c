/* Reference statistics (fidkit/refs.h): every published format written by
 * tests/ref/refs.py with numpy and pickle reads back to exactly numpy's mu
 * and sigma; the registry keeps tags, refuses untagged files without
 * --assume-backbone (exit 3) and serves --ref NAME to fid, score and fd. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

#define TAG "tiny_pool/g4:pool@random-0/32/clean"

static char out[1 << 16];

static void same(const fk_stats *s, const char *mu_npy, const char *sigma_npy, const char *what)
{
    fk_array mu = fk_test_load_npy(mu_npy), sg = fk_test_load_npy(sigma_npy);
    cr_assert_eq(s->d, (int)mu.shape[0], "%s: d %d", what, s->d);
    cr_assert_eq(memcmp(s->mu, mu.data, (size_t)s->d * sizeof(double)), 0, "%s: mu differs", what);
    cr_assert_eq(memcmp(s->sigma, sg.data, (size_t)s->d * s->d * sizeof(double)), 0,
                 "%s: sigma differs", what);
    fk_array_free(&mu);
    fk_array_free(&sg);
}

static void read_ok(const char *file, const char *key, const char *mu, const char *sg,
                    const char *format)
{
    fk_stats s;
    fk_ref_info info;
    fk_error e;
    cr_assert_eq(fk_ref_read(fk_test_fixture(file), key, &s, &info, &e), FK_OK, "%s: %s", file,
                 e.msg);
    cr_assert_str_eq(info.format, format, "%s", file);
    cr_assert_eq(s.has_tag, 0, "%s: a foreign file came with a tag", file);
    same(&s, mu, sg, file);
    fk_stats_free(&s);
}

Test(refs, every_format_reads_back_exactly)
{
    read_ok("pytorch_fid.npz", NULL, "mu.npy", "sigma.npy", "pytorch-fid");
    read_ok("cifar10_legacy_tensorflow_train_32.npz", NULL, "mu.npy", "sigma.npy", "clean-fid");
    read_ok("VIRTUAL_adm_ref.npz", NULL, "mu.npy", "sigma.npy", "ADM reference batch");
    read_ok("edm2.pkl", NULL, "mu.npy", "sigma.npy", "pickle");
    read_ok("edm2.pkl", "fd_dinov2", "mu2.npy", "sigma2.npy", "pickle");
    read_ok("plain5.pkl", NULL, "mu32.npy", "sigma32.npy", "pickle");
    fk_stats s;
    fk_ref_info info;
    fk_error e;
    cr_assert_eq(fk_ref_read(fk_test_fixture("cifar10_legacy_tensorflow_train_32.npz"), NULL, &s,
                             &info, &e), FK_OK);
    cr_assert(strstr(info.hint, "inception_v3_fid_tf"), "hint: %s", info.hint);
    fk_stats_free(&s);
}

Test(refs, unsafe_or_unsupported_pickles_are_refused)
{
    fk_stats s;
    fk_error e;
    cr_assert_eq(fk_ref_read(fk_test_fixture("evil.pkl"), NULL, &s, NULL, &e), FK_ERR_UNSUPPORTED);
    cr_assert(strstr(e.msg, "system"), "%s", e.msg);
    cr_assert_eq(fk_ref_read(fk_test_fixture("fortran.pkl"), NULL, &s, NULL, &e),
                 FK_ERR_UNSUPPORTED);
    cr_assert(strstr(e.msg, "Fortran"), "%s", e.msg);
    cr_assert_eq(fk_ref_read(fk_test_fixture("edm2.pkl"), "nope", &s, NULL, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "fd_dinov2"), "the message lists the entries: %s", e.msg);
}

static const char *registry(void)
{
    static char dir[300];
    snprintf(dir, sizeof dir, "%s/refs", fk_test_tmpdir());
    setenv("FIDKIT_REFS_DIR", dir, 1);
    return dir;
}

Test(refs, the_registry_keeps_tags_and_refuses_untagged_files, .timeout = 60)
{
    registry();
    int rc = fk_test_run_cli(out, sizeof out, "refs add cifar %s",
                             fk_test_fixture("cifar10_legacy_tensorflow_train_32.npz"));
    cr_assert_eq(rc, 3, "an untagged file was added without a tag: %s", out);
    cr_assert(strstr(out, "--assume-backbone") && strstr(out, "inception_v3_fid_tf"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "refs add edm2 %s --assume-backbone '%s'",
                         fk_test_fixture("edm2.pkl"), TAG);
    cr_assert_eq(rc, 0, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "refs add edm2 %s --assume-backbone '%s'",
                         fk_test_fixture("edm2.pkl"), TAG);
    cr_assert_eq(rc, 2, "an existing name was replaced: %s", out);

    /* A fidkit file keeps its tag; a contradicting --assume-backbone is refused. */
    const char *dir = fk_test_tmpdir();
    char own[600];
    snprintf(own, sizeof own, "%s/own.npz", dir);
    fk_stats s;
    fk_ref_info info;
    fk_error e;
    cr_assert_eq(fk_ref_read(fk_test_fixture("pytorch_fid.npz"), NULL, &s, &info, &e), FK_OK);
    s.has_tag = 1;
    cr_assert_eq(fk_tag_parse(TAG, &s.tag, &e), FK_OK);
    cr_assert_eq(fk_stats_write(own, &s, NULL, &e), FK_OK, "%s", e.msg);
    fk_stats_free(&s);
    rc = fk_test_run_cli(out, sizeof out, "refs add own %s --assume-backbone "
                         "'tiny_pool/g4:pool@random-1/32/clean'", own);
    cr_assert_eq(rc, 3, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "refs add own %s", own);
    cr_assert_eq(rc, 0, "%s", out);

    rc = fk_test_run_cli(out, sizeof out, "refs ls --json");
    cr_assert_eq(rc, 0, "%s", out);
    cJSON *j = cJSON_Parse(out);
    cJSON *v = cJSON_GetObjectItem(j, "references");
    cr_assert_eq(cJSON_GetArraySize(v), 2, "%s", out);
    cJSON *a = cJSON_GetArrayItem(v, 0), *b = cJSON_GetArrayItem(v, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(a, "name")->valuestring, "edm2");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(a, "tag_assumed")));
    cr_assert_str_eq(cJSON_GetObjectItem(a, "key")->valuestring, "fid");
    cr_assert_str_eq(cJSON_GetObjectItem(b, "name")->valuestring, "own");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(b, "tag_assumed")));
    cr_assert_str_eq(cJSON_GetObjectItem(b, "tag")->valuestring, TAG);
    cJSON_Delete(j);

    /* The registry's copy holds numpy's numbers, tagged. */
    fk_ref_info x;
    cr_assert_eq(fk_refs_lookup("edm2", &x, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_stats_read(x.path, &s, &e), FK_OK, "%s", e.msg);
    cr_assert(s.has_tag);
    same(&s, "mu.npy", "sigma.npy", "registry copy");
    fk_stats_free(&s);

    rc = fk_test_run_cli(out, sizeof out, "refs rm edm2");
    cr_assert_eq(rc, 0, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "refs rm edm2");
    cr_assert_neq(rc, 0, "%s", out);
    cr_assert(strstr(out, "no reference 'edm2'"), "%s", out);
}

/* --ref NAME in fid and fd gives the number the file itself gives. */
Test(refs, ref_name_is_accepted_by_fid_score_and_fd, .timeout = 60)
{
    registry();
    const char *dir = fk_test_tmpdir();
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/tiny.yaml", dir);
    FILE *f = fopen(cfg, "w");
    fputs("fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  random: 0\ninput:\n"
          "  size: 32\n  resize: clean\n  crop: none\n  scale: 0.00392156862745098\n"
          "  mean: [0.5, 0.5, 0.5]\n  std: [0.5, 0.5, 0.5]\noutput: pool\nbatch_size: 4\n", f);
    fclose(f);
    char fake[600], real[600], st[600];
    snprintf(fake, sizeof fake, "%s/fake.npz", dir);
    snprintf(real, sizeof real, "%s/real.npz", dir);
    snprintf(st, sizeof st, "%s/real_stats.npz", dir);
    uint8_t px[10 * 16 * 16 * 3];
    for (int k = 0; k < 2; k++) {
        unsigned seed = 11 + k;
        for (size_t i = 0; i < sizeof px; i++)
            px[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
        fk_npz_writer *w;
        fk_error e;
        fk_array a = {FK_U8, 4, {10, 16, 16, 3}, px};
        cr_assert_eq(fk_npz_writer_open(&w, k ? fake : real, 0, &e), FK_OK);
        cr_assert_eq(fk_npz_writer_add(w, "arr_0", &a, &e), FK_OK);
        cr_assert_eq(fk_npz_writer_commit(w, &e), FK_OK);
    }
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s", real, st, cfg);
    cr_assert_eq(rc, 0, "%s", out);
    /* the config is recorded: --ref needs no --backbone */
    rc = fk_test_run_cli(out, sizeof out, "refs add r %s --assume-backbone %s", real, cfg);
    cr_assert_neq(rc, 0, "a dataset was taken for statistics: %s", out);
    rc = fk_test_run_cli(out, sizeof out, "refs add r %s", st);
    cr_assert_eq(rc, 0, "%s", out);
    char direct[4096];
    rc = fk_test_run_cli(direct, sizeof direct, "fid %s %s --backbone %s --json", st, fake, cfg);
    cr_assert_eq(rc, 0, "%s", direct);
    const char *v = strstr(direct, "\"value\":");
    cr_assert(v);
    char want[64];
    snprintf(want, sizeof want, "%.30s", v);
    rc = fk_test_run_cli(out, sizeof out, "fid %s --ref r --json", fake);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, want), "fid --ref differs: %s\nvs %s", out, direct);
    rc = fk_test_run_cli(out, sizeof out, "score %s --ref r --metrics fid --ci none --json", fake);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, want), "score --ref differs: %s", out);
    rc = fk_test_run_cli(out, sizeof out, "fd %s --ref r --json", st);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"value\":\t0"), "fd of a file with itself: %s", out);
    rc = fk_test_run_cli(out, sizeof out, "fid %s --ref missing", fake);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(out, "no reference 'missing'"), "%s", out);
}
