#!/usr/bin/python3
"""The draws of NumPy's legacy RandomState and of torch's CPU randperm, as
Debian's python3-numpy and python3-torch make them, for tests/test_nprandom.c
to compare with fidkit/nprandom.h bit for bit.

Usage: nprandom.py OUTDIR. Every array is int64 (uint64 words are stored as
their int64 bit pattern) or float64. Nothing here re-implements a generator:
the numbers are the libraries' own.
"""
import os
import sys

import numpy as np

SEEDS = [0, 1, 2020, 123456789, 2**32 - 1]
SIZES = [1, 2, 50, 1000, 50000]
# (low, high) pairs for randint: no draw, tiny, signed, 32-bit, the raw 32-bit
# word, the 64-bit masked path with heavy rejection, almost the full int64 range.
RANDINT = [(0, 1), (0, 2), (-5, 7), (0, 1000), (3, 2**31), (0, 2**32),
           (0, 2**32 + 1), (-7, 2**40 + 5), (-2**63, 2**63 - 1)]


def save(out, name, arr):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(arr))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for s in SEEDS:
        rs = np.random.RandomState(s)
        save(out, f"key_{s}", rs.get_state()[1].astype(np.int64))
        # raw 32-bit words: randint over [0, 2^32) takes the word as it is
        w32 = rs.randint(0, 2**32, size=2000, dtype=np.uint64)
        save(out, f"next32_{s}", w32.astype(np.int64))
        # 64-bit words: high - 1 = 2^64 - 2, mask all ones
        w64 = rs.randint(0, 2**64 - 1, size=500, dtype=np.uint64)
        save(out, f"next64_{s}", w64.view(np.int64))
        for n in SIZES:
            save(out, f"perm_{s}_{n}", np.random.RandomState(s).permutation(n).astype(np.int64))
        # one stream across many calls, as torch-fidelity's KID loop draws
        rs = np.random.RandomState(s)
        ch = [rs.choice(1000, 100, replace=False) for _ in range(3)]
        ch += [rs.choice(777, 777, replace=False), rs.choice(3, 1, replace=False)]
        save(out, f"choice_{s}", np.concatenate(ch).astype(np.int64))
        rs = np.random.RandomState(s)
        ri = [rs.randint(lo, hi, size=20) for lo, hi in RANDINT]
        ri.append(np.array([rs.randint(10)], dtype=np.int64))  # scalar, high = None
        save(out, f"randint_{s}", np.concatenate(ri).astype(np.int64))
        rs = np.random.RandomState(s)
        save(out, f"sample_{s}", rs.random_sample(1000))
        a = np.arange(300, dtype=np.int64) * 3 + 7
        rs.shuffle(a)  # after the samples: the same stream goes on
        save(out, f"shuffle_{s}", a)
    save(out, "randint_bounds", np.array(RANDINT, dtype=np.int64))

    import torch
    for s in SEEDS + [2**32 + 5, 67280421310721]:
        for n in SIZES:
            torch.manual_seed(s)
            save(out, f"randperm_{s}_{n}", torch.randperm(n).numpy().astype(np.int64))
        torch.manual_seed(s)
        two = [torch.randperm(1000), torch.randperm(50)]  # one stream, two calls
        save(out, f"randperm2_{s}", torch.cat(two).numpy().astype(np.int64))


if __name__ == "__main__":
    main()
