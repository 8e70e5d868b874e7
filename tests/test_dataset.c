/* Datasets against tests/ref/dataset.py: the order Python's sorted() gives,
 * PIL's decoded pixels, the captions, and the seeded subsets computed by an
 * independent implementation of the documented algorithm. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fidkit/dataset.h"
#include "fidkit/npz.h"
#include "fk_test.h"

/* ---- helpers ---------------------------------------------------------------- */

static fk_dataset *open_ds(const char *name, const fk_dataset_options *o)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", fk_test_fixture(name));
    fk_dataset *ds = NULL;
    fk_error e;
    fk_status s = fk_dataset_open(path, o, &ds, &e);
    cr_assert_eq(s, FK_OK, "opening %s: %s", path, e.msg);
    cr_assert(ds);
    return ds;
}

/* Opening must fail with code; returns the message. */
static void open_fails(const char *name, const fk_dataset_options *o, fk_status code,
                       char *msg, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", fk_test_fixture(name));
    fk_dataset *ds = NULL;
    fk_error e;
    fk_error_clear(&e);
    fk_status s = fk_dataset_open(path, o, &ds, &e);
    cr_assert_eq(s, code, "opening %s: expected %s, got %s (%s)", name, fk_status_name(code),
                 fk_status_name(s), e.msg);
    cr_assert_null(ds);
    snprintf(msg, cap, "%s", e.msg);
    cr_assert(strstr(msg, name), "the message names the file %s: %s", name, msg);
}

typedef struct lines {
    char **v;
    int n;
    char *buf;
} lines;

static lines read_lines(const char *name)
{
    FILE *f = fopen(fk_test_fixture(name), "rb");
    cr_assert(f, "cannot open fixture %s", name);
    lines L = {0};
    L.buf = calloc(1, 1 << 20);
    size_t n = fread(L.buf, 1, (1 << 20) - 1, f);
    fclose(f);
    L.v = calloc(n + 1, sizeof *L.v);
    char *p = L.buf;
    while (*p) {
        char *nl = strchr(p, '\n');
        cr_assert(nl, "%s: last line without newline", name);
        *nl = 0;
        L.v[L.n++] = p;
        p = nl + 1;
    }
    cr_assert_gt(L.n, 0, "%s is empty", name);
    return L;
}

static void free_lines(lines *L)
{
    free(L->v);
    free(L->buf);
}

static void assert_names(fk_dataset *ds, const lines *L)
{
    cr_assert_eq(fk_dataset_size(ds), L->n, "%s: %lld items, expected %d", fk_dataset_path(ds),
                 (long long)fk_dataset_size(ds), L->n);
    for (int i = 0; i < L->n; i++)
        cr_assert_str_eq(fk_dataset_item_name(ds, i), L->v[i], "%s: item %d",
                         fk_dataset_path(ds), i);
}

/* Item i of ds must equal row map[i] (or i) of ref, an (N, H, W, 3) uint8
 * array. */
static void assert_pixels(fk_dataset *ds, const fk_array *ref, const int64_t *map)
{
    cr_assert_eq(ref->dtype, FK_U8);
    cr_assert_eq(ref->ndim, 4);
    int64_t h = ref->shape[1], w = ref->shape[2];
    size_t row = (size_t)(h * w * 3);
    int64_t n = fk_dataset_size(ds), compared = 0;
    cr_assert_gt(n, 0);
    for (int64_t i = 0; i < n; i++) {
        fk_image im;
        fk_error e;
        fk_status s = fk_dataset_load(ds, i, &im, &e);
        cr_assert_eq(s, FK_OK, "%s: item %lld: %s", fk_dataset_path(ds), (long long)i, e.msg);
        cr_assert(im.w == w && im.h == h, "%s: %s is %dx%d, expected %lldx%lld",
                  fk_dataset_path(ds), fk_dataset_item_name(ds, i), im.w, im.h, (long long)w,
                  (long long)h);
        int64_t r = map ? map[i] : i;
        cr_assert(r >= 0 && r < ref->shape[0]);
        const uint8_t *want = (const uint8_t *)ref->data + (size_t)r * row;
        for (size_t k = 0; k < row; k++)
            cr_assert_eq(im.rgb[k], want[k], "%s: %s: byte %zu is %d, PIL gives %d",
                         fk_dataset_path(ds), fk_dataset_item_name(ds, i), k, im.rgb[k],
                         want[k]);
        compared++;
        fk_image_free(&im);
    }
    cr_assert_eq(compared, n);
}

/* ---- order and pixels, every kind ----------------------------------------------------- */

Test(dataset, folder_order_is_pythons_sorted)
{
    fk_dataset *ds = open_ds("imgs", NULL);
    lines L = read_lines("imgs_names.txt");
    cr_assert_str_eq(fk_dataset_kind(ds), "folder");
    assert_names(ds, &L);
    cr_assert_null(fk_dataset_item_name(ds, L.n));
    cr_assert_null(fk_dataset_caption(ds, 0));
    free_lines(&L);
    fk_dataset_close(ds);
}

Test(dataset, folder_pixels_equal_pil)
{
    fk_dataset *ds = open_ds("imgs", NULL);
    fk_array ref = fk_test_load_npy("imgs_pixels.npy");
    assert_pixels(ds, &ref, NULL);
    fk_array_free(&ref);
    fk_dataset_close(ds);
}

Test(dataset, zip_order_and_pixels)
{
    fk_dataset *ds = open_ds("imgs.zip", NULL);
    lines L = read_lines("imgs_names.txt");
    cr_assert_str_eq(fk_dataset_kind(ds), "zip");
    assert_names(ds, &L);
    fk_array ref = fk_test_load_npy("imgs_pixels.npy");
    assert_pixels(ds, &ref, NULL);
    fk_array_free(&ref);
    free_lines(&L);
    fk_dataset_close(ds);
}

Test(dataset, npz_npy_pixels)
{
    const char *files[] = {"imgs.npz", "imgs_c.npz", "imgs.npy"};
    const char *kinds[] = {"npz", "npz", "npy"};
    fk_array ref = fk_test_load_npy("imgs_pixels.npy");
    for (int f = 0; f < 3; f++) {
        fk_dataset *ds = open_ds(files[f], NULL);
        cr_assert_str_eq(fk_dataset_kind(ds), kinds[f]);
        cr_assert_eq(fk_dataset_size(ds), ref.shape[0]);
        cr_assert_str_eq(fk_dataset_item_name(ds, 3), f < 2 ? "arr_0[3]" : "imgs.npy[3]");
        assert_pixels(ds, &ref, NULL);
        fk_dataset_close(ds);
    }
    fk_array_free(&ref);
}

/* The three containers compared with each other directly, in reverse order
 * (the sequential npz_c path has to restart) and forward. */
Test(dataset, folder_zip_npz_identical)
{
    const char *files[] = {"imgs", "imgs.zip", "imgs.npz", "imgs_c.npz", "imgs.npy"};
    fk_dataset *ds[5];
    for (int f = 0; f < 5; f++)
        ds[f] = open_ds(files[f], NULL);
    int64_t n = fk_dataset_size(ds[0]), compared = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t j = 0; j < n; j++) {
            int64_t i = pass == 0 ? n - 1 - j : j;
            fk_image im[5];
            for (int f = 0; f < 5; f++) {
                fk_error e;
                cr_assert_eq(fk_dataset_load(ds[f], i, &im[f], &e), FK_OK, "%s", e.msg);
            }
            for (int f = 1; f < 5; f++) {
                cr_assert(im[f].w == im[0].w && im[f].h == im[0].h);
                cr_assert(memcmp(im[f].rgb, im[0].rgb, (size_t)im[0].w * im[0].h * 3) == 0,
                          "%s item %lld differs from the folder's", files[f], (long long)i);
            }
            for (int f = 0; f < 5; f++)
                fk_image_free(&im[f]);
            compared++;
        }
    }
    cr_assert_eq(compared, 2 * n);
    cr_assert_gt(n, 0);
    for (int f = 0; f < 5; f++)
        fk_dataset_close(ds[f]);
}

Test(dataset, mixed_sizes)
{
    fk_dataset *ds = open_ds("mixed", NULL);
    lines L = read_lines("mixed_names.txt");
    assert_names(ds, &L);
    fk_array pix = fk_test_load_npy("mixed_pixels.npy");
    fk_array shp = fk_test_load_npy("mixed_shapes.npy");
    cr_assert_eq(shp.shape[0], L.n);
    const int64_t *hw = shp.data;
    size_t off = 0;
    int distinct = 0;
    for (int i = 0; i < L.n; i++) {
        fk_image im;
        fk_error e;
        cr_assert_eq(fk_dataset_load(ds, i, &im, &e), FK_OK, "%s", e.msg);
        cr_assert(im.h == hw[2 * i] && im.w == hw[2 * i + 1], "%s: %dx%d", L.v[i], im.w, im.h);
        size_t nb = (size_t)im.w * im.h * 3;
        cr_assert(off + nb <= (size_t)pix.shape[0]);
        cr_assert(memcmp(im.rgb, (uint8_t *)pix.data + off, nb) == 0, "%s differs from PIL",
                  L.v[i]);
        off += nb;
        distinct += i > 0 && hw[2 * i] != hw[0];
        fk_image_free(&im);
    }
    cr_assert_eq(off, (size_t)pix.shape[0]);
    cr_assert_gt(distinct, 0, "the fixture has mixed sizes");
    fk_array_free(&pix);
    fk_array_free(&shp);
    free_lines(&L);
    fk_dataset_close(ds);
}

Test(dataset, array_layouts)
{
    const char *in[] = {"gray.npy", "c1.npy", "rgba.npz"};
    const char *want[] = {"gray_rgb.npy", "c1_rgb.npy", "rgba_rgb.npy"};
    for (int k = 0; k < 3; k++) {
        fk_dataset *ds = open_ds(in[k], NULL);
        fk_array ref = fk_test_load_npy(want[k]);
        assert_pixels(ds, &ref, NULL);
        fk_array_free(&ref);
        fk_dataset_close(ds);
    }
}

Test(dataset, npz_member_option)
{
    char msg[FK_ERROR_MSG_MAX];
    open_fails("named.npz", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "arr_0") && strstr(msg, "samples"), "%s", msg);
    fk_dataset_options o = fk_dataset_default_options();
    o.member = "samples";
    fk_dataset *ds = open_ds("named.npz", &o);
    cr_assert_str_eq(fk_dataset_item_name(ds, 0), "samples[0]");
    fk_array ref = fk_test_load_npy("imgs_pixels.npy");
    assert_pixels(ds, &ref, NULL);
    fk_array_free(&ref);
    fk_dataset_close(ds);
    o.member = "labels";
    open_fails("named.npz", &o, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "labels") && strstr(msg, "int64"), "%s", msg);
}

Test(dataset, wrong_dtype_or_shape_is_a_clear_error)
{
    char msg[FK_ERROR_MSG_MAX];
    open_fails("float.npy", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "float32") && strstr(msg, "(24, 16, 16, 3)"), "%s", msg);
    open_fails("two_channels.npy", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "(24, 16, 16, 2)"), "%s", msg);
}

Test(dataset, truncated_arrays)
{
    char msg[FK_ERROR_MSG_MAX];
    open_fails("trunc.npy", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "truncated"), "%s", msg);
    open_fails("trunc.npz", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "truncated") && strstr(msg, "arr_0"), "%s", msg);
    open_fails("trunc_c.npz", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "truncated") && strstr(msg, "arr_0"), "%s", msg);
}

Test(dataset, damaged_compressed_member_names_the_row)
{
    fk_dataset *ds = open_ds("damaged_c.npz", NULL);
    int64_t n = fk_dataset_size(ds), failed = 0;
    cr_assert_gt(n, 0);
    for (int rep = 0; rep < 2; rep++)
        for (int64_t i = 0; i < n; i++) {
            fk_image im;
            fk_error e;
            if (fk_dataset_load(ds, i, &im, &e) == FK_OK) {
                fk_image_free(&im);
                continue;
            }
            char row[32];
            snprintf(row, sizeof row, "arr_0[%lld]", (long long)i);
            cr_assert(strstr(e.msg, "damaged_c.npz") && strstr(e.msg, row), "%s", e.msg);
            failed++;
        }
    cr_assert_gt(failed, 0, "the damage went unnoticed");
    fk_dataset_close(ds);
}

/* ---- list and manifests ------------------------------------------------------------- */

Test(dataset, list_file)
{
    fk_dataset *ds = open_ds("list.txt", NULL);
    cr_assert_str_eq(fk_dataset_kind(ds), "list");
    lines L = read_lines("list_expected.txt");
    assert_names(ds, &L);
    fk_array idx = fk_test_load_npy("list_index.npy");
    fk_array ref = fk_test_load_npy("imgs_pixels.npy");
    assert_pixels(ds, &ref, idx.data);
    fk_array_free(&idx);
    fk_array_free(&ref);
    free_lines(&L);
    fk_dataset_close(ds);
}

static void check_manifest(const char *name, const char *kind)
{
    fk_dataset *ds = open_ds(name, NULL);
    cr_assert_str_eq(fk_dataset_kind(ds), kind);
    FILE *f = fopen(fk_test_fixture("captions_expected.bin"), "rb");
    cr_assert(f);
    int64_t n = 0;
    uint32_t len;
    while (fread(&len, 4, 1, f) == 1) {
        char *want = calloc(1, len + 1);
        cr_assert_eq(fread(want, 1, len, f), len);
        const char *got = fk_dataset_caption(ds, n);
        cr_assert(got, "%s: item %lld has no caption", name, (long long)n);
        cr_assert_str_eq(got, want, "%s: caption %lld", name, (long long)n);
        free(want);
        n++;
    }
    fclose(f);
    cr_assert_gt(n, 0);
    cr_assert_eq(fk_dataset_size(ds), n);
    cr_assert_str_eq(fk_dataset_item_name(ds, 3), "imgs/sub dir/space name.ppm");
    fk_array idx = fk_test_load_npy("captions_index.npy");
    fk_array ref = fk_test_load_npy("imgs_pixels.npy");
    assert_pixels(ds, &ref, idx.data);
    fk_array_free(&idx);
    fk_array_free(&ref);
    fk_dataset_close(ds);
}

Test(dataset, csv_manifest) { check_manifest("captions.csv", "csv"); }
Test(dataset, jsonl_manifest) { check_manifest("captions.jsonl", "jsonl"); }

Test(dataset, bad_manifests)
{
    char msg[FK_ERROR_MSG_MAX];
    open_fails("bad_header.csv", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "'image'"), "%s", msg);
    open_fails("bad_quote.csv", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "line 2"), "%s", msg);
    open_fails("bad_line.jsonl", NULL, FK_ERR_FORMAT, msg, sizeof msg);
    cr_assert(strstr(msg, "line 2"), "%s", msg);
}

/* ---- limit and seeded subsets --------------------------------------------------------- */

Test(dataset, limit_keeps_the_first)
{
    lines L = read_lines("imgs_names.txt");
    fk_dataset_options o = fk_dataset_default_options();
    o.limit = 5;
    fk_dataset *ds = open_ds("imgs", &o);
    cr_assert_eq(fk_dataset_size(ds), 5);
    for (int i = 0; i < 5; i++)
        cr_assert_str_eq(fk_dataset_item_name(ds, i), L.v[i]);
    fk_dataset_close(ds);
    o.limit = 1000; /* more than there is: all */
    ds = open_ds("imgs.zip", &o);
    cr_assert_eq(fk_dataset_size(ds), L.n);
    fk_dataset_close(ds);
    o.limit = -1;
    char msg[FK_ERROR_MSG_MAX];
    open_fails("imgs", &o, FK_ERR_ARG, msg, sizeof msg);
    free_lines(&L);
}

static void check_subset(const char *file, int64_t k, uint64_t seed, const char *ref_name)
{
    fk_array ref = fk_test_load_npy(ref_name);
    cr_assert_eq(ref.shape[0], k);
    const int64_t *want = ref.data;
    fk_array pix = fk_test_load_npy("imgs_pixels.npy");
    lines L = read_lines("imgs_names.txt");
    fk_dataset_options o = fk_dataset_default_options();
    o.limit = k;
    o.random_subset = 1;
    o.seed = seed;
    fk_dataset *ds = open_ds(file, &o);
    cr_assert_eq(fk_dataset_size(ds), k);
    int is_folder = strcmp(fk_dataset_kind(ds), "folder") == 0 ||
                    strcmp(fk_dataset_kind(ds), "zip") == 0;
    for (int64_t i = 0; i < k; i++) {
        if (is_folder) {
            cr_assert_str_eq(fk_dataset_item_name(ds, i), L.v[want[i]], "%s seed %llu item %lld",
                             file, (unsigned long long)seed, (long long)i);
        } else {
            char nm[64];
            snprintf(nm, sizeof nm, "arr_0[%lld]", (long long)want[i]);
            cr_assert_str_eq(fk_dataset_item_name(ds, i), nm);
        }
    }
    assert_pixels(ds, &pix, want);
    fk_dataset_close(ds);
    free_lines(&L);
    fk_array_free(&pix);
    fk_array_free(&ref);
}

Test(dataset, random_subset_matches_reference)
{
    const char *files[] = {"imgs", "imgs.zip", "imgs_c.npz"};
    for (int f = 0; f < 3; f++) {
        check_subset(files[f], 7, 1, "subset_k7_s1.npy");
        check_subset(files[f], 7, 2, "subset_k7_s2.npy");
        check_subset(files[f], 7, 12345678901234567890ULL, "subset_k7_s12345678901234567890.npy");
        check_subset(files[f], 1, 0, "subset_k1_s0.npy");
        check_subset(files[f], 23, 3, "subset_k23_s3.npy");
    }
}

Test(dataset, random_subset_is_deterministic)
{
    fk_dataset_options o = fk_dataset_default_options();
    o.limit = 9;
    o.random_subset = 1;
    o.seed = 42;
    fk_dataset *a = open_ds("imgs", &o), *b = open_ds("imgs", &o);
    o.seed = 43;
    fk_dataset *c = open_ds("imgs", &o);
    int differ = 0;
    for (int i = 0; i < 9; i++) {
        cr_assert_str_eq(fk_dataset_item_name(a, i), fk_dataset_item_name(b, i));
        differ += strcmp(fk_dataset_item_name(a, i), fk_dataset_item_name(c, i)) != 0;
        if (i > 0)
            cr_assert_lt(strcmp(fk_dataset_item_name(a, i - 1), fk_dataset_item_name(a, i)), 0,
                         "a subset keeps dataset order");
    }
    cr_assert_gt(differ, 0, "seeds 42 and 43 chose the same subset");
    fk_dataset_close(a);
    fk_dataset_close(b);
    fk_dataset_close(c);
}

/* ---- bad input ------------------------------------------------------------------------ */

Test(dataset, broken_files_name_themselves)
{
    fk_dataset *ds = open_ds("bad", NULL);
    lines names = read_lines("bad_names.txt"), broken = read_lines("bad_broken.txt");
    assert_names(ds, &names);
    int failed = 0;
    for (int i = 0; i < names.n; i++) {
        int is_broken = 0;
        for (int k = 0; k < broken.n; k++)
            is_broken |= strcmp(broken.v[k], names.v[i]) == 0;
        fk_image im;
        fk_error e;
        fk_status s = fk_dataset_load(ds, i, &im, &e);
        if (is_broken) {
            cr_assert_neq(s, FK_OK, "%s should not decode", names.v[i]);
            cr_assert(strstr(e.msg, names.v[i]), "the message names %s: %s", names.v[i], e.msg);
            failed++;
        } else {
            cr_assert_eq(s, FK_OK, "%s: %s", names.v[i], e.msg);
            fk_image_free(&im);
        }
    }
    cr_assert_eq(failed, broken.n);
    free_lines(&names);
    free_lines(&broken);
    fk_dataset_close(ds);
}

Test(dataset, not_a_dataset)
{
    char msg[FK_ERROR_MSG_MAX];
    open_fails("imgs_names.csvx", NULL, FK_ERR_IO, msg, sizeof msg); /* missing */
    open_fails("captions_expected.bin", NULL, FK_ERR_ARG, msg, sizeof msg);
}

Test(dataset, empty_folder_and_bad_args)
{
    const char *dir = fk_test_tmpdir();
    fk_dataset *ds = NULL;
    fk_error e;
    cr_assert_eq(fk_dataset_open(dir, NULL, &ds, &e), FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, dir) && strstr(e.msg, "no images"), "%s", e.msg);
    rmdir(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s", fk_test_fixture("imgs_names.txt"));
    /* .txt is a list: its lines are not images, so loading item 0 fails. */
    cr_assert_eq(fk_dataset_open(path, NULL, &ds, &e), FK_OK, "%s", e.msg);
    fk_image im;
    cr_assert_neq(fk_dataset_load(ds, 0, &im, &e), FK_OK);
    cr_assert_eq(fk_dataset_load(ds, -1, &im, &e), FK_ERR_ARG);
    cr_assert_eq(fk_dataset_load(ds, fk_dataset_size(ds), &im, &e), FK_ERR_ARG);
    fk_dataset_close(ds);
    snprintf(path, sizeof path, "%s", fk_test_fixture("mixed_shapes.npy"));
    cr_assert_eq(fk_dataset_open(path, NULL, &ds, &e), FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "int64"), "%s", e.msg);
}

/* ---- threads ------------------------------------------------------------------------- */

typedef struct hammer {
    fk_dataset *ds;
    const fk_array *ref;
    int start, bad;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    int64_t n = fk_dataset_size(h->ds);
    size_t row = (size_t)(h->ref->shape[1] * h->ref->shape[2] * 3);
    for (int rep = 0; rep < 3; rep++)
        for (int64_t j = 0; j < n; j++) {
            int64_t i = (j + h->start) % n;
            fk_image im;
            fk_error e;
            if (fk_dataset_load(h->ds, i, &im, &e) != FK_OK) {
                h->bad++;
                continue;
            }
            if (memcmp(im.rgb, (uint8_t *)h->ref->data + (size_t)i * row, row) != 0)
                h->bad++;
            fk_image_free(&im);
        }
    return NULL;
}

Test(dataset, concurrent_loads)
{
    fk_array ref = fk_test_load_npy("imgs_pixels.npy");
    const char *files[] = {"imgs.zip", "imgs.npz", "imgs_c.npz", "imgs.npy", "imgs"};
    for (int f = 0; f < 5; f++) {
        fk_dataset *ds = open_ds(files[f], NULL);
        hammer h[4];
        pthread_t t[4];
        for (int k = 0; k < 4; k++) {
            h[k] = (hammer){ds, &ref, k * 3, 0};
            cr_assert_eq(pthread_create(&t[k], NULL, hammer_run, &h[k]), 0);
        }
        for (int k = 0; k < 4; k++) {
            pthread_join(t[k], NULL);
            cr_assert_eq(h[k].bad, 0, "%s: %d wrong loads on thread %d", files[f], h[k].bad, k);
        }
        fk_dataset_close(ds);
    }
    fk_array_free(&ref);
}
