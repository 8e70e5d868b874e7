"""End-to-end reference for tests/test_inception_fid.c: FID and IS of two
generated image sets through the FID Inception (seeded random weights with
calibrated batch norms, as tests/ref/inception.py builds it), for each
resize mode and weight format, computed the way the peers compute them:
PIL decodes (Image.open().convert('RGB')), the mode's reference resize
(tests/ref/resize.py: PIL 'F' bicubic for clean, torch bilinear for
legacy_pytorch, the TF1 rule for legacy_tensorflow), the mode's
normalisation, the eager float32 model, np.cov, scipy sqrtm (pytorch-fid's
formula), and IS from the bias-free logits in the ADM evaluator's single
chunk."""
import os
import sys

import numpy as np
import scipy.linalg
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inception as inc  # noqa: E402
import resize as rz  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
N = 10
rng = np.random.default_rng(99)


def make_set(name, shift):
    root = os.path.join(out, name)
    os.makedirs(root, exist_ok=True)
    for i in range(N):
        h, w = rng.integers(48, 110, 2)
        yy, xx = np.mgrid[0:h, 0:w]
        base = rng.uniform(30, 200, 3) + shift
        img = base + 50 * np.stack([np.sin(xx / (4 + i % 4)), np.cos(yy / (3 + i % 5)),
                                    np.sin((xx - yy) / 9.0)], -1) + rng.normal(0, 15, (h, w, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(root, f"{i:02d}.png"))
    return root


# mode -> (reference resize, scale, mean, std) as the configs below say
MODES = {
    "clean": (rz.ref_clean, 1 / 255, 0.5, 0.5),
    "legacy_pytorch": (rz.ref_torch, 1 / 255, 0.5, 0.5),
    "legacy_tensorflow": (rz.ref_tf, 1.0, 128.0, 128.0),
}


def batch(root, mode):
    fn, scale, mean, std = MODES[mode]
    xs = []
    for f in sorted(os.listdir(root)):
        img = np.asarray(Image.open(os.path.join(root, f)).convert("RGB"))
        chw = fn(img, 299, 0).astype(np.float32)
        xs.append((chw * np.float32(scale) - np.float32(mean)) / np.float32(std))
    return torch.from_numpy(np.stack(xs).astype(np.float32))


def fid(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    m1, s1, m2, s2 = a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1.dot(s2)).real
    d = m1 - m2
    return d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def inception_score(logits):
    x = logits.astype(np.float64)
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    py = p.mean(0, keepdims=True)
    kl = (p * (np.log(p) - np.log(py))).sum(1).mean()
    return np.exp(kl)


real, fake = make_set("real", 0), make_set("fake", 40)
model = inc.calibrate(inc.build_fid(inc.SEED), inc.SEED + 100)
state = model.state_dict()
torch.save(state, os.path.join(out, "w.pth"))
torch.save(state, os.path.join(out, "w_legacy.pth"), _use_new_zipfile_serialization=False)
inc.save_safetensors(state, os.path.join(out, "w.safetensors"))

CFG = """fidkit_config: 1
plugin: inception_v3
variant: fid
weights:
  file: {w}
input:
  size: 299
  resize: {mode}
  crop: none
  scale: {scale!r}
  mean: [{mean!r}, {mean!r}, {mean!r}]
  std: [{std!r}, {std!r}, {std!r}]
output: pool3
batch_size: 4
"""
for mode, (_, scale, mean, std) in MODES.items():
    ra, fa = inc.outputs(model, batch(real, mode)), inc.outputs(model, batch(fake, mode))
    np.save(os.path.join(out, f"fid_{mode}.npy"), np.array([fid(ra["pool3"], fa["pool3"])]))
    np.save(os.path.join(out, f"is_{mode}.npy"), np.array([inception_score(fa["logits_unbiased"])]))
    # sFID: the same Fréchet distance on the ADM evaluator's spatial features.
    np.save(os.path.join(out, f"sfid_{mode}.npy"), np.array([fid(ra["spatial"], fa["spatial"])]))
    for w in ("w.pth", "w_legacy.pth", "w.safetensors"):
        name = f"{mode}_{w.replace('.', '_')}.yaml"
        with open(os.path.join(out, name), "w") as f:
            f.write(CFG.format(w=w, mode=mode, scale=scale, mean=mean, std=std))
