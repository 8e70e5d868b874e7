"""Fixtures and references for tests/test_sweep.c.

Writes small uint8 NHWC sample arrays (.npy datasets), two tiny_pool configs
(two tags), the sweep files the test runs, and the reference values of
Spearman's rho and Kendall's tau-b (scipy.stats.spearmanr and
scipy.stats.kendalltau, variant b) on vectors with ties."""
import os
import sys

import numpy as np
import scipy.stats

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)
S = 16


def images(n, shift):
    yy, xx = np.mgrid[0:S, 0:S]
    imgs = []
    for i in range(n):
        base = rng.uniform(40, 200, 3) + shift
        img = base + 40 * np.stack([np.sin(xx / (2 + i % 4)), np.cos(yy / (3 + i % 3)),
                                    np.sin((xx + yy) / 5)], -1) + rng.normal(0, 15, (S, S, 3))
        imgs.append(np.clip(img, 0, 255).astype(np.uint8))
    return np.stack(imgs)


np.save(os.path.join(out, "real.npy"), images(24, 0))
np.save(os.path.join(out, "other.npy"), images(10, -60))
for name, shift in (("fake_a", 5), ("fake_b", 25), ("fake_c", 60), ("fake_d", 90)):
    np.save(os.path.join(out, name + ".npy"), images(24, shift))

cfg = """fidkit_config: 1
plugin: tiny_pool
variant: {v}
weights:
  random: 0
input:
  size: 16
  resize: clean
  crop: none
  scale: 0.00392156862745098
  mean: [0.5, 0.5, 0.5]
  std: [0.5, 0.5, 0.5]
output: pool
batch_size: 5
"""
for v in ("g2", "g4"):
    open(os.path.join(out, f"tiny_{v}.yaml"), "w").write(cfg.format(v=v))

open(os.path.join(out, "disturb.yaml"), "w").write("""fidkit_sweep: 1
name: test_disturb
description: the test's disturbance sweep
real: real.npy
fake: real.npy
other: other.npy
backbones: [tiny_g2.yaml, tiny_g4.yaml]
metrics: [fid, kid]
n: 20
seed: 3
ci: bootstrap
replicates: 20
axes:
  perturbation: [gaussian_noise, black_rectangles, contamination]
  level: [0, 0.5, 1]
""")

open(os.path.join(out, "models.yaml"), "w").write("""fidkit_sweep: 1
name: test_models
real: real.npy
backbones: [tiny_g2.yaml, tiny_g4.yaml]
metrics: [fid, fd-inf]
ci: none
axes:
  fake: [fake_a.npy, fake_b.npy, fake_c.npy, fake_d.npy]
""")
# three fake sets: too few for rank agreement (report.md says so)
open(os.path.join(out, "models3.yaml"), "w").write("""fidkit_sweep: 1
name: test_models3
real: real.npy
backbones: [tiny_g2.yaml, tiny_g4.yaml]
metrics: [fid]
ci: none
plot:
  title: Three models
axes:
  fake: [fake_a.npy, fake_b.npy, fake_c.npy]
""")

# Rank agreement: vectors with ties (and one without).
pairs = [
    ([1, 2, 2, 3, 5, 5, 5, 8], [2, 1, 3, 3, 4, 6, 6, 7]),
    ([0.5, 0.1, 0.1, 0.9, 0.3], [3, 1, 2, 2, 1]),
    ([4, 3, 2, 1, 0], [0, 1, 2, 3, 4]),
    ([1, 1, 2, 2, 3, 3], [1, 2, 1, 2, 1, 2]),
    ([3.2, 1.5, 7.7, 2.0, 9.1, 4.4, 6.0], [30, 10, 60, 20, 70, 50, 40]),
]
n = max(len(x) for x, _ in pairs)
X = np.full((len(pairs), n), np.nan)
Y = np.full((len(pairs), n), np.nan)
lens, rho, tau = [], [], []
for i, (x, y) in enumerate(pairs):
    X[i, :len(x)] = x
    Y[i, :len(y)] = y
    lens.append(len(x))
    rho.append(scipy.stats.spearmanr(x, y).correlation)
    tau.append(scipy.stats.kendalltau(x, y, variant="b").correlation)
np.save(os.path.join(out, "rank_x.npy"), X)
np.save(os.path.join(out, "rank_y.npy"), Y)
np.save(os.path.join(out, "rank_len.npy"), np.array(lens, dtype=np.float64))
np.save(os.path.join(out, "spearman.npy"), np.array(rho))
np.save(os.path.join(out, "kendall.npy"), np.array(tau))

# FD of each fake set against the real set as the models sweep must find it,
# the independent way: tiny_pool's features in NumPy (16x16 input at size
# 16: clean resize is the identity; (x/255 - 0.5)/0.5; average over a G x G
# grid of cells per channel), np.cov, scipy.linalg.sqrtm.
import scipy.linalg  # noqa: E402


def tiny_pool(a, g):
    x = (a.astype(np.float64) / 255 - 0.5) / 0.5
    n, c = x.shape[0], S // g
    return x.reshape(n, g, c, g, c, 3).mean((2, 4)).reshape(n, -1)


def fd(a, b):
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1.dot(s2)).real
    d = mu1 - mu2
    return d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


real = np.load(os.path.join(out, "real.npy"))
fds = [[fd(tiny_pool(real, g), tiny_pool(np.load(os.path.join(out, f + ".npy")), g))
        for f in ("fake_a", "fake_b", "fake_c", "fake_d")] for g in (2, 4)]
np.save(os.path.join(out, "models_fd.npy"), np.array(fds))
