#!/usr/bin/python3
"""Reference for fidkit's perturbations (core/include/fidkit/perturb.h,
docs/perturbations.md), computed the independent way: scipy.ndimage for the
blur, skimage.transform.swirl (or, without skimage, the same formula in
NumPy, checked against skimage whenever it is installed), PIL for JPEG and
bicubic resizing, and the documented counter-based random draws rewritten in
Python (math.log / math.cos are the C library's functions, as in fidkit).

usage: perturb.py OUTDIR

Writes img_NAME.npy (H, W, 3) uint8 inputs, expected.npy (all expected outputs
concatenated, uint8), cases.txt (one line per case: kind level seed index
image offset), contamination.npy + contamination.txt (plans) and other.npy
(a small (N, H, W, 3) dataset for the contamination hook)."""
import io
import math
import os
import sys

import numpy as np
import scipy.ndimage as ndi
from PIL import Image

M64 = 0xFFFFFFFFFFFFFFFF
G = 0x9E3779B97F4A7C15
KINDS = {"none": 0, "gaussian_noise": 1, "gaussian_blur": 2, "black_rectangles": 3,
         "swirl": 4, "salt_and_pepper": 5, "contamination": 6, "jpeg": 7,
         "downscale_upscale": 8}


# ---- the counter-based draws (perturb.h) ------------------------------------
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def h(x):
    return mix((x + G) & M64)


def key_of(seed, index, kind):
    return h(h(h(seed) ^ index) ^ KINDS[kind])


def draw(key, k):
    return mix((key + (k + 1) * G) & M64)


def draws(key, count):
    """draw(key, 0..count-1) as a uint64 array (numpy wraps mod 2^64)."""
    k = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(key) + k * np.uint64(G)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


def uniforms(d):
    return (d >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def round_clip(v):
    """Half away from zero, then clipped to 0..255 (negatives clip to 0)."""
    f = np.floor(v)
    r = f + ((v - f) >= 0.5)
    r = np.where(v < 0, 0.0, r)
    return np.clip(r, 0, 255).astype(np.uint8)


# ---- the perturbations -------------------------------------------------------
def gaussian_noise(x, level, seed, index):
    n = x.size
    u = uniforms(draws(key_of(seed, index, "gaussian_noise"), 2 * n))
    u1 = 1.0 - u[0::2]
    u2 = u[1::2]
    z = np.array([math.sqrt(-2.0 * math.log(a)) * math.cos(6.283185307179586 * b)
                  for a, b in zip(u1.tolist(), u2.tolist())])
    noise = 127.5 + 21.25 * z
    v = (1.0 - level) * x.reshape(-1).astype(np.float64) + level * noise
    return round_clip(v).reshape(x.shape)


def salt_and_pepper(x, level, seed, index):
    H, W, _ = x.shape
    d = draws(key_of(seed, index, "salt_and_pepper"), H * W)
    hit = uniforms(d) < level
    white = (d & np.uint64(1)) == 1
    y = x.reshape(-1, 3).copy()
    y[hit & white] = 255
    y[hit & ~white] = 0
    return y.reshape(x.shape)


def black_rectangles(x, level, seed, index):
    H, W, _ = x.shape
    rh, rw = int(math.floor(level * H)), int(math.floor(level * W))
    y = x.copy()
    if rh < 1 or rw < 1:
        return y
    key = key_of(seed, index, "black_rectangles")
    for r in range(5):  # TTUR's five rectangles
        top = draw(key, 2 * r) % (H - rh + 1)
        left = draw(key, 2 * r + 1) % (W - rw + 1)
        y[top:top + rh, left:left + rw] = 0
    return y


def gaussian_blur(x, level):
    s = 4.0 * level
    v = ndi.gaussian_filter(x.astype(np.float64), sigma=(s, s, 0), mode="nearest",
                            truncate=4.0)
    if sk_gaussian is not None:  # TTUR's call, with skimage's defaults
        t = sk_gaussian(x, sigma=s, channel_axis=-1, preserve_range=True)
        assert np.abs(t - v).max() < 1e-9, "scipy blur disagrees with skimage.filters.gaussian"
        skimage_checked[0] += 1
    return round_clip(v)


def swirl_numpy(plane, center, strength, radius):
    """skimage.transform.swirl(order=1, mode='reflect') rewritten: inverse
    mapping, ndimage 'mirror' edges, order-1 spline weights."""
    H, W = plane.shape
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    x0, y0 = center
    rho = np.sqrt((x - x0) ** 2 + (y - y0) ** 2)
    rr = radius / 5 * np.log(2)
    theta = strength * np.exp(-rho / rr) + np.arctan2(y - y0, x - x0)
    sx = x0 + rho * np.cos(theta)
    sy = y0 + rho * np.sin(theta)

    def mirror(c, n):
        if n <= 1:
            return np.zeros_like(c)
        p = 2 * n - 2
        c = np.abs(c) % p  # symmetric about 0, period 2n-2
        return np.where(c > n - 1, p - c, c)

    cy, cx = mirror(sy, H), mirror(sx, W)
    fy, fx = np.floor(cy), np.floor(cx)
    r0, c0 = fy.astype(int), fx.astype(int)
    r1, c1 = np.minimum(r0 + 1, H - 1), np.minimum(c0 + 1, W - 1)
    wy0 = 1.0 - (cy - fy)
    wx0 = 1.0 - (cx - fx)
    wy1, wx1 = 1.0 - wy0, 1.0 - wx0
    p = plane.astype(np.float64)
    return (p[r0, c0] * wy0 * wx0 + p[r0, c1] * wy0 * wx1 + p[r1, c0] * wy1 * wx0
            + p[r1, c1] * wy1 * wx1)


try:
    from skimage.filters import gaussian as sk_gaussian
    from skimage.transform import swirl as sk_swirl
except ImportError:  # tools/install-deps.sh installs python3-skimage
    sk_gaussian = sk_swirl = None

swirl_checked = [0]
skimage_checked = [0]


def swirl(x, level, seed, index):
    H, W, _ = x.shape
    u0 = float(uniforms(draws(key_of(seed, index, "swirl"), 1))[0])
    strength = (-1.0 if u0 < 0.5 else 1.0) * level * 4.0
    radius = 70.0 / 64.0 * min(H, W)
    center = (W // 2, H // 2)
    out = np.empty(x.shape, np.float64)
    for c in range(3):
        plane = x[..., c].astype(np.float64)
        mine = swirl_numpy(plane, center, strength, radius)
        if sk_swirl is not None:
            ref = sk_swirl(plane, center=center, strength=strength, radius=radius,
                           rotation=0, order=1, mode="reflect", preserve_range=True)
            assert np.abs(ref - mine).max() < 1e-9, "numpy swirl disagrees with skimage"
            swirl_checked[0] += 1
            out[..., c] = ref
        else:
            out[..., c] = mine
    return round_clip(out)


def jpeg(x, level):
    q = int(math.floor(100.0 - 99.0 * level + 0.5))
    buf = io.BytesIO()
    Image.fromarray(x).save(buf, "JPEG", quality=q)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def downscale_upscale(x, level):
    H, W, _ = x.shape
    f = 1.0 + level * 7.0

    def side(s):
        return min(max(int(math.floor(s / f + 0.5)), 1), s)

    dw, dh = side(W), side(H)
    im = Image.fromarray(x)
    if (dw, dh) == (W, H):
        return x.copy()
    return np.asarray(im.resize((dw, dh), Image.BICUBIC).resize((W, H), Image.BICUBIC))


def apply(kind, x, level, seed, index):
    if level == 0.0:
        return x.copy()
    if kind == "gaussian_noise":
        return gaussian_noise(x, level, seed, index)
    if kind == "salt_and_pepper":
        return salt_and_pepper(x, level, seed, index)
    if kind == "black_rectangles":
        return black_rectangles(x, level, seed, index)
    if kind == "swirl":
        return swirl(x, level, seed, index)
    if kind == "gaussian_blur":
        return gaussian_blur(x, level)
    if kind == "jpeg":
        return jpeg(x, level)
    if kind == "downscale_upscale":
        return downscale_upscale(x, level)
    raise ValueError(kind)


# ---- contamination: fk_rng (rng.h) in Python --------------------------------
class Rng:
    def __init__(self, seed):
        z, self.s = seed, []
        for _ in range(4):
            z = (z + G) & M64
            self.s.append(mix(z))

    def next(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M64
        out = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def below(self, n):
        m = self.next() * n
        if (m & M64) < n:
            t = ((1 << 64) - n) % n
            while (m & M64) < t:
                m = self.next() * n
        return m >> 64


def contamination_plan(seed, level, n, n_other):
    src = [-1] * n
    k = int(math.floor(level * n + 0.5))
    if k == 0:
        return src
    r = Rng(seed)
    a = list(range(n))
    for i in range(k):
        j = i + r.below(n - i)
        a[i], a[j] = a[j], a[i]
    chosen = a[:k]
    perm = list(range(n_other))
    for i in range(n_other - 1, 0, -1):
        j = r.below(i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    for j, i in enumerate(chosen):
        src[i] = perm[j % n_other]
    return src


# ---- fixtures ----------------------------------------------------------------
def make_image(h, w, seed):
    """Smooth colour gradients, a few hard edges and mild noise: enough
    structure for blur, JPEG and resizing to act on."""
    g = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3))
    for c in range(3):
        fx, fy = g.uniform(0.05, 0.4, 2)
        img[..., c] = 128 + 90 * np.sin(fx * x + c) * np.cos(fy * y - c)
    img[h // 3: h // 2, w // 4: w // 2] = g.uniform(0, 255, 3)
    img += g.normal(0, 12, img.shape)
    img[0, 0] = 0
    img[-1, -1] = 255
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    images = {"odd": make_image(29, 37, 1), "wide": make_image(48, 64, 2),
              "tiny": make_image(5, 3, 3)}
    for name, x in images.items():
        np.save(os.path.join(out, "img_%s.npy" % name), x)

    levels = [0.0, 0.1, 0.25, 0.5, 1.0]
    seeded = [(0, 0), (12345, 7)]
    lines, chunks, offset = [], [], 0
    for kind in ["gaussian_noise", "gaussian_blur", "black_rectangles", "swirl",
                 "salt_and_pepper", "jpeg", "downscale_upscale"]:
        random = kind in ("gaussian_noise", "black_rectangles", "swirl", "salt_and_pepper")
        for name, x in images.items():
            extra = {"jpeg": [0.003, 0.77], "downscale_upscale": [0.77]}.get(kind, [])
            for level in levels + extra:
                for seed, index in (seeded if random else seeded[:1]):
                    y = apply(kind, x, level, seed, index)
                    assert y.shape == x.shape and y.dtype == np.uint8
                    # A case the identity would pass proves nothing.
                    if level >= 0.25 and name != "tiny":
                        assert not np.array_equal(x, y), (kind, level, name)
                    lines.append("%s %r %d %d %s %d" % (kind, level, seed, index, name, offset))
                    chunks.append(y.reshape(-1))
                    offset += y.size
    np.save(os.path.join(out, "expected.npy"), np.concatenate(chunks))
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    plans, plines, off = [], [], 0
    for seed, level, n, n_other in [(0, 0.25, 20, 50), (99, 0.5, 37, 5), (7, 1.0, 10, 10),
                                    (3, 0.0, 10, 4), (2020, 0.75, 1000, 300)]:
        src = contamination_plan(seed, level, n, n_other)
        assert sum(s >= 0 for s in src) == int(math.floor(level * n + 0.5))
        plans.append(np.array(src, dtype=np.int64))
        plines.append("%d %r %d %d %d" % (seed, level, n, n_other, off))
        off += n
    np.save(os.path.join(out, "contamination.npy"), np.concatenate(plans))
    with open(os.path.join(out, "contamination.txt"), "w") as f:
        f.write("\n".join(plines) + "\n")
    other = np.stack([make_image(12, 12, 100 + i) for i in range(6)])
    np.save(os.path.join(out, "other.npy"), other)
    np.save(os.path.join(out, "loader.npy"),
            np.stack([make_image(16, 16, 200 + i) for i in range(9)]))
    print("perturb reference: %d cases, %d contamination plans; checked against skimage: "
          "swirl on %d planes, blur on %d images" % (len(lines), len(plans), swirl_checked[0],
                                                      skimage_checked[0]))


if __name__ == "__main__":
    main()
