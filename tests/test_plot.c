/* Plots: the figure of tests/ref/plot.py drawn as PNG and SVG, checked by the
 * same script (sizes, decoding, one panel per tag, markers per panel), the
 * counts of skipped points against the script's, and the refusals. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fidkit/plot.h"
#include "fk_test.h"

#define P 3
#define S 3
static const char *const TAGS[P] = {
    "inception_v3/fid:pool3@6726825d/299/legacy_pytorch",
    "clip/vit-b-32:image@af0b0a1c/224/clean",
    "dinov2/vit-s-14:cls#0@random-0/224/clean", /* '#' is PLplot's escape character */
};
static const char *const LABELS[S] = {"gaussian_noise", "gaussian_blur", "salt & <pepper>"};
static const char *const TITLE = "FID under disturbances (test figure)";

/* The reference figure: arrays from the fixture, panels pointing into them. */
typedef struct figure {
    fk_array data, flags;
    fk_plot_series series[P][S];
    fk_plot_panel panels[P];
} figure;

static void load_figure(figure *f)
{
    f->data = fk_test_load_npy("data.npy");
    f->flags = fk_test_load_npy("flags.npy");
    cr_assert_eq(f->data.ndim, 4);
    int n = (int)f->data.shape[3];
    cr_assert(f->data.shape[0] == P && f->data.shape[1] == S && f->data.shape[2] == 4 && n > 0);
    const double *d = f->data.data, *fl = f->flags.data;
    for (int p = 0; p < P; p++) {
        for (int s = 0; s < S; s++) {
            const double *b = d + ((size_t)(p * S + s) * 4) * (size_t)n;
            f->series[p][s] = (fk_plot_series){LABELS[s], n, b, b + n, b + 2 * n, b + 3 * n};
        }
        f->panels[p] = (fk_plot_panel){TAGS[p], p == 1 ? "number of samples N" : "level", "FID",
                                       (int)fl[2 * p], (int)fl[2 * p + 1], S, f->series[p], NULL};
    }
}

static void free_figure(figure *f)
{
    fk_array_free(&f->data);
    fk_array_free(&f->flags);
}

/* Runs tests/ref/plot.py with args (already quoted); returns its exit status
 * and leaves its output in out. */
static int run_checker(char *out, size_t cap, const char *args)
{
    const char *py = getenv("FK_PYTHON"), *src = getenv("FK_SOURCE_DIR");
    cr_assert(py && src, "FK_PYTHON/FK_SOURCE_DIR not set: run through ctest");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/ref/plot.py' %s 2>&1", py, src, args);
    FILE *p = popen(cmd, "r");
    cr_assert(p, "popen %s", cmd);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void svg_check_args(char *buf, size_t cap, const char *file, const char *markers)
{
    int k = snprintf(buf, cap, "check-svg '%s' '%s' '%s'", file, TITLE, markers);
    for (int p = 0; p < P; p++)
        k += snprintf(buf + k, cap - (size_t)k, " '%s'", TAGS[p]);
}

static void expected_counts(long *drawn, long *skipped, long *noband, char *markers, size_t cap)
{
    fk_array ex = fk_test_load_npy("expected.npy"), mk = fk_test_load_npy("markers.npy");
    const double *x = ex.data, *m = mk.data;
    *drawn = lround(x[0]);
    *skipped = lround(x[1]);
    *noband = lround(x[2]);
    snprintf(markers, cap, "%ld,%ld,%ld", lround(m[0]), lround(m[1]), lround(m[2]));
    fk_array_free(&ex);
    fk_array_free(&mk);
}

static int temp_files_in(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        n += strstr(de->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

Test(plot, png_matches_reference)
{
    figure f;
    load_figure(&f);
    long drawn, skipped, noband;
    char markers[64];
    expected_counts(&drawn, &skipped, &noband, markers, sizeof markers);
    cr_assert(skipped > 0 && noband > 0 && drawn > 0, "the fixture must exercise skipping");

    char path[512], out[8192], args[2048];
    const char *dir = fk_test_tmpdir();
    snprintf(path, sizeof path, "%s/figure.png", dir);
    fk_plot_options o = fk_plot_default_options();
    o.width = 1500;
    o.height = 520;
    o.interval_label = "95 % interval";
    fk_plot_info info;
    fk_error e;
    cr_assert_eq(fk_plot_write(path, TITLE, f.panels, P, &o, &info, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(info.n_panels, P);
    cr_assert_eq(info.n_points, drawn, "drawn %ld, reference %ld", info.n_points, drawn);
    cr_assert_eq(info.n_skipped, skipped, "skipped %ld, reference %ld", info.n_skipped, skipped);
    cr_assert_eq(info.n_band_skipped, noband, "%ld vs %ld", info.n_band_skipped, noband);
    cr_assert_eq(info.width, 1500);
    cr_assert_eq(info.height, 520);
    snprintf(args, sizeof args, "check-png '%s' 1500 520 %d", path, S);
    int rc = run_checker(out, sizeof out, args);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_eq(temp_files_in(dir), 0, "a temporary file was left in %s", dir);
    free_figure(&f);
}

Test(plot, svg_has_one_panel_per_tag)
{
    figure f;
    load_figure(&f);
    long drawn, skipped, noband;
    char markers[64];
    expected_counts(&drawn, &skipped, &noband, markers, sizeof markers);

    char path[512], out[8192], args[4096];
    snprintf(path, sizeof path, "%s/figure.SVG", fk_test_tmpdir());
    fk_plot_info info;
    fk_error e;
    cr_assert_eq(fk_plot_write(path, TITLE, f.panels, P, NULL, &info, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(info.n_skipped, skipped);
    svg_check_args(args, sizeof args, path, markers);
    int rc = run_checker(out, sizeof out, args);
    cr_assert_eq(rc, 0, "%s", out);

    /* The checker can fail: a missing tag, a wrong marker count. */
    char bad[64];
    snprintf(bad, sizeof bad, "%ld,%ld,%ld", drawn, 0L, 0L);
    svg_check_args(args, sizeof args, path, bad);
    cr_assert_neq(run_checker(out, sizeof out, args), 0, "wrong marker counts accepted");
    snprintf(args, sizeof args, "check-svg '%s' '%s' - '%s' '%s'", path, TITLE, TAGS[0], TAGS[1]);
    cr_assert_neq(run_checker(out, sizeof out, args), 0, "a panel without its tag accepted");
    free_figure(&f);
}

Test(plot, checker_rejects_a_wrong_png)
{
    figure f;
    load_figure(&f);
    char path[512], out[8192], args[8192];
    snprintf(path, sizeof path, "%s/small.png", fk_test_tmpdir());
    fk_plot_options o = fk_plot_default_options();
    o.width = 640;
    o.height = 480;
    fk_error e;
    cr_assert_eq(fk_plot_write(path, NULL, f.panels, 1, &o, NULL, &e), FK_OK, "%s", e.msg);
    snprintf(args, sizeof args, "check-png '%s' 640 481 1", path);
    cr_assert_neq(run_checker(out, sizeof out, args), 0, "a wrong height accepted");
    /* A truncated file must not decode. */
    FILE *fp = fopen(path, "r+b");
    cr_assert(fp);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    cr_assert(truncate(path, size / 2) == 0);
    snprintf(args, sizeof args, "check-png '%s' 640 480 1", path);
    cr_assert_neq(run_checker(out, sizeof out, args), 0, "a truncated PNG accepted");
    free_figure(&f);
}

/* The library prints nothing, PLplot included. */
Test(plot, silent, .init = cr_redirect_stderr)
{
    figure f;
    load_figure(&f);
    char path[512];
    const char *dir = fk_test_tmpdir();
    fk_error e;
    snprintf(path, sizeof path, "%s/a.png", dir);
    cr_assert_eq(fk_plot_write(path, TITLE, f.panels, P, NULL, NULL, &e), FK_OK, "%s", e.msg);
    snprintf(path, sizeof path, "%s/a.svg", dir);
    cr_assert_eq(fk_plot_write(path, TITLE, f.panels, P, NULL, NULL, &e), FK_OK, "%s", e.msg);
    snprintf(path, sizeof path, "%s/missing/a.svg", dir);
    cr_assert_neq(fk_plot_write(path, TITLE, f.panels, P, NULL, NULL, &e), FK_OK);
    fflush(stderr);
    cr_assert_stderr_eq_str("");
    free_figure(&f);
}

static const double X[4] = {1, 2, 3, 4}, Y[4] = {3, 2, 2.5, 1}, LO[4] = {2, 1, 2, 0.5},
                    HI[4] = {4, 3, 3, 1.5};

static fk_status write_simple(const char *path, fk_plot_panel *panels, int n, fk_error *e)
{
    return fk_plot_write(path, NULL, panels, n, NULL, NULL, e);
}

Test(plot, refusals)
{
    const char *dir = fk_test_tmpdir();
    char path[512];
    fk_error e;
    fk_plot_series s = {"a", 4, X, Y, LO, HI};
    fk_plot_panel p[2] = {{"t1", "x", "y", 0, 0, 1, &s, NULL}, {"t2", "x", "y", 0, 0, 1, &s, NULL}};
    snprintf(path, sizeof path, "%s/f.png", dir);

    cr_assert_eq(write_simple(path, p, 0, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "no panels"), "%s", e.msg);
    cr_assert_eq(write_simple(path, NULL, 2, &e), FK_ERR_ARG);

    fk_plot_panel dup[2] = {p[0], p[0]};
    cr_assert_eq(write_simple(path, dup, 2, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "t1") && strstr(e.msg, "one panel per tag"), "%s", e.msg);

    fk_plot_panel untagged = p[0];
    untagged.tag = "";
    cr_assert_eq(write_simple(path, &untagged, 1, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "no tag"), "%s", e.msg);

    fk_plot_panel empty = {"t3", NULL, NULL, 0, 0, 0, NULL, NULL};
    cr_assert_eq(write_simple(path, &empty, 1, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "t3") && strstr(e.msg, "empty"), "%s", e.msg);
    fk_plot_series none = {"a", 0, NULL, NULL, NULL, NULL};
    fk_plot_panel no_points = {"t4", NULL, NULL, 0, 0, 1, &none, NULL};
    cr_assert_eq(write_simple(path, &no_points, 1, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "t4") && strstr(e.msg, "no points"), "%s", e.msg);

    fk_plot_series half = {"a", 4, X, Y, LO, NULL};
    fk_plot_panel hp = {"t5", NULL, NULL, 0, 0, 1, &half, NULL};
    cr_assert_eq(write_simple(path, &hp, 1, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "lo and hi"), "%s", e.msg);

    fk_plot_series swapped = {"a", 4, X, Y, HI, LO};
    fk_plot_panel sp = {"t6", NULL, NULL, 0, 0, 1, &swapped, NULL};
    cr_assert_eq(write_simple(path, &sp, 1, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "lo") && strstr(e.msg, "point 1"), "%s", e.msg);

    snprintf(path, sizeof path, "%s/f.jpg", dir);
    cr_assert_eq(write_simple(path, p, 2, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "f.jpg") && strstr(e.msg, ".png or .svg"), "%s", e.msg);
    snprintf(path, sizeof path, "%s/png", dir);
    cr_assert_eq(write_simple(path, p, 2, &e), FK_ERR_ARG);

    fk_plot_options o = fk_plot_default_options();
    o.width = 50;
    snprintf(path, sizeof path, "%s/f.png", dir);
    cr_assert_eq(fk_plot_write(path, NULL, p, 2, &o, NULL, &e), FK_ERR_ARG);
    cr_assert(strstr(e.msg, "size"), "%s", e.msg);
    cr_assert_eq(temp_files_in(dir), 0);
}

Test(plot, unwritable_folder)
{
    fk_plot_series s = {"a", 4, X, Y, LO, HI};
    fk_plot_panel p = {"t1", "x", "y", 0, 0, 1, &s, NULL};
    fk_error e;
    const char *dir = fk_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/folder/f.png", dir);
    cr_assert_eq(write_simple(path, &p, 1, &e), FK_ERR_IO);
    cr_assert(strstr(e.msg, "no/such/folder/f.png"), "%s", e.msg);
    /* A folder that is a file. */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *fp = fopen(path, "w");
    cr_assert(fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/file/f.svg", dir);
    cr_assert_eq(write_simple(path, &p, 1, &e), FK_ERR_IO);
    cr_assert(strstr(e.msg, "file/f.svg"), "%s", e.msg);
}

Test(plot, replaces_an_existing_file)
{
    fk_plot_series s = {"a", 4, X, Y, LO, HI};
    fk_plot_panel p = {"t1", "x", "y", 0, 0, 1, &s, NULL};
    fk_error e;
    const char *dir = fk_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/f.png", dir);
    FILE *fp = fopen(path, "w");
    cr_assert(fp);
    fputs("old", fp);
    fclose(fp);
    cr_assert_eq(write_simple(path, &p, 1, &e), FK_OK, "%s", e.msg);
    unsigned char head[4] = {0};
    fp = fopen(path, "rb");
    cr_assert(fp && fread(head, 1, 4, fp) == 4);
    fclose(fp);
    cr_assert(head[1] == 'P' && head[2] == 'N' && head[3] == 'G');
    cr_assert_eq(temp_files_in(dir), 0);
}

Test(plot, panel_without_finite_values_is_drawn_and_counted)
{
    const double nan3[3] = {NAN, INFINITY, 1.0}, y3[3] = {1.0, 2.0, NAN};
    fk_plot_series bad = {"a", 3, nan3, y3, NULL, NULL};
    fk_plot_series good = {"a", 4, X, Y, LO, HI};
    fk_plot_panel p[2] = {{"nothing/usable:x@0/1/clean", "x", "y", 0, 0, 1, &bad, NULL},
                          {"fine/one:x@0/1/clean", "x", "y", 0, 0, 1, &good, NULL}};
    fk_plot_info info;
    fk_error e;
    char path[512], out[8192], args[2048];
    snprintf(path, sizeof path, "%s/f.svg", fk_test_tmpdir());
    cr_assert_eq(fk_plot_write(path, NULL, p, 2, NULL, &info, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(info.n_skipped, 3);
    cr_assert_eq(info.n_points, 4);
    snprintf(args, sizeof args, "check-svg '%s' - 0,4 '%s' '%s'", path, p[0].tag, p[1].tag);
    cr_assert_eq(run_checker(out, sizeof out, args), 0, "%s", out);
}

/* PLplot's state is process-wide: concurrent calls must not disturb each
 * other (fidkit serialises them). */
typedef struct job {
    char path[512];
    fk_status st;
    fk_error e;
    fk_plot_info info;
} job;

static void *plot_job(void *arg)
{
    job *j = arg;
    fk_plot_series s = {"a", 4, X, Y, LO, HI};
    fk_plot_panel p = {"t1", "x", "y", 0, 0, 1, &s, NULL};
    j->st = fk_plot_write(j->path, "thread", &p, 1, NULL, &j->info, &j->e);
    return NULL;
}

Test(plot, concurrent_calls)
{
    const char *dir = fk_test_tmpdir();
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        snprintf(jobs[i].path, sizeof jobs[i].path, "%s/t%d.%s", dir, i, i % 2 ? "svg" : "png");
        cr_assert_eq(pthread_create(&th[i], NULL, plot_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    char out[8192], args[8192];
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(jobs[i].st, FK_OK, "%s: %s", jobs[i].path, jobs[i].e.msg);
        if (i % 2)
            snprintf(args, sizeof args, "check-svg '%s' thread 4 t1", jobs[i].path);
        else
            snprintf(args, sizeof args, "check-png '%s' %d %d 1", jobs[i].path,
                     jobs[i].info.width, jobs[i].info.height);
        cr_assert_eq(run_checker(out, sizeof out, args), 0, "%s", out);
    }
}
