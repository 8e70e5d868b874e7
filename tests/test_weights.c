/* Weights reader against tests/ref/weights.py: every tensor of one state dict
 * written by torch 1.13 (zip, legacy, deflated zip) and by hand (safetensors)
 * must come back with its name, dtype, shape and exact bytes; bad files must
 * be refused with the right code and a message naming the file and fault. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fidkit/weights.h"
#include "fk_test.h"

typedef struct expected {
    char name[128];
    char dtype[16];
    int ndim;
    int64_t shape[FK_MAX_DIMS];
    int index;
} expected;

static int load_expected(expected *ex, int cap)
{
    FILE *f = fopen(fk_test_fixture("expected.txt"), "r");
    cr_assert(f, "cannot open expected.txt");
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        cr_assert(n < cap);
        expected *x = &ex[n];
        int used = 0;
        cr_assert_eq(sscanf(line, "%127s %15s %d%n", x->name, x->dtype, &x->ndim, &used), 3);
        char *p = line + used;
        for (int d = 0; d < x->ndim; d++)
            x->shape[d] = strtoll(p, &p, 10);
        x->index = n++;
    }
    fclose(f);
    return n;
}

/* The whole file, malloc'ed; *n its size. */
static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(sz > 0 ? (size_t)sz : 1);
    cr_assert(buf);
    cr_assert_eq(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return buf;
}

static void spit(const char *path, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot write %s", path);
    cr_assert_eq(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void check_all(const char *file, const char *format)
{
    expected ex[64];
    int n = load_expected(ex, 64);
    cr_assert_gt(n, 10);
    fk_weights *w;
    fk_error e = {0};
    const char *path = fk_test_fixture(file);
    fk_status s = fk_weights_open(path, &w, &e);
    cr_assert_eq(s, FK_OK, "%s: %s", file, e.msg);
    cr_assert_str_eq(fk_weights_format(w), format);
    cr_assert_eq(fk_weights_count(w), n, "%s: %d tensors, expected %d", file,
                 fk_weights_count(w), n);
    cr_assert_str_eq(fk_weights_inner_prefix(w), "");
    int compared = 0;
    for (int i = 0; i < n; i++) {
        cr_assert_str_eq(fk_weights_name(w, i), ex[i].name, "%s: tensor %d", file, i);
        const fk_array *a = fk_weights_find(w, ex[i].name);
        cr_assert(a, "%s: %s not found", file, ex[i].name);
        cr_assert_eq(a, fk_weights_tensor(w, i));
        cr_assert_str_eq(fk_dtype_name(a->dtype), ex[i].dtype, "%s: %s", file, ex[i].name);
        cr_assert_eq(a->ndim, ex[i].ndim, "%s: %s", file, ex[i].name);
        for (int d = 0; d < a->ndim; d++)
            cr_assert_eq(a->shape[d], ex[i].shape[d], "%s: %s dim %d", file, ex[i].name, d);
        char bin[64];
        snprintf(bin, sizeof bin, "exp/%d.bin", i);
        size_t nb;
        uint8_t *ref = slurp(fk_test_fixture(bin), &nb);
        cr_assert_eq(fk_array_nbytes(a), nb, "%s: %s", file, ex[i].name);
        cr_assert_eq((uintptr_t)a->data % fk_dtype_size(a->dtype), 0, "%s: %s misaligned", file,
                     ex[i].name);
        cr_assert(nb == 0 || memcmp(a->data, ref, nb) == 0, "%s: %s differs", file,
                  ex[i].name);
        free(ref);
        compared++;
        snprintf(bin, sizeof bin, "exp/%d.f32", i);
        if (access(fk_test_fixture(bin), F_OK) == 0) {
            float *f;
            s = fk_weights_get_f32(w, ex[i].name, ex[i].ndim, ex[i].shape, &f, &e);
            cr_assert_eq(s, FK_OK, "%s: %s", file, e.msg);
            ref = slurp(fk_test_fixture(bin), &nb);
            cr_assert_eq(nb, (size_t)fk_array_count(a) * 4);
            cr_assert(nb == 0 || memcmp(f, ref, nb) == 0, "%s: %s as float32 differs", file,
                      ex[i].name);
            free(ref);
            free(f);
            compared++;
        }
    }
    cr_assert_gt(compared, n);
    cr_assert_null(fk_weights_find(w, "no.such.tensor"));
    fk_weights_close(w);
}

Test(weights, safetensors) { check_all("sd.safetensors", "safetensors"); }
Test(weights, torch_zip) { check_all("sd_zip.pth", "torch-zip"); }
Test(weights, torch_zip_deflated) { check_all("sd_zip_deflated.pth", "torch-zip"); }
Test(weights, torch_legacy) { check_all("sd_legacy.pth", "torch-legacy"); }

Test(weights, get_f32_errors)
{
    fk_weights *w;
    fk_error e = {0};
    const char *path = fk_test_fixture("sd_zip.pth");
    cr_assert_eq(fk_weights_open(path, &w, &e), FK_OK, "%s", e.msg);
    float *f = (float *)&e;
    int64_t wrong[2] = {5, 9};
    cr_assert_eq(fk_weights_get_f32(w, "fc.weight", 2, wrong, &f, &e), FK_ERR_FORMAT);
    cr_assert_null(f);
    cr_assert(strstr(e.msg, path) && strstr(e.msg, "fc.weight") && strstr(e.msg, "(5, 8)") &&
                  strstr(e.msg, "(5, 9)"), "%s", e.msg);
    int64_t one[1] = {5};
    cr_assert_eq(fk_weights_get_f32(w, "fc.weight", 1, one, &f, &e), FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "(5,)"), "%s", e.msg);
    cr_assert_eq(fk_weights_get_f32(w, "bn.num_batches_tracked", -1, NULL, &f, &e),
                 FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "int64") && strstr(e.msg, "bn.num_batches_tracked"), "%s", e.msg);
    cr_assert_eq(fk_weights_get_f32(w, "missing", -1, NULL, &f, &e), FK_ERR_FORMAT);
    cr_assert(strstr(e.msg, "missing") && strstr(e.msg, path), "%s", e.msg);
    const fk_array *nbt = fk_weights_find(w, "bn.num_batches_tracked");
    cr_assert(nbt && nbt->dtype == FK_I64 && nbt->ndim == 0);
    cr_assert_eq(*(const int64_t *)nbt->data, 7);
    fk_weights_close(w);
}

/* Contiguous aligned tensors are views into the mapping, not copies. */
Test(weights, views_into_mapping)
{
    FILE *f = fopen(fk_test_fixture("mapped.txt"), "r");
    cr_assert(f);
    char file[64], name[2][64];
    long long off[2];
    int checked = 0;
    while (fscanf(f, "%63s %63s %lld %*s %63s %lld", file, name[0], &off[0], name[1],
                  &off[1]) == 5) {
        fk_weights *w;
        fk_error e = {0};
        cr_assert_eq(fk_weights_open(fk_test_fixture(file), &w, &e), FK_OK, "%s", e.msg);
        const uint8_t *a = fk_weights_find(w, name[0])->data;
        const uint8_t *b = fk_weights_find(w, name[1])->data;
        /* Legacy storages follow pickles of any length: misaligned ones are
         * copied, aligned ones read in place. */
        if (off[0] % 4 == 0 && off[1] % 4 == 0) {
            cr_assert_eq(b - a, off[1] - off[0], "%s: %s and %s are not read in place", file,
                         name[0], name[1]);
            checked++;
        } else {
            cr_assert(strstr(file, "legacy"), "%s: unaligned data", file);
        }
        fk_weights_close(w);
    }
    fclose(f);
    cr_assert_geq(checked, 2);
}

static void check_names(const char *file, const char *names_file, const char *inner)
{
    fk_weights *w;
    fk_error e = {0};
    cr_assert_eq(fk_weights_open(fk_test_fixture(file), &w, &e), FK_OK, "%s", e.msg);
    FILE *f = fopen(fk_test_fixture(names_file), "r");
    cr_assert(f);
    char line[256];
    int i = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        cr_assert_str_eq(fk_weights_name(w, i), line, "%s: tensor %d", file, i);
        i++;
    }
    fclose(f);
    cr_assert_gt(i, 0);
    cr_assert_eq(fk_weights_count(w), i);
    cr_assert_str_eq(fk_weights_inner_prefix(w), inner);
    /* Names inside the inner state dict are found without the prefix. */
    const fk_array *full = fk_weights_find(w, "state_dict.conv.weight");
    cr_assert(full);
    cr_assert_eq(fk_weights_find(w, "conv.weight"), inner[0] ? full : NULL);
    fk_weights_close(w);
}

Test(weights, wrapped_checkpoint_zip) { check_names("wrapped.pth", "wrapped_names.txt", "state_dict."); }
Test(weights, wrapped_checkpoint_legacy)
{
    check_names("wrapped_legacy.pth", "wrapped_names.txt", "state_dict.");
}

Test(weights, ambiguous_checkpoint)
{
    fk_weights *w;
    fk_error e = {0};
    cr_assert_eq(fk_weights_open(fk_test_fixture("ambiguous.pth"), &w, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(fk_weights_inner_prefix(w), "");
    cr_assert_null(fk_weights_find(w, "conv.weight"));
    cr_assert_not_null(fk_weights_find(w, "model.fc.bias"));
    cr_assert_not_null(fk_weights_find(w, "state_dict.fc.bias"));
    cr_assert_eq(fk_weights_count(w), 4);
    fk_weights_close(w);
}

/* Old legacy files: a storage view (view_metadata) and _rebuild_tensor. */
Test(weights, legacy_storage_views)
{
    fk_weights *w;
    fk_error e = {0};
    cr_assert_eq(fk_weights_open(fk_test_fixture("views_legacy.pth"), &w, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_weights_count(w), 2);
    static const char *const names[2] = {"a", "b"};
    static const char *const refs[2] = {"views_a.f32", "views_b.f32"};
    static const int64_t shapes[2][2] = {{2, 0}, {2, 5}};
    for (int i = 0; i < 2; i++) {
        float *f;
        cr_assert_eq(fk_weights_get_f32(w, names[i], i + 1, shapes[i], &f, &e), FK_OK, "%s",
                     e.msg);
        size_t nb;
        uint8_t *ref = slurp(fk_test_fixture(refs[i]), &nb);
        cr_assert_eq(nb, (size_t)(i ? 40 : 8));
        cr_assert(memcmp(f, ref, nb) == 0, "tensor %s differs", names[i]);
        free(ref);
        free(f);
    }
    fk_weights_close(w);
}

static void expect_refusal(const char *file, fk_status code, const char *what1,
                           const char *what2)
{
    fk_weights *w = (fk_weights *)&w;
    fk_error e = {0};
    const char *path = fk_test_fixture(file);
    fk_status s = fk_weights_open(path, &w, &e);
    cr_assert_eq(s, code, "%s: got %s (%s)", file, fk_status_name(s), e.msg);
    cr_assert_null(w);
    cr_assert(strstr(e.msg, path), "%s: message does not name the file: %s", file, e.msg);
    cr_assert(strstr(e.msg, what1), "%s: message lacks '%s': %s", file, what1, e.msg);
    cr_assert(!what2 || strstr(e.msg, what2), "%s: message lacks '%s': %s", file, what2,
              e.msg);
}

Test(weights, refuses_os_system)
{
    /* Python pickles os.system as posix.system. */
    expect_refusal("evil_legacy.pth", FK_ERR_UNSUPPORTED, "refusing to unpickle posix.system",
                   "only tensor state dicts");
    expect_refusal("evil_zip.pth", FK_ERR_UNSUPPORTED, "refusing to unpickle posix.system",
                   NULL);
    expect_refusal("evil_nested.pth", FK_ERR_UNSUPPORTED, "refusing to unpickle posix.system",
                   NULL);
    cr_assert_neq(access(fk_test_fixture("pwned"), F_OK), 0, "the pickle's command was run");
}

Test(weights, bad_files)
{
    expect_refusal("badmagic.pth", FK_ERR_FORMAT, "wrong magic number", NULL);
    expect_refusal("badoffsets.safetensors", FK_ERR_FORMAT, "data_offsets", "past the end");
    expect_refusal("baddtype.safetensors", FK_ERR_UNSUPPORTED, "F8_E4M3", "fc.bias");
    expect_refusal("script.pt", FK_ERR_UNSUPPORTED, "TorchScript", "torch shim");
    expect_refusal("expected.txt", FK_ERR_FORMAT, "not a weights file", NULL);
    expect_refusal("bomb.pth", FK_ERR_FORMAT, "beyond bounds", NULL);
    fk_weights *w;
    fk_error e = {0};
    cr_assert_eq(fk_weights_open(fk_test_fixture("no-such-file.pth"), &w, &e), FK_ERR_IO);
    cr_assert(strstr(e.msg, "no-such-file.pth"), "%s", e.msg);
}

/* Every prefix of a valid file is refused as FK_ERR_FORMAT, never a crash. */
static int truncations(const char *file)
{
    size_t n;
    uint8_t *buf = slurp(fk_test_fixture(file), &n);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fk_test_tmpdir(), file);
    int tried = 0;
    spit(path, buf, n);
    /* Shortening one file in place costs no writes. */
    for (size_t cut = n; cut-- > 0;) {
        cr_assert_eq(truncate(path, (off_t)cut), 0);
        fk_weights *w;
        fk_error e = {0};
        fk_status s = fk_weights_open(path, &w, &e);
        cr_assert_eq(s, FK_ERR_FORMAT, "%s cut at %zu of %zu: %s (%s)", file, cut, n,
                     fk_status_name(s), e.msg);
        cr_assert(strstr(e.msg, path), "%s cut at %zu: %s", file, cut, e.msg);
        tried++;
    }
    unlink(path);
    free(buf);
    return tried;
}

Test(weights, truncated_safetensors) { cr_assert_gt(truncations("sd.safetensors"), 1000); }
Test(weights, truncated_zip) { cr_assert_gt(truncations("sd_zip.pth"), 1000); }
Test(weights, truncated_zip_deflated) { cr_assert_gt(truncations("sd_zip_deflated.pth"), 1000); }
Test(weights, truncated_legacy) { cr_assert_gt(truncations("sd_legacy.pth"), 1000); }

/* Random byte corruption: any status is acceptable, a crash is not, and what
 * opens must be readable to its last byte. */
static void corruptions(const char *file)
{
    size_t n;
    uint8_t *orig = slurp(fk_test_fixture(file), &n);
    uint8_t *buf = malloc(n);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fk_test_tmpdir(), file);
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    int opened = 0, refused = 0;
    for (int it = 0; it < 400; it++) {
        memcpy(buf, orig, n);
        int flips = 1 + it % 4;
        for (int k = 0; k < flips; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(rng >> 33) % n;
            buf[at] ^= (uint8_t)(1u << ((rng >> 20) & 7));
        }
        spit(path, buf, n);
        fk_weights *w;
        fk_error e = {0};
        fk_status s = fk_weights_open(path, &w, &e);
        if (s != FK_OK) {
            cr_assert(s == FK_ERR_FORMAT || s == FK_ERR_UNSUPPORTED, "%s: %s (%s)", file,
                      fk_status_name(s), e.msg);
            cr_assert(strstr(e.msg, path), "%s", e.msg);
            refused++;
            continue;
        }
        opened++;
        unsigned sum = 0;
        for (int i = 0; i < fk_weights_count(w); i++) {
            const fk_array *a = fk_weights_tensor(w, i);
            const uint8_t *p = a->data;
            for (size_t b = 0; b < fk_array_nbytes(a); b++)
                sum += p[b];
        }
        (void)sum;
        fk_weights_close(w);
    }
    cr_assert_eq(opened + refused, 400);
    unlink(path);
    free(buf);
    free(orig);
}

Test(weights, corrupted_safetensors) { corruptions("sd.safetensors"); }
Test(weights, corrupted_zip) { corruptions("sd_zip.pth"); }
Test(weights, corrupted_legacy) { corruptions("sd_legacy.pth"); }
