#!/usr/bin/python3
"""Reference for tests/test_loader.c.

The images are those of tests/ref/dataset.py (imported: same generator, same
seeds). What this adds, computed here with numpy from PIL's decoded pixels:
the loader's output with resize "none" and a per-channel normalisation,
y = (x * scale - mean[c]) / std[c] in float32, laid out NCHW - for the clean
set and for the good items of the folder with broken files.

usage: loader.py OUTDIR
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402

SCALE = np.float32(1 / 255)
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def normalise(pixels):
    """(N, H, W, 3) uint8 -> (N, 3, H, W) float32, as the C loader computes it."""
    x = pixels.astype(np.float32).transpose(0, 3, 1, 2)
    return ((x * SCALE - MEAN[None, :, None, None]) / STD[None, :, None, None]).astype(np.float32)


def main(out):
    os.makedirs(out, exist_ok=True)
    _names, pixels = dataset.make_images(out)
    np.save(os.path.join(out, "imgs_none.npy"), normalise(pixels))
    np.save(os.path.join(out, "imgs_none_inverted.npy"), normalise(255 - pixels))
    good = np.load(os.path.join(out, "bad_good_pixels.npy"))
    np.save(os.path.join(out, "bad_good_none.npy"), normalise(good))


if __name__ == "__main__":
    main(sys.argv[1])
