/* fidkit/nprandom.h against the draws of Debian's python3-numpy (legacy
 * RandomState) and python3-torch (CPU randperm), written by tests/ref/nprandom.py.
 * Every comparison is exact. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fidkit/nprandom.h"
#include "fk_test.h"

static const uint64_t seeds[] = {0, 1, 2020, 123456789, 4294967295u};
static const int64_t sizes[] = {1, 2, 50, 1000, 50000};
#define NSEEDS (sizeof seeds / sizeof seeds[0])
#define NSIZES (sizeof sizes / sizeof sizes[0])

static fk_array load(const char *fmt, uint64_t seed, int64_t n, fk_dtype t)
{
    char name[96];
    snprintf(name, sizeof name, fmt, (unsigned long long)seed, (long long)n);
    fk_array a = fk_test_load_npy(name);
    cr_assert_eq(a.dtype, t, "%s: dtype %s", name, fk_dtype_name(a.dtype));
    return a;
}

static fk_np_random seeded(uint64_t s)
{
    fk_np_random r;
    fk_error e;
    cr_assert_eq(fk_np_seed(&r, s, &e), FK_OK, "%s", e.msg);
    return r;
}

/* First index where two int64 arrays differ, or -1. */
static int64_t first_diff(const int64_t *a, const int64_t *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return i;
    return -1;
}

Test(nprandom, seeding_is_init_genrand)
{
    for (size_t k = 0; k < NSEEDS; k++) {
        fk_array key = load("key_%llu.npy", seeds[k], 0, FK_I64);
        cr_assert_eq(key.shape[0], FK_MT19937_N);
        fk_np_random r = seeded(seeds[k]);
        const int64_t *w = key.data;
        for (int i = 0; i < FK_MT19937_N; i++)
            cr_assert_eq((int64_t)r.key[i], w[i], "seed %llu: key[%d]",
                         (unsigned long long)seeds[k], i);
        fk_array_free(&key);
    }
    fk_np_random r;
    fk_error e;
    cr_expect_eq(fk_np_seed(&r, 4294967296ull, &e), FK_ERR_ARG);
    cr_expect(strstr(e.msg, "4294967295"), "%s", e.msg);
}

Test(nprandom, raw_words)
{
    for (size_t k = 0; k < NSEEDS; k++) {
        fk_array w32 = load("next32_%llu.npy", seeds[k], 0, FK_I64);
        fk_array w64 = load("next64_%llu.npy", seeds[k], 0, FK_I64);
        fk_np_random r = seeded(seeds[k]);
        const int64_t *a = w32.data, *b = w64.data;
        for (int64_t i = 0; i < w32.shape[0]; i++) /* 2000 words: past two regenerations */
            cr_assert_eq((int64_t)fk_np_next32(&r), a[i], "seed %llu: word %lld",
                         (unsigned long long)seeds[k], (long long)i);
        for (int64_t i = 0; i < w64.shape[0]; i++)
            cr_assert_eq(fk_np_interval(&r, UINT64_MAX - 1), (uint64_t)b[i],
                         "seed %llu: 64-bit word %lld", (unsigned long long)seeds[k], (long long)i);
        fk_array_free(&w32);
        fk_array_free(&w64);
    }
}

Test(nprandom, permutation)
{
    int64_t *p = malloc(sizeof(int64_t) * 50000);
    for (size_t k = 0; k < NSEEDS; k++)
        for (size_t j = 0; j < NSIZES; j++) {
            fk_array want = load("perm_%llu_%lld.npy", seeds[k], sizes[j], FK_I64);
            cr_assert_eq(want.shape[0], sizes[j]);
            fk_np_random r = seeded(seeds[k]);
            fk_np_permutation(&r, sizes[j], p);
            int64_t d = first_diff(p, want.data, sizes[j]);
            cr_expect_eq(d, -1, "RandomState(%llu).permutation(%lld) differs at %lld",
                         (unsigned long long)seeds[k], (long long)sizes[j], (long long)d);
            fk_array_free(&want);
        }
    free(p);
}

Test(nprandom, choice_without_replacement_one_stream)
{
    /* the reference's calls: 3 x choice(1000, 100), choice(777, 777), choice(3, 1) */
    const int64_t calls[5][2] = {{1000, 100}, {1000, 100}, {1000, 100}, {777, 777}, {3, 1}};
    int64_t scratch[1000], got[1100];
    for (size_t k = 0; k < NSEEDS; k++) {
        fk_array want = load("choice_%llu.npy", seeds[k], 0, FK_I64);
        fk_np_random r = seeded(seeds[k]);
        int64_t at = 0;
        for (int c = 0; c < 5; c++) {
            fk_np_choice(&r, calls[c][0], calls[c][1], scratch, got + at);
            at += calls[c][1];
        }
        cr_assert_eq(at, want.shape[0]);
        int64_t d = first_diff(got, want.data, at);
        cr_expect_eq(d, -1, "seed %llu: choice stream differs at %lld",
                     (unsigned long long)seeds[k], (long long)d);
        fk_array_free(&want);
    }
}

Test(nprandom, randint_32_and_64_bit_paths)
{
    fk_array bounds = fk_test_load_npy("randint_bounds.npy");
    cr_assert_eq(bounds.dtype, FK_I64);
    const int64_t *bd = bounds.data;
    int64_t nb = bounds.shape[0];
    for (size_t k = 0; k < NSEEDS; k++) {
        fk_array want = load("randint_%llu.npy", seeds[k], 0, FK_I64);
        cr_assert_eq(want.shape[0], nb * 20 + 1);
        const int64_t *w = want.data;
        fk_np_random r = seeded(seeds[k]);
        for (int64_t b = 0; b < nb; b++)
            for (int i = 0; i < 20; i++) {
                int64_t v = fk_np_randint(&r, bd[2 * b], bd[2 * b + 1]);
                cr_assert_eq(v, w[b * 20 + i], "seed %llu: randint(%lld, %lld) draw %d: %lld, "
                             "numpy %lld", (unsigned long long)seeds[k], (long long)bd[2 * b],
                             (long long)bd[2 * b + 1], i, (long long)v, (long long)w[b * 20 + i]);
            }
        cr_assert_eq(fk_np_randint(&r, 0, 10), w[nb * 20], "randint(10)");
        fk_array_free(&want);
    }
    fk_array_free(&bounds);
}

Test(nprandom, random_sample_then_shuffle)
{
    for (size_t k = 0; k < NSEEDS; k++) {
        fk_array u = load("sample_%llu.npy", seeds[k], 0, FK_F64);
        fk_array sh = load("shuffle_%llu.npy", seeds[k], 0, FK_I64);
        fk_np_random r = seeded(seeds[k]);
        const double *w = u.data;
        for (int64_t i = 0; i < u.shape[0]; i++) {
            double v = fk_np_random_sample(&r);
            cr_assert(v == w[i], "seed %llu: sample %lld: %.17g, numpy %.17g",
                      (unsigned long long)seeds[k], (long long)i, v, w[i]);
        }
        int64_t a[300];
        for (int i = 0; i < 300; i++)
            a[i] = 3 * i + 7;
        fk_np_shuffle(&r, a, 300);
        cr_expect_eq(first_diff(a, sh.data, 300), -1, "seed %llu: shuffle differs",
                     (unsigned long long)seeds[k]);
        fk_array_free(&u);
        fk_array_free(&sh);
    }
}

Test(nprandom, torch_randperm)
{
    const uint64_t tseeds[] = {0, 1, 2020, 123456789, 4294967295u, 4294967301ull,
                               67280421310721ull /* torch's default seed */};
    int64_t *p = malloc(sizeof(int64_t) * 50000);
    for (size_t k = 0; k < sizeof tseeds / sizeof tseeds[0]; k++) {
        fk_np_random r;
        for (size_t j = 0; j < NSIZES; j++) {
            fk_array want = load("randperm_%llu_%lld.npy", tseeds[k], sizes[j], FK_I64);
            fk_torch_manual_seed(&r, tseeds[k]);
            fk_torch_randperm(&r, sizes[j], p);
            int64_t d = first_diff(p, want.data, sizes[j]);
            cr_expect_eq(d, -1, "torch.manual_seed(%llu); randperm(%lld) differs at %lld",
                         (unsigned long long)tseeds[k], (long long)sizes[j], (long long)d);
            fk_array_free(&want);
        }
        fk_array want = load("randperm2_%llu.npy", tseeds[k], 0, FK_I64);
        fk_torch_manual_seed(&r, tseeds[k]);
        fk_torch_randperm(&r, 1000, p);
        fk_torch_randperm(&r, 50, p + 1000);
        cr_expect_eq(first_diff(p, want.data, 1050), -1, "seed %llu: two randperms in a row",
                     (unsigned long long)tseeds[k]);
        fk_array_free(&want);
    }
    free(p);
}
