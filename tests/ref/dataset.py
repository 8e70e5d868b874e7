#!/usr/bin/python3
"""Reference for tests/test_dataset.c (and, imported, tests/ref/loader.py).

Writes the same images as a folder, a zip, .npz (np.savez and
np.savez_compressed) and .npy, plus a list file, CSV and JSONL manifests,
broken files, and the expected results computed independently here:
decoded pixels with PIL's Image.open(f).convert("RGB"), the order with
Python's sorted() over os.walk, the captions, and the seeded subsets with a
separate implementation of the documented algorithm (splitmix64 + selection
sampling).

usage: dataset.py OUTDIR
"""
import io
import json
import os
import random
import shutil
import struct
import sys
import zipfile

import numpy as np
from PIL import Image

EXTS = {"bmp", "jpg", "jpeg", "png", "ppm", "pgm", "tga", "gif", "tif", "tiff", "webp"}
SIDE = 16  # the `imgs` set is square so that the loader can use resize "none"

# Relative paths chosen to exercise the bytewise order: upper case before
# lower case, '-' < '.' < '/', digits as text, spaces, mixed-case extensions,
# and one file per decoder-friendly lossless format.
IMGS = [
    ("a.png", "RGB"), ("A2.PNG", "RGB"), ("b-x.png", "RGB"), ("b.png", "RGB"),
    ("b/img10.png", "RGB"), ("b/img2.png", "RGB"), ("b/c/deep.Bmp", "RGB"),
    ("b/c/deeper.bmp", "RGB"), ("Z/top.TGA", "RGB"), ("Z/top2.tga", "RGB"),
    ("sub dir/space name.ppm", "RGB"), ("sub dir/grey.pgm", "L"),
    ("x/rgba.png", "RGBA"), ("x/pal.png", "P"), ("x/grey.png", "L"), ("x/la.png", "LA"),
    ("x/y/z/w.Png", "RGB"), ("x/y/anim.gif", "P"), ("x/y/lossless.webp", "RGB"),
    ("x/y/flat.tif", "RGB"), ("x/y/flat2.TIFF", "RGB"), ("x/y/z/q.ppm", "RGB"),
    ("0lead.png", "RGB"), ("~tilde.png", "RGB"),
]
NOT_IMAGES = ["notes.txt", "b/readme", "x/fake.png.txt", "x/noext", ".png", "b/c/x.pngx"]

# Mixed sizes (h, w) for the resize path.
MIXED = [("m/a.png", (7, 5)), ("m/b/b.png", (16, 12)), ("m/b/c.bmp", (9, 31)),
         ("m/d.PNG", (40, 3)), ("m/e.ppm", (1, 1)), ("m/f/g.png", (23, 17)),
         ("m/f/h.tga", (12, 30)), ("m/z.png", (33, 33))]

CAPTIONS = [
    ("imgs/a.png", "a plain caption"),
    ("imgs/b/img2.png", "commas, inside, a caption"),
    ("imgs/x/rgba.png", 'she said "hello", then left'),
    ("imgs/sub dir/space name.ppm", "two\nlines"),
    ("imgs/Z/top.TGA", "crlf\r\ninside and ü unicode ✓"),
    ("imgs/b.png", ""),
    ("imgs/x/y/z/q.ppm", '"fully quoted"'),
    ("imgs/a.png", "the same image again, a second caption"),
    ("imgs/x/grey.png", "  leading and trailing spaces  "),
    ("imgs/x/la.png", ","),
    ("imgs/~tilde.png", "a lone\rcarriage return, and a tab\there"),
    ("imgs/0lead.png", '""'),
]

LIST_LINES = [
    "# a list file: comments and blank lines are ignored",
    "",
    "imgs/x/pal.png",
    "   imgs/a.png   ",
    "\t",
    "imgs/sub dir/space name.ppm",
    "  # indented comment",
    "imgs/b/c/deep.Bmp\r",
    "imgs/a.png",
]

SUBSETS = [(7, 1), (7, 2), (7, 12345678901234567890), (1, 0), (23, 3)]


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return state, z ^ (z >> 31)


def select_subset(n, k, seed):
    """Knuth's Algorithm S with an unbiased integer draw in [0, n - i)."""
    state, out, need = seed, [], k
    for i in range(n):
        if need == 0:
            break
        bound = n - i
        reject_below = (1 << 64) % bound
        while True:
            state, r = splitmix64(state)
            if r >= reject_below:
                break
        if r % bound < need:
            out.append(i)
            need -= 1
    return out


def random_image(rng, h, w, mode):
    rgb = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    if mode == "RGB":
        return Image.fromarray(rgb, "RGB")
    if mode == "RGBA":
        a = rng.integers(0, 256, size=(h, w, 1), dtype=np.uint8)
        return Image.fromarray(np.concatenate([rgb, a], axis=2), "RGBA")
    if mode == "L":
        return Image.fromarray(rgb[:, :, 0], "L")
    if mode == "LA":
        return Image.fromarray(rgb[:, :, :2], "LA")
    if mode == "P":
        return Image.fromarray(rgb, "RGB").quantize(colors=37)
    raise ValueError(mode)


def save(im, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ext = path.rsplit(".", 1)[1].lower()
    fmt = {"png": "PNG", "bmp": "BMP", "tga": "TGA", "ppm": "PPM", "pgm": "PPM",
           "gif": "GIF", "webp": "WEBP", "tif": "TIFF", "tiff": "TIFF"}[ext]
    kw = {"lossless": True} if fmt == "WEBP" else {}
    im.save(path, format=fmt, **kw)


def pil_rgb(path):
    with Image.open(path) as f:
        return np.asarray(f.convert("RGB"))


def walk_sorted(root):
    """Relative paths of image files under root, as Python sorts them."""
    rel = []
    for d, _dirs, files in os.walk(root):
        for f in files:
            if "." in f[1:] and f.rsplit(".", 1)[1].lower() in EXTS:
                rel.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(rel)


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def make_images(out):
    """The folders shared with loader.py: imgs/, mixed/, bad/ and imgs.zip,
    imgs.npz, imgs_c.npz, imgs.npy. Returns (sorted names, pixels)."""
    rng = np.random.default_rng(20240601)
    imgs = os.path.join(out, "imgs")
    shutil.rmtree(imgs, ignore_errors=True)
    for rel, mode in IMGS:
        save(random_image(rng, SIDE, SIDE, mode), os.path.join(imgs, rel))
    for rel in NOT_IMAGES:
        p = os.path.join(imgs, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write("not an image\n")
    # A link loop: b/c/loop -> b. The walk must neither hang nor list twice.
    os.symlink("..", os.path.join(imgs, "b/c/loop"))

    names = walk_sorted(imgs)
    assert len(names) == len(IMGS), names
    pixels = np.stack([pil_rgb(os.path.join(imgs, n)) for n in names])
    write_lines(os.path.join(out, "imgs_names.txt"), names)
    np.save(os.path.join(out, "imgs_pixels.npy"), pixels)

    # The zip: members in a shuffled order, with directory entries and
    # non-image members that must be ignored.
    order = list(names) + NOT_IMAGES
    random.Random(7).shuffle(order)
    with zipfile.ZipFile(os.path.join(out, "imgs.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("b/", b"")
        z.writestr("x/y/", b"")
        for rel in order:
            z.write(os.path.join(imgs, rel), rel)

    np.savez(os.path.join(out, "imgs.npz"), pixels)
    np.savez_compressed(os.path.join(out, "imgs_c.npz"), pixels)
    np.save(os.path.join(out, "imgs.npy"), pixels)

    # Mixed sizes.
    mixed = os.path.join(out, "mixed")
    shutil.rmtree(mixed, ignore_errors=True)
    for rel, (h, w) in MIXED:
        save(random_image(rng, h, w, "RGB"), os.path.join(mixed, rel))
    mnames = walk_sorted(mixed)
    write_lines(os.path.join(out, "mixed_names.txt"), mnames)
    mpix = [pil_rgb(os.path.join(mixed, n)) for n in mnames]
    np.save(os.path.join(out, "mixed_pixels.npy"),
            np.concatenate([p.reshape(-1) for p in mpix]))
    np.save(os.path.join(out, "mixed_shapes.npy"),
            np.array([p.shape[:2] for p in mpix], dtype=np.int64))

    # Broken files among good ones: a truncated PNG, text named .bmp, an
    # empty .png.
    bad = os.path.join(out, "bad")
    shutil.rmtree(bad, ignore_errors=True)
    os.makedirs(bad)
    good = []
    for k in range(8):
        p = os.path.join(bad, "%02d.png" % k)
        save(random_image(rng, SIDE, SIDE, "RGB"), p)
    with open(os.path.join(bad, "02.png"), "rb") as f:
        data = f.read()
    with open(os.path.join(bad, "02.png"), "wb") as f:
        f.write(data[: len(data) // 3])
    with open(os.path.join(bad, "05.bmp"), "w") as f:
        f.write("this is text, not a bitmap\n")
    open(os.path.join(bad, "06.png"), "wb").close()
    bnames = walk_sorted(bad)
    broken = {"02.png", "05.bmp", "06.png"}
    good = [i for i, n in enumerate(bnames) if n not in broken]
    write_lines(os.path.join(out, "bad_names.txt"), bnames)
    write_lines(os.path.join(out, "bad_broken.txt"), [n for n in bnames if n in broken])
    np.save(os.path.join(out, "bad_good_index.npy"), np.array(good, dtype=np.int64))
    np.save(os.path.join(out, "bad_good_pixels.npy"),
            np.stack([pil_rgb(os.path.join(bad, bnames[i])) for i in good]))
    return names, pixels


def npy_bytes(arr):
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


def main(out):
    os.makedirs(out, exist_ok=True)
    names, pixels = make_images(out)
    index_of = {"imgs/" + n: i for i, n in enumerate(names)}
    rng = np.random.default_rng(99)

    # Array variants.
    n = 5
    gray = rng.integers(0, 256, size=(n, 6, 9), dtype=np.uint8)
    np.save(os.path.join(out, "gray.npy"), gray)
    np.save(os.path.join(out, "gray_rgb.npy"), np.repeat(gray[..., None], 3, axis=3))
    c1 = rng.integers(0, 256, size=(n, 7, 4, 1), dtype=np.uint8)
    np.save(os.path.join(out, "c1.npy"), c1)
    np.save(os.path.join(out, "c1_rgb.npy"), np.repeat(c1, 3, axis=3))
    rgba = rng.integers(0, 256, size=(n, 5, 8, 4), dtype=np.uint8)
    np.savez(os.path.join(out, "rgba.npz"), rgba)
    np.save(os.path.join(out, "rgba_rgb.npy"), np.ascontiguousarray(rgba[..., :3]))
    np.savez(os.path.join(out, "named.npz"), labels=np.arange(len(names)), samples=pixels)
    np.save(os.path.join(out, "float.npy"), pixels.astype(np.float32))
    np.save(os.path.join(out, "two_channels.npy"), pixels[..., :2].copy())
    raw = npy_bytes(pixels)
    with open(os.path.join(out, "trunc.npy"), "wb") as f:
        f.write(raw[: len(raw) - SIDE * SIDE * 3 - 100])
    # A stored .npz member truncated the same way (consistent zip metadata).
    with zipfile.ZipFile(os.path.join(out, "trunc.npz"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("arr_0.npy", raw[: len(raw) - 1000])
    with zipfile.ZipFile(os.path.join(out, "trunc_c.npz"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("arr_0.npy", raw[: len(raw) - 1000])
    # Deflated data damaged in the middle (the zip directory intact): opens,
    # then fails at some row, which must be named.
    with open(os.path.join(out, "imgs_c.npz"), "rb") as f:
        dam = bytearray(f.read())
    for k in range(len(dam) * 2 // 5, len(dam) * 3 // 5, 7):
        dam[k] ^= 0x5A
    with open(os.path.join(out, "damaged_c.npz"), "wb") as f:
        f.write(dam)

    # List file (its expected order is the order written).
    with open(os.path.join(out, "list.txt"), "w", newline="") as f:
        for line in LIST_LINES:
            f.write(line + "\n")  # the line ending in \r gives a CRLF line
        f.write(os.path.join(out, "imgs", "x/y/z/q.ppm"))  # absolute, no final newline
    entries = [l.strip() for l in LIST_LINES if l.strip() and not l.strip().startswith("#")]
    entries.append(os.path.join(out, "imgs", "x/y/z/q.ppm"))
    write_lines(os.path.join(out, "list_expected.txt"), entries)
    np.save(os.path.join(out, "list_index.npy"), np.array(
        [index_of[e] if not e.startswith("/") else index_of["imgs/x/y/z/q.ppm"]
         for e in entries], dtype=np.int64))

    # Manifests: CSV through Python's csv writer (minimal quoting, CRLF rows),
    # with the caption column before the image column and an extra column.
    import csv
    with open(os.path.join(out, "captions.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "caption", "image", "extra"])
        for k, (img, cap) in enumerate(CAPTIONS):
            w.writerow([k, cap, img, "x,y" if k % 2 else ""])
        f.write("\r\n")  # a trailing blank line is ignored
    with open(os.path.join(out, "captions.jsonl"), "w", encoding="utf-8") as f:
        for k, (img, cap) in enumerate(CAPTIONS):
            f.write(json.dumps({"id": k, "image": img, "caption": cap}) + "\n")
            if k == 3:
                f.write("\n")
    with open(os.path.join(out, "captions_expected.bin"), "wb") as f:
        for _img, cap in CAPTIONS:
            b = cap.encode("utf-8")
            f.write(struct.pack("<I", len(b)) + b)
    np.save(os.path.join(out, "captions_index.npy"),
            np.array([index_of[img] for img, _ in CAPTIONS], dtype=np.int64))
    with open(os.path.join(out, "bad_header.csv"), "w") as f:
        f.write("file,text\nimgs/a.png,hello\n")
    with open(os.path.join(out, "bad_quote.csv"), "w") as f:
        f.write('image,caption\nimgs/a.png,"never closed\n')
    with open(os.path.join(out, "bad_line.jsonl"), "w") as f:
        f.write('{"image": "imgs/a.png", "caption": "ok"}\n{"image": 3}\n')

    # Seeded subsets, from this independent implementation.
    for k, seed in SUBSETS:
        sel = select_subset(len(names), k, seed)
        assert sel == sorted(sel) and len(sel) == k
        np.save(os.path.join(out, "subset_k%d_s%d.npy" % (k, seed)),
                np.array(sel, dtype=np.int64))


if __name__ == "__main__":
    main(sys.argv[1])
