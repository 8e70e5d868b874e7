/* Sweeps (sweep.h) through the library with the tiny_pool template backbone
 * on small generated .npy sets (tests/ref/sweep.py): the schema's errors,
 * the point order, resume after SIGKILL (byte-identical results), cache
 * reuse, perturbations equal to fk_perturb_apply's, plots with one panel per
 * tag, and Spearman/Kendall tau-b against scipy. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "fidkit/fidkit.h"
#include "fidkit/extract.h"
#include "fidkit/featfile.h"
#include "fidkit/perturb.h"
#include "fidkit/rankstats.h"
#include "fidkit/sweep.h"
#include "fk_test.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert(b);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    cr_assert(na > 0, "%s is empty", a);
    cr_assert(na == nb && !memcmp(x, y, na), "%s and %s differ", a, b);
    free(x);
    free(y);
}

/* ---- rank statistics ----------------------------------------------------- */

Test(sweep, spearman_and_kendall_tau_b_match_scipy_with_ties)
{
    fk_array X = fk_test_load_npy("rank_x.npy"), Y = fk_test_load_npy("rank_y.npy");
    fk_array L = fk_test_load_npy("rank_len.npy"), R = fk_test_load_npy("spearman.npy");
    fk_array K = fk_test_load_npy("kendall.npy");
    int m = (int)X.shape[0], w = (int)X.shape[1], compared = 0;
    for (int i = 0; i < m; i++) {
        int n = (int)((double *)L.data)[i];
        const double *x = (double *)X.data + i * w, *y = (double *)Y.data + i * w;
        double rho, tau;
        fk_error e;
        cr_assert_eq(fk_spearman(x, y, n, &rho, &e), FK_OK, "%s", e.msg);
        cr_assert_eq(fk_kendall_tau_b(x, y, n, &tau, &e), FK_OK, "%s", e.msg);
        double rr = ((double *)R.data)[i], kr = ((double *)K.data)[i];
        cr_assert(fabs(rho - rr) <= 1e-12 + 1e-12 * fabs(rr), "pair %d: rho %.17g, scipy %.17g", i,
                  rho, rr);
        cr_assert(fabs(tau - kr) <= 1e-12 + 1e-12 * fabs(kr), "pair %d: tau %.17g, scipy %.17g", i,
                  tau, kr);
        compared += 2;
    }
    cr_assert_gt(compared, 0);
    /* Undefined for a constant vector: an error, never NaN. */
    double c[4] = {1, 1, 1, 1}, v[4] = {1, 2, 3, 4}, r;
    fk_error e;
    cr_assert_eq(fk_spearman(c, v, 4, &r, &e), FK_ERR_NUMERIC);
    cr_assert_eq(fk_kendall_tau_b(v, c, 4, &r, &e), FK_ERR_NUMERIC);
    fk_array_free(&X);
    fk_array_free(&Y);
    fk_array_free(&L);
    fk_array_free(&R);
    fk_array_free(&K);
}

/* ---- schema -------------------------------------------------------------- */

static void schema_error(const char *body, const char *want_line_key, const char *want_text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bad.yaml", fk_test_tmpdir());
    write_text(path, body);
    fk_sweep_spec s;
    fk_error e = {0};
    fk_status st = fk_sweep_load(path, &s, &e);
    cr_assert_neq(st, FK_OK, "accepted:\n%s", body);
    char want[640];
    snprintf(want, sizeof want, "%s%s", path, want_line_key);
    cr_assert(strstr(e.msg, want), "message '%s' lacks '%s'", e.msg, want);
    if (want_text)
        cr_assert(strstr(e.msg, want_text), "message '%s' lacks '%s'", e.msg, want_text);
}

#define HEAD "fidkit_sweep: 1\nreal: r.npy\nfake: f.npy\nbackbones: [tiny_g2.yaml]\n"

Test(sweep, schema_errors_name_file_line_and_key)
{
    schema_error(HEAD "metrics: [fid]\nbogus: 3\n", ":6: 'bogus'", "is not a sweep key");
    schema_error(HEAD "metrics: [fid]\naxes:\n  level: [0, 0.5,\n    1.5]\n", ":8: 'level'",
                 "between 0 and 1");
    schema_error(HEAD "metrics: [fid]\naxes:\n  colour: [red]\n", ":7: 'colour'", "is not an axis");
    schema_error(HEAD "metrics: [fid, fidd]\n", ":5: 'metrics'", "fidd");
    schema_error(HEAD "metrics: [fid]\naxes:\n  perturbation: [gaussian_noise, fog]\n",
                 ":7: 'perturbation'", "fog");
    schema_error(HEAD "metrics: [fid]\naxes:\n  n: [10, ten]\n", ":7: 'n'", "integer");
    schema_error(HEAD "metrics: [fid]\nci: maybe\n", ":6: 'ci'", "bootstrap or none");
    schema_error(HEAD "metrics: [fid]\naxes:\n  level: [0, 0]\n", ":7: 'level'", "twice");
    schema_error("fidkit_sweep: 1\nreal: r.npy\nfake: f.npy\nmetrics: [fid]\n", ":1: the key "
                 "'backbones'", "missing");
    schema_error("fidkit_sweep: 7\n", ":1:", "newer");
    schema_error(HEAD "metrics: [fid]\nperturbation: contamination\n", ": contamination", "'other'");
    schema_error(HEAD "metrics: [fid]\nreal: again.npy\n", ":6: key 'real'", "twice");
}

Test(sweep, points_are_the_product_with_the_last_axis_fastest)
{
    char path[512];
    snprintf(path, sizeof path, "%s/order.yaml", fk_test_tmpdir());
    write_text(path, HEAD "metrics: [fid]\nseed: 9\nn: 50\naxes:\n  perturbation: [swirl, jpeg]\n"
                          "  level: [0.25, 1, 0]\n  n: [10, 20]\n");
    fk_sweep_spec s;
    fk_error e;
    cr_assert_eq(fk_sweep_load(path, &s, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_sweep_n_points(&s), 12);
    fk_sweep_point p;
    cr_assert_eq(fk_sweep_point_at(&s, 0, &p, &e), FK_OK);
    cr_assert(p.perturbation.kind == FK_PERTURB_SWIRL && p.perturbation.level == 0.25 && p.n == 10);
    cr_assert_eq(fk_sweep_point_at(&s, 1, &p, &e), FK_OK);
    cr_assert(p.perturbation.kind == FK_PERTURB_SWIRL && p.perturbation.level == 0.25 && p.n == 20);
    cr_assert_eq(fk_sweep_point_at(&s, 3, &p, &e), FK_OK);
    cr_assert(p.perturbation.kind == FK_PERTURB_SWIRL && p.perturbation.level == 1 && p.n == 20);
    cr_assert_eq(fk_sweep_point_at(&s, 11, &p, &e), FK_OK);
    cr_assert(p.perturbation.kind == FK_PERTURB_JPEG && p.perturbation.level == 0 && p.n == 20);
    cr_assert_eq(p.perturbation.seed, 9);
    cr_assert_neq(fk_sweep_point_at(&s, 12, &p, &e), FK_OK);
    fk_sweep_free(&s);
}

/* ---- running ------------------------------------------------------------- */

static fk_sweep_spec load_fixture(const char *name)
{
    fk_sweep_spec s;
    fk_error e;
    cr_assert_eq(fk_sweep_load(fk_test_fixture(name), &s, &e), FK_OK, "%s", e.msg);
    return s;
}

static fk_sweep_counters run(const fk_sweep_spec *s, const char *out)
{
    fk_sweep_options o = fk_sweep_default_options();
    o.out_dir = out;
    o.threads = 2;
    fk_sweep_counters c;
    fk_error e;
    cr_assert_eq(fk_sweep_run(s, &o, &c, NULL, &e), FK_OK, "%s", e.msg);
    return c;
}

static int journal_finished(const char *out)
{
    char path[600];
    snprintf(path, sizeof path, "%s/journal.json", out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strstr(buf, "\"finished\":");
    return p ? atoi(p + 11) : 0;
}

/* Slows the child down at every scoring step, so that the parent sees the
 * journal grow and kills it in the middle. */
static void slow(void *user, const fk_sweep_progress *p)
{
    (void)user;
    if (!strcmp(p->phase, "scoring")) {
        struct timespec t = {0, 40 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
}

Test(sweep, resume_after_sigkill_gives_byte_identical_results, .timeout = 120)
{
    fk_sweep_spec s = load_fixture("disturb.yaml");
    int np = fk_sweep_n_points(&s);
    cr_assert_eq(np, 18);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/full", fk_test_tmpdir());
    snprintf(b, sizeof b, "%s/killed", fk_test_tmpdir());

    fk_sweep_counters ca = run(&s, a);
    cr_assert_eq(ca.points_computed, np);
    /* 2 backbones x (the real set + 3 kinds x 2 levels > 0); level 0 is the
     * real set itself (fake: real.npy), shared. */
    cr_assert_eq(ca.extractions, 14, "extractions %d", ca.extractions);

    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        fk_sweep_options o = fk_sweep_default_options();
        o.out_dir = b;
        o.threads = 2;
        o.progress = slow;
        fk_error e;
        _exit(fk_sweep_run(&s, &o, NULL, NULL, &e) ? 1 : 0);
    }
    int k = 0;
    for (int waited = 0; waited < 60000 && (k = journal_finished(b)) < 5; waited += 2) {
        struct timespec t = {0, 2 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status), "the child ended before it was killed");
    k = journal_finished(b);
    cr_assert(k >= 5 && k < np, "killed with %d of %d points finished", k, np);

    fk_sweep_counters cb = run(&s, b);
    /* Points with equal keys (level 0 of every kind is the same set) are
     * all resumed by one journal entry. */
    cr_assert(cb.points_resumed >= k && cb.points_resumed + cb.points_computed == np,
              "resumed %d, computed %d, journal had %d", cb.points_resumed, cb.points_computed, k);
    cr_assert_gt(cb.points_computed, 0);
    const char *files[3] = {"results.csv", "results.json", "report.md"};
    for (int i = 0; i < 3; i++) {
        char pa[700], pb[700];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        same_file(pa, pb);
    }
    fk_sweep_free(&s);
}

Test(sweep, a_second_run_extracts_nothing, .timeout = 120)
{
    fk_sweep_spec s = load_fixture("disturb.yaml");
    char a[512], path[700], copy[700];
    snprintf(a, sizeof a, "%s/out", fk_test_tmpdir());
    fk_sweep_counters c1 = run(&s, a);
    cr_assert_gt(c1.extractions, 0);
    snprintf(path, sizeof path, "%s/results.json", a);
    snprintf(copy, sizeof copy, "%s/../first.json", a);
    size_t n;
    char *first = slurp(path, &n);
    write_text(copy, first);
    free(first);

    fk_sweep_counters c2 = run(&s, a);
    cr_assert_eq(c2.extractions, 0);
    cr_assert_eq(c2.points_computed, 0);
    cr_assert_eq(c2.points_resumed, 18);
    snprintf(path, sizeof path, "%s/journal.json", a);
    char *j = slurp(path, NULL);
    cr_assert(strstr(j, "\"extractions\":\t0"), "%s", j);
    free(j);

    /* A fresh output folder with the feature cache on: the undisturbed sets
     * come from it, so they count as cache loads, not extractions. */
    char fc[600], b[600];
    snprintf(fc, sizeof fc, "%s/../fcache", a);
    snprintf(b, sizeof b, "%s/../out_b", a);
    setenv("FIDKIT_CACHE_DIR", fc, 1);
    setenv("FIDKIT_NO_CACHE", "0", 1);
    char res[700];
    fk_sweep_counters f1 = run(&s, b);
    snprintf(res, sizeof res, "%s/results.json", b);
    same_file(copy, res); /* disturbed sets are never served undisturbed */
    snprintf(b, sizeof b, "%s/../out_c", a);
    fk_sweep_counters f2 = run(&s, b);
    snprintf(res, sizeof res, "%s/results.json", b);
    same_file(copy, res);
    setenv("FIDKIT_NO_CACHE", "1", 1);
    cr_assert_gt(f2.cache_loads, 0);
    cr_assert_eq(f2.extractions + f2.cache_loads, f1.extractions + f1.cache_loads);
    cr_assert_lt(f2.extractions, f1.extractions);

    /* Without the journal every point is scored again, from the cache. */
    cr_assert_eq(unlink(path), 0);
    fk_sweep_counters c3 = run(&s, a);
    cr_assert_eq(c3.extractions, 0);
    cr_assert_eq(c3.points_computed, 18);
    cr_assert_eq(c3.cache_loads, c1.extractions);
    snprintf(path, sizeof path, "%s/results.json", a);
    same_file(copy, path);

    /* The dry run sees every set cached. */
    fk_sweep_options o = fk_sweep_default_options();
    o.out_dir = a;
    o.dry_run = 1;
    fk_sweep_counters c4;
    char *plan = NULL;
    fk_error e;
    cr_assert_eq(fk_sweep_run(&s, &o, &c4, &plan, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(c4.sets_missing, 0);
    cr_assert_eq(c4.sets_cached, c1.extractions);
    cr_assert(plan && strstr(plan, "18 of 18 points finished"), "%s", plan ? plan : "");
    free(plan);
    fk_sweep_free(&s);
}

static fk_status apply_hook(void *user, int64_t index, fk_image *im, fk_error *e)
{
    return fk_perturb_apply(user, index, im, e);
}

static float *extract_rows(const fk_perturbation *p, int64_t *n, int *d)
{
    fk_config cfg;
    fk_error e;
    cr_assert_eq(fk_config_load(fk_test_fixture("tiny_g2.yaml"), &cfg, &e), FK_OK, "%s", e.msg);
    fk_backbone *b;
    cr_assert_eq(fk_backbone_open(&cfg, NULL, 0, &b, &e), FK_OK, "%s", e.msg);
    fk_extract_options o = fk_extract_default_options();
    o.dataset.limit = 20;
    o.keep_rows = 1;
    if (p) {
        o.loader.hook = apply_hook;
        o.loader.hook_user = (void *)p;
    }
    fk_feature_set set[2];
    cr_assert_eq(fk_extract(b, fk_test_fixture("real.npy"), &o, set, &e), FK_OK, "%s", e.msg);
    float *rows = set[0].rows;
    set[0].rows = NULL;
    *n = set[0].n;
    *d = set[0].d;
    for (int i = 0; i < fk_backbone_n_outputs(b); i++)
        fk_feature_set_free(&set[i]);
    fk_backbone_close(b);
    return rows;
}

Test(sweep, perturbed_features_equal_fk_perturb_apply)
{
    char dir[512], path[700];
    snprintf(dir, sizeof dir, "%s", fk_test_tmpdir());
    snprintf(path, sizeof path, "%s/one.yaml", dir);
    char body[4096], real[1024], cfg[1024];
    snprintf(real, sizeof real, "%s", fk_test_fixture("real.npy"));
    snprintf(cfg, sizeof cfg, "%s", fk_test_fixture("tiny_g2.yaml"));
    snprintf(body, sizeof body, "fidkit_sweep: 1\nreal: %s\nfake: %s\nbackbones: [%s]\n"
             "metrics: [fid]\nci: none\nn: 20\nseed: 3\nperturbation: swirl\nlevel: 0.5\n",
             real, real, cfg);
    write_text(path, body);
    fk_sweep_spec s;
    fk_error e;
    cr_assert_eq(fk_sweep_load(path, &s, &e), FK_OK, "%s", e.msg);
    char out[600];
    snprintf(out, sizeof out, "%s/out", dir);
    fk_sweep_counters c = run(&s, out);
    cr_assert_eq(c.extractions, 2);

    fk_perturbation p = {FK_PERTURB_SWIRL, 0.5, 3};
    int64_t n[2];
    int d[2];
    float *want[2] = {extract_rows(NULL, &n[0], &d[0]), extract_rows(&p, &n[1], &d[1])};
    int matched[2] = {0, 0}, files = 0;
    char cache[700];
    snprintf(cache, sizeof cache, "%s/cache", out);
    DIR *dd = opendir(cache);
    cr_assert(dd);
    struct dirent *de;
    while ((de = readdir(dd))) {
        if (!strstr(de->d_name, ".npz") || de->d_name[0] == '.')
            continue;
        char fp[1200];
        snprintf(fp, sizeof fp, "%s/%s", cache, de->d_name);
        float *rows;
        int64_t rn;
        int rd, has;
        fk_tag t;
        cr_assert_eq(fk_featfile_read(fp, NULL, &rows, &rn, &rd, &t, &has, &e), FK_OK, "%s", e.msg);
        files++;
        for (int k = 0; k < 2; k++)
            if (rn == n[k] && rd == d[k] && !memcmp(rows, want[k], sizeof(float) * (size_t)(rn * rd)))
                matched[k]++;
        free(rows);
    }
    closedir(dd);
    cr_assert_eq(files, 2);
    cr_assert(memcmp(want[0], want[1], sizeof(float) * (size_t)(n[0] * d[0])),
              "the perturbation changed nothing: the check would be empty");
    cr_assert(matched[0] == 1 && matched[1] == 1, "cached sets: plain %d, perturbed %d", matched[0],
              matched[1]);
    free(want[0]);
    free(want[1]);
    fk_sweep_free(&s);
}

/* PLplot's svg device writes every character as a "&#xNN;" entity. */
static void svg_text(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 8 < n; s++)
        k += (size_t)snprintf(out + k, n - k, "&#x%x;", (unsigned char)*s);
    out[k] = 0;
}

static int count(const char *hay, const char *needle)
{
    int k = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        k++;
    return k;
}

Test(sweep, plots_have_one_panel_per_tag_and_the_report_ranks_within_tags, .timeout = 60)
{
    fk_sweep_spec s = load_fixture("disturb.yaml");
    char a[512], path[700];
    snprintf(a, sizeof a, "%s/out", fk_test_tmpdir());
    run(&s, a);
    fk_sweep_free(&s);
    snprintf(path, sizeof path, "%s/plot_fid_vs_level.png", a);
    size_t n;
    char *png = slurp(path, &n);
    cr_assert(n > 100 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8), "not a PNG: %s", path);
    free(png);
    snprintf(path, sizeof path, "%s/plot_kid_vs_level.svg", a);
    char *svg = slurp(path, &n);
    cr_assert(strstr(svg, "<svg"), "not an SVG");
    /* Panel titles people read: backbone, output, size, resize, weights. */
    const char *tags[2] = {"tiny_pool (g2), pool, 16 px clean, weights random-0",
                           "tiny_pool (g4), pool, 16 px clean, weights random-0"};
    for (int i = 0; i < 2; i++) {
        char enc[1024];
        svg_text(tags[i], enc, sizeof enc);
        cr_assert_eq(count(svg, enc), 1, "panel title %s appears %d times", tags[i], count(svg, enc));
    }
    cr_assert(!strstr(svg, "pool@random"), "a raw tag is a panel title");
    free(svg);
    snprintf(path, sizeof path, "%s/report.md", a);
    char *md = slurp(path, NULL);
    cr_assert(strstr(md, "![test_disturb: FD against level](plot_fid_vs_level.png)"));
    cr_assert(strstr(md, "### `tiny_pool/g2:pool@random-0/16/clean`"));
    cr_assert(strstr(md, "| perturbation=black_rectangles |"), "%s", md);
    free(md);

    /* Models x backbones: each tag's ranking and their agreement. */
    fk_sweep_spec m = load_fixture("models.yaml");
    char b[512];
    snprintf(b, sizeof b, "%s/models", fk_test_tmpdir());
    run(&m, b);
    fk_sweep_free(&m);
    snprintf(path, sizeof path, "%s/report.md", b);
    md = slurp(path, NULL);
    cr_assert(strstr(md, "| tag A | tag B | Spearman rho | Kendall tau-b |"), "%s", md);
    cr_assert(strstr(md, "(rank 1)"), "%s", md);
    free(md);
    snprintf(path, sizeof path, "%s/results.csv", b);
    char *csv = slurp(path, NULL);
    cr_assert_eq(count(csv, "\n"), 1 + 4 * 2 * 2, "%s", csv);
    cr_assert(strstr(csv, "point,backbone,fake,metric,value,lo,hi,n_real,n_fake,tag,name\n"), "%s", csv);
    /* The FDs against NumPy/scipy (tests/ref/sweep.py); points are backbone-
     * major (g2, g4), fake sets fastest. float32 features: rtol 1e-5. */
    fk_array want = fk_test_load_npy("models_fd.npy");
    double got[8];
    int k = 0;
    for (char *line = strchr(csv, '\n'); line && line[1] && k < 8; line = strchr(line + 1, '\n')) {
        char *f = line + 1;
        for (int col = 0; col < 3; col++)
            f = strchr(f, ',') + 1;
        if (!strncmp(f, "fid,", 4))
            got[k++] = strtod(f + 4, NULL);
    }
    cr_assert_eq(k, 8, "%d FD rows in %s", k, csv);
    double ratio = fk_test_tol_ratio(got, (const double *)want.data, 8, 1e-6, 1e-5);
    cr_assert(ratio <= 1, "sweep FDs differ from scipy's (ratio %g): %g %g %g %g %g %g %g %g",
              ratio, got[0], got[1], got[2], got[3], got[4], got[5], got[6], got[7]);
    fk_array_free(&want);
    free(csv);

    /* Three fake sets: no rank agreement; the sweep file's plot title is used. */
    fk_sweep_spec m3 = load_fixture("models3.yaml");
    snprintf(b, sizeof b, "%s/models3", fk_test_tmpdir());
    run(&m3, b);
    fk_sweep_free(&m3);
    snprintf(path, sizeof path, "%s/report.md", b);
    md = slurp(path, NULL);
    cr_assert(!strstr(md, "Spearman rho |"), "rank agreement of 3 points reported: %s", md);
    cr_assert(strstr(md, "(3 fake sets: Spearman's rho and Kendall's tau-b of fewer than 4"),
              "%s", md);
    free(md);
}

Test(sweep, the_command_line, .timeout = 60)
{
    char out[65536];
    if (fk_test_run_cli(out, sizeof out, "sweep --help") != 0)
        cr_skip_test("this fidkit binary has no sweep command registered yet");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cli", fk_test_tmpdir());
    int rc = fk_test_run_cli(out, sizeof out, "sweep %s --out %s --dry-run --json",
                         fk_test_fixture("models.yaml"), dir);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"sets_to_extract\":\t10"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "sweep %s --out %s --json", fk_test_fixture("models.yaml"), dir);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"extractions\":\t10"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "sweep %s --out %s --json", fk_test_fixture("models.yaml"), dir);
    cr_assert(strstr(out, "\"extractions\":\t0"), "%s", out);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.yaml", dir);
    write_text(bad, "fidkit_sweep: 1\nnonsense: 1\n");
    rc = fk_test_run_cli(out, sizeof out, "sweep %s", bad);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "bad.yaml:2: 'nonsense'"), "%s", out);
}

Test(sweep, the_shipped_experiments_are_valid)
{
    const char *src = getenv("FK_SOURCE_DIR");
    cr_assert(src, "FK_SOURCE_DIR is not set");
    const char *names[4] = {"demo", "ttur_disturbances", "backbone_comparison", "sample_size"};
    int want_points[4] = {6, 30, 16, 7};
    for (int i = 0; i < 4; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/experiments/%s.yaml", src, names[i]);
        fk_sweep_spec s;
        fk_error e;
        cr_assert_eq(fk_sweep_load(path, &s, &e), FK_OK, "%s", e.msg);
        cr_assert_eq(fk_sweep_n_points(&s), want_points[i], "%s: %d points", names[i],
                     fk_sweep_n_points(&s));
        fk_sweep_free(&s);
    }
}

Test(sweep, one_run_per_output_folder)
{
    fk_sweep_spec s = load_fixture("models.yaml");
    char out[512], lock[600];
    snprintf(out, sizeof out, "%s", fk_test_tmpdir());
    snprintf(lock, sizeof lock, "%s/.lock", out);
    int fd = open(lock, O_RDWR | O_CREAT, 0666);
    cr_assert(fd >= 0);
    /* flock locks belong to the open file description: a second open (the
     * run's) conflicts even in the same process. */
    cr_assert_eq(flock(fd, LOCK_EX), 0);
    fk_sweep_options o = fk_sweep_default_options();
    o.out_dir = out;
    fk_error e;
    cr_assert_eq(fk_sweep_run(&s, &o, NULL, NULL, &e), FK_ERR_IO);
    cr_assert(strstr(e.msg, "another sweep is running"), "%s", e.msg);
    close(fd);
    cr_assert_eq(fk_sweep_run(&s, &o, NULL, NULL, &e), FK_OK, "%s", e.msg);
    fk_sweep_free(&s);
}

/* The same through the command: fork/exec `fidkit sweep`, SIGKILL it once
 * the journal shows 2 finished points, run it again, and compare with an
 * uninterrupted run. KID with many bootstrap replicates makes each point
 * take a noticeable time, so the kill lands in the middle. */
Test(sweep, the_command_resumes_after_sigkill, .timeout = 180)
{
    char out[65536];
    if (fk_test_run_cli(out, sizeof out, "sweep --help") != 0)
        cr_skip_test("this fidkit binary has no sweep command registered yet");
    char dir[512], yaml[600], real[1024], cfg[1024], body[4096];
    snprintf(dir, sizeof dir, "%s", fk_test_tmpdir());
    snprintf(yaml, sizeof yaml, "%s/slow.yaml", dir);
    snprintf(real, sizeof real, "%s", fk_test_fixture("real.npy"));
    snprintf(cfg, sizeof cfg, "%s", fk_test_fixture("tiny_g4.yaml"));
    snprintf(body, sizeof body, "fidkit_sweep: 1\nreal: %s\nfake: %s\nbackbones: [%s]\n"
             "metrics: [kid]\nn: 20\nreplicates: 1500\nperturbation: gaussian_noise\naxes:\n"
             "  level: [0.2, 0.4, 0.6, 0.8, 1.0]\n", real, real, cfg);
    write_text(yaml, body);
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/full", dir);
    snprintf(b, sizeof b, "%s/killed", dir);

    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(getenv("FK_BIN"), "fidkit", "sweep", yaml, "--out", b, "--quiet", (char *)NULL);
        _exit(127);
    }
    int k = 0;
    for (int waited = 0; waited < 120000 && (k = journal_finished(b)) < 2; waited += 2) {
        struct timespec t = {0, 2 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status), "the command ended (status %d) before it was killed", status);
    k = journal_finished(b);
    cr_assert(k >= 2 && k < 5, "killed with %d of 5 points finished", k);

    int rc = fk_test_run_cli(out, sizeof out, "sweep %s --out %s --json", yaml, b);
    cr_assert_eq(rc, 0, "%s", out);
    char want[64];
    snprintf(want, sizeof want, "\"points_resumed\":\t%d", k);
    cr_assert(strstr(out, want), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "sweep %s --out %s --json", yaml, a);
    cr_assert_eq(rc, 0, "%s", out);
    const char *files[3] = {"results.csv", "results.json", "report.md"};
    for (int i = 0; i < 3; i++) {
        char pa[700], pb[700];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        same_file(pa, pb);
    }
}

/* The sweep cache is keyed by content: an edit that keeps a dataset file's
 * size and mtime is extracted again, not served stale. */
Test(sweep, an_edit_with_the_same_size_and_mtime_is_extracted_again, .timeout = 120)
{
    const char *dir = fk_test_tmpdir();
    char cmd[2048], path[700], out[600];
    const char *names[3] = {"real.npy", "other.npy", "tiny_g2.yaml"};
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd, "cp %s %s/", fk_test_fixture(names[i]), dir);
        cr_assert_eq(system(cmd), 0);
    }
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    write_text(path, "fidkit_sweep: 1\nname: edit\nreal: real.npy\nfake: other.npy\n"
                     "backbones: [tiny_g2.yaml]\nmetrics: [fid]\nn: 20\nseed: 3\nci: none\n"
                     "axes:\n  perturbation: [gaussian_noise]\n  level: [0]\n");
    fk_sweep_spec s;
    fk_error e;
    cr_assert_eq(fk_sweep_load(path, &s, &e), FK_OK, "%s", e.msg);
    snprintf(out, sizeof out, "%s/out", dir);
    fk_sweep_counters c1 = run(&s, out);
    cr_assert_eq(c1.extractions, 2);
    snprintf(path, sizeof path, "%s/journal.json", out);
    cr_assert_eq(unlink(path), 0); /* score again, from the cache where it is valid */

    snprintf(path, sizeof path, "%s/real.npy", dir);
    struct stat sb, sb2;
    cr_assert_eq(stat(path, &sb), 0);
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET); /* a pixel of the first image, past the header */
    int ch = fgetc(f);
    fseek(f, 200, SEEK_SET);
    fputc(ch ^ 0x40, f);
    fclose(f);
    struct timespec ts[2] = {sb.st_atim, sb.st_mtim};
    cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    cr_assert_eq(stat(path, &sb2), 0);
    cr_assert(sb2.st_size == sb.st_size && sb2.st_mtim.tv_sec == sb.st_mtim.tv_sec &&
              sb2.st_mtim.tv_nsec == sb.st_mtim.tv_nsec);
    fk_sweep_counters c2 = run(&s, out);
    cr_assert_eq(c2.extractions, 1, "the edited real set was served from the cache (%d "
                 "extractions, %d cache loads)", c2.extractions, c2.cache_loads);
    cr_assert_eq(c2.cache_loads, 1);
    fk_sweep_free(&s);
}

/* The sweep file's plot keys: title, x_label, y_label and per-series labels. */
Test(sweep, plot_keys_set_title_axis_and_series_labels, .timeout = 120)
{
    const char *dir = fk_test_tmpdir();
    char cmd[2048], path[700], out[600];
    const char *names[2] = {"real.npy", "tiny_g2.yaml"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "cp %s %s/", fk_test_fixture(names[i]), dir);
        cr_assert_eq(system(cmd), 0);
    }
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    write_text(path, "fidkit_sweep: 1\nname: keys\nreal: real.npy\nfake: real.npy\n"
                     "backbones: [tiny_g2.yaml]\nmetrics: [fid]\nn: 20\nseed: 3\nci: none\n"
                     "plot:\n  title: Noise and FD\n  x_label: noise sigma\n  y_label: FD (g2)\n"
                     "  labels:\n    gaussian_noise: Gaussian noise\n"
                     "axes:\n  perturbation: [gaussian_noise]\n  level: [0, 0.5, 1]\n");
    fk_sweep_spec s;
    fk_error e;
    cr_assert_eq(fk_sweep_load(path, &s, &e), FK_OK, "%s", e.msg);
    snprintf(out, sizeof out, "%s/out", dir);
    run(&s, out);
    fk_sweep_free(&s);
    snprintf(path, sizeof path, "%s/plot_fid_vs_level.svg", out);
    char *svg = slurp(path, NULL);
    const char *want[4] = {"Noise and FD", "noise sigma", "FD (g2)", "Gaussian noise"};
    for (int i = 0; i < 4; i++) {
        char enc[256];
        svg_text(want[i], enc, sizeof enc);
        cr_assert(count(svg, enc) >= 1, "'%s' is not in the plot", want[i]);
    }
    char def[256];
    svg_text("gaussian_noise", def, sizeof def);
    cr_assert_eq(count(svg, def), 0, "the default legend entry is still drawn");
    free(svg);
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    write_text(path, "fidkit_sweep: 1\nreal: real.npy\nfake: real.npy\nbackbones: [tiny_g2.yaml]\n"
                     "metrics: [fid]\nplot:\n  colour: red\n");
    cr_assert_neq(fk_sweep_load(path, &s, &e), FK_OK);
    cr_assert(strstr(e.msg, "'colour' is not a plot key"), "%s", e.msg);
}

/* Ctrl-C: exit 130, a message saying how many points are saved and the
 * exact command that resumes; that command then says how many it reused. */
Test(sweep, ctrl_c_says_what_was_saved_and_how_to_resume, .timeout = 180)
{
    char out[65536];
    char dir[512], yaml[600], real[1024], cfg[1024], body[4096], errf[700];
    snprintf(dir, sizeof dir, "%s", fk_test_tmpdir());
    snprintf(yaml, sizeof yaml, "%s/slow.yaml", dir);
    snprintf(real, sizeof real, "%s", fk_test_fixture("real.npy"));
    snprintf(cfg, sizeof cfg, "%s", fk_test_fixture("tiny_g4.yaml"));
    snprintf(body, sizeof body, "fidkit_sweep: 1\nreal: %s\nfake: %s\nbackbones: [%s]\n"
             "metrics: [kid]\nn: 20\nreplicates: 1500\nperturbation: gaussian_noise\naxes:\n"
             "  level: [0.2, 0.4, 0.6, 0.8, 1.0]\n", real, real, cfg);
    write_text(yaml, body);
    char b[600];
    snprintf(b, sizeof b, "%s/out", dir);
    snprintf(errf, sizeof errf, "%s/stderr.txt", dir);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY), err = open(errf, O_WRONLY | O_CREAT, 0666);
        dup2(null, 1);
        dup2(err, 2);
        execl(getenv("FK_BIN"), "fidkit", "sweep", yaml, "--out", b, (char *)NULL);
        _exit(127);
    }
    int k = 0;
    for (int waited = 0; waited < 120000 && (k = journal_finished(b)) < 2; waited += 2) {
        struct timespec t = {0, 2 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    kill(pid, SIGINT);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
    k = journal_finished(b);
    cr_assert(k >= 2 && k < 5, "interrupted with %d of 5 points finished", k);
    char *msg = slurp(errf, NULL);
    cr_assert(strstr(msg, "interrupted;") && strstr(msg, " of 5 points are finished and saved"),
              "%s", msg);
    char resume[1400];
    snprintf(resume, sizeof resume, "  fidkit sweep %s --out %s\n", yaml, b);
    cr_assert(strstr(msg, resume), "no resume command '%s' in: %s", resume, msg);
    int said = atoi(strstr(msg, "interrupted; ") + 13);
    cr_assert(said >= 1 && said <= k, "said %d finished, the journal has %d", said, k);
    free(msg);
    int rc = fk_test_run_cli(out, sizeof out, "sweep %s --out %s", yaml, b);
    cr_assert_eq(rc, 0, "%s", out);
    char want[700];
    snprintf(want, sizeof want, "resumed: %d of 5 points reused from %s/journal.json", k, b);
    cr_assert(strstr(out, want), "no '%s' in: %s", want, out);
}

/* --out with ./ and ../ is relative to the current folder, paths inside the
 * sweep file to the file's folder, whatever the current folder is. */
Test(sweep, output_and_sweep_file_paths_resolve_as_written, .timeout = 120)
{
    const char *dir = fk_test_tmpdir();
    char cmd[4096], path[900];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/exp/data %s/work && cp %s %s/exp/data/", dir, dir,
             fk_test_fixture("real.npy"), dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cp %s %s/exp/data/", fk_test_fixture("tiny_g2.yaml"), dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/exp/s.yaml", dir);
    write_text(path, "fidkit_sweep: 1\nname: p\nreal: data/real.npy\nfake: data/real.npy\n"
                     "backbones: [data/tiny_g2.yaml]\nmetrics: [fid]\nn: 20\nci: none\n"
                     "axes:\n  level: [0, 0.5]\n");
    const char *outs[3] = {"./here", "../up", "slash/"};
    const char *where[3] = {"work/here", "up", "work/slash"};
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd, "cd %s/work && \"$FK_BIN\" sweep ../exp/s.yaml --out %s "
                 "--quiet > log.txt 2>&1", dir, outs[i]);
        cr_assert_eq(system(cmd), 0, "--out %s failed", outs[i]);
        snprintf(path, sizeof path, "%s/%s/results.csv", dir, where[i]);
        struct stat sb;
        cr_assert_eq(stat(path, &sb), 0, "--out %s: no %s", outs[i], path);
        snprintf(path, sizeof path, "%s/work/log.txt", dir);
        char *log = slurp(path, NULL);
        cr_assert(!strstr(log, "//"), "%s", log);
        free(log);
    }
}

/* Every metric of `fidkit score` that needs only the main output: cmmd, pr
 * (two rows) and prdc (four rows) give exactly score's numbers on the same
 * images; sfid and is are refused with the reason. */
Test(sweep, score_metrics_in_a_sweep_equal_fidkit_score, .timeout = 180)
{
    const char *dir = fk_test_tmpdir();
    char cmd[2048], path[700], out[600];
    const char *names[3] = {"real.npy", "other.npy", "tiny_g2.yaml"};
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd, "cp %s %s/", fk_test_fixture(names[i]), dir);
        cr_assert_eq(system(cmd), 0);
    }
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    write_text(path, "fidkit_sweep: 1\nname: all\nreal: real.npy\nfake: other.npy\n"
                     "backbones: [tiny_g2.yaml]\nmetrics: [fid, cmmd, pr, prdc]\nci: none\n");
    fk_sweep_spec s;
    fk_error e;
    cr_assert_eq(fk_sweep_load(path, &s, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(s.n_metrics, 8);
    snprintf(out, sizeof out, "%s/out", dir);
    run(&s, out);
    fk_sweep_free(&s);
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *csv = slurp(path, NULL);
    static char js[1 << 16];
    int rc = fk_test_run_cli(js, sizeof js, "score %s/real.npy %s/other.npy --backbone "
                             "%s/tiny_g2.yaml --metrics cmmd,pr,prdc --ci none --json 2>/dev/null",
                             dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", js);
    /* score's results in order: precision, recall (k=3), k=5's four, cmmd */
    const char *rows[7] = {"precision", "recall", "prdc_precision", "prdc_recall", "density",
                           "coverage", "cmmd"};
    const char *p = js;
    for (int i = 0; i < 7; i++) {
        p = strstr(p, "\"value\":");
        cr_assert(p, "%s", js);
        double want = strtod(p + 8, NULL);
        p += 8;
        char key[64];
        snprintf(key, sizeof key, ",%s,", rows[i]);
        const char *w = strstr(csv, key);
        cr_assert(w, "no %s row in %s", rows[i], csv);
        double got = strtod(w + strlen(key), NULL);
        cr_assert(fabs(got - want) <= 1e-12 * fmax(1, fabs(want)), "%s: sweep %.17g, score %.17g",
                  rows[i], got, want);
    }
    free(csv);
    /* KID with the sweep's kid_subsets / kid_subset_size keys is score's KID
     * with --kid-subsets / --kid-subset-size (and clean-fid's draws, which
     * sweeps use). */
    snprintf(path, sizeof path, "%s/k.yaml", dir);
    write_text(path, "fidkit_sweep: 1\nname: kid\nreal: real.npy\nfake: other.npy\n"
                     "backbones: [tiny_g2.yaml]\nmetrics: [kid]\nci: none\nkid_subsets: 7\n"
                     "kid_subset_size: 10\nseed: 5\n");
    cr_assert_eq(fk_sweep_load(path, &s, &e), FK_OK, "%s", e.msg);
    cr_assert(s.kid_subsets == 7 && s.kid_subset_size == 10);
    snprintf(out, sizeof out, "%s/kout", dir);
    run(&s, out);
    fk_sweep_free(&s);
    snprintf(path, sizeof path, "%s/results.csv", out);
    csv = slurp(path, NULL);
    rc = fk_test_run_cli(js, sizeof js, "score %s/real.npy %s/other.npy --backbone "
                         "%s/tiny_g2.yaml --metrics kid --ci none --kid-subsets 7 "
                         "--kid-subset-size 10 --kid-convention clean-fid --seed 5 --json 2>/dev/null",
                         dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", js);
    p = strstr(js, "\"value\":");
    cr_assert(p, "%s", js);
    const char *w = strstr(csv, ",kid,");
    cr_assert(w, "no kid row in %s", csv);
    cr_assert_eq(strtod(w + 5, NULL), strtod(p + 8, NULL), "sweep %s vs score %s", w, p);
    cr_assert(strstr(js, "\"subset_size\":\t10") || strstr(js, "\"subset_size\": 10"), "%s", js);
    free(csv);
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    write_text(path, "fidkit_sweep: 1\nreal: real.npy\nfake: other.npy\nbackbones: [tiny_g2.yaml]\n"
                     "metrics: [is]\n");
    cr_assert_neq(fk_sweep_load(path, &s, &e), FK_OK);
    cr_assert(strstr(e.msg, "logits"), "%s", e.msg);
}
