"""Benchmark (not a test): fidkit's inception_v3 plugin against the Python
reference, eager NCHW PyTorch as pytorch-fid runs it, on the same weights and
inputs, in the same command. Prints images/s of each and their ratio.

usage: inception_bench.py BENCH_EXE PLUGIN_SO [--n N] [--batch B] [--reps R]
                          [--threads T]
(bench/inception_bench.sh builds BENCH_EXE and passes the paths.)
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "inception_ref", os.path.join(HERE, "..", "tests", "ref", "inception.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def time_python(model, x, batch):
    """(wall, cpu) images/s of one pass over x."""
    with torch.no_grad():
        w, c = time.perf_counter(), time.process_time()
        for i in range(0, x.shape[0], batch):
            model(x[i:i + batch])
        w, c = time.perf_counter() - w, time.process_time() - c
    return x.shape[0] / w, x.shape[0] / c


def time_fidkit(exe, plugin, weights, raw, n, batch, threads, dump):
    """(wall, cpu) images/s of one pass, in a separate process."""
    out = subprocess.run([exe, plugin, "--weights", weights, "--input", raw, "--n", str(n),
                          "--batch", str(batch), "--threads", str(threads), "--dump", dump],
                         check=True, capture_output=True, text=True).stdout
    got = dict(line.split() for line in out.splitlines())
    return float(got["images_per_s"]), float(got["cpu_images_per_s"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("plugin")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    threads = torch.get_num_threads()

    tmp = tempfile.mkdtemp(prefix="fidkit-bench-")
    model = ref.calibrate(ref.build_fid(ref.SEED), ref.SEED + 100, batches=1, batch=4)
    weights = os.path.join(tmp, "fid.safetensors")
    ref.save_safetensors(model.state_dict(), weights)
    x = ref.random_images(a.n, ref.SEED + 7)
    raw = os.path.join(tmp, "inputs.f32")
    x.numpy().astype("<f4").tofile(raw)
    dump = os.path.join(tmp, "pool3.f32")

    # The machine is shared: runs alternate, and each side keeps its best
    # (least disturbed) pass, by wall clock and by process CPU time.
    cl_model = ref.build_fid(ref.SEED)
    cl_model.load_state_dict(model.state_dict())
    cl_model = cl_model.eval().to(memory_format=torch.channels_last)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    # Each side is timed warm: one untimed pass first (the fidkit process
    # makes its own, see inception_bench.c).
    time_python(model, x, a.batch)
    time_python(cl_model, x_cl, a.batch)
    best = {"nchw": (0, 0), "cl": (0, 0), "fidkit": (0, 0)}
    for _ in range(a.reps):
        for name, run in (("nchw", lambda: time_python(model, x, a.batch)),
                          ("fidkit", lambda: time_fidkit(a.exe, a.plugin, weights, raw, a.n,
                                                         a.batch, threads, dump)),
                          ("cl", lambda: time_python(cl_model, x_cl, a.batch))):
            w, c = run()
            best[name] = (max(best[name][0], w), max(best[name][1], c))

    with torch.no_grad():
        pool3 = ref.outputs(model, x)["pool3"]
    got = np.fromfile(dump, dtype="<f4").reshape(a.n, 2048)
    err = float(np.abs(got - pool3).max() / np.abs(pool3).max())

    print("inception_v3/fid pool3, %d images, batch %d, %d thread(s), best of %d alternating runs" %
          (a.n, a.batch, threads, a.reps))
    print("%-40s %12s %12s" % ("", "wall img/s", "cpu img/s"))
    rows = (("python eager NCHW (as pytorch-fid)", "nchw"), ("python eager channels-last", "cl"),
            ("fidkit inception_v3 plugin", "fidkit"))
    for label, k in rows:
        print("%-40s %12.2f %12.2f" % (label, best[k][0], best[k][1]))
    for label, k in rows[:2]:
        print("%-40s %12.2f %12.2f" % ("ratio fidkit / " + label.split(" (")[0], best["fidkit"][0] / best[k][0],
                                       best["fidkit"][1] / best[k][1]))
    print("pool3 max|diff| / max|ref|: %.2e" % err)
    for f in (weights, raw, dump):
        os.remove(f)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
