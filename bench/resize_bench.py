"""PIL's side of bench/resize_bench.c: clean-fid's resize (PIL BICUBIC per
channel in 'F' mode, then clip) of the raw HWC uint8 image in argv[1]
(argv[2] x argv[3] pixels) to argv[4], timed in process CPU time on one
core. Prints the median milliseconds per image on the last line."""
import sys
import time

import numpy as np
from PIL import Image


def clean_resize(img, size):
    chans = []
    for c in range(3):
        ch = Image.fromarray(img[:, :, c].astype(np.float32), mode="F")
        chans.append(np.asarray(ch.resize((size, size), resample=Image.BICUBIC)))
    return np.clip(np.stack(chans, axis=2), 0, 255)


def main():
    path, w, h, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    img = np.fromfile(path, dtype=np.uint8).reshape(h, w, 3)
    for _ in range(20):
        clean_resize(img, size)
    times = []
    for _ in range(200):
        t = time.process_time()
        clean_resize(img, size)
        times.append(time.process_time() - t)
    print("%.4f" % (1e3 * float(np.median(times))))


if __name__ == "__main__":
    main()
