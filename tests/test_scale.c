/* Scale-out: block partials and their tree, --shard + merge, MPI ranks.
 * Every split of the work must give the bits of one process; the
 * reference for the numbers themselves is a two-pass mean and covariance in
 * long double of the extracted rows. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static char out[1 << 16];

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* ---- the tree ------------------------------------------------------------ */

/* The leaf partial of block b of rows (n x d, blocks of bs rows). */
static void leaf(const float *rows, int64_t n, int d, int64_t bs, int64_t b, fk_moments *m)
{
    fk_error e;
    cr_assert_eq(fk_moments_init(m, d, &e), FK_OK);
    int64_t lo = b * bs, hi = lo + bs < n ? lo + bs : n;
    cr_assert_eq(fk_moments_add(m, rows + lo * d, hi - lo, &e), FK_OK, "%s", e.msg);
}

/* Builds the tree of blocks [b0, b1) as one shard would. */
static void shard_tree(const float *rows, int64_t n, int d, int64_t bs, int64_t b0, int64_t b1,
                       fk_partials *p)
{
    fk_error e;
    cr_assert_eq(fk_partials_init(p, d, &e), FK_OK);
    for (int64_t b = b0; b < b1; b++) {
        fk_moments m;
        leaf(rows, n, d, bs, b, &m);
        cr_assert_eq(fk_partials_push(p, b, b + 1, &m, &e), FK_OK, "%s", e.msg);
        fk_moments_free(&m);
    }
}

Test(scale, tree_is_the_same_for_every_split)
{
    const int d = 7;
    const int64_t n = 1000, bs = 9, L = (n + bs - 1) / bs;
    float *rows = malloc((size_t)n * d * sizeof *rows);
    uint64_t s = 3;
    for (int64_t i = 0; i < n * d; i++)
        rows[i] = (float)((double)lcg(&s) / 2147483648.0 * 4.0 + (i % d));
    fk_error e;
    fk_partials one;
    shard_tree(rows, n, d, bs, 0, L, &one);
    fk_moments ref;
    cr_assert_eq(fk_partials_result(&one, &ref, &e), FK_OK);
    cr_assert_eq(ref.n, n);

    /* Independent: two-pass mean and scatter in long double. */
    for (int j = 0; j < d; j++) {
        long double mu = 0;
        for (int64_t i = 0; i < n; i++)
            mu += rows[i * d + j];
        mu /= n;
        cr_assert(fabsl(mu - ref.mean[j]) <= 1e-12L * fabsl(mu), "mean %d", j);
        for (int k = 0; k <= j; k++) {
            long double muk = 0, m2 = 0;
            for (int64_t i = 0; i < n; i++)
                muk += rows[i * d + k];
            muk /= n;
            for (int64_t i = 0; i < n; i++)
                m2 += (rows[i * d + j] - mu) * (rows[i * d + k] - muk);
            cr_assert(fabsl(m2 - ref.m2[j * d + k]) <= 1e-11L * (fabsl(m2) + 1),
                      "m2 %d %d: %Lg vs %g", j, k, m2, ref.m2[j * d + k]);
        }
    }
    /* K shards of whole blocks, pushed in order (some through bytes): bits. */
    for (int K = 1; K <= 13; K++) {
        fk_partials all;
        cr_assert_eq(fk_partials_init(&all, d, &e), FK_OK);
        for (int r = 0; r < K; r++) {
            fk_partials p;
            shard_tree(rows, n, d, bs, r * L / K, (r + 1) * L / K, &p);
            if (r % 2) {
                void *buf;
                size_t len;
                cr_assert_eq(fk_partials_pack(&p, &buf, &len, &e), FK_OK);
                cr_assert_eq(fk_partials_unpack_push(&all, buf, len, &e), FK_OK, "%s", e.msg);
                free(buf);
            } else {
                cr_assert_eq(fk_partials_append(&all, &p, &e), FK_OK, "%s", e.msg);
            }
            fk_partials_free(&p);
        }
        fk_moments m;
        cr_assert_eq(fk_partials_result(&all, &m, &e), FK_OK);
        cr_assert_eq(m.n, n);
        cr_assert(!memcmp(m.mean, ref.mean, d * sizeof(double)), "mean differs for K=%d", K);
        cr_assert(!memcmp(m.m2, ref.m2, (size_t)d * d * sizeof(double)), "m2 differs, K=%d", K);
        fk_moments_free(&m);
        fk_partials_free(&all);
    }
    /* Out of order or misaligned nodes are refused. */
    fk_partials bad;
    fk_moments m;
    cr_assert_eq(fk_partials_init(&bad, d, &e), FK_OK);
    leaf(rows, n, d, bs, 0, &m);
    cr_assert_eq(fk_partials_push(&bad, 1, 3, &m, &e), FK_ERR_FORMAT);
    cr_assert_eq(fk_partials_push(&bad, 0, 1, &m, &e), FK_OK);
    leaf(rows, n, d, bs, 2, &m);
    cr_assert_eq(fk_partials_push(&bad, 2, 3, &m, &e), FK_ERR_FORMAT);
    fk_moments_free(&m);
    fk_partials_free(&bad);
    fk_moments_free(&ref);
    fk_partials_free(&one);
    free(rows);
}

/* ---- shards and merge --------------------------------------------------- */

static void load_stats(const char *path, fk_stats *s)
{
    fk_error e;
    cr_assert_eq(fk_stats_read(path, s, &e), FK_OK, "%s", e.msg);
}

static void assert_same_stats(const char *a, const char *b)
{
    fk_stats x, y;
    load_stats(a, &x);
    load_stats(b, &y);
    cr_assert_eq(x.d, y.d);
    cr_assert_eq(x.n, y.n, "%s has n=%lld, %s n=%lld", a, (long long)x.n, b, (long long)y.n);
    cr_assert(fk_tag_equal(&x.tag, &y.tag));
    cr_assert(!memcmp(x.mu, y.mu, x.d * sizeof(double)), "mu of %s and %s differ", a, b);
    cr_assert(!memcmp(x.sigma, y.sigma, (size_t)x.d * x.d * sizeof(double)),
              "sigma of %s and %s differ", a, b);
    fk_stats_free(&x);
    fk_stats_free(&y);
}

/* fk_test_fixture's buffer is shared: keep copies. */
static const char *fx(const char *name)
{
    static char bufs[8][1024];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 1024, "%s", fk_test_fixture(name));
    return b;
}
#define CFG fx("tiny_g4.yaml")

Test(scale, shards_merge_to_the_single_process_bits)
{
    const char *t = fk_test_tmpdir();
    const char *a = fx("a.npz");
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s", CFG);
    int rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --block 8 -o %s/full.npz",
                             a, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    for (int i = 0; i < 3; i++) {
        rc = fk_test_run_cli(out, sizeof out,
                             "stats '%s' --backbone '%s' --block 8 --shard %d/3 -o %s/p%d.npz "
                             "--batch-size %d", a, cfg, i, t, i, 2 + i);
        cr_assert_eq(rc, 0, "%s", out);
    }
    /* Any order. */
    rc = fk_test_run_cli(out, sizeof out, "merge %s/p2.npz %s/p0.npz %s/p1.npz -o %s/m.npz", t, t,
                         t, t);
    cr_assert_eq(rc, 0, "%s", out);
    char full[1200], m[1200];
    snprintf(full, sizeof full, "%s/full.npz", t);
    snprintf(m, sizeof m, "%s/m.npz", t);
    assert_same_stats(full, m);

    /* Against the rows themselves: two-pass long double mean / covariance. */
    rc = fk_test_run_cli(out, sizeof out, "extract '%s' --backbone '%s' -o %s/rows.npz", a, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    char rp[1200];
    snprintf(rp, sizeof rp, "%s/rows.npz", t);
    fk_featset f;
    fk_error e;
    cr_assert_eq(fk_featset_read(rp, NULL, NULL, &f, &e), FK_OK, "%s", e.msg);
    fk_stats s;
    load_stats(m, &s);
    cr_assert_eq(s.n, f.n);
    for (int j = 0; j < f.d; j++) {
        long double mj = 0;
        for (int64_t i = 0; i < f.n; i++)
            mj += f.rows[i * f.d + j];
        mj /= f.n;
        cr_assert(fabsl(mj - s.mu[j]) <= 1e-12L * (fabsl(mj) + 1e-300L), "mu[%d]", j);
        for (int k = 0; k <= j; k += 5) {
            long double mk = 0, c = 0;
            for (int64_t i = 0; i < f.n; i++)
                mk += f.rows[i * f.d + k];
            mk /= f.n;
            for (int64_t i = 0; i < f.n; i++)
                c += (f.rows[i * f.d + j] - mj) * (f.rows[i * f.d + k] - mk);
            c /= f.n - 1;
            cr_assert(fabsl(c - s.sigma[j * f.d + k]) <= 1e-12L * fabsl(c) + 1e-15L,
                      "sigma[%d,%d] %Lg vs %g", j, k, c, s.sigma[j * f.d + k]);
        }
    }
    fk_stats_free(&s);
    fk_featset_free(&f);

    /* A shard file is still a stats file for numpy (pytorch-fid's reader). */
    const char *py = getenv("FK_PYTHON");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' -c \"import numpy as np; f=np.load('%s/p1.npz'); "
             "assert f['mu'].shape==(48,) and f['sigma'].shape==(48,48)\"", py, t);
    cr_assert_eq(system(cmd), 0, "numpy cannot read the shard file");
}

Test(scale, merge_refuses_wrong_shard_sets)
{
    const char *t = fk_test_tmpdir();
    const char *a = fx("a.npz");
    char cfg[1024], g8[1024], b[1024];
    snprintf(cfg, sizeof cfg, "%s", CFG);
    snprintf(g8, sizeof g8, "%s", fx("tiny_g8.yaml"));
    snprintf(b, sizeof b, "%s", fx("b.npz"));
    int rc;
    for (int i = 0; i < 3; i++) {
        rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --block 8 --shard %d/3 "
                             "-o %s/p%d.npz", a, cfg, i, t, i);
        cr_assert_eq(rc, 0, "%s", out);
    }
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --block 8 --shard 2/3 -o "
                         "%s/g8.npz", a, g8, t);
    cr_assert_eq(rc, 0, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --block 8 --shard 2/3 -o "
                         "%s/other.npz", b, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --block 8 --shard 2/4 -o "
                         "%s/four.npz", a, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' -o %s/whole.npz", a, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    char o[1200];
    snprintf(o, sizeof o, "%s/x.npz", t);

    rc = fk_test_run_cli(out, sizeof out, "merge %s/p0.npz %s/p1.npz -o %s", t, t, o);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "shard 2/3") && strstr(out, "missing"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "merge %s/p0.npz %s/p1.npz %s/p1.npz -o %s", t, t, t, o);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "twice"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "merge %s/p0.npz %s/p1.npz %s/g8.npz -o %s", t, t, t, o);
    cr_assert_eq(rc, 3, "%s", out);
    cr_assert(strstr(out, "g8.npz") && strstr(out, "different backbones"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "merge %s/p0.npz %s/p1.npz %s/other.npz -o %s", t, t, t, o);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "other.npz") && strstr(out, "different datasets"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "merge %s/p0.npz %s/p1.npz %s/four.npz -o %s", t, t, t, o);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "different shard sets"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "merge %s/p0.npz %s/whole.npz -o %s", t, t, o);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "without --shard"), "%s", out);
    cr_assert(!exists(o), "a refused merge wrote %s", o);

    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --shard 3/3 -o %s", a, cfg, o);
    cr_assert_eq(rc, 2, "%s", out);
    /* 50 items are one block of 1024: shard 0/2 is empty (1/2 holds it). */
    rc = fk_test_run_cli(out, sizeof out, "stats '%s' --backbone '%s' --shard 0/2 -o %s", a, cfg, o);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "shard 0/2") && strstr(out, "--block"), "%s", out);
    cr_assert(!exists(o));
}

Test(scale, feature_shards_concatenate_in_listing_order)
{
    const char *t = fk_test_tmpdir();
    const char *a = fx("a.npz");
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s", CFG);
    int rc = fk_test_run_cli(out, sizeof out, "extract '%s' --backbone '%s' -o %s/full.npz", a, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    for (int i = 0; i < 4; i++) {
        rc = fk_test_run_cli(out, sizeof out, "extract '%s' --backbone '%s' --block 10 --shard "
                             "%d/4 -o %s/f%d.npz", a, cfg, i, t, i);
        cr_assert_eq(rc, 0, "%s", out);
    }
    rc = fk_test_run_cli(out, sizeof out, "merge %s/f3.npz %s/f1.npz %s/f0.npz %s/f2.npz -o %s/m.npz",
                         t, t, t, t, t);
    cr_assert_eq(rc, 0, "%s", out);
    char p1[1200], p2[1200];
    snprintf(p1, sizeof p1, "%s/full.npz", t);
    snprintf(p2, sizeof p2, "%s/m.npz", t);
    fk_featset x, y;
    fk_error e;
    cr_assert_eq(fk_featset_read(p1, NULL, NULL, &x, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_featset_read(p2, NULL, NULL, &y, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(x.n, y.n);
    cr_assert(fk_tag_equal(&x.tag, &y.tag));
    cr_assert(!memcmp(x.rows, y.rows, (size_t)x.n * x.d * sizeof(float)));
    fk_featset_free(&x);
    fk_featset_free(&y);
}

/* ---- MPI ranks ------------------------------------------------------------ */

#ifdef FK_TEST_MPIEXEC
/* The command under mpirun; OpenBLAS single-threaded in every run so that
 * BLAS-heavy results (sqrtm, the bootstrap) compare bit for bit. */
static int run_mpi(int n, const char *fmt, ...)
{
    char args[8192], cmd[9000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    if (n > 0)
        snprintf(cmd, sizeof cmd, "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                 "OPENBLAS_NUM_THREADS=1 PATH=\"$(dirname '%s'):$PATH\" timeout 120 mpirun -n %d "
                 "--oversubscribe --bind-to none '%s' %s 2>&1", FK_TEST_MPIEXEC, n,
                 getenv("FK_BIN"), args);
    else
        snprintf(cmd, sizeof cmd, "OPENBLAS_NUM_THREADS=1 '%s' %s 2>&1", getenv("FK_BIN"), args);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t k = fread(out, 1, sizeof out - 1, p);
    out[k] = 0;
    while (fgetc(p) != EOF) {
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
#define NEED_MPI()
#else
#define NEED_MPI() cr_skip_test("the fidkit command was built without MPI ranks (FIDKIT_MPI)")
static int run_mpi(int n, const char *fmt, ...)
{
    (void)n;
    (void)fmt;
    return -1;
}
#endif

Test(scale, mpi_ranks_give_the_single_process_stats)
{
    NEED_MPI();
    const char *t = fk_test_tmpdir();
    const char *a = fx("a.npz");
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s", CFG);
    int rc = run_mpi(0, "stats '%s' --backbone '%s' --block 4 -o %s/one.npz", a, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    char one[1200], p[1200];
    snprintf(one, sizeof one, "%s/one.npz", t);
    for (int n = 1; n <= 4; n *= 2) {
        rc = run_mpi(n, "stats '%s' --backbone '%s' --block 4 -o %s/n%d.npz", a, cfg, t, n);
        cr_assert_eq(rc, 0, "-n %d: %s", n, out);
        snprintf(p, sizeof p, "%s/n%d.npz", t, n);
        assert_same_stats(one, p);
    }
    /* Ranks and shards together: -n 2 equals the merge of 3 shards. */
    for (int i = 0; i < 3; i++) {
        rc = run_mpi(0, "stats '%s' --backbone '%s' --block 4 --shard %d/3 -o %s/s%d.npz", a, cfg,
                     i, t, i);
        cr_assert_eq(rc, 0, "%s", out);
    }
    rc = run_mpi(0, "merge %s/s1.npz %s/s0.npz %s/s2.npz -o %s/merged.npz", t, t, t, t);
    cr_assert_eq(rc, 0, "%s", out);
    snprintf(p, sizeof p, "%s/merged.npz", t);
    assert_same_stats(one, p);
}

static double result_value(const char *json, const char *metric, const char *name)
{
    cr_assert(json);
    char key[160];
    snprintf(key, sizeof key, "\"metric\":\t\"%s\",\n\t\t\t\"name\":\t\"%s\",\n\t\t\t\"value\":\t",
             metric, name);
    const char *h = strstr(json, key);
    cr_assert(h, "no %s/%s in %s", metric, name, json);
    return strtod(h + strlen(key), NULL);
}

Test(scale, mpi_ranks_give_the_single_process_scores)
{
    NEED_MPI();
    const char *a = fx("a.npz");
    char cfg[1024], b[1024];
    snprintf(cfg, sizeof cfg, "%s", CFG);
    snprintf(b, sizeof b, "%s", fx("b.npz"));
    const char *args = "score '%s' '%s' --backbone '%s' --block 4 --metrics fid,kid,pr --json --quiet";
    int rc = run_mpi(0, args, a, b, cfg);
    cr_assert_eq(rc, 0, "%s", out);
    char *one = strdup(out);
    double fd = result_value(one, "fid", "FD_g4"), kid = result_value(one, "kid", "KID");
    double pr = result_value(one, "pr", "precision"), rc_ = result_value(one, "pr", "recall");
    for (int n = 1; n <= 4; n *= 2) {
        rc = run_mpi(n, args, a, b, cfg);
        cr_assert_eq(rc, 0, "-n %d: %s", n, out);
        double f2 = result_value(out, "fid", "FD_g4");
        cr_assert(fabs(f2 - fd) <= 1e-12 * fabs(fd), "-n %d: FD %.17g vs %.17g", n, f2, fd);
        cr_assert_eq(result_value(out, "kid", "KID"), kid, "-n %d KID", n);
        cr_assert_eq(result_value(out, "pr", "precision"), pr, "-n %d precision", n);
        cr_assert_eq(result_value(out, "pr", "recall"), rc_, "-n %d recall", n);
        /* Intervals too: the same resamples of the same rows. */
        const char *i1 = strstr(one, "\"interval\""), *i2 = strstr(out, "\"interval\"");
        cr_assert(i1 && i2 && !strncmp(i1, i2, 200), "-n %d: the FD interval differs", n);
    }
    free(one);
}

Test(scale, a_failing_rank_ends_the_job_naming_the_file)
{
    NEED_MPI();
    const char *t = fk_test_tmpdir();
    char cfg[1024], imgs[1024], o[1200];
    snprintf(cfg, sizeof cfg, "%s", CFG);
    snprintf(imgs, sizeof imgs, "%s", fx("imgs"));
    snprintf(o, sizeof o, "%s/bad.npz", t);
    int rc = run_mpi(2, "stats '%s' --backbone '%s' --block 4 -o %s", imgs, cfg, o);
    cr_assert(rc != 0 && rc != 124, "rc %d (124: timed out): %s", rc, out);
    cr_assert(strstr(out, "rank 1 of 2") && strstr(out, "015.png"), "%s", out);
    cr_assert(!exists(o), "a failed job wrote %s", o);
    /* With --skip-bad the ranks agree with one process on what was skipped. */
    rc = run_mpi(2, "stats '%s' --backbone '%s' --block 4 --skip-bad -o %s/skip2.npz", imgs, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "skipped 1"), "%s", out);
    rc = run_mpi(0, "stats '%s' --backbone '%s' --block 4 --skip-bad -o %s/skip1.npz", imgs, cfg, t);
    cr_assert_eq(rc, 0, "%s", out);
    char p1[1200], p2[1200];
    snprintf(p1, sizeof p1, "%s/skip1.npz", t);
    snprintf(p2, sizeof p2, "%s/skip2.npz", t);
    assert_same_stats(p1, p2);
}

/* A sweep under mpirun shares every point's extraction among the ranks
 * (blocks of 4 of 20 items: rank 1 holds items 8..19), perturbed by the
 * listing index (noise) and by the plan over the whole listing
 * (contamination), and writes the results one process writes. */
Test(scale, a_sweep_under_mpirun_writes_the_single_process_results)
{
    NEED_MPI();
    const char *t = fk_test_tmpdir();
    const char *y = fx("sweep.yaml");
    int rc = run_mpi(0, "sweep '%s' --out %s/one --quiet --block 4", y, t);
    cr_assert_eq(rc, 0, "%s", out);
    rc = run_mpi(2, "sweep '%s' --out %s/two --quiet --block 4", y, t);
    cr_assert_eq(rc, 0, "%s", out);
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/one/results.csv", t);
    snprintf(b, sizeof b, "%s/two/results.csv", t);
    char *x = NULL, *z = NULL;
    size_t nx = 0, nz = 0;
    fk_error e;
    cr_assert_eq(fk_read_file(a, 1 << 20, &x, &nx, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_read_file(b, 1 << 20, &z, &nz, &e), FK_OK, "%s", e.msg);
    cr_assert(nx > 100 && nx == nz && !memcmp(x, z, nx), "results.csv differ:\n%s\n%s", x, z);
    free(x);
    free(z);
}

/* The proof that ranks share a sweep's points: the bad file of item 15 is
 * in rank 1's share, and the error says rank 1 met it. */
Test(scale, a_sweep_under_mpirun_extracts_on_every_rank)
{
    NEED_MPI();
    const char *t = fk_test_tmpdir();
    int rc = run_mpi(2, "sweep '%s' --out %s/bad --quiet --block 4", fx("sweep_bad.yaml"), t);
    cr_assert(rc != 0 && rc != 124, "rc %d (124: timed out): %s", rc, out);
    cr_assert(strstr(out, "rank 1 of 2") && strstr(out, "015.png"), "%s", out);
}

