/* NumPy's legacy RandomState draws and torch's CPU randperm; the algorithms
 * are documented in fidkit/nprandom.h. */
#include "fidkit/nprandom.h"

#define MT_M 397
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu
#define MT_MATRIX 0x9908b0dfu

static void init_genrand(fk_np_random *r, uint32_t seed)
{
    r->key[0] = seed;
    for (uint32_t i = 1; i < FK_MT19937_N; i++) {
        uint32_t p = r->key[i - 1];
        r->key[i] = 1812433253u * (p ^ (p >> 30)) + i;
    }
    r->pos = FK_MT19937_N; /* the first draw regenerates the block */
}

fk_status fk_np_seed(fk_np_random *r, uint64_t seed, fk_error *e)
{
    if (seed > 0xffffffffu)
        return fk_fail(e, FK_ERR_ARG, "seed %llu: NumPy's RandomState takes seeds in 0..4294967295",
                       (unsigned long long)seed);
    init_genrand(r, (uint32_t)seed);
    return FK_OK;
}

void fk_torch_manual_seed(fk_np_random *r, uint64_t seed)
{
    init_genrand(r, (uint32_t)(seed & 0xffffffffu));
}

static void regenerate(fk_np_random *r)
{
    uint32_t *k = r->key;
    int i;
    for (i = 0; i < FK_MT19937_N - MT_M; i++) {
        uint32_t y = (k[i] & MT_UPPER) | (k[i + 1] & MT_LOWER);
        k[i] = k[i + MT_M] ^ (y >> 1) ^ (-(y & 1u) & MT_MATRIX);
    }
    for (; i < FK_MT19937_N - 1; i++) {
        uint32_t y = (k[i] & MT_UPPER) | (k[i + 1] & MT_LOWER);
        k[i] = k[i + MT_M - FK_MT19937_N] ^ (y >> 1) ^ (-(y & 1u) & MT_MATRIX);
    }
    uint32_t y = (k[FK_MT19937_N - 1] & MT_UPPER) | (k[0] & MT_LOWER);
    k[FK_MT19937_N - 1] = k[MT_M - 1] ^ (y >> 1) ^ (-(y & 1u) & MT_MATRIX);
    r->pos = 0;
}

uint32_t fk_np_next32(fk_np_random *r)
{
    if (r->pos >= FK_MT19937_N)
        regenerate(r);
    uint32_t y = r->key[r->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t fk_np_next64(fk_np_random *r)
{
    /* Two statements: the high word is drawn first, as NumPy's build does. */
    uint64_t hi = fk_np_next32(r);
    uint64_t lo = fk_np_next32(r);
    return hi << 32 | lo;
}

uint64_t fk_np_interval(fk_np_random *r, uint64_t max)
{
    if (max == 0)
        return 0;
    uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    uint64_t v;
    if (max <= 0xffffffffu) {
        do
            v = fk_np_next32(r) & mask;
        while (v > max);
    } else {
        do
            v = fk_np_next64(r) & mask;
        while (v > max);
    }
    return v;
}

int64_t fk_np_randint(fk_np_random *r, int64_t low, int64_t high)
{
    if (high <= low)
        return low;
    /* rng = high - 1 - low in unsigned arithmetic: the full int64 range fits. */
    uint64_t rng = (uint64_t)high - 1u - (uint64_t)low;
    /* NumPy's masked bounded draw is the same draw as random_interval: for
     * rng == 2^32 - 1 and 2^64 - 1 it takes the raw word, which the mask of
     * all ones never rejects either. */
    return (int64_t)((uint64_t)low + fk_np_interval(r, rng));
}

double fk_np_random_sample(fk_np_random *r)
{
    int32_t a = (int32_t)(fk_np_next32(r) >> 5), b = (int32_t)(fk_np_next32(r) >> 6);
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

void fk_np_shuffle(fk_np_random *r, int64_t *a, int64_t n)
{
    for (int64_t i = n - 1; i >= 1; i--) {
        int64_t j = (int64_t)fk_np_interval(r, (uint64_t)i);
        int64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void fk_np_permutation(fk_np_random *r, int64_t n, int64_t *perm)
{
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    fk_np_shuffle(r, perm, n);
}

void fk_np_choice(fk_np_random *r, int64_t n, int64_t k, int64_t *scratch, int64_t *out)
{
    fk_np_permutation(r, n, scratch);
    for (int64_t i = 0; i < k; i++)
        out[i] = scratch[i];
}

void fk_torch_randperm(fk_np_random *r, int64_t n, int64_t *perm)
{
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    /* torch 2.x keeps the 32-bit draw for n below this bound (the only
     * branch torch 1.13 has) and takes a 64-bit draw above it. */
    int wide = n >= (int64_t)(0xffffffffu / 20u);
    for (int64_t i = 0; i < n - 1; i++) {
        uint64_t span = (uint64_t)(n - i);
        uint64_t z = (wide ? fk_np_next64(r) : fk_np_next32(r)) % span;
        int64_t t = perm[i];
        perm[i] = perm[i + (int64_t)z];
        perm[i + (int64_t)z] = t;
    }
}
