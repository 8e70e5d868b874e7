"""Benchmark (not a test): fidkit's resnet, mobilenet_v3 and torchscript
plugins against the Python reference, eager torchvision in NCHW as a user
runs it (model.fc / model.classifier replaced by Identity to read the pool
features), on the same weights and inputs, in the same command. Prints
images/s of each, their ratio (fidkit / PyTorch, wall clock and CPU time)
and the largest feature difference relative to the features' scale.

usage: backbones_bench.py BENCH_EXE [--n N] [--batch B] [--reps R]
                          [--threads T] [--side S] [--only NAME,...]
(bench/backbones_bench.sh builds BENCH_EXE and passes its path.)
"""
import argparse
import importlib.util
import os
import subprocess
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def load_ref(name):
    spec = importlib.util.spec_from_file_location(
        name + "_ref", os.path.join(HERE, "..", "tests", "ref", name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


resnet_ref = load_ref("resnet")
mobilenet_ref = load_ref("mobilenet")


def write_config(path, plugin, variant, weights, side, threads, output, options=""):
    with open(path, "w") as f:
        f.write("fidkit_config: 1\nplugin: %s\nvariant: %s\n" % (plugin, variant))
        f.write("weights:\n  file: %s\n" % os.path.basename(weights))
        f.write("input:\n  size: %d\n  resize: none\n  crop: none\n" % side)
        f.write("  scale: 0.00392156862745098\n  mean: [0.485, 0.456, 0.406]\n")
        f.write("  std: [0.229, 0.224, 0.225]\n")
        f.write("output: %s\ndevice: cpu\nthreads: %d\nbatch_size: 50\n" % (output, threads))
        f.write(options)


def time_python(model, x, batch, reps):
    best_w = best_c = float("inf")
    with torch.no_grad():
        model(x[:batch])  # warm-up
        for _ in range(reps):
            w, c = time.perf_counter(), time.process_time()
            feats = [model(x[i:i + batch]) for i in range(0, x.shape[0], batch)]
            best_w = min(best_w, time.perf_counter() - w)
            best_c = min(best_c, time.process_time() - c)
    return x.shape[0] / best_w, x.shape[0] / best_c, torch.cat(feats).numpy()


def time_fidkit(exe, config, raw, n, batch, reps, dump, dim=None):
    args = [exe, config, raw, str(n), str(batch), str(reps + 1), dump]
    if dim:
        args.append(str(dim))
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr.strip())
    f = out.stdout.split()
    return float(f[1]), float(f[3])


def build(name):
    """(eager model reading the pool features, plugin, variant, dim)."""
    if name.startswith("resnet"):
        m = resnet_ref.calibrate(resnet_ref.build(name, 1), 2)
        return m, "resnet", name, m.fc.in_features
    variant = name.split("_")[-1]
    m = mobilenet_ref.calibrate(mobilenet_ref.build(variant, 1), 2)
    return m, "mobilenet_v3", variant, m.classifier[0].in_features


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--side", type=int, default=224)
    ap.add_argument("--only", default="resnet18,resnet50,mobilenet_v3_large,mobilenet_v3_small,"
                    "torchscript_resnet50")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    tmp = tempfile.mkdtemp(prefix="fidkit_backbones_bench_")
    x = torch.randn(a.n, 3, a.side, a.side, generator=torch.Generator().manual_seed(5))
    raw = os.path.join(tmp, "inputs.f32")
    x.numpy().astype("<f4").tofile(raw)
    print("backbone                 pytorch img/s   fidkit img/s   ratio (wall)  ratio (cpu)  max rel diff")
    print("  (%d images of %dx%d, batch %d, %d threads, best of %d passes)" % (
        a.n, a.side, a.side, a.batch, a.threads, a.reps))
    for name in a.only.split(","):
        script = name.startswith("torchscript_")
        model, plugin, variant, dim = build(name[len("torchscript_"):] if script else name)
        weights = os.path.join(tmp, name + (".pt" if script else ".pth"))
        if script:
            # The user's route for a model fidkit does not ship: trace it.
            model.fc = torch.nn.Identity()
            model.eval()
            torch.jit.save(torch.jit.trace(model, x[:2]), weights)
            plugin, variant, output = "torchscript", "default", "features"
            options = "options:\n  output_dim: %d\n" % dim
        else:
            torch.save(model.state_dict(), weights)
            output, options = "pool", ""
            if plugin == "resnet":
                model.fc = torch.nn.Identity()
            else:
                model.classifier = torch.nn.Identity()
        model.eval()
        config = os.path.join(tmp, name + ".yaml")
        write_config(config, plugin, variant, weights, a.side, a.threads, output, options)
        py_w, py_c, ref = time_python(model, x, a.batch, a.reps)
        dump = os.path.join(tmp, name + ".f32")
        fk_w, fk_c = time_fidkit(a.exe, config, raw, a.n, a.batch, a.reps, dump, dim if script else None)
        got = np.fromfile(dump, dtype="<f4").reshape(a.n, dim)
        diff = np.abs(got - ref).max() / np.abs(ref).max()
        print("%-24s %13.2f  %13.2f  %12.2fx  %11.2fx  %12.2e" % (
            name, py_w, fk_w, fk_w / py_w, fk_c / py_c, diff))


if __name__ == "__main__":
    main()
