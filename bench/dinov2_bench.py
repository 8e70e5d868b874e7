"""Benchmark (not a test): the dinov2 plugin against eager PyTorch of the
same model (tests/ref/dinov2.py's torch.nn DINOv2, float32, no_grad) on the
same seeded weights and inputs at 224: images/s of each, the ratio, the
peak resident memory of each process at batch BATCH, and the largest
feature difference.

  /usr/bin/python3 bench/dinov2_bench.py BACKBONES_BENCH_EXE [--variants vits14,vitl14]
      [--n 32] [--batch 32] [--reps 2] [--threads 0]
"""
import argparse
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("dref", os.path.join(here, "..", "tests", "ref", "dinov2.py"))
dref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dref)


def eager(model, x, batch, reps):
    best = float("inf")
    with torch.no_grad():
        for _ in range(reps):
            t = time.perf_counter()
            outs = [model(torch.from_numpy(x[i:i + batch]))[0] for i in range(0, len(x), batch)]
            best = min(best, time.perf_counter() - t)
    return len(x) / best, torch.cat(outs).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--variants", default="vits14,vitl14")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((a.n, 3, 224, 224)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "x.f32")
        x.tofile(raw)
        for v in a.variants.split(","):
            model = dref.ViT(*dref.DIMS[v]).eval()
            dref.randomise(model, torch.Generator().manual_seed(7))
            pth = os.path.join(tmp, v + ".pth")
            torch.save(model.state_dict(), pth)
            cfg = os.path.join(tmp, v + ".yaml")
            with open(cfg, "w") as f:
                f.write((dref.CONFIG % (v, v)).replace("threads: 0", "threads: %d" % a.threads)
                        .replace("batch_size: 8", "batch_size: %d" % a.batch))
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            ips_t, ref = eager(model, x, a.batch, a.reps)
            rss_t = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            del model
            dump = os.path.join(tmp, v + ".out")
            r = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb %M", a.exe, cfg, raw, str(a.n),
                                str(a.batch), str(a.reps), dump],
                               capture_output=True, text=True, check=True)
            ips_f = float(r.stdout.split()[1])
            rss_f = int(r.stderr.strip().split()[-1])
            got = np.fromfile(dump, dtype="<f4").reshape(ref.shape)
            rel = np.abs(got - ref).max() / np.abs(ref).max()
            print("%-8s fidkit %.2f img/s  eager torch %.2f img/s  ratio %.2fx  peak RSS fidkit "
                  "%.0f MiB, python+torch %.0f MiB (before the eager pass %.0f)  max rel diff %.2g"
                  % (v, ips_f, ips_t, ips_f / ips_t, rss_f / 1024, rss_t / 1024, rss0 / 1024, rel),
                  flush=True)


if __name__ == "__main__":
    main()
