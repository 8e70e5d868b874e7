/* .npy/.npz reading and writing, stats files, and what bad files get
 * (fixtures: tests/ref/stats.py; round trip checked by numpy in
 * tests/ref/check_stats.py). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static void expect_same_as_reference(const char *file)
{
    fk_stats s;
    fk_error e;
    cr_assert_eq(fk_stats_read(fk_test_fixture(file), &s, &e), FK_OK, "%s", e.msg);
    fk_array mu = fk_test_load_npy("good_mu.npy"), sg = fk_test_load_npy("good_sigma.npy");
    cr_assert_eq(s.d, 8);
    cr_assert_eq(s.n, 0);
    cr_assert_eq(s.has_tag, 0);
    double tol = strstr(file, "float32") ? 1e-6 : 0;
    cr_assert(fk_test_tol_ratio(s.mu, mu.data, 8, tol + 1e-300, tol) <= 1, "%s mu", file);
    cr_assert(fk_test_tol_ratio(s.sigma, sg.data, 64, tol + 1e-300, tol) <= 1, "%s sigma", file);
    fk_array_free(&mu);
    fk_array_free(&sg);
    fk_stats_free(&s);
}

Test(stats, reads_pytorch_fid_deflated) { expect_same_as_reference("pytorch_fid.npz"); }
Test(stats, reads_clean_fid_stored) { expect_same_as_reference("clean_fid.npz"); }
Test(stats, widens_float32) { expect_same_as_reference("float32.npz"); }

static void check_array(const char *file, const char *name, fk_dtype t, int ndim,
                        const int64_t *shape)
{
    fk_array a;
    fk_error e;
    cr_assert_eq(fk_npz_load(fk_test_fixture(file), name, &a, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(a.dtype, t, "%s[%s] dtype", file, name);
    cr_assert_eq(a.ndim, ndim, "%s[%s] ndim", file, name);
    for (int i = 0; i < ndim; i++)
        cr_assert_eq(a.shape[i], shape[i]);
    int64_t n = fk_array_count(&a);
    for (int64_t i = 0; i < n; i++) {
        double v = t == FK_U8 ? ((uint8_t *)a.data)[i] : t == FK_I64 ? (double)((int64_t *)a.data)[i]
                 : t == FK_F32 ? ((float *)a.data)[i] : ((double *)a.data)[i];
        cr_assert_eq(v, (double)(i % 251), "%s[%s] element %lld", file, name, (long long)i);
    }
    fk_array_free(&a);
}

static void all_arrays(const char *file)
{
    check_array(file, "u8", FK_U8, 3, (int64_t[]){3, 4, 5});
    check_array(file, "i64", FK_I64, 1, (int64_t[]){12});
    check_array(file, "f32", FK_F32, 2, (int64_t[]){2, 3});
    check_array(file, "f64.npy", FK_F64, 0, NULL);
    check_array(file, "empty", FK_F32, 2, (int64_t[]){0, 3});
}

Test(npz, stored_members) { all_arrays("arrays_stored.npz"); }
Test(npz, deflated_members) { all_arrays("arrays_deflated.npz"); }
Test(npz, npy_versions_1_2_3)
{
    check_array("v1.npy", NULL, FK_U8, 3, (int64_t[]){3, 4, 5});
    check_array("v2.npy", NULL, FK_U8, 3, (int64_t[]){3, 4, 5});
    check_array("v3.npy", NULL, FK_U8, 3, (int64_t[]){3, 4, 5});
}

Test(npz, streams_rows)
{
    fk_npy_stream *s;
    fk_npy_header h;
    fk_error e;
    cr_assert_eq(fk_npy_stream_open(&s, fk_test_fixture("arrays_deflated.npz"), "u8", &h, &e), FK_OK,
                 "%s", e.msg);
    cr_assert_eq(h.shape[0], 3);
    uint8_t buf[40];
    int64_t got, total = 0;
    do {
        cr_assert_eq(fk_npy_stream_read(s, buf, 2, &got, &e), FK_OK, "%s", e.msg);
        for (int64_t i = 0; i < got * 20; i++)
            cr_assert_eq(buf[i], (total * 20 + i) % 251);
        total += got;
    } while (got);
    cr_assert_eq(total, 3);
    fk_npy_stream_close(s);
}

Test(npz, list_members)
{
    char **names;
    int n;
    fk_error e;
    cr_assert_eq(fk_npz_list(fk_test_fixture("arrays_stored.npz"), &names, &n, &e), FK_OK);
    cr_assert_eq(n, 5);
    int found = 0;
    for (int i = 0; i < n; i++)
        found += !strcmp(names[i], "u8") || !strcmp(names[i], "f64");
    cr_assert_eq(found, 2);
    free(names);
}

/* The round trip the other way: fidkit writes, numpy reads. */
Test(stats, written_file_reads_in_numpy_and_back)
{
    enum { D = 5 };
    double mu[D], sg[D * D];
    for (int i = 0; i < D; i++) {
        mu[i] = i * 0.5 - 1.0;
        for (int j = 0; j < D; j++)
            sg[i * D + j] = 1.0 / (1.0 + abs(i - j));
    }
    fk_stats s = {.d = D, .n = 1234, .mu = mu, .sigma = sg, .has_tag = 1};
    fk_error e;
    const char *ts = "inception_v3/fid:pool3@6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2/299/legacy_pytorch";
    cr_assert_eq(fk_tag_parse(ts, &s.tag, &e), FK_OK, "%s", e.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/out.npz", fk_test_tmpdir());
    cr_assert_eq(fk_stats_write(path, &s, "{\"dataset\": \"x\"}", &e), FK_OK, "%s", e.msg);

    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/ref/check_stats.py' '%s' %d 1234 '%s'",
             getenv("FK_PYTHON"), getenv("FK_SOURCE_DIR"), path, D, ts);
    cr_assert_eq(system(cmd), 0, "numpy could not read what fidkit wrote: %s", cmd);

    fk_stats r;
    cr_assert_eq(fk_stats_read(path, &r, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(r.has_tag, 1);
    cr_assert(fk_tag_equal(&r.tag, &s.tag));
    cr_assert_eq(r.n, 1234);
    cr_assert_eq(memcmp(r.sigma, sg, sizeof sg), 0);
    cr_assert(strstr(r.meta_json, "\"dataset\""), "extra metadata kept");
    fk_stats_free(&r);
}

static void expect_error(const char *file, fk_status code, const char *phrase)
{
    fk_stats s;
    fk_error e;
    fk_status st = fk_stats_read(fk_test_fixture(file), &s, &e);
    cr_assert_eq(st, code, "%s: status %d (%s), expected %d", file, st, e.msg, code);
    cr_assert(strstr(e.msg, file), "%s: the message must name the file: %s", file, e.msg);
    cr_assert(strstr(e.msg, phrase), "%s: expected '%s' in: %s", file, phrase, e.msg);
}

Test(stats_bad, truncated) { expect_error("truncated.npz", FK_ERR_FORMAT, "cannot open as .npz"); }
Test(stats_bad, empty_file) { expect_error("empty.npz", FK_ERR_FORMAT, ".npz"); }
Test(stats_bad, text_file) { expect_error("text.npz", FK_ERR_FORMAT, "cannot open as .npz"); }
Test(stats_bad, sigma_wrong_shape) { expect_error("sigma_shape.npz", FK_ERR_FORMAT, "'sigma' has shape (8, 9)"); }
Test(stats_bad, mu_not_a_vector) { expect_error("mu_2d.npz", FK_ERR_FORMAT, "'mu' has shape (2, 4)"); }
Test(stats_bad, sigma_not_symmetric) { expect_error("nonsym.npz", FK_ERR_NUMERIC, "not symmetric"); }
Test(stats_bad, nan_entry) { expect_error("nan.npz", FK_ERR_NUMERIC, "non-finite"); }
Test(stats_bad, missing_sigma) { expect_error("no_sigma.npz", FK_ERR_FORMAT, "no array 'sigma'"); }
Test(stats_bad, fortran_order) { expect_error("fortran.npz", FK_ERR_UNSUPPORTED, "Fortran order"); }
Test(stats_bad, big_endian) { expect_error("bigendian.npz", FK_ERR_UNSUPPORTED, "big-endian"); }
Test(stats_bad, string_dtype) { expect_error("strings.npz", FK_ERR_FORMAT, "not supported"); }
Test(stats_bad, absurd_shape) { expect_error("huge_shape.npz", FK_ERR_FORMAT, "shape too large"); }
Test(stats_bad, missing_file) { expect_error("no_such_file.npz", FK_ERR_IO, "cannot open"); }

Test(npz_bad, truncated_npy_data)
{
    fk_array a;
    fk_error e;
    cr_assert_eq(fk_npz_load(fk_test_fixture("short.npy"), NULL, &a, &e), FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "truncated"), "%s", e.msg);
}

/* Two valid stats files of different dimensions: refused by name, exit 4 (bad input data). */
Test(stats_bad, dimension_mismatch_through_fd)
{
    char out[8192], a[1024], b[1024];
    snprintf(a, sizeof a, "%s", fk_test_fixture("clean_fid.npz"));
    snprintf(b, sizeof b, "%s", fk_test_fixture("d16.npz"));
    int rc = fk_test_run_cli(out, sizeof out,
                         "fd %s %s --assume-backbone inception_v3/fid:pool3@6726825d/299/legacy_pytorch", a, b);
    cr_assert_eq(rc, 4, "%s", out);
    cr_assert(strstr(out, "has dimension 8 but") && strstr(out, "d16.npz has 16"), "%s", out);
    cr_assert(!strstr(out, "FD:"), "%s", out);
}
