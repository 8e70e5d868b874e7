"""PIL's side of bench/decode_resize_bench.c, and the fixture maker.

  decode_resize_bench.py make FILE.jpg     writes a 256x256 JPEG, quality 90
  decode_resize_bench.py time FILE.jpg N   decodes it as every peer does
                                           (Image.open(f).convert('RGB')) and
                                           resizes it as clean-fid does, N
                                           times; prints the median decode and
                                           resize milliseconds (process CPU
                                           time, one core) on the last line."""
import io
import sys
import time

import numpy as np
from PIL import Image


def make(path):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:256, 0:256]
    img = np.stack([128 + 100 * np.sin(xx / 9.0), 128 + 90 * np.cos(yy / 13.0),
                    128 + 80 * np.sin((xx + yy) / 17.0)], -1) + rng.normal(0, 12, (256, 256, 3))
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=90)


def clean_resize(img, size):
    chans = []
    for c in range(3):
        ch = Image.fromarray(img[:, :, c].astype(np.float32), mode="F")
        chans.append(np.asarray(ch.resize((size, size), resample=Image.BICUBIC)))
    return np.clip(np.stack(chans, axis=2), 0, 255)


def timeit(path, n):
    data = open(path, "rb").read()
    dec, res = [], []
    for _ in range(n):
        t0 = time.process_time()
        img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        t1 = time.process_time()
        clean_resize(img, 299)
        t2 = time.process_time()
        dec.append(t1 - t0)
        res.append(t2 - t1)
    print(f"{1e3 * np.median(dec):.4f} {1e3 * np.median(res):.4f}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        timeit(sys.argv[2], int(sys.argv[3]))
