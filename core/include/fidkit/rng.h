/* fidkit — the project's own seeded random numbers, so that every subset,
 * shuffle and bootstrap resample is reproducible from one 64-bit seed on any
 * platform and in any language.
 *
 * Algorithm (documented so that other tools can regenerate the same indices;
 * tests/ref/metrics.py does so in Python):
 *   seeding:  splitmix64 from `seed`; its first four outputs are s[0..3]:
 *             z += 0x9E3779B97F4A7C15; r = z;
 *             r = (r ^ r>>30) * 0xBF58476D1CE4E5B9;
 *             r = (r ^ r>>27) * 0x94D049BB133111EB; out = r ^ r>>31
 *   next:     xoshiro256** (Blackman and Vigna):
 *             out = rotl(s1 * 5, 7) * 9; t = s1 << 17; s2 ^= s0; s3 ^= s1;
 *             s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)
 *   below(n): Lemire's multiply-shift with rejection, unbiased: m = x * n
 *             (128-bit); if low64(m) < (2^64 - n) mod n draw again; high64(m)
 *   permutation(n): a = 0..n-1; for i = n-1 down to 1: j = below(i+1),
 *             swap a[i], a[j]
 *   choice(n, k) without replacement: a = 0..n-1; for i = 0..k-1:
 *             j = i + below(n-i), swap a[i], a[j]; the result is a[0..k)
 *   uniform:  (next >> 11) * 2^-53, in [0, 1)
 *
 * Conventions named after another tool (torch-fidelity's IS shuffle and KID
 * subsets from numpy's RandomState, torchmetrics' torch.randperm) draw with
 * that tool's generator instead: nprandom.h. */
#ifndef FIDKIT_RNG_H
#define FIDKIT_RNG_H

#include "export.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_rng {
    uint64_t s[4];
} fk_rng;

FK_API void fk_rng_seed(fk_rng *r, uint64_t seed);
FK_API uint64_t fk_rng_next(fk_rng *r);
/* Uniform in [0, n); n >= 1 (n == 0 returns 0). */
FK_API uint64_t fk_rng_below(fk_rng *r, uint64_t n);
FK_API double fk_rng_uniform(fk_rng *r);
/* Standard normal (Box-Muller, two uniforms per call, one value kept): for
 * simulations in tests and benchmarks. */
FK_API double fk_rng_normal(fk_rng *r);
/* perm[0..n) becomes a random permutation of 0..n-1. */
FK_API void fk_rng_permutation(fk_rng *r, int64_t n, int64_t *perm);
/* out[0..k) becomes k distinct indices from 0..n-1 (k <= n), in draw order.
 * scratch holds n entries; it is overwritten. */
FK_API void fk_rng_choice(fk_rng *r, int64_t n, int64_t k, int64_t *scratch, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
