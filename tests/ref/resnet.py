"""Reference for the resnet plugin: usage resnet.py OUTDIR.

Builds torchvision's own ResNet-18 and ResNet-50 (torchvision.models.resnetNN
with weights=None) with seeded random weights, random batch-norm affine
parameters, and batch-norm statistics calibrated on random images (train-mode
passes with momentum None, a cumulative average), so that eval-mode
activations are well scaled and the folding of every batch norm is
exercised. Writes the state dicts under torchvision's key names in both
torch.save formats, a YAML config per weights file (read by the C test
through fk_config_load), normalised inputs, and every output the plugin
offers, computed by the eager float32 NCHW model.

Files:
  inputs.npy                         (N, 3, SIDE, SIDE) float32
  {arch}.pth, {arch}.yaml           zip torch.save state dict, its config
  resnet18_legacy.{pth,yaml}         the legacy torch.save format
  {arch}_{pool,layer1,layer2,layer3,logits}.npy
  fd_a.npy, fd_b.npy                 (N_FD, 3, FD_SIDE, FD_SIDE): two image sets
  fd.yaml                            resnet18 config with input size FD_SIDE
  fd_ref.npy                         [FD] of their resnet18 pool features
                                     (float64; scipy sqrtm, as pytorch-fid)
  images_u8.npy                      (4, SIDE, SIDE, 3) uint8: a dataset for the CLI
"""
import copy
import hashlib
import os
import sys

import numpy as np
import scipy.linalg
import torch
import torchvision

SEED = 4321
N_IMAGES = 6
SIDE = 64
N_FD = 600
FD_SIDE = 32
ARCHS = ["resnet18", "resnet50"]
OUTPUTS = ["pool", "layer1", "layer2", "layer3", "logits"]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_config(path, arch, weights, side, output="pool"):
    with open(path, "w") as f:
        f.write("fidkit_config: 1\nplugin: resnet\nvariant: %s\n" % arch)
        f.write("weights:\n  file: %s\n  sha256: %s\n" % (
            os.path.basename(weights), sha256(weights)))
        f.write("input:\n  size: %d\n  resize: none\n  crop: none\n" % side)
        f.write("  scale: 0.00392156862745098\n")
        f.write("  mean: [%s]\n  std: [%s]\n" % (", ".join(map(str, MEAN)),
                                                 ", ".join(map(str, STD))))
        f.write("output: %s\ndevice: cpu\nthreads: 0\nbatch_size: 16\n" % output)


def build(arch, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
    return model


def calibrate(model, seed, batches=3, batch=8, side=SIDE):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(batch, 3, side, side, generator=g))
    model.eval()
    return model


def outputs(model, x, dtype=torch.float64):
    """Every output, computed in float64 by default: float32 rounding alone
    moves ResNet-50's pool features by about 4e-5 of their scale on these
    random-weight nets, so a float32 reference would spend half the
    tolerance on its own error."""
    model = copy.deepcopy(model).to(dtype)
    x = x.to(dtype)
    with torch.no_grad():
        y = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        res = {}
        for i, layer in enumerate([model.layer1, model.layer2, model.layer3, model.layer4]):
            y = layer(y)
            if i < 3:
                res["layer%d" % (i + 1)] = y.mean(dim=(2, 3))
        pool = torch.flatten(model.avgpool(y), 1)
        res["pool"] = pool
        res["logits"] = model.fc(pool)
        # The plain torchvision forward must agree with the pieces above.
        full = model(x)
        assert torch.allclose(full, res["logits"], rtol=1e-5, atol=1e-6)
    return {k: v.numpy() for k, v in res.items()}


def frechet(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    covmean = covmean.real
    d = mu1 - mu2
    return float(d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(SEED)
    x = torch.randn(N_IMAGES, 3, SIDE, SIDE, generator=g)
    np.save(os.path.join(out, "inputs.npy"), x.numpy().astype(np.float32))
    models = {}
    for i, arch in enumerate(ARCHS):
        model = calibrate(build(arch, SEED + i), SEED + 100 + i)
        models[arch] = model
        state = model.state_dict()
        zip_path = os.path.join(out, arch + ".pth")
        legacy_path = os.path.join(out, arch + "_legacy.pth")
        torch.save(state, zip_path)
        write_config(os.path.join(out, arch + ".yaml"), arch, zip_path, SIDE)
        if arch == "resnet18":  # one legacy file is enough to test the format
            torch.save(state, legacy_path, _use_new_zipfile_serialization=False)
            write_config(os.path.join(out, arch + "_legacy.yaml"), arch, legacy_path, SIDE)
        for k, v in outputs(model, x).items():
            np.save(os.path.join(out, "%s_%s.npy" % (arch, k)), v.astype(np.float32))

    # Two sets of images whose resnet18 features differ in mean and spread.
    a = torch.randn(N_FD, 3, FD_SIDE, FD_SIDE, generator=g)
    b = 0.7 * torch.randn(N_FD, 3, FD_SIDE, FD_SIDE, generator=g) + 0.2
    np.save(os.path.join(out, "fd_a.npy"), a.numpy().astype(np.float32))
    np.save(os.path.join(out, "fd_b.npy"), b.numpy().astype(np.float32))
    write_config(os.path.join(out, "fd.yaml"), "resnet18",
                 os.path.join(out, "resnet18.pth"), FD_SIDE)
    # float32 features (float64 convolutions of 1200 images are slow); the
    # moments and sqrtm run in float64 as pytorch-fid runs them.
    fa = outputs(models["resnet18"], a, torch.float32)["pool"].astype(np.float64)
    fb = outputs(models["resnet18"], b, torch.float32)["pool"].astype(np.float64)
    np.save(os.path.join(out, "fd_ref.npy"), np.array([frechet(fa, fb)], dtype=np.float64))

    rng = np.random.default_rng(SEED)
    np.save(os.path.join(out, "images_u8.npy"),
            rng.integers(0, 256, size=(4, SIDE, SIDE, 3), dtype=np.uint8))
    print("resnet reference written to", out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fixtures/resnet")
