"""Reference for tests/test_resize.c: every resize convention computed the
way the field computes it (Pillow, torch, torchvision, a NumPy TF1 rule).

Usage: /usr/bin/python3 tests/ref/resize.py OUTDIR
Writes OUTDIR/resize_cases.bin (little-endian):
  b"FKRSZ001", u32 ncases, then per case:
  char name[48], i32 mode, i32 center_crop, i32 size, i32 w, i32 h,
  i32 normalise, f32 scale, f32 mean[3], f32 std[3], f32 atol,
  u8 image[h*w*3] (HWC), f32 expected[3*size*size] (CHW)
Modes use fidkit's enum: clean 0, legacy_pytorch 1, legacy_tensorflow 2,
pil_bicubic 3, torch_bicubic_aa 5 (4 is none, not resampled).
"""
import os
import struct
import sys

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

CLEAN, TORCH, TFLOW, PILU8, TORCHAA = 0, 1, 2, 3, 5
# torch_bicubic_aa: fidkit computes the filter weights in float32 as torch
# does, but not in torch's exact sequence of float/double roundings: weights
# differ by up to ~5e-7 (a few float ulps; measured on the identity), which on
# the 0..255 scale is up to ~2.5e-4 (1e-6 relative). Hence 3e-4.
ATOL = {CLEAN: 1e-3, TORCH: 1e-4, TFLOW: 1e-4, PILU8: 0.0, TORCHAA: 3e-4}


def resized_size(w, h, size, crop):
    """(new_w, new_h) before the crop, by torchvision's own rule."""
    if not crop:
        return size, size
    new_h, new_w = TF._compute_resized_output_size((h, w), [size])
    return new_w, new_h


def crop_chw(chw, size):
    return TF.center_crop(torch.from_numpy(np.ascontiguousarray(chw)), [size, size]).numpy()


def ref_clean(img, size, crop):
    """clean-fid: PIL BICUBIC per channel in 'F' mode, clipped, not rounded."""
    h, w = img.shape[:2]
    nw, nh = resized_size(w, h, size, crop)
    chans = []
    for c in range(3):
        ch = Image.fromarray(img[:, :, c].astype(np.float32), mode="F")
        chans.append(np.asarray(ch.resize((nw, nh), resample=Image.BICUBIC)))
    chw = np.clip(np.stack(chans), 0, 255).astype(np.float32)
    return crop_chw(chw, size) if crop else chw


def ref_pil_u8(img, size, crop):
    """torchvision on a PIL image: Resize(BICUBIC) (+ CenterCrop), uint8."""
    pil = Image.fromarray(img, mode="RGB")
    if crop:
        tr = T.Compose([T.Resize(size, interpolation=T.InterpolationMode.BICUBIC),
                        T.CenterCrop(size)])
        out = np.asarray(tr(pil))
    else:
        out = np.asarray(pil.resize((size, size), resample=Image.BICUBIC))
    return out.transpose(2, 0, 1).astype(np.float32)


def ref_torch(img, size, crop):
    """pytorch-fid: F.interpolate bilinear, align_corners=False, no antialias."""
    h, w = img.shape[:2]
    nw, nh = resized_size(w, h, size, crop)
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    y = torch.nn.functional.interpolate(x, size=(nh, nw), mode="bilinear",
                                        align_corners=False)[0].numpy()
    return crop_chw(y, size) if crop else y


def ref_torch_aa(img, size, crop):
    """EDM2: F.interpolate(x.float(), bicubic, antialias=True), not clipped."""
    h, w = img.shape[:2]
    nw, nh = resized_size(w, h, size, crop)
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    y = torch.nn.functional.interpolate(x, size=(nh, nw), mode="bicubic",
                                        align_corners=False, antialias=True)[0].numpy()
    return crop_chw(y, size) if crop else y


def tf1_axis(n_in, n_out):
    """TF1 resize_bilinear positions: src = dst * (in / out) in float32, no
    half-pixel offset, the upper neighbour clamped at in - 1."""
    scale = np.float32(n_in) / np.float32(n_out)
    src = np.arange(n_out, dtype=np.float32) * scale
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (src - np.floor(src)).astype(np.float32)


def ref_tf(img, size, crop):
    h, w = img.shape[:2]
    nw, nh = resized_size(w, h, size, crop)
    x = img.astype(np.float32)
    ly, hy, fy = tf1_axis(h, nh)
    lx, hx, fx = tf1_axis(w, nw)
    fx = fx[None, :, None]
    top = x[ly][:, lx] + (x[ly][:, hx] - x[ly][:, lx]) * fx
    bot = x[hy][:, lx] + (x[hy][:, hx] - x[hy][:, lx]) * fx
    y = top + (bot - top) * fy[:, None, None]
    y = y.transpose(2, 0, 1)
    return crop_chw(y, size) if crop else y


REF = {CLEAN: ref_clean, PILU8: ref_pil_u8, TORCH: ref_torch, TFLOW: ref_tf,
       TORCHAA: ref_torch_aa}


def make_image(kind, w, h, rng):
    yy, xx = np.mgrid[0:h, 0:w]
    if kind == "random":
        return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    if kind == "gradient":
        r = 255.0 * xx / max(w - 1, 1)
        g = 255.0 * yy / max(h - 1, 1)
        b = 127.5 + 127.5 * np.sin(xx * 0.3 + yy * 0.2)
        return np.stack([r, g, b], -1).round().astype(np.uint8)
    if kind == "checker":  # the highest frequency: stresses ringing and clipping
        v = ((xx + yy) % 2) * 255
        return np.stack([v, 255 - v, (xx % 3 == 0) * 255], -1).astype(np.uint8)
    if kind == "blocks":  # hard edges between extremes
        v = ((xx // 5 + yy // 7) % 2) * 255
        return np.stack([v, v // 2, 255 - v], -1).astype(np.uint8)
    raise ValueError(kind)


# (w, h, size, image kind): up, down, odd, 1xN, Nx1, identity, extreme ratios.
PLAIN = [
    (256, 256, 299, "random"),
    (200, 256, 120, "gradient"),
    (64, 64, 64, "random"),  # identity
    (384, 288, 100, "checker"),
    (37, 53, 17, "random"),
    (1, 1, 299, "random"),
    (3, 1000, 299, "blocks"),
    (1000, 7, 224, "random"),
    (1, 50, 32, "gradient"),
    (50, 1, 32, "random"),
    (300, 200, 64, "checker"),
    (64, 64, 7, "blocks"),
    (7, 7, 64, "checker"),
    (65, 64, 64, "random"),  # identity on one axis
    (2, 2, 3, "random"),
    (400, 300, 5, "gradient"),
    (6000, 2, 3, "random"),  # thousands of taps per output: summation error
    (2, 6000, 3, "gradient"),
]
# (w, h, size, kind) for center_crop: both orientations, odd offsets that
# Python rounds half to even (67 - 64 = 3 -> 2; 65 - 64 = 1 -> 0;
# 147 - 64 = 83 -> 42).
CROP = [
    (400, 300, 100, "random"),
    (300, 400, 100, "gradient"),
    (65, 150, 64, "random"),
    (64, 67, 64, "blocks"),
    (65, 64, 64, "random"),
    (64, 64, 64, "random"),
    (1, 1000, 32, "gradient"),
    (1000, 3, 16, "random"),
    (33, 17, 160, "checker"),
    (320, 240, 96, "random"),
]
NORMS = [  # (label, scale, mean, std)
    ("pytorch-fid", 1 / 255, (0.5,) * 3, (0.5,) * 3),
    ("tf", 1.0, (128.0,) * 3, (128.0,) * 3),
    ("clip", 1 / 255, (0.48145466, 0.4578275, 0.40821073),
     (0.26862954, 0.26130258, 0.27577711)),
]
MODE_NAMES = {CLEAN: "clean", TORCH: "torch", TFLOW: "tf", PILU8: "pil8",
              TORCHAA: "torchaa"}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261123)
    cases = []
    for mode in (CLEAN, PILU8, TORCH, TFLOW, TORCHAA):
        for crop, table in ((0, PLAIN), (1, CROP)):
            for (w, h, size, kind) in table:
                img = make_image(kind, w, h, rng)
                exp = REF[mode](img, size, crop)
                name = "%s %s%dx%d->%d %s" % (MODE_NAMES[mode], "crop " if crop else "",
                                              w, h, size, kind)
                cases.append((name, mode, crop, size, img, exp, None))
    # Normalisation on top of each convention (fk_preprocess_image).
    for i, mode in enumerate((CLEAN, PILU8, TORCH, TFLOW, TORCHAA)):
        label, scale, mean, std = NORMS[i % len(NORMS)]
        img = make_image("random", 120, 90, rng)
        r = REF[mode](img, 64, 0).astype(np.float64)
        m = np.array(mean)[:, None, None]
        s = np.array(std)[:, None, None]
        exp = (r * np.float32(scale) - m) / s
        cases.append(("%s norm %s" % (MODE_NAMES[mode], label), mode, 0, 64, img, exp,
                      (scale, mean, std)))

    path = os.path.join(out, "resize_cases.bin")
    with open(path + ".tmp", "wb") as f:
        f.write(b"FKRSZ001" + struct.pack("<I", len(cases)))
        for name, mode, crop, size, img, exp, norm in cases:
            h, w = img.shape[:2]
            assert exp.shape == (3, size, size), (name, exp.shape)
            atol = ATOL[mode]
            if norm:
                scale, mean, std = norm
                atol = atol * scale / min(std) + 1e-5
            else:
                scale, mean, std = 1.0, (0.0,) * 3, (1.0,) * 3
            f.write(name.encode()[:47].ljust(48, b"\0"))
            f.write(struct.pack("<6i", mode, crop, size, w, h, 1 if norm else 0))
            f.write(struct.pack("<8f", scale, *mean, *std, atol))
            f.write(np.ascontiguousarray(img, dtype=np.uint8).tobytes())
            f.write(np.ascontiguousarray(exp, dtype="<f4").tobytes())
    os.replace(path + ".tmp", path)
    print("wrote %d cases to %s" % (len(cases), path))


if __name__ == "__main__":
    main()
