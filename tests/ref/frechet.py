"""Reference Fréchet distances for tests/test_frechet.c.

Writes stats files the way pytorch-fid does (np.savez with mu and sigma) and
the expected distances, computed independently of fidkit:
  - well-conditioned pairs: the pytorch-fid formula with scipy.linalg.sqrtm
    of sigma1 @ sigma2 (real part), as calculate_frechet_distance computes it;
  - singular pairs (N <= d, constant features): an explicit symmetric square
    root from scipy.linalg.eigh, sqrt(S1) S2 sqrt(S1), eigenvalues clipped.
Each expected file holds [fd, mean_term, trace_term].
"""
import os
import sys

import numpy as np
import scipy.linalg

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261123)


def save(name, mu, sigma):
    np.savez(os.path.join(out, name), mu=mu, sigma=sigma)


def fd_sqrtm(mu1, s1, mu2, s2):
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    covmean = covmean.real
    tr = np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    return [diff.dot(diff) + tr, diff.dot(diff), tr]


def fd_eigh(mu1, s1, mu2, s2):
    w, v = scipy.linalg.eigh(s1)
    w = np.clip(w, 0, None)
    r1 = (v * np.sqrt(w)) @ v.T
    m = r1 @ s2 @ r1
    m = (m + m.T) / 2
    ev = np.clip(scipy.linalg.eigvalsh(m), 0, None)
    diff = mu1 - mu2
    tr = np.trace(s1) + np.trace(s2) - 2 * np.sqrt(ev).sum()
    return [diff.dot(diff) + tr, diff.dot(diff), tr]


def features(n, d, scale=1.0):
    # Correlated, non-isotropic features like a network's.
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    return (rng.standard_normal((n, d)) * scale) @ (np.eye(d) + 0.5 * mix) + rng.standard_normal(d)


def case(name, x1, x2, ref):
    mu1, s1 = x1.mean(0), np.cov(x1, rowvar=False)
    mu2, s2 = x2.mean(0), np.cov(x2, rowvar=False)
    save(f"{name}_a.npz", mu1, s1)
    save(f"{name}_b.npz", mu2, s2)
    np.save(os.path.join(out, f"{name}_expected.npy"), np.array(ref(mu1, s1, mu2, s2)))


for d, n in ((2, 50), (64, 1000), (2048, 4096)):
    case(f"spd{d}", features(n, d), features(n, d, 1.1), fd_sqrtm)

# N <= d: both covariances singular (rank N-1).
case("sing_both", features(32, 64), features(40, 64), fd_eigh)
# Only the first is singular.
case("sing_first", features(32, 64), features(500, 64), fd_eigh)
# Constant features in some dimensions: zero rows and columns.
x1, x2 = features(300, 16), features(300, 16)
x1[:, 3] = 1.0
x2[:, 3] = 2.0
x2[:, 7] = -1.0
case("const_dims", x1, x2, fd_eigh)
# Identical statistics: FD = 0 up to rounding.
x = features(500, 32)
case("same", x, x, fd_eigh)

# Fewer rows than dimensions, as rows (float32, what fidkit's features are):
# fk_frechet_factors works on the rows themselves. The reference is the
# eigh route on the covariances of the same float32 values, in float64.
for name, n1, n2, d in (("rows_small", 40, 60, 512), ("rows_2048", 60, 60, 2048)):
    x1 = features(n1, d).astype(np.float32)
    x2 = features(n2, d, 1.1).astype(np.float32)
    np.save(os.path.join(out, f"{name}_x1.npy"), x1)
    np.save(os.path.join(out, f"{name}_x2.npy"), x2)
    case(name, x1.astype(np.float64), x2.astype(np.float64), fd_eigh)
