/* fidkit — NumPy's legacy RandomState stream, and torch's CPU randperm, so
 * that a metric convention named after a tool draws the same subsets and
 * shuffles as that tool (see docs/metrics.md). fidkit's own draws stay in
 * rng.h; this header exists only to reproduce other tools' numbers.
 *
 * The algorithms, as NumPy's legacy code (numpy/random/mtrand.pyx,
 * _mt19937.pyx, src/mt19937, src/distributions) runs them; tests/test_nprandom.c
 * checks every function against Debian's python3-numpy at test time:
 *   seed:        RandomState(seed), seed an integer in [0, 2^32 - 1]:
 *                Matsumoto-Nishimura init_genrand, key[0] = seed,
 *                key[i] = 1812433253 * (key[i-1] ^ key[i-1] >> 30) + i (mod 2^32),
 *                and the next draw regenerates the 624-word block.
 *   next32:      MT19937 with the standard tempering.
 *   next64:      next32() << 32 | next32()   (the first draw is the high word)
 *   interval(max), uniform in [0, max]: max == 0 draws nothing; otherwise
 *                mask = the smallest 2^k - 1 >= max, and a draw is
 *                next32() & mask if max <= 2^32 - 1, else next64() & mask,
 *                repeated while it is > max.
 *   shuffle(a, n): for i = n-1 down to 1: j = interval(i); swap a[i], a[j]
 *   permutation(n): shuffle(0..n-1)
 *   choice(n, k, replace=False): permutation(n)[:k] (legacy: the whole
 *                permutation is drawn whatever k is)
 *   randint(low, high): rng = high - 1 - low; rng == 0 draws nothing;
 *                otherwise low + the masked draw of interval(rng) (the
 *                default dtype, int64; NumPy's masked path, use_masked=True).
 *   random_sample: a = next32() >> 5, b = next32() >> 6,
 *                (a * 2^26 + b) / 2^53.
 *
 * torch's randperm on the CPU (aten TensorFactories.cpp, randperm_cpu) with
 * the default generator after torch.manual_seed(seed): the same MT19937 and
 * seeding, with seed taken mod 2^32, then a forward Fisher-Yates without
 * rejection: a = 0..n-1; for i = 0..n-2: z = next32() % (n - i); swap a[i],
 * a[i + z]. For n >= (2^32 - 1) / 20 torch 2.x draws z from next64() % (n - i)
 * instead; fidkit follows that branch but the tests can only check the first
 * (Debian's torch 1.13, n of practical sizes). */
#ifndef FIDKIT_NPRANDOM_H
#define FIDKIT_NPRANDOM_H

#include "export.h"

#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FK_MT19937_N 624

/* The state of one MT19937 stream (NumPy's RandomState or torch's CPU
 * generator). Plain data: copy it to fork a stream. */
typedef struct fk_np_random {
    uint32_t key[FK_MT19937_N];
    int pos;
} fk_np_random;

/* RandomState(seed). A seed above 2^32 - 1 is refused (FK_ERR_ARG), as NumPy
 * refuses it. */
FK_API fk_status fk_np_seed(fk_np_random *r, uint64_t seed, fk_error *e);

FK_API uint32_t fk_np_next32(fk_np_random *r);
FK_API uint64_t fk_np_next64(fk_np_random *r);
/* Uniform in [0, max], NumPy's random_interval (masked rejection). */
FK_API uint64_t fk_np_interval(fk_np_random *r, uint64_t max);
/* RandomState.randint(low, high), default dtype int64; low < high. */
FK_API int64_t fk_np_randint(fk_np_random *r, int64_t low, int64_t high);
/* RandomState.random_sample(), in [0, 1). */
FK_API double fk_np_random_sample(fk_np_random *r);
/* RandomState.shuffle on a 1-d int64 array of n entries. */
FK_API void fk_np_shuffle(fk_np_random *r, int64_t *a, int64_t n);
/* RandomState.permutation(n): perm[0..n) */
FK_API void fk_np_permutation(fk_np_random *r, int64_t n, int64_t *perm);
/* RandomState.choice(n, k, replace=False) into out[0..k), k <= n. scratch
 * holds n entries (the whole permutation is drawn, as NumPy's legacy code
 * does, so the stream advances the same way). */
FK_API void fk_np_choice(fk_np_random *r, int64_t n, int64_t k, int64_t *scratch, int64_t *out);

/* torch.manual_seed(seed) for the default CPU generator (seed mod 2^32). */
FK_API void fk_torch_manual_seed(fk_np_random *r, uint64_t seed);
/* torch.randperm(n) on the CPU from that generator: perm[0..n). */
FK_API void fk_torch_randperm(fk_np_random *r, int64_t n, int64_t *perm);

#ifdef __cplusplus
}
#endif
#endif
