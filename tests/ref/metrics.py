#!/usr/bin/python3
"""Independent references for fidkit's metric family (KID, precision/recall,
density/coverage, Inception Score, FD-infinity, CMMD).

Usage: metrics.py OUTDIR. Writes seeded random features and, for each metric,
the number each peer's published code path gives, re-implemented here with
NumPy/SciPy in float64 (nothing is copied from the peers):
  KID            torch-fidelity's mmd2 (unbiased) with the polynomial kernel
  PR (ADM)       guided-diffusion evaluator: squared distances, partition, <=
  PR (tfid)      torch-fidelity: Euclidean cdist, kthvalue(k+1), <=, F-score
  PRDC (dgm)     dgm-eval / clovaai prdc: Euclidean, argpartition k+1, strict <
  IS             torch-fidelity (splits after a shuffle) and ADM (chunks)
  KID, IS by convention: each tool's loop as its code runs it, with the
                 tool's own generator doing the draws (numpy's RandomState for
                 torch-fidelity, numpy's global generator for clean-fid,
                 torch.randperm after torch.manual_seed for torchmetrics)
  FD-infinity    dgm-eval: linspace sizes, sqrtm FD, linear fit of FD on 1/N
  CMMD           google-research cmmd: RBF sigma 10, biased, x1000

fidkit's own convention (and the metrics that have no named convention)
draw with fidkit's documented generator (splitmix64 + xoshiro256**, Lemire's
bounded draw, Fisher-Yates), re-implemented below from the description in
core/include/fidkit/rng.h, so that both sides evaluate the same subsets; the C
test also checks that the indices agree.
"""
import os
import sys

import numpy as np
from scipy import linalg
from scipy.spatial.distance import cdist
from scipy.special import log_softmax, softmax

M64 = (1 << 64) - 1


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed):
        z = seed & M64
        self.s = []
        for _ in range(4):
            z = (z + 0x9E3779B97F4A7C15) & M64
            v = z
            v = ((v ^ (v >> 30)) * 0xBF58476D1CE4E5B9) & M64
            v = ((v ^ (v >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(v ^ (v >> 31))

    def next(self):
        s = self.s
        out = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def below(self, n):
        m = self.next() * n
        lo = m & M64
        if lo < n:
            t = ((1 << 64) - n) % n
            while lo < t:
                m = self.next() * n
                lo = m & M64
        return m >> 64

    def permutation(self, n):
        a = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.below(i + 1)
            a[i], a[j] = a[j], a[i]
        return np.array(a, dtype=np.int64)

    def choice(self, n, k):
        a = list(range(n))
        for i in range(k):
            j = i + self.below(n - i)
            a[i], a[j] = a[j], a[i]
        return np.array(a[:k], dtype=np.int64)


def save(out, name, arr):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(arr))


# ---- KID (torch-fidelity's formulas) ----------------------------------------
def poly_kernel(a, b):
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def mmd2_unbiased(kxx, kxy, kyy):
    m = kxx.shape[0]
    sxx = kxx.sum() - np.trace(kxx)
    syy = kyy.sum() - np.trace(kyy)
    return (sxx + syy) / (m * (m - 1)) - 2 * kxy.sum() / (m * m)


def kid_on(f1, f2, i1, i2):
    a, b = f1[i1], f2[i2]
    return mmd2_unbiased(poly_kernel(a, a), poly_kernel(a, b), poly_kernel(b, b))


# ---- KID and IS as each named tool computes them -----------------------------
# Re-implemented from the tools' documented behaviour (float64 here; the tools
# compute the kernels in their features' dtype).
def tfid_kid(f1, f2, subsets, size, seed):
    """torch-fidelity kid_features_to_metric: one RandomState(rng_seed); per
    subset choice(n1) then choice(n2), replace=False; mean and np.std."""
    rng = np.random.RandomState(seed)
    mmds = []
    for _ in range(subsets):
        a = f1[rng.choice(len(f1), size, replace=False)]
        b = f2[rng.choice(len(f2), size, replace=False)]
        mmds.append(mmd2_unbiased(poly_kernel(a, a), poly_kernel(a, b), poly_kernel(b, b)))
    mmds = np.array(mmds)
    return np.array([mmds.mean(), mmds.std()])


def cleanfid_kid(feats1, feats2, seed, num_subsets=100, max_subset_size=1000):
    """clean-fid kernel_distance, with np.random.seed(seed) before it (clean-fid
    draws from numpy's global generator and never seeds it)."""
    np.random.seed(seed)
    n = feats1.shape[1]
    m = min(min(feats1.shape[0], feats2.shape[0]), max_subset_size)
    t = 0
    for _ in range(num_subsets):
        x = feats2[np.random.choice(feats2.shape[0], m, replace=False)]
        y = feats1[np.random.choice(feats1.shape[0], m, replace=False)]
        a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
        b = (x @ y.T / n + 1) ** 3
        t += (a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m
    return np.array([t / num_subsets / m, m])


def torchmetrics_kid(real, fake, subsets, size, seed):
    """torchmetrics KernelInceptionDistance.compute() after torch.manual_seed:
    per subset randperm(n_real)[:size], then randperm(n_fake)[:size]; poly_mmd;
    mean and std(unbiased=False)."""
    import torch
    torch.manual_seed(seed)
    r, f = torch.from_numpy(real), torch.from_numpy(fake)
    vals = []
    for _ in range(subsets):
        a = r[torch.randperm(len(r))[:size]]
        b = f[torch.randperm(len(f))[:size]]
        kxx, kyy, kxy = [(u @ v.T / u.shape[1] + 1.0) ** 3 for u, v in ((a, a), (b, b), (a, b))]
        m = a.shape[0]
        v = ((kxx.sum() - kxx.diag().sum()) + (kyy.sum() - kyy.diag().sum())) / (m * (m - 1))
        vals.append(v - 2 * kxy.sum() / (m * m))
    vals = torch.stack(vals)
    return np.array([vals.mean().item(), vals.std(unbiased=False).item()])


def tfid_isc(logits, splits, shuffle, seed):
    """torch-fidelity isc_features_to_metric: RandomState(rng_seed).permutation,
    splits [i*N//splits, (i+1)*N//splits), mean and np.std."""
    n = len(logits)
    if shuffle:
        logits = logits[np.random.RandomState(seed).permutation(n)]
    bounds = [(i * n // splits, (i + 1) * n // splits) for i in range(splits)]
    sc = is_split_scores(logits, bounds)
    return np.array([sc.mean(), sc.std()])


# ---- precision / recall / density / coverage --------------------------------
def pr_adm(real, gen, k):
    def sqd(u, v):
        nu = (u * u).sum(1)[:, None]
        nv = (v * v).sum(1)[None, :]
        return np.maximum(nu - 2 * u @ v.T + nv, 0.0)

    def radii(f):
        dd = sqd(f, f)
        np.fill_diagonal(dd, 0.0)
        return np.partition(dd, np.arange(k + 1), axis=1)[:, k]

    rr, rg = radii(real), radii(gen)
    d_rg = sqd(real, gen)
    precision = np.mean(np.any(d_rg <= rr[:, None], axis=0))
    recall = np.mean(np.any(d_rg <= rg[None, :], axis=1))
    return precision, recall


def pr_tfid(real, gen, k):
    def radii(f):
        dd = cdist(f, f)
        np.fill_diagonal(dd, 0.0)
        return np.sort(dd, axis=1)[:, k]  # kthvalue(k+1), self included

    rr, rg = radii(real), radii(gen)
    d_gr = cdist(gen, real)
    precision = float(np.mean(np.any(d_gr <= rr[None, :], axis=1)))
    recall = float(np.mean(np.any(d_gr.T <= rg[None, :], axis=1)))
    f = 2 * precision * recall / max(1e-5, precision + recall)
    return precision, recall, f


def prdc_dgm(real, gen, k):
    def kth(dd, kk):
        idx = np.argpartition(dd, kk, axis=-1)[..., :kk]
        return np.take_along_axis(dd, idx, axis=-1).max(axis=-1)

    def radii(f):
        dd = cdist(f, f)
        np.fill_diagonal(dd, 0.0)
        return kth(dd, k + 1)

    rr, rg = radii(real), radii(gen)
    d = cdist(real, gen)
    precision = (d < rr[:, None]).any(axis=0).mean()
    recall = (d < rg[None, :]).any(axis=1).mean()
    density = (1.0 / k) * (d < rr[:, None]).sum(axis=0).mean()
    coverage = (d.min(axis=1) < rr).mean()
    return precision, recall, density, coverage


# ---- Inception Score ---------------------------------------------------------
def is_split_scores(logits, bounds):
    lp = log_softmax(logits, axis=1)
    p = np.exp(lp)
    out = []
    for a, b in bounds:
        q = p[a:b].mean(axis=0, keepdims=True)
        kl = (p[a:b] * (lp[a:b] - np.log(q))).sum(axis=1).mean()
        out.append(np.exp(kl))
    return np.array(out)


def is_adm(logits, split_size):
    # the evaluator's own expression: part * (log(part) - log(mean(part)))
    preds = softmax(logits, axis=1)
    scores = []
    for i in range(0, len(preds), split_size):
        part = preds[i:i + split_size]
        kl = part * (np.log(part) - np.log(np.expand_dims(np.mean(part, 0), 0)))
        scores.append(np.exp(np.mean(np.sum(kl, 1))))
    return np.array(scores)


# ---- FD (the sqrtm path of pytorch-fid / dgm-eval) ---------------------------
def fd_sqrtm(mu1, s1, mu2, s2):
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if np.iscomplexobj(covmean):
        assert np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3)
        covmean = covmean.real
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def stats(f):
    return f.mean(axis=0), np.cov(f, rowvar=False)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rs = np.random.RandomState(12345)
    d = 64
    x1 = rs.randn(1500, d).astype(np.float32)
    x2 = (1.1 * rs.randn(1200, d) + 0.08).astype(np.float32)
    save(out, "x1", x1)
    save(out, "x2", x2)
    f1, f2 = x1.astype(np.float64), x2.astype(np.float64)

    # KID: the estimator on fidkit's subsets, and the distribution-level
    # comparison with torch-fidelity's own RandomState(2020) subsets.
    subsets, m, seed = 10, 500, 7
    r = Rng(seed)
    i1 = np.zeros((subsets, m), np.int64)
    i2 = np.zeros((subsets, m), np.int64)
    for s in range(subsets):
        i1[s] = r.choice(len(x1), m)
        i2[s] = r.choice(len(x2), m)
    mmds = np.array([kid_on(f1, f2, i1[s], i2[s]) for s in range(subsets)])
    save(out, "kid_idx1", i1)
    save(out, "kid_idx2", i2)
    save(out, "kid_mmd", mmds)
    save(out, "kid_mean_std", np.array([mmds.mean(), mmds.std()]))
    # KID under each named convention: the tool's loop and the tool's draws.
    save(out, "kid_tfid_100x500", tfid_kid(f1, f2, 100, 500, 2020))
    save(out, "kid_tfid_20x200_s0", tfid_kid(f1, f2, 20, 200, 0))
    save(out, "kid_tfid_10x100_smax", tfid_kid(f1, f2, 10, 100, 2**32 - 1))
    # clean-fid: set 2 of 300 rows, so m = min(1500, 300, 1000) = 300
    save(out, "kid_cleanfid_300", cleanfid_kid(f1, f2[:300], 2020))
    save(out, "kid_cleanfid_300_s0", cleanfid_kid(f1, f2[:300], 0, num_subsets=30))
    save(out, "kid_tm_50x400", torchmetrics_kid(f1, f2, 50, 400, 2020))
    save(out, "kid_tm_20x200_s7", torchmetrics_kid(f1, f2, 20, 200, 7))
    # fidkit score REAL=x1 FAKE=x2 --kid-subset-size 100: torch-fidelity as its
    # users call it (input1 = generated), clean-fid and torchmetrics real first
    save(out, "kid_cli", np.array([tfid_kid(f2, f1, 100, 100, 2020)[0],
                                   cleanfid_kid(f1, f2, 2020, max_subset_size=100)[0],
                                   torchmetrics_kid(f1, f2, 100, 100, 2020)[0]]))

    # Precision/recall/density/coverage on a smaller real/generated pair.
    real, gen = f1[:1100], f2[:900]
    p, rc = pr_adm(real, gen, 3)
    tp, tr, tfs = pr_tfid(real, gen, 3)
    dp, dr, dd, dc = prdc_dgm(real, gen, 5)
    save(out, "pr_adm", np.array([p, rc]))
    save(out, "pr_tfid", np.array([tp, tr, tfs]))
    save(out, "prdc_dgm", np.array([dp, dr, dd, dc]))
    dd_ = cdist(real, real)
    np.fill_diagonal(dd_, 0.0)
    save(out, "knn3_real", np.sort(dd_, axis=1)[:, 3])

    # Inception Score from logits (N x 1008).
    n_is, c = 2500, 1008
    logits = (rs.randn(n_is, c) * 2.5).astype(np.float32)
    logits[:, :40] += (rs.rand(n_is, 1) * 6).astype(np.float32)  # some confident rows
    save(out, "logits", logits)
    lg = logits.astype(np.float64)
    perm = Rng(2020).permutation(n_is)
    save(out, "is_perm", perm)
    bounds = [(i * n_is // 10, (i + 1) * n_is // 10) for i in range(10)]
    sc = is_split_scores(lg[perm], bounds)
    save(out, "is_fidkit", np.array([sc.mean(), sc.std()]))  # fidkit's own shuffle
    save(out, "is_tfid", tfid_isc(lg, 10, True, 2020))
    grid = [(s_, k_) for s_ in (0, 2020, 2**32 - 1) for k_ in (1, 3, 10)]
    save(out, "is_tfid_grid_cases", np.array(grid, dtype=np.int64))
    save(out, "is_tfid_grid", np.array([tfid_isc(lg, k_, True, s_) for s_, k_ in grid]))
    # the example: 50 images, torch-fidelity's defaults
    save(out, "is_tfid_50", tfid_isc(lg[:50], 10, True, 2020))
    sc = is_split_scores(lg[:50][Rng(2020).permutation(50)],
                         [(i * 50 // 10, (i + 1) * 50 // 10) for i in range(10)])
    save(out, "is_fidkit_50", np.array([sc.mean(), sc.std()]))
    sc = is_split_scores(lg, bounds)
    save(out, "is_tfid_noshuffle", np.array([sc.mean(), sc.std()]))
    sc = is_adm(lg, 1000)  # 1000, 1000, 500: a partial last chunk
    save(out, "is_adm_1000", sc)
    sc = is_adm(lg, 5000)
    save(out, "is_adm_5000", sc)

    # FD-infinity: reference stats from all of x1; subsets of x2.
    n2 = len(x2)
    sizes = np.linspace(min(5000, max(n2 // 10, 2)), n2, 15).astype("int32")
    mu1, s1 = stats(f1)
    r = Rng(2020)
    fds = []
    for nsz in sizes:
        idx = r.choice(n2, int(nsz))
        mu2, s2 = stats(f2[idx])
        fds.append(fd_sqrtm(mu1, s1, mu2, s2))
    fds = np.array(fds)
    X = np.stack([np.ones(len(sizes)), 1.0 / sizes], axis=1)
    coef, rss, _, _ = np.linalg.lstsq(X, fds, rcond=None)
    resid = fds - X @ coef
    s2e = resid.dot(resid) / (len(sizes) - 2)
    se = np.sqrt(np.diag(s2e * np.linalg.inv(X.T @ X)))
    save(out, "fdinf_sizes", sizes.astype(np.int64))
    save(out, "fdinf_fds", fds)
    save(out, "fdinf_fit", np.array([coef[0], se[0], coef[1]]))

    # CMMD: as given (sigma 10), and on L2-normalised rows.
    def cmmd(a, b, sigma=10.0, scale=1000.0):
        g = 1.0 / (2 * sigma * sigma)
        kxx = np.exp(-g * cdist(a, a, "sqeuclidean")).mean()
        kyy = np.exp(-g * cdist(b, b, "sqeuclidean")).mean()
        kxy = np.exp(-g * cdist(a, b, "sqeuclidean")).mean()
        return scale * (kxx + kyy - 2 * kxy)

    save(out, "cmmd_raw", np.array([cmmd(f1, f2)]))
    n1_ = f1 / np.linalg.norm(f1, axis=1, keepdims=True)
    n2_ = f2 / np.linalg.norm(f2, axis=1, keepdims=True)
    save(out, "cmmd_normalised", np.array([cmmd(n1_, n2_)]))


if __name__ == "__main__":
    main()
