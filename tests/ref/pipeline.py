"""End-to-end reference for tests/test_pipeline.c: two folders of images of
mixed sizes, and what fidkit must print for them through the tiny_pool
template backbone (grid 4), computed here the independent way: PIL decodes
(Image.open().convert('RGB')), clean-fid's resize (PIL bicubic per channel
in 'F' mode, clip to [0, 255]), (x/255 - 0.5)/0.5, 4x4 average pooling per
channel in (c, gy, gx) order, np.cov, and FD with scipy.linalg.sqrtm."""
import os
import sys

import numpy as np
import scipy.linalg
from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
S, G = 32, 4


def make_set(name, bright, n):
    root = os.path.join(out, name)
    for i in range(n):
        sub = os.path.join(root, "sub" if i % 3 == 0 else "")
        os.makedirs(sub, exist_ok=True)
        h, w = rng.integers(20, 70, 2)
        base = rng.uniform(0, 255 * bright, 3)
        yy, xx = np.mgrid[0:h, 0:w]
        img = base + 60 * np.stack([np.sin(xx / (3 + i % 5)), np.cos(yy / (4 + i % 3)),
                                    np.sin((xx + yy) / 7)], -1) + rng.normal(0, 20, (h, w, 3))
        img = np.clip(img, 0, 255).astype(np.uint8)
        ext = ".bmp" if i % 7 == 0 else ".png"
        Image.fromarray(img).save(os.path.join(sub, f"img{i:03d}{ext}"))
    return root


def features(root):
    files = []
    for d, _, fs in os.walk(root):
        files += [os.path.relpath(os.path.join(d, f), root) for f in fs]
    feats = []
    for rel in sorted(files):
        im = Image.open(os.path.join(root, rel)).convert("RGB")
        a = np.asarray(im)
        chans = []
        for c in range(3):
            f = Image.fromarray(a[:, :, c].astype(np.float32), mode="F").resize((S, S), Image.BICUBIC)
            chans.append(np.clip(np.asarray(f), 0, 255))
        x = (np.stack(chans).astype(np.float64) / 255 - 0.5) / 0.5
        cell = S // G
        feats.append(x.reshape(3, G, cell, G, cell).mean((2, 4)).reshape(-1))
    return np.array(feats)


real = features(make_set("real", 0.6, 40))
fake = features(make_set("fake", 1.0, 35))
mu1, s1 = real.mean(0), np.cov(real, rowvar=False)
mu2, s2 = fake.mean(0), np.cov(fake, rowvar=False)
covmean = scipy.linalg.sqrtm(s1.dot(s2)).real
diff = mu1 - mu2
fd = diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
np.save(os.path.join(out, "fd.npy"), np.array([fd]))
np.save(os.path.join(out, "real_mu.npy"), mu1)
np.save(os.path.join(out, "real_sigma.npy"), s1)

cfg = """fidkit_config: 1
plugin: tiny_pool
variant: {v}
weights:
  random: 0
input:
  size: 32
  resize: clean
  crop: none
  scale: 0.00392156862745098
  mean: [0.5, 0.5, 0.5]
  std: [0.5, 0.5, 0.5]
output: pool
batch_size: 6
"""
open(os.path.join(out, "tiny_g4.yaml"), "w").write(cfg.format(v="g4"))
open(os.path.join(out, "tiny_g8.yaml"), "w").write(cfg.format(v="g8"))
