"""Reference for the mobilenet_v3 plugin: usage mobilenet.py OUTDIR.

Builds torchvision's own MobileNetV3-Large and -Small
(torchvision.models.mobilenet_v3_large / _small, weights=None) with seeded
random weights, random batch-norm affine parameters and random SE biases,
batch-norm statistics calibrated on random images (train-mode passes,
momentum None), and writes their state dicts (zip format for both, the
legacy format for small), a YAML config per file, normalised inputs, and
each output the plugin offers, computed by the eager NCHW model in float64.

Files:
  inputs.npy                              (N, 3, SIDE, SIDE) float32
  {large,small}.pth, {large,small}.yaml   zip state dicts and their configs
  small_legacy.pth, small_legacy.yaml     the legacy torch.save format
  {large,small}_{pool,penultimate,logits}.npy
"""
import copy
import hashlib
import os
import sys

import numpy as np
import torch
import torchvision

SEED = 777
N_IMAGES = 6
SIDE = 64
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_config(path, variant, weights, side, output="pool"):
    with open(path, "w") as f:
        f.write("fidkit_config: 1\nplugin: mobilenet_v3\nvariant: %s\n" % variant)
        f.write("weights:\n  file: %s\n  sha256: %s\n" % (
            os.path.basename(weights), sha256(weights)))
        f.write("input:\n  size: %d\n  resize: none\n  crop: none\n" % side)
        f.write("  scale: 0.00392156862745098\n")
        f.write("  mean: [%s]\n  std: [%s]\n" % (", ".join(map(str, MEAN)),
                                                 ", ".join(map(str, STD))))
        f.write("output: %s\ndevice: cpu\nthreads: 0\nbatch_size: 16\n" % output)


def build(variant, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, "mobilenet_v3_" + variant)(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
            elif isinstance(m, torchvision.ops.SqueezeExcitation):
                m.fc1.bias.normal_(0.0, 0.1)
                m.fc2.bias.normal_(0.0, 0.5)
            elif isinstance(m, torch.nn.Linear):
                m.bias.normal_(0.0, 0.1)
    return model


def calibrate(model, seed, batches=3, batch=8):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(batch, 3, SIDE, SIDE, generator=g))
    model.eval()
    return model


def outputs(model, x):
    """Every output, computed in float64 (the truth the float32 plugin is
    measured against)."""
    model = copy.deepcopy(model).double()
    x = x.double()
    with torch.no_grad():
        pool = torch.flatten(model.avgpool(model.features(x)), 1)
        pen = model.classifier[1](model.classifier[0](pool))
        logits = model.classifier[3](model.classifier[2](pen))
        assert torch.allclose(model(x), logits, rtol=1e-9, atol=1e-9)
    return {"pool": pool, "penultimate": pen, "logits": logits}


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(SEED)
    x = torch.randn(N_IMAGES, 3, SIDE, SIDE, generator=g)
    np.save(os.path.join(out, "inputs.npy"), x.numpy().astype(np.float32))
    for i, variant in enumerate(["large", "small"]):
        model = calibrate(build(variant, SEED + i), SEED + 100 + i)
        state = model.state_dict()
        path = os.path.join(out, variant + ".pth")
        torch.save(state, path)
        write_config(os.path.join(out, variant + ".yaml"), variant, path, SIDE)
        if variant == "small":
            legacy = os.path.join(out, "small_legacy.pth")
            torch.save(state, legacy, _use_new_zipfile_serialization=False)
            write_config(os.path.join(out, "small_legacy.yaml"), variant, legacy, SIDE)
        for k, v in outputs(model, x).items():
            np.save(os.path.join(out, "%s_%s.npy" % (variant, k)), v.numpy().astype(np.float32))
    print("mobilenet reference written to", out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fixtures/mobilenet")
