#include "fidkit/rng.h"

#include <math.h>

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void fk_rng_seed(fk_rng *r, uint64_t seed)
{
    uint64_t z = seed;
    for (int i = 0; i < 4; i++) {
        z += 0x9E3779B97F4A7C15ull;
        uint64_t v = z;
        v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ull;
        v = (v ^ (v >> 27)) * 0x94D049BB133111EBull;
        r->s[i] = v ^ (v >> 31);
    }
}

uint64_t fk_rng_next(fk_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* 64 x 64 -> 128-bit product by 32-bit halves: portable C11, no __int128. */
static void mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

uint64_t fk_rng_below(fk_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    uint64_t hi, lo;
    mul128(fk_rng_next(r), n, &hi, &lo);
    if (lo < n) {
        uint64_t t = (0 - n) % n;
        while (lo < t)
            mul128(fk_rng_next(r), n, &hi, &lo);
    }
    return hi;
}

double fk_rng_uniform(fk_rng *r)
{
    return (double)(fk_rng_next(r) >> 11) * 0x1.0p-53;
}

double fk_rng_normal(fk_rng *r)
{
    double u1 = 1.0 - fk_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = fk_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void fk_rng_permutation(fk_rng *r, int64_t n, int64_t *perm)
{
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    for (int64_t i = n - 1; i >= 1; i--) {
        int64_t j = (int64_t)fk_rng_below(r, (uint64_t)i + 1);
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

void fk_rng_choice(fk_rng *r, int64_t n, int64_t k, int64_t *scratch, int64_t *out)
{
    for (int64_t i = 0; i < n; i++)
        scratch[i] = i;
    for (int64_t i = 0; i < k && i < n; i++) {
        int64_t j = i + (int64_t)fk_rng_below(r, (uint64_t)(n - i));
        int64_t t = scratch[i];
        scratch[i] = scratch[j];
        scratch[j] = t;
        out[i] = scratch[i];
    }
}
