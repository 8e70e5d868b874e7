"""Benchmark (not a test): `fidkit stats` on a folder of PNG files against
pytorch-fid's pipeline on the same files and weights, end to end, in the
same command. Prints images/s of each and their ratio.

The reference is what pytorch-fid does with a folder: PIL decodes
(Image.open().convert("RGB")), ToTensor, a DataLoader with one worker
process per CPU (at most 8), F.interpolate to 299 (bilinear,
align_corners=False), 2x - 1, the FID Inception in eager NCHW float32, then
mean and covariance in NumPy. fidkit runs `fidkit stats` with a config of
the same network (resize legacy_pytorch), timed as a whole process: start,
weights, decoding, network, moments and the atomic write of the .npz. The
Python side is timed from its first file read to its covariance, without
the interpreter's and torch's start-up (~1-2 s), which favours it.

The weights are the tests' seeded FID Inception (batch norms calibrated),
so no download is needed; the work per image is the same as with the
official weights.

usage: stats_bench.py FIDKIT_EXE [--n N] [--batch B] [--reps R]
                      [--threads T] [--size S]
(bench/stats_bench.sh passes the path of the built fidkit.)
"""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "inception_ref", os.path.join(HERE, "..", "tests", "ref", "inception.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

CONFIG = """fidkit_config: 1
plugin: inception_v3
variant: fid
weights:
  file: fid.safetensors
input:
  size: 299
  resize: legacy_pytorch
  crop: none
  scale: 0.00392156862745098
  mean: [0.5, 0.5, 0.5]
  std: [0.5, 0.5, 0.5]
output: pool3
device: cpu
threads: {threads}
batch_size: {batch}
"""


def make_images(root, n, size, seed=5):
    """Smooth colour fields with texture and noise: PNG files of realistic
    size (random noise would compress badly and decode slowly)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for i in range(n):
        base = rng.uniform(40, 200, 3)
        img = base + 50 * np.stack([np.sin(xx / (5 + i % 7)), np.cos(yy / (4 + i % 5)),
                                    np.sin((xx - yy) / 11.0)], -1) + rng.normal(0, 8, (size, size, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(root, "%05d.png" % i))


class Files(torch.utils.data.Dataset):
    def __init__(self, files):
        self.files = files

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = np.asarray(Image.open(self.files[i]).convert("RGB"))
        # torchvision's ToTensor: CHW float in [0, 1]
        return torch.from_numpy(img.transpose(2, 0, 1).copy()).float().div(255)


def pool3(model, x):
    """The 2048 pool features (what pytorch-fid returns), from a hook."""
    seen = []
    h = model.avgpool.register_forward_hook(lambda mod, inp, out: seen.append(out))
    model(x)
    h.remove()
    return torch.flatten(seen[0], 1).numpy()


def pytorch_fid(model, root, batch, workers):
    """(seconds, mu) of pytorch-fid's pipeline over the folder."""
    files = sorted(os.path.join(root, f) for f in os.listdir(root))
    t = time.perf_counter()
    loader = torch.utils.data.DataLoader(Files(files), batch_size=batch, shuffle=False,
                                         drop_last=False, num_workers=workers)
    feats = []
    with torch.no_grad():
        for x in loader:
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
            feats.append(pool3(model, 2 * x - 1))
    act = np.concatenate(feats).astype(np.float64)
    mu, sigma = act.mean(0), np.cov(act, rowvar=False)
    return time.perf_counter() - t, mu, sigma


def fidkit_stats(exe, root, config, out, threads):
    """(seconds, mu) of one whole `fidkit stats` process."""
    t = time.perf_counter()
    subprocess.run([exe, "stats", root, "-o", out, "--backbone", config, "--threads", str(threads),
                    "--quiet", "--json"], check=True, capture_output=True)
    dt = time.perf_counter() - t
    with np.load(out) as z:
        return dt, z["mu"], z["sigma"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--batch", type=int, default=50, help="pytorch-fid's default")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--size", type=int, default=256, help="side of the PNG files")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    workers = min(a.threads, 8)  # pytorch-fid: one per CPU, at most 8

    tmp = tempfile.mkdtemp(prefix="fidkit-stats-bench-")
    try:
        root = os.path.join(tmp, "images")
        os.mkdir(root)
        make_images(root, a.n, a.size)
        model = ref.calibrate(ref.build_fid(ref.SEED), ref.SEED + 100, batches=1, batch=4)
        ref.save_safetensors(model.state_dict(), os.path.join(tmp, "fid.safetensors"))
        config = os.path.join(tmp, "bench.yaml")
        with open(config, "w") as f:
            f.write(CONFIG.format(threads=a.threads, batch=a.batch))
        out = os.path.join(tmp, "stats.npz")

        # Alternating runs; each side keeps its best (least disturbed) one.
        best = {"py": float("inf"), "fk": float("inf")}
        for _ in range(a.reps):
            dt, mu_py, sig_py = pytorch_fid(model, root, a.batch, workers)
            best["py"] = min(best["py"], dt)
            dt, mu_fk, sig_fk = fidkit_stats(a.exe, root, config, out, a.threads)
            best["fk"] = min(best["fk"], dt)
        dmu = float(np.abs(mu_fk - mu_py).max() / np.abs(mu_py).max())
        dsig = float(np.abs(sig_fk - sig_py).max() / np.abs(sig_py).max())

        print("FID Inception statistics of %d PNG files of %dx%d, batch %d, %d thread(s), best of %d"
              % (a.n, a.size, a.size, a.batch, a.threads, a.reps))
        print("%-44s %10s %10s" % ("", "seconds", "images/s"))
        print("%-44s %10.2f %10.2f" % ("pytorch-fid pipeline (PIL, DataLoader, eager)", best["py"],
                                       a.n / best["py"]))
        print("%-44s %10.2f %10.2f" % ("fidkit stats (whole process)", best["fk"], a.n / best["fk"]))
        print("%-44s %21.2fx" % ("ratio fidkit / pytorch-fid", best["py"] / best["fk"]))
        print("mu max|diff|/max|mu| %.1e, sigma %.1e (decoders agree; the resize differs by"
              " float32 rounding)" % (dmu, dsig))
        print(json.dumps({"n": a.n, "batch": a.batch, "threads": a.threads,
                          "pytorch_fid_s": best["py"], "fidkit_s": best["fk"],
                          "ratio": best["py"] / best["fk"], "mu_rel_diff": dmu,
                          "sigma_rel_diff": dsig}))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
