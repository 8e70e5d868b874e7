"""Called by tests/test_stats.c: reads a stats file that fidkit wrote, the way
pytorch-fid and clean-fid read one (np.load, ['mu'], ['sigma']), and checks
its values against the formula the test used, and the fidkit metadata.
usage: check_stats.py FILE D N TAG"""
import json
import sys

import numpy as np

path, d, n, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with np.load(path) as f:
    mu, sigma = f["mu"][:], f["sigma"][:]
    meta = json.loads(bytes(f["fidkit"]).decode())
i = np.arange(d)
assert mu.dtype == np.float64 and mu.shape == (d,), (mu.dtype, mu.shape)
assert sigma.dtype == np.float64 and sigma.shape == (d, d), (sigma.dtype, sigma.shape)
assert np.array_equal(mu, i * 0.5 - 1.0), mu
assert np.array_equal(sigma, 1.0 / (1.0 + np.abs(i[:, None] - i[None, :]))), sigma
assert meta["tag"] == tag, meta
assert meta["n"] == n and meta["d"] == d, meta
assert meta["format"] == "fidkit-stats", meta
print("ok")
