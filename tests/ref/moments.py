"""Reference moments for tests/test_moments.c: float32 feature rows and their
mean and unbiased covariance computed by numpy (np.cov, rowvar=False) in
float64 from the same float32 values."""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

for name, n, d, offset in (("small", 1000, 16, 0.0), ("offset", 3001, 64, 1e3), ("wide", 300, 700, 0.5)):
    x = (rng.standard_normal((n, d)) * rng.uniform(0.1, 3.0, d) + offset).astype(np.float32)
    x64 = x.astype(np.float64)
    np.save(os.path.join(out, f"{name}_rows.npy"), x)
    np.save(os.path.join(out, f"{name}_mean.npy"), x64.mean(0))
    np.save(os.path.join(out, f"{name}_cov.npy"), np.cov(x64, rowvar=False))
