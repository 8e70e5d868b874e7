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
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
        /* New with the norm segment (no older stats to keep comparable), and
         * torch-fidelity's own float arithmetic for ImageNet's map. */
        if (strstr(de->d_name, "dinov2_vitl14_torch_fidelity")) {
            cr_assert_str_eq(t.norm, "imagenet255", "%s", p);
            continue;
        }
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

/* ---- 2. outputs never destroy what a user owns ---- */

struct out_fixture {
    char dir[512], cfg[600], data[600];
};

static struct out_fixture out_setup(void)
{
    struct out_fixture f;
    snprintf(f.dir, sizeof f.dir, "%s", fk_test_tmpdir());
    snprintf(f.cfg, sizeof f.cfg, "%s/tiny.yaml", f.dir);
    snprintf(f.data, sizeof f.data, "%s/samples.npz", f.dir);
    write_config(f.cfg, "  scale: 0.00392156862745098\n  mean: [0.5, 0.5, 0.5]\n  std: [0.5, 0.5, 0.5]\n");
    write_samples(f.data, 8, 16, 16, 3);
    return f;
}

static int is_link(const char *p)
{
    struct stat s;
    return !lstat(p, &s) && S_ISLNK(s.st_mode);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    char *b = malloc(1 << 20);
    *n = fread(b, 1, (1 << 20) - 1, f);
    b[*n] = 0;
    fclose(f);
    return b;
}

Test(output, fifo_is_written_through_not_replaced)
{
    struct out_fixture f = out_setup();
    char fifo[700], copy[700], out[8192];
    snprintf(fifo, sizeof fifo, "%s/pipe", f.dir);
    snprintf(copy, sizeof copy, "%s/copy.npz", f.dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "(timeout 30 cat %s > %s &) ; '%s' stats %s -o %s --backbone %s --quiet; "
             "r=$?; sleep 0.5; exit $r", fifo, copy, getenv("FK_BIN"), f.data, fifo, f.cfg);
    int rc = system(cmd);
    cr_assert_eq(WEXITSTATUS(rc), 0);
    struct stat s;
    cr_assert_eq(lstat(fifo, &s), 0);
    cr_assert(S_ISFIFO(s.st_mode), "the FIFO was replaced by a file");
    fk_stats st;
    fk_error e;
    cr_assert_eq(fk_stats_read(copy, &st, &e), FK_OK, "the bytes through the FIFO: %s", e.msg);
    cr_assert_eq(st.n, 8);
    fk_stats_free(&st);
    (void)out;
}

Test(output, dev_stdout_through_a_link)
{
    struct out_fixture f = out_setup();
    char link[700], copy[700];
    snprintf(link, sizeof link, "%s/out-link", f.dir);
    snprintf(copy, sizeof copy, "%s/copy.bin", f.dir);
    cr_assert_eq(symlink("/dev/stdout", link), 0);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' extract %s -o %s --backbone %s --quiet --json | cat > %s",
             getenv("FK_BIN"), f.data, link, f.cfg, copy);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 0);
    cr_assert(is_link(link), "the link to /dev/stdout was replaced");
    size_t n;
    char *b = slurp(copy, &n);
    cr_assert(n > 100 && !memcmp(b, "PK\x03\x04", 4), "the npz went to stdout (%zu bytes)", n);
    free(b);
}

Test(output, dev_full_reports_enospc_and_keeps_the_link)
{
    struct out_fixture f = out_setup();
    char link[700], out[8192];
    snprintf(link, sizeof link, "%s/full-link", f.dir);
    cr_assert_eq(symlink("/dev/full", link), 0);
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s --quiet", f.data, link,
                             f.cfg);
    cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
    cr_assert(strstr(out, strerror(ENOSPC)), "%s", out);
    cr_assert(is_link(link), "the link to /dev/full was replaced");
}

Test(output, directory_and_dangling_link_refused_before_work)
{
    struct out_fixture f = out_setup();
    char d[700], dl[700], out[8192];
    snprintf(d, sizeof d, "%s/adir", f.dir);
    snprintf(dl, sizeof dl, "%s/dangling", f.dir);
    cr_assert_eq(mkdir(d, 0700), 0);
    cr_assert_eq(symlink("/nonexistent-fidkit-target", dl), 0);
    /* A plugin that does not exist: the output is checked before it is looked for. */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/bad.yaml", f.dir);
    write_text(bad, "fidkit_config: 1\nplugin: no_such_plugin\nvariant: v\nweights:\n  random: 0\n"
                    "input:\n  size: 16\n  resize: clean\n  scale: 1\n  mean: [0, 0, 0]\n"
                    "  std: [1, 1, 1]\noutput: pool\n");
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s", f.data, d, bad);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "is a directory"), "%s", out);
    struct stat s;
    cr_assert(!stat(d, &s) && S_ISDIR(s.st_mode));
    rc = fk_test_run_cli(out, sizeof out, "extract %s -o %s --backbone %s", f.data, dl, bad);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "symlink to nothing"), "%s", out);
    cr_assert(is_link(dl));
    /* A missing folder: found before the work, with its errno (was "out of memory"). */
    rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s/no/such/dir/s.npz --backbone %s", f.data,
                         f.dir, bad);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, strerror(ENOENT)) && !strstr(out, "no_such_plugin"), "%s", out);
    /* A folder nobody may write in (even root cannot create files in /sys). */
    if (access("/sys", F_OK) == 0) {
        rc = fk_test_run_cli(out, sizeof out, "stats %s -o /sys/fidkit-test.npz --backbone %s",
                             f.data, bad);
        cr_assert_eq(rc, 1, "%s", out);
        cr_assert(strstr(out, "cannot create a file in /sys") && !strstr(out, "out of memory") &&
                  !strstr(out, "no_such_plugin"), "%s", out);
    }
}

Test(output, link_to_a_file_keeps_the_link)
{
    struct out_fixture f = out_setup();
    char target[700], link[700], out[8192];
    snprintf(target, sizeof target, "%s/real.npz", f.dir);
    snprintf(link, sizeof link, "%s/link.npz", f.dir);
    write_text(target, "old");
    cr_assert_eq(symlink("real.npz", link), 0);
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s --backbone %s --quiet", f.data, link,
                             f.cfg);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(is_link(link), "the symlink was replaced by a file");
    fk_stats st;
    fk_error e;
    cr_assert_eq(fk_stats_read(target, &st, &e), FK_OK, "%s", e.msg);
    fk_stats_free(&st);
}

Test(output, the_output_is_never_an_input)
{
    struct out_fixture f = out_setup();
    char other[700], out[8192];
    snprintf(other, sizeof other, "%s/samples-hardlink.npz", f.dir);
    cr_assert_eq(link(f.data, other), 0);
    size_t n0, n1;
    char *before = slurp(f.data, &n0);
    const char *cmds[] = {"extract", "stats"};
    for (int i = 0; i < 2; i++) {
        int rc = fk_test_run_cli(out, sizeof out, "%s %s -o %s --backbone %s", cmds[i], f.data,
                                 other, f.cfg);
        cr_assert_eq(rc, 2, "%s: exit %d: %s", cmds[i], rc, out);
        cr_assert(strstr(out, "is the input"), "%s", out);
    }
    char *after = slurp(f.data, &n1);
    cr_assert(n0 == n1 && !memcmp(before, after, n0), "the input was changed");
    free(before);
    free(after);
    /* clipscore --per-pair onto its own manifest */
    char man[700];
    snprintf(man, sizeof man, "%s/pairs.csv", f.dir);
    write_text(man, "image,caption\nx.png,a cat\n");
    int rc = fk_test_run_cli(out, sizeof out, "clipscore %s --per-pair %s", man, man);
    cr_assert_eq(rc, 2, "exit %d: %s", rc, out);
    after = slurp(man, &n1);
    cr_assert_str_eq(after, "image,caption\nx.png,a cat\n");
    free(after);
}

Test(output, stale_temporaries_of_a_killed_run_are_removed)
{
    struct out_fixture f = out_setup();
    char out[8192], dead[800], old[800], live[800], other[800];
    pid_t gone = 0;
    for (pid_t p = 4000000; p > 1000; p -= 7919)
        if (kill(p, 0) && errno == ESRCH) {
            gone = p;
            break;
        }
    cr_assert(gone);
    snprintf(dead, sizeof dead, "%s/.s.npz.tmp-%ld-AbCdEf", f.dir, (long)gone);
    snprintf(old, sizeof old, "%s/.s.npz.tmp-XyZ123", f.dir);
    snprintf(live, sizeof live, "%s/.s.npz.tmp-%ld-LiVe00", f.dir, (long)getpid());
    snprintf(other, sizeof other, "%s/.t.npz.tmp-%ld-OtHeR0", f.dir, (long)gone);
    const char *all[] = {dead, old, live, other};
    struct timespec t[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    for (int i = 0; i < 4; i++) {
        write_text(all[i], "partial");
        cr_assert_eq(utimensat(AT_FDCWD, all[i], t, 0), 0);
    }
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s/s.npz --backbone %s --quiet", f.data,
                             f.dir, f.cfg);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(access(dead, F_OK), "a dead writer's temporary stays");
    cr_assert(access(old, F_OK), "an old-style temporary stays");
    cr_assert(!access(live, F_OK), "a live writer's temporary was removed");
    cr_assert(!access(other, F_OK), "another output's temporary was removed");
}

Test(output, a_truncated_plot_is_never_committed)
{
    const char *dir = fk_test_tmpdir();
    double x[3] = {0, 1, 2}, y[3] = {1, 3, 2};
    fk_plot_series s = {"a", 3, x, y, NULL, NULL};
    fk_plot_panel p = {"tiny_pool/g4:pool@random-0/16/clean", "x", "y", 0, 0, 1, &s, NULL};
    const char *names[2] = {"p.png", "p.svg"};
    signal(SIGXFSZ, SIG_IGN);
    for (int k = 0; k < 2; k++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        fk_error e;
        char whole[720];
        snprintf(whole, sizeof whole, "%s/whole-%s", dir, names[k]);
        cr_assert_eq(fk_plot_write(whole, "t", &p, 1, NULL, NULL, &e), FK_OK, "%s", e.msg);
        struct stat sb;
        cr_assert(!stat(whole, &sb) && sb.st_size > 2000, "the whole plot is larger than the cap");
        struct rlimit full = {2000, RLIM_INFINITY}, none = {RLIM_INFINITY, RLIM_INFINITY};
        cr_assert_eq(setrlimit(RLIMIT_FSIZE, &full), 0);
        fk_status st = fk_plot_write(path, "t", &p, 1, NULL, NULL, &e);
        setrlimit(RLIMIT_FSIZE, &none);
        cr_assert_neq(st, FK_OK, "%s: a plot cut at 2000 bytes was committed", path);
        cr_assert(access(path, F_OK), "%s exists", path);
    }
}

Test(output, sweep_name_cannot_leave_the_folder)
{
    const char *dir = fk_test_tmpdir();
    const char *names[] = {"../../x", "a/b", "..", ".hidden", "a\\\\b"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[700], text[512];
        snprintf(path, sizeof path, "%s/s%zu.yaml", dir, i);
        snprintf(text, sizeof text, "fidkit_sweep: 1\nname: \"%s\"\nreal: r.npy\nfake: f.npy\n"
                 "backbones: [tiny.yaml]\nmetrics: [fid]\n", names[i]);
        write_text(path, text);
        fk_sweep_spec s;
        fk_error e;
        cr_assert_eq(fk_sweep_load(path, &s, &e), FK_ERR_ARG, "name '%s' accepted", names[i]);
        cr_assert(strstr(e.msg, "'name'"), "%s", e.msg);
    }
}

/* ---- 3. inputs: bounded, strict, never a hang ---- */

static int py(const char *code)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' -c \"%s\"", getenv("FK_PYTHON"), code);
    return WEXITSTATUS(system(cmd));
}

Test(input, zip_bomb_refused_on_its_declared_sizes)
{
    struct out_fixture f = out_setup();
    char zip[700], code[2048], out[8192];
    snprintf(zip, sizeof zip, "%s/bomb.zip", f.dir);
    /* 20 MB of a valid black PPM that deflates about 1000:1 */
    snprintf(code, sizeof code, "import zipfile; z = zipfile.ZipFile('%s', 'w', zipfile.ZIP_DEFLATED); "
             "z.writestr('a.ppm', b'P6 2048 3413 255\\n' + bytes(2048 * 3413 * 3)); z.close()", zip);
    cr_assert_eq(py(code), 0);
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s/s.npz --backbone %s --quiet", zip,
                             f.dir, f.cfg);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, out);
    cr_assert(strstr(out, "bomb.zip: member a.ppm") && strstr(out, "zip bomb"), "%s", out);
}

Test(input, fifo_and_dev_zero_in_a_list_fail_fast, .timeout = 60)
{
    struct out_fixture f = out_setup();
    char list[700], fifo[700], text[1024], out[8192];
    snprintf(list, sizeof list, "%s/list.txt", f.dir);
    snprintf(fifo, sizeof fifo, "%s/pipe.png", f.dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    const char *entries[2] = {"pipe.png", "/dev/zero"};
    const char *why[2] = {"a FIFO", "a character device"};
    for (int i = 0; i < 2; i++) {
        snprintf(text, sizeof text, "%s\n", entries[i]);
        write_text(list, text);
        int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s/s.npz --backbone %s --quiet",
                                 list, f.dir, f.cfg);
        cr_assert(rc == 1 || rc == 4, "%s: exit %d: %s", entries[i], rc, out);
        cr_assert(strstr(out, why[i]) && strstr(out, entries[i]), "%s", out);
    }
    /* The list itself a FIFO: refused, not waited on. */
    char lf[700];
    snprintf(lf, sizeof lf, "%s/fifo.txt", f.dir);
    cr_assert_eq(mkfifo(lf, 0600), 0);
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s/s.npz --backbone %s --quiet", lf,
                             f.dir, f.cfg);
    cr_assert_neq(rc, 0, "%s", out);
    cr_assert(strstr(out, "a FIFO"), "%s", out);
}

Test(input, folder_never_drops_an_image_silently)
{
    struct out_fixture f = out_setup();
    char dir[700], p[800], out[8192];
    snprintf(dir, sizeof dir, "%s/imgs", f.dir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    char code[1024];
    snprintf(code, sizeof code, "from PIL import Image; [Image.new('RGB', (8, 8), (i * 40, 0, 0))"
             ".save('%s/%%d.png' %% i) for i in range(4)]", dir);
    cr_assert_eq(py(code), 0);
    snprintf(p, sizeof p, "%s/9.png", dir);
    cr_assert_eq(symlink("/nonexistent-fidkit.png", p), 0);
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s/s.npz --backbone %s --quiet", dir,
                             f.dir, f.cfg);
    cr_assert_neq(rc, 0, "a dataset of 4 of 5 images was made: %s", out);
    cr_assert(strstr(out, "9.png"), "%s", out);
}

static fk_status npy_header(const char *dict, fk_error *e)
{
    uint8_t buf[256];
    size_t dl = strlen(dict);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)dl;
    buf[9] = 0;
    memcpy(buf + 10, dict, dl);
    /* exactly the header, on the heap: an over-read would leave it */
    uint8_t *h = malloc(10 + dl);
    memcpy(h, buf, 10 + dl);
    fk_npy_header hd;
    size_t hl;
    fk_status st = fk_npy_parse_header(h, 10 + dl, &hd, &hl, e);
    free(h);
    return st;
}

Test(input, npy_header_is_strict)
{
    fk_error e;
    cr_assert_eq(npy_header("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }   \n", &e),
                 FK_OK, "%s", e.msg);
    const char *bad[] = {
        "{'descr': '|u1', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}\n",
        "{'descr': '|u1', 'fortran_order': False}\n",
        "{'descr': '|u1', 'fortran_order': False, 'shape':",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2 3)}\n",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3)} x\n",
        "'descr': '|u1', 'fortran_order': False, 'shape': (2, 3)\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(npy_header(bad[i], &e), FK_ERR_FORMAT, "accepted: %s", bad[i]);
}

/* A safetensors file of one or two F32 tensors, header padded to hlen. */
static void write_safetensors(const char *path, const char *json, size_t hlen)
{
    FILE *f = fopen(path, "wb");
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(hlen >> (8 * i));
    fwrite(len, 1, 8, f);
    fputs(json, f);
    for (size_t i = strlen(json); i < hlen; i++)
        fputc(' ', f);
    float v[2] = {1.5f, -2};
    fwrite(v, sizeof v, 1, f);
    fclose(f);
}

Test(input, safetensors_detected_by_signature_and_overlaps_refused)
{
    const char *dir = fk_test_tmpdir();
    char p[600];
    snprintf(p, sizeof p, "%s/w.safetensors", dir);
    /* header length 0x180: its first byte is 0x80, a pickle's PROTO opcode */
    write_safetensors(p, "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 0x180);
    fk_weights *w;
    fk_error e;
    cr_assert_eq(fk_weights_open(p, &w, &e), FK_OK, "%s", e.msg);
    const fk_array *a = fk_weights_find(w, "a");
    cr_assert(a && ((const float *)a->data)[0] == 1.5f);
    fk_weights_close(w);
    write_safetensors(p, "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
                         "\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 200);
    cr_assert_eq(fk_weights_open(p, &w, &e), FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "overlap") && strstr(e.msg, p), "%s", e.msg);
}

static void write_meta_stats(const char *path, const char *meta)
{
    double mu[2] = {0, 1}, sg[4] = {1, 0, 0, 1};
    fk_array am = {FK_F64, 1, {2}, mu}, as = {FK_F64, 2, {2, 2}, sg};
    fk_array mt = {FK_U8, 1, {(int64_t)strlen(meta)}, (void *)meta};
    fk_npz_writer *w;
    fk_error e;
    cr_assert_eq(fk_npz_writer_open(&w, path, 0, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_npz_writer_add(w, "mu", &am, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_add(w, "sigma", &as, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_add(w, "fidkit", &mt, &e), FK_OK);
    cr_assert_eq(fk_npz_writer_commit(w, &e), FK_OK, "%s", e.msg);
}

Test(input, stats_metadata_validated)
{
    const char *dir = fk_test_tmpdir();
    char p[600];
    snprintf(p, sizeof p, "%s/s.npz", dir);
#define TAGQ "\"tag\": \"tiny_pool/g4:pool@random-0/16/clean\""
    fk_stats s;
    fk_error e;
    write_meta_stats(p, "{\"format\": \"fidkit-stats\", \"format_version\": 1, \"n\": 10, \"d\": 2, " TAGQ "}");
    cr_assert_eq(fk_stats_read(p, &s, &e), FK_OK, "%s", e.msg);
    fk_stats_free(&s);
    const char *bad[] = {
        "{\"format\": \"fidkit-stats\", \"format_version\": 1, \"n\": 1e30, " TAGQ "}",
        "{\"format\": \"fidkit-stats\", \"format_version\": 1, \"n\": 2.5, " TAGQ "}",
        "{\"format\": \"fidkit-stats\", \"format_version\": 1, \"n\": 10, \"d\": 3, " TAGQ "}",
        "{\"format\": \"fidkit-stats\", \"format_version\": 0.5, \"n\": 10, " TAGQ "}",
        "{\"format\": \"fidkit-stats\", \"format_version\": 1, \"n\": 10, "
        "\"tag\": \"tiny_pool/g4:pool@random-0/16/clean\\u001b[2J\"}",
        "{\"format\": \"fidkit-stats\", \"format_version\": 1, \"n\": 10, "
        "\"tag\": \"tiny_pool/g4:pool@random-0/16/clean\\u0000junk\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_meta_stats(p, bad[i]);
        fk_status st = fk_stats_read(p, &s, &e);
        cr_assert_eq(st, FK_ERR_FORMAT, "accepted (%d): %s", st, bad[i]);
        cr_assert(strstr(e.msg, p), "%s", e.msg);
    }
}

/* ---- 4. printing: finite, bounded numbers ---- */

static void write_stats_off(const char *path, double off)
{
    double mu[4] = {off, 0, 0, 0}, sg[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    fk_stats s = {.d = 4, .n = 10, .mu = mu, .sigma = sg, .has_tag = 1};
    fk_error e;
    cr_assert_eq(fk_tag_parse("tiny_pool/g4:pool@random-0/16/clean", &s.tag, &e), FK_OK);
    cr_assert_eq(fk_stats_write(path, &s, NULL, &e), FK_OK, "%s", e.msg);
}

Test(print, huge_values_are_short_and_zero_has_no_sign)
{
    const char *dir = fk_test_tmpdir();
    char a[600], b[600], out[16384];
    snprintf(a, sizeof a, "%s/a.npz", dir);
    snprintf(b, sizeof b, "%s/b.npz", dir);
    write_stats_off(a, 0);
    write_stats_off(b, 1e90);
    int rc = fk_test_run_cli(out, sizeof out, "fd %s %s", a, b);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "1e+180"), "%s", out);
    cr_assert(!strstr(out, "0000000000000000"), "a number of 180 digits: %s", out);
    rc = fk_test_run_cli(out, sizeof out, "fd %s %s --json", a, b);
    cr_assert(strstr(out, "1e+180"), "%s", out);
}

Test(print, kid_of_one_subset_has_no_std_or_inf)
{
    struct out_fixture f = out_setup();
    char other[700], out[65536];
    snprintf(other, sizeof other, "%s/other.npz", f.dir);
    write_samples(other, 8, 16, 16, 11);
    int rc = fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s --metrics kid --kid-subsets 1 "
                             "--ci none --quiet", f.data, other, f.cfg);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "1 subset of 8; subset std undefined"), "%s", out);
    cr_assert(!strstr(out, "inf") && !strstr(out, "nan"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "score %s %s --backbone %s --metrics kid --kid-subsets 1 "
                         "--ci none --quiet --json", f.data, other, f.cfg);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(!strstr(out, "\"std\":"), "an undefined std is absent: %s", out);
}

/* ---- 5. exit codes by kind ---- */

Test(exit_code, empty_dataset_and_damaged_file_are_bad_data)
{
    struct out_fixture f = out_setup();
    char empty[700], junk[700], out[8192];
    snprintf(empty, sizeof empty, "%s/empty", f.dir);
    snprintf(junk, sizeof junk, "%s/junk.npz", f.dir);
    cr_assert_eq(mkdir(empty, 0700), 0);
    write_text(junk, "this is not a zip archive");
    int rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s/s.npz --backbone %s --quiet", empty,
                             f.dir, f.cfg);
    cr_assert_eq(rc, 4, "an empty dataset is bad input data, not a usage error: %s", out);
    cr_assert(strstr(out, empty) && strstr(out, "no images"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "stats-info %s", junk);
    cr_assert_eq(rc, 4, "%s", out);
    cr_assert(strstr(out, junk), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "--help");
    cr_assert(strstr(out, "4 bad input data"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "stats %s -o %s/s.npz --backbone %s --no-such-option",
                         f.data, f.dir, f.cfg);
    cr_assert_eq(rc, 2, "%s", out);
}
