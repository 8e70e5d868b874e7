"""Fixtures for test_scale: two sample sets, an image folder with one file
that is not an image, the tiny_pool configs and a small sweep. The test's
reference for the moments is a two-pass mean and covariance (long double)
of the extracted rows, independent of the block tree."""
import os
import sys

import numpy as np
from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(19)
np.savez(os.path.join(out, "a.npz"), arr_0=rng.integers(0, 256, (50, 40, 36, 3), dtype=np.uint8))
np.savez(os.path.join(out, "b.npz"), arr_0=rng.integers(0, 256, (50, 40, 36, 3), dtype=np.uint8))

# 20 images of different heights; 015.png is garbage. With blocks of 4 and
# 2 ranks, rank 1 holds items 8..19, so rank 1 meets the bad file.
imgs = os.path.join(out, "imgs")
os.makedirs(imgs, exist_ok=True)
for i in range(20):
    px = rng.integers(0, 256, (30 + i, 34, 3), dtype=np.uint8)
    Image.fromarray(px).save(os.path.join(imgs, "%03d.png" % i))
with open(os.path.join(imgs, "015.png"), "wb") as f:
    f.write(b"this is not an image")

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
for v in ("g4", "g8"):
    with open(os.path.join(out, "tiny_%s.yaml" % v), "w") as f:
        f.write(cfg.format(v=v))

with open(os.path.join(out, "sweep.yaml"), "w") as f:
    f.write("""fidkit_sweep: 1
name: scale
real: a.npz
fake: b.npz
backbones: [tiny_g4.yaml]
metrics: [fid, kid]
n: 20
seed: 3
ci: bootstrap
replicates: 20
other: a.npz
axes:
  perturbation: [gaussian_noise, contamination]
  level: [0, 0.5, 1]
""")

# The same sweep over the folder holding a garbage file: under 2 ranks and
# blocks of 4, rank 1 meets it, so the error names rank 1 (it did extract).
with open(os.path.join(out, "sweep_bad.yaml"), "w") as f:
    f.write("""fidkit_sweep: 1
name: scale_bad
real: imgs
fake: b.npz
backbones: [tiny_g4.yaml]
metrics: [fid]
n: 20
seed: 3
axes:
  perturbation: [gaussian_noise]
  level: [0.5]
""")
