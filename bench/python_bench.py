"""Benchmark (not a test) of the Python package.

1. Overhead of the Python API against the CLI on the same job: the FD of
   two PNG folders, `fidkit fid A B --json` (a subprocess, wall clock)
   against fidkit.fid(A, B) in-process (wall clock of the call), and
   fidkit.fid on the same images already in memory (decoding excluded).
   Target: the API within 5 % of the CLI.
2. torchmetrics-style loop throughput: FrechetInceptionDistance.update on
   float (N, 3, H, W) batches in [0, 1], against an eager PyTorch
   Inception-v3 (torchvision, random weights) forward on the same batches
   resized to 299 with F.interpolate (what torchmetrics' FID Inception
   does), in the same process with the same thread count. images/s each.

    (--backbone tiny_pool: the test plugin, for the fixed overhead on a job of
    little compute.)

    bench/python_bench.sh [BUILD_DIR] [-- --n 200 --size 64 --repeat 3
                                          --backbone inception_v3_random
                                          --loop-backbone inception_v3_random --loop-n 50]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fidkit_bin")
    ap.add_argument("--n", type=int, default=100, help="images per side")
    ap.add_argument("--size", type=int, default=64, help="image side in pixels")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--backbone", default="inception_v3_random")
    ap.add_argument("--batch", type=int, default=25, help="loop batch size")
    ap.add_argument("--loop-backbone", default="inception_v3_random",
                    help="the fidkit config of part 2 (an Inception, to compare with torchvision's)")
    ap.add_argument("--loop-n", type=int, default=50, help="images of part 2")
    a = ap.parse_args()

    import fidkit
    from PIL import Image
    rng = np.random.default_rng(0)
    tmp = tempfile.mkdtemp(prefix="fidkit_pybench_")
    if a.backbone == "tiny_pool":   # the test plugin: the overhead on a job of little compute
        a.backbone = os.path.join(tmp, "tiny_pool.yaml")
        with open(a.backbone, "w") as f:
            f.write("fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  random: 0\n"
                    "input:\n  size: 32\n  resize: clean\n  crop: none\n"
                    "  scale: 0.00392156862745098\n  mean: [0.5, 0.5, 0.5]\n"
                    "  std: [0.5, 0.5, 0.5]\noutput: pool\nbatch_size: 50\n")
    sides = []
    for k in range(2):
        x = rng.integers(0, 256, (a.n, a.size, a.size, 3), dtype=np.uint8)
        d = os.path.join(tmp, "s%d" % k)
        os.makedirs(d)
        for i, im in enumerate(x):
            Image.fromarray(im).save(os.path.join(d, "%04d.png" % i))
        sides.append((d, x))
    threads = os.environ.get("OMP_NUM_THREADS", "all")
    print("fidkit %s, %s, %d+%d images of %dx%d, OMP_NUM_THREADS=%s, best of %d"
          % (fidkit.__version__, a.backbone, a.n, a.n, a.size, a.size, threads, a.repeat))

    cli_t, api_t, mem_t = [], [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        out = subprocess.run([a.fidkit_bin, "fid", sides[0][0], sides[1][0], "--backbone",
                              a.backbone, "--json"], check=True, capture_output=True, text=True)
        cli_t.append(time.perf_counter() - t0)
        cli_v = json.loads(out.stdout)["results"][0]["value"]
        t0 = time.perf_counter()
        r = fidkit.fid(sides[0][0], sides[1][0], backbone=a.backbone)
        api_t.append(time.perf_counter() - t0)
        assert r.value == cli_v, (r.value, cli_v)
        t0 = time.perf_counter()
        fidkit.fid(sides[0][1], sides[1][1], backbone=a.backbone)
        mem_t.append(time.perf_counter() - t0)
    c, p, m = min(cli_t), min(api_t), min(mem_t)
    print("1. same job: CLI %.3f s, fidkit.fid(paths) %.3f s (%+.1f %%), "
          "fidkit.fid(arrays) %.3f s (%+.1f %%)" % (c, p, 100 * (p / c - 1), m, 100 * (m / c - 1)))

    import torch
    import torch.nn.functional as F
    import torchvision
    if threads != "all":
        torch.set_num_threads(int(threads))
    x = rng.integers(0, 256, (a.loop_n, a.size, a.size, 3), dtype=np.uint8)
    imgs = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255
    batches = list(imgs.split(a.batch))
    metric = fidkit.FrechetInceptionDistance(feature=None, backbone=a.loop_backbone)
    best_fk = best_pt = float("inf")
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False).eval()
    net.fc = torch.nn.Identity()
    for _ in range(a.repeat):
        metric.reset()
        t0 = time.perf_counter()
        for b in batches:
            metric.update(b, real=False)
        best_fk = min(best_fk, time.perf_counter() - t0)
        t0 = time.perf_counter()
        with torch.no_grad():
            for b in batches:
                x = F.interpolate((b * 255).byte().float() / 255 * 2 - 1, size=(299, 299),
                                  mode="bilinear", align_corners=False)
                net(x)
        best_pt = min(best_pt, time.perf_counter() - t0)
    print("2. loop of %d batches of %d: fidkit update %.1f img/s, eager torchvision "
          "Inception-v3 %.1f img/s (ratio %.2f)" % (len(batches), a.batch, a.loop_n / best_fk,
                                                    a.loop_n / best_pt, best_pt / best_fk))
    shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
