/* The loader against tests/ref/loader.py (resize "none" + normalisation in
 * numpy), against the single-image path (fk_preprocess_image per item), and
 * against itself: identical batches, bit for bit, whatever the container,
 * thread count and batch size. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fidkit/loader.h"
#include "fidkit/npz.h"
#include "fk_test.h"

static fk_dataset *open_ds(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", fk_test_fixture(name));
    fk_dataset *ds = NULL;
    fk_error e;
    cr_assert_eq(fk_dataset_open(path, NULL, &ds, &e), FK_OK, "%s: %s", path, e.msg);
    return ds;
}

static fk_preprocess prep(int size, fk_resize_mode mode)
{
    fk_preprocess p = {size, mode, 0, 1.0f / 255, {0.485f, 0.456f, 0.406f},
                       {0.229f, 0.224f, 0.225f}};
    return p;
}

typedef struct run {
    float *data;    /* all rows, in order */
    int64_t *index; /* dataset index of each row */
    int64_t rows;
    int batches;
} run;

static void free_run(run *r)
{
    free(r->data);
    free(r->index);
}

/* Runs a loader to the end; checks batch sizes on the way. */
static run load_all(fk_dataset *ds, const fk_preprocess *p, int batch, int threads, int skip)
{
    fk_loader_options o = fk_loader_default_options();
    o.batch_size = batch;
    o.threads = threads;
    o.skip_bad = skip;
    fk_loader *l;
    fk_error e;
    cr_assert_eq(fk_loader_open(ds, p, &o, &l, &e), FK_OK, "%s", e.msg);
    size_t item = (size_t)3 * p->size * p->size;
    int64_t n = fk_dataset_size(ds);
    run r = {malloc((size_t)n * item * sizeof(float)), malloc((size_t)n * sizeof(int64_t)), 0, 0};
    for (;;) {
        fk_batch b;
        fk_status s = fk_loader_next(l, &b, &e);
        cr_assert_eq(s, FK_OK, "%s", e.msg);
        if (b.n == 0)
            break;
        cr_assert_eq(b.size, p->size);
        cr_assert(b.n <= batch);
        cr_assert(r.rows + b.n <= n);
        memcpy(r.data + (size_t)r.rows * item, b.data, (size_t)b.n * item * sizeof(float));
        memcpy(r.index + r.rows, b.index, (size_t)b.n * sizeof(int64_t));
        /* Only the last batch may be short. */
        if (r.batches > 0)
            cr_assert_eq(r.rows % batch, 0, "a short batch before the end");
        r.rows += b.n;
        r.batches++;
    }
    fk_batch b;
    cr_assert_eq(fk_loader_next(l, &b, &e), FK_OK, "after the end: %s", e.msg);
    cr_assert_eq(b.n, 0);
    fk_loader_close(l);
    return r;
}

static void assert_close_to(const float *got, const fk_array *ref, int64_t rows)
{
    cr_assert_eq(ref->dtype, FK_F32);
    size_t n = (size_t)fk_array_count(ref);
    cr_assert_eq((size_t)rows * (n / (size_t)ref->shape[0]), n);
    cr_assert_gt(n, 0);
    const float *want = ref->data;
    size_t compared = 0;
    for (size_t k = 0; k < n; k++) {
        double tol = 1e-6 + 1e-6 * fabs(want[k]);
        cr_assert(fabs((double)got[k] - want[k]) <= tol, "value %zu: %.9g, numpy %.9g", k,
                  got[k], want[k]);
        compared++;
    }
    cr_assert_eq(compared, n);
}

Test(loader, none_mode_matches_numpy)
{
    fk_dataset *ds = open_ds("imgs");
    fk_preprocess p = prep(16, FK_RESIZE_NONE);
    run r = load_all(ds, &p, 5, 2, 0);
    cr_assert_eq(r.rows, fk_dataset_size(ds));
    cr_assert_eq(r.batches, (int)((r.rows + 4) / 5));
    for (int64_t i = 0; i < r.rows; i++)
        cr_assert_eq(r.index[i], i);
    fk_array ref = fk_test_load_npy("imgs_none.npy");
    assert_close_to(r.data, &ref, r.rows);
    fk_array_free(&ref);
    free_run(&r);
    fk_dataset_close(ds);
}

/* What the loader must reproduce: each item alone through the public
 * single-image functions. */
static float *one_by_one(fk_dataset *ds, const fk_preprocess *p)
{
    size_t item = (size_t)3 * p->size * p->size;
    int64_t n = fk_dataset_size(ds);
    float *out = malloc((size_t)n * item * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        fk_image im;
        fk_error e;
        cr_assert_eq(fk_dataset_load(ds, i, &im, &e), FK_OK, "%s", e.msg);
        cr_assert_eq(fk_preprocess_image(&im, p, out + (size_t)i * item, &e), FK_OK, "%s", e.msg);
        fk_image_free(&im);
    }
    return out;
}

Test(loader, identical_batches_across_containers_threads_and_batch_sizes)
{
    const char *files[] = {"imgs", "imgs.zip", "imgs.npz", "imgs_c.npz", "imgs.npy"};
    const int threads[] = {1, 4};
    const int batches[] = {1, 5, 7, 24, 50};
    fk_preprocess p = prep(23, FK_RESIZE_CLEAN);
    fk_dataset *ref_ds = open_ds("imgs");
    int64_t n = fk_dataset_size(ref_ds);
    size_t total = (size_t)n * 3 * 23 * 23;
    float *want = one_by_one(ref_ds, &p);
    fk_dataset_close(ref_ds);
    int runs = 0;
    for (int f = 0; f < 5; f++) {
        fk_dataset *ds = open_ds(files[f]);
        for (int t = 0; t < 2; t++)
            for (int b = 0; b < 5; b++) {
                run r = load_all(ds, &p, batches[b], threads[t], 0);
                cr_assert_eq(r.rows, n);
                cr_assert(memcmp(r.data, want, total * sizeof(float)) == 0,
                          "%s, %d threads, batch %d: not bit-identical", files[f], threads[t],
                          batches[b]);
                free_run(&r);
                runs++;
            }
        fk_dataset_close(ds);
    }
    cr_assert_eq(runs, 50);
    free(want);
}

Test(loader, mixed_sizes)
{
    fk_dataset *ds = open_ds("mixed");
    const fk_resize_mode modes[] = {FK_RESIZE_CLEAN, FK_RESIZE_LEGACY_PYTORCH,
                                    FK_RESIZE_LEGACY_TENSORFLOW};
    for (int m = 0; m < 3; m++) {
        fk_preprocess p = prep(19, modes[m]);
        float *want = one_by_one(ds, &p);
        size_t total = (size_t)fk_dataset_size(ds) * 3 * 19 * 19;
        for (int t = 1; t <= 3; t += 2) {
            run r = load_all(ds, &p, 3, t, 0);
            cr_assert(memcmp(r.data, want, total * sizeof(float)) == 0, "mode %d, %d threads",
                      m, t);
            free_run(&r);
        }
        free(want);
    }
    fk_dataset_close(ds);
}

typedef struct lines {
    char *buf;
    char *v[64];
    int n;
} lines;

static void read_lines(const char *name, lines *L)
{
    FILE *f = fopen(fk_test_fixture(name), "rb");
    cr_assert(f, "%s", name);
    L->buf = calloc(1, 65536);
    size_t n = fread(L->buf, 1, 65535, f);
    (void)n;
    fclose(f);
    L->n = 0;
    for (char *p = L->buf, *nl; *p && (nl = strchr(p, '\n')) && L->n < 64; p = nl + 1) {
        *nl = 0;
        L->v[L->n++] = p;
    }
    cr_assert_gt(L->n, 0);
}

Test(loader, skip_bad_counts_and_keeps_reasons)
{
    fk_dataset *ds = open_ds("bad");
    fk_preprocess p = prep(16, FK_RESIZE_NONE);
    fk_array good = fk_test_load_npy("bad_good_index.npy");
    fk_array ref = fk_test_load_npy("bad_good_none.npy");
    lines broken;
    read_lines("bad_broken.txt", &broken);
    for (int t = 1; t <= 3; t += 2) {
        fk_loader_options o = fk_loader_default_options();
        o.batch_size = 4;
        o.threads = t;
        o.skip_bad = 1;
        fk_loader *l;
        fk_error e;
        cr_assert_eq(fk_loader_open(ds, &p, &o, &l, &e), FK_OK, "%s", e.msg);
        size_t item = 3 * 16 * 16;
        float *all = malloc((size_t)good.shape[0] * item * sizeof(float));
        int64_t rows = 0;
        fk_batch b;
        while (fk_loader_next(l, &b, &e) == FK_OK && b.n > 0) {
            cr_assert(rows + b.n <= good.shape[0]);
            cr_assert(b.n == 4 || rows + b.n == good.shape[0], "batches stay full: %d", b.n);
            for (int k = 0; k < b.n; k++)
                cr_assert_eq(b.index[k], ((int64_t *)good.data)[rows + k]);
            memcpy(all + rows * item, b.data, (size_t)b.n * item * sizeof(float));
            rows += b.n;
        }
        cr_assert_eq(b.n, 0, "ended with an error: %s", e.msg);
        cr_assert_eq(rows, good.shape[0]);
        assert_close_to(all, &ref, rows);
        cr_assert_eq(fk_loader_skipped(l), broken.n);
        for (int k = 0; k < broken.n; k++) {
            const char *why = fk_loader_skipped_reason(l, k);
            cr_assert(why && strstr(why, broken.v[k]), "reason %d names %s: %s", k, broken.v[k],
                      why ? why : "(null)");
        }
        cr_assert_null(fk_loader_skipped_reason(l, broken.n));
        fk_loader_close(l);
        free(all);
    }
    free(broken.buf);
    fk_array_free(&good);
    fk_array_free(&ref);
    fk_dataset_close(ds);
}

Test(loader, first_bad_file_stops_the_run)
{
    fk_dataset *ds = open_ds("bad");
    fk_preprocess p = prep(16, FK_RESIZE_NONE);
    lines broken;
    read_lines("bad_broken.txt", &broken);
    fk_loader_options o = fk_loader_default_options();
    o.batch_size = 1;
    o.threads = 3;
    fk_loader *l;
    fk_error e;
    cr_assert_eq(fk_loader_open(ds, &p, &o, &l, &e), FK_OK, "%s", e.msg);
    fk_batch b;
    int ok = 0;
    fk_status s;
    while ((s = fk_loader_next(l, &b, &e)) == FK_OK && b.n > 0)
        ok++;
    cr_assert_neq(s, FK_OK, "the broken files were not reported");
    cr_assert_eq(ok, 2, "items before the first broken one: %d", ok);
    cr_assert(strstr(e.msg, broken.v[0]), "the error names %s: %s", broken.v[0], e.msg);
    fk_error e2;
    cr_assert_eq(fk_loader_next(l, &b, &e2), s, "the error is sticky");
    cr_assert_str_eq(e2.msg, e.msg);
    cr_assert_eq(b.n, 0);
    fk_loader_close(l);
    free(broken.buf);
    fk_dataset_close(ds);
}

/* ---- hooks ------------------------------------------------------------------ */

typedef struct hook_state {
    atomic_llong max_index;
    int64_t fail_at;
} hook_state;

static fk_status invert(void *user, int64_t index, fk_image *im, fk_error *e)
{
    hook_state *h = user;
    long long cur = atomic_load(&h->max_index);
    while (index > cur && !atomic_compare_exchange_weak(&h->max_index, &cur, index)) {
    }
    if (index == h->fail_at)
        return fk_fail(e, FK_ERR_FORMAT, "refusing item %lld", (long long)index);
    /* Replace the pixels (as a perturbation may), not just edit them. */
    size_t nb = (size_t)im->w * im->h * 3;
    uint8_t *px = malloc(nb);
    if (!px)
        return fk_fail(e, FK_ERR_NOMEM, "hook: out of memory");
    for (size_t k = 0; k < nb; k++)
        px[k] = (uint8_t)(255 - im->rgb[k]);
    int w = im->w, hh = im->h;
    fk_image_free(im);
    im->w = w;
    im->h = hh;
    im->rgb = px;
    return FK_OK;
}

Test(loader, hook_runs_before_resize)
{
    fk_dataset *ds = open_ds("imgs.zip");
    fk_preprocess p = prep(16, FK_RESIZE_NONE);
    hook_state h = {0, -1};
    fk_loader_options o = fk_loader_default_options();
    o.batch_size = 10;
    o.threads = 3;
    o.hook = invert;
    o.hook_user = &h;
    fk_loader *l;
    fk_error e;
    cr_assert_eq(fk_loader_open(ds, &p, &o, &l, &e), FK_OK, "%s", e.msg);
    size_t item = 3 * 16 * 16;
    int64_t n = fk_dataset_size(ds), rows = 0;
    float *all = malloc((size_t)n * item * sizeof(float));
    fk_batch b;
    while (fk_loader_next(l, &b, &e) == FK_OK && b.n > 0) {
        memcpy(all + rows * item, b.data, (size_t)b.n * item * sizeof(float));
        rows += b.n;
    }
    cr_assert_eq(rows, n);
    fk_array ref = fk_test_load_npy("imgs_none_inverted.npy");
    assert_close_to(all, &ref, rows);
    fk_array_free(&ref);
    free(all);
    fk_loader_close(l);

    /* A failing hook stops the run even with skip_bad. */
    h.fail_at = 7;
    o.skip_bad = 1;
    cr_assert_eq(fk_loader_open(ds, &p, &o, &l, &e), FK_OK, "%s", e.msg);
    fk_status s;
    while ((s = fk_loader_next(l, &b, &e)) == FK_OK && b.n > 0) {
    }
    cr_assert_eq(s, FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "refusing item 7") && strstr(e.msg, fk_dataset_item_name(ds, 7)),
              "%s", e.msg);
    cr_assert_eq(fk_loader_skipped(l), 0);
    fk_loader_close(l);
    fk_dataset_close(ds);
}

/* Workers stay within the ring: prefetch 1 x batch 2, 2 threads -> at most
 * 4 items in flight beyond what the consumer has taken. */
Test(loader, memory_is_bounded)
{
    fk_dataset *ds = open_ds("imgs");
    fk_preprocess p = prep(16, FK_RESIZE_NONE);
    hook_state h = {0, -1};
    fk_loader_options o = fk_loader_default_options();
    o.batch_size = 2;
    o.threads = 2;
    o.prefetch = 1;
    o.hook = invert;
    o.hook_user = &h;
    fk_loader *l;
    fk_error e;
    cr_assert_eq(fk_loader_open(ds, &p, &o, &l, &e), FK_OK, "%s", e.msg);
    fk_batch b;
    cr_assert_eq(fk_loader_next(l, &b, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(b.n, 2);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    long long seen = atomic_load(&h.max_index);
    /* Item 1 was delivered, so it was seen; nothing beyond the ring may be. */
    cr_assert(seen >= 1 && seen <= 2 + 4 - 1, "workers reached item %lld", seen);
    fk_loader_close(l);
    fk_dataset_close(ds);
}

Test(loader, early_close_and_bad_options)
{
    fk_dataset *ds = open_ds("imgs_c.npz");
    fk_preprocess p = prep(31, FK_RESIZE_CLEAN);
    fk_loader_options o = fk_loader_default_options();
    fk_loader *l;
    fk_error e;
    for (int rep = 0; rep < 20; rep++) {
        o.batch_size = 1 + rep % 4;
        o.threads = 1 + rep % 5;
        o.prefetch = rep % 3;
        cr_assert_eq(fk_loader_open(ds, &p, &o, &l, &e), FK_OK, "%s", e.msg);
        fk_batch b;
        for (int k = 0; k < rep % 3; k++)
            cr_assert_eq(fk_loader_next(l, &b, &e), FK_OK, "%s", e.msg);
        fk_loader_close(l);
    }
    o.batch_size = 0;
    cr_assert_eq(fk_loader_open(ds, &p, &o, &l, &e), FK_ERR_ARG);
    cr_assert_null(l);
    o = fk_loader_default_options();
    fk_preprocess bad = prep(0, FK_RESIZE_CLEAN);
    cr_assert_eq(fk_loader_open(ds, &bad, &o, &l, &e), FK_ERR_ARG);
    fk_dataset_close(ds);
}

/* ---- throughput (FK_BENCH=1 only) ------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process (all threads): on a shared machine the
 * wall clock mostly measures the other jobs. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

Test(loader, throughput)
{
    if (!getenv("FK_BENCH"))
        cr_skip_test("set FK_BENCH=1 to measure throughput");
    const char *py = getenv("FK_PYTHON");
    cr_assert(py);
    const char *dir = fk_test_tmpdir();
    int n = getenv("FK_BENCH_N") ? atoi(getenv("FK_BENCH_N")) : 200;
    char cmd[8192];
    /* The reference: PIL's decode + clean-fid's resize (BICUBIC per channel
     * in 'F' mode) in the same run, single-threaded. */
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"\n"
             "import numpy as np, time, glob\n"
             "from PIL import Image\n"
             "r = np.random.default_rng(0)\n"
             "for i in range(%d):\n"
             "    x = r.integers(0, 256, (256, 256, 3), dtype=np.uint8)\n"
             "    x = (x.astype(np.float32) * 0.3 + np.linspace(0, 170, 256)[None, :, None])"
             ".astype(np.uint8)\n"
             "    Image.fromarray(x).save('%s/%%05d.png' %% i)\n"
             "t, c0 = time.perf_counter(), time.process_time()\n"
             "for f in sorted(glob.glob('%s/*.png')):\n"
             "    a = np.asarray(Image.open(f).convert('RGB'))\n"
             "    y = [np.asarray(Image.fromarray(a[:, :, c].astype(np.float32), 'F')"
             ".resize((299, 299), Image.BICUBIC)) for c in range(3)]\n"
             "print('%%.3f %%.3f' %% (%d / (time.perf_counter() - t), "
             "1e3 * (time.process_time() - c0) / %d))\n\" > %s/pil.txt",
             py, n, dir, dir, n, n, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char path[4200];
    snprintf(path, sizeof path, "%s/pil.txt", dir);
    FILE *f = fopen(path, "r");
    double pil = 0, pil_cpu_ms = 0;
    cr_assert(f && fscanf(f, "%lf %lf", &pil, &pil_cpu_ms) == 2);
    fclose(f);

    fk_dataset *ds;
    fk_error e;
    cr_assert_eq(fk_dataset_open(dir, NULL, &ds, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_dataset_size(ds), n);
    fk_preprocess p = {299, FK_RESIZE_CLEAN, 0, 1.0f / 255, {0.5f, 0.5f, 0.5f},
                       {0.5f, 0.5f, 0.5f}};
    for (int t = 1; t <= 2; t++) {
        /* Consume batches as a backbone would, without keeping them. */
        double t0 = now(), c0 = cpu_now();
        fk_loader_options o = fk_loader_default_options();
        o.threads = t;
        fk_loader *l;
        cr_assert_eq(fk_loader_open(ds, &p, &o, &l, &e), FK_OK, "%s", e.msg);
        fk_batch b;
        int64_t rows = 0;
        double sum = 0;
        while (fk_loader_next(l, &b, &e) == FK_OK && b.n > 0) {
            rows += b.n;
            sum += b.data[0];
        }
        fk_loader_close(l);
        double dt = now() - t0, cpu_ms = 1e3 * (cpu_now() - c0) / n;
        cr_assert_eq(rows, n, "%s", e.msg);
        cr_assert(isfinite(sum));
        fprintf(stderr,
                "loader: %d PNGs 256x256 -> 299 clean, %d thread%s: %.1f images/s wall "
                "(PIL decode+resize, 1 thread: %.1f images/s, ratio %.2f); CPU %.2f ms/image "
                "(PIL %.2f ms/image, ratio %.2f)\n",
                n, t, t > 1 ? "s" : "", n / dt, pil, n / dt / pil, cpu_ms, pil_cpu_ms,
                pil_cpu_ms / cpu_ms);
    }
    fk_dataset_close(ds);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
