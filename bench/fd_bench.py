"""Benchmark (not a test): the whole `fidkit fd` process against
pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm of sigma1 @
sigma2) on the same d = 2048 statistics, in the same run, as a ratio.

usage: /usr/bin/python3 bench/fd_bench.py BUILD_DIR [--repeat 3]
Prints both times (best of --repeat), the ratio and the agreement."""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import scipy.linalg

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--d", type=int, default=2048)
args = ap.parse_args()

rng = np.random.default_rng(0)
d, n = args.d, 2 * args.d
tmp = tempfile.mkdtemp(prefix="fidkit-bench-")
paths = []
for k in range(2):
    x = rng.standard_normal((n, d)) @ (np.eye(d) + 0.3 * rng.standard_normal((d, d)) / np.sqrt(d))
    x += rng.standard_normal(d) * 0.1 * k
    mu, sigma = x.mean(0), np.cov(x, rowvar=False)
    p = os.path.join(tmp, f"s{k}.npz")
    np.savez(p, mu=mu, sigma=sigma)
    paths.append((p, mu, sigma))


def scipy_fd(mu1, s1, mu2, s2):
    # The formula pytorch-fid's calculate_frechet_distance evaluates.
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(d) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = covmean.real
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


(_, mu1, s1), (_, mu2, s2) = paths
t_ref = []
for _ in range(args.repeat):
    t0 = time.perf_counter()
    ref = scipy_fd(mu1, s1, mu2, s2)
    t_ref.append(time.perf_counter() - t0)

exe = os.path.join(args.build, "fidkit")
cmd = [exe, "fd", paths[0][0], paths[1][0], "--json",
       "--assume-backbone", "bench/x:y@random-0/1/none"]
t_fk = []
for _ in range(args.repeat):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    t_fk.append(time.perf_counter() - t0)
val = json.loads(out)["value"]

print(f"d = {d}, best of {args.repeat}")
print(f"  scipy sqrtm (pytorch-fid formula, in-process): {min(t_ref):.3f} s   FD = {ref:.12g}")
print(f"  fidkit fd (whole process, files read):         {min(t_fk):.3f} s   FD = {val:.12g}")
print(f"  speed-up: {min(t_ref) / min(t_fk):.1f}x   relative difference: {abs(val - ref) / abs(ref):.2e}")
