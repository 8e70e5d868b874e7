#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz harnesses: corpus/<name>/*, a few small
valid files per reader and a few malformed ones (truncated, wrong magic,
lengths past the end). Run with Debian's /usr/bin/python3 (numpy, PIL, torch);
the output is committed, so the script only needs running again to change it.

    /usr/bin/python3 tests/fuzz/make_corpus.py [OUT_DIR]
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
SRC = os.path.dirname(os.path.dirname(HERE))


def put(name, fname, data):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


def npy_bytes(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def npz_bytes(compress=False, **arrays):
    b = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(b, **arrays)
    return b.getvalue()


def image_bytes(fmt, mode="RGB", size=(4, 3), **kw):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    im = Image.fromarray(a, "RGB").convert(mode)
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def flat_png(w, h):
    b = io.BytesIO()
    Image.new("RGB", (w, h), (10, 200, 30)).save(b, "PNG")
    return b.getvalue()


def main():
    rng = np.random.default_rng(0)
    # npy: header + data
    u8 = rng.integers(0, 255, (2, 4, 4, 3), dtype=np.uint8)
    f4 = rng.standard_normal((3, 5)).astype("<f4")
    put("npy", "u8_nhwc.npy", npy_bytes(u8))
    put("npy", "f4.npy", npy_bytes(f4))
    put("npy", "f8_fortran.npy", npy_bytes(np.asfortranarray(rng.standard_normal((3, 2)))))
    put("npy", "truncated_data.npy", npy_bytes(f4)[:-7])
    put("npy", "missing_key.npy",
        b"\x93NUMPY\x01\x00" + struct.pack("<H", 54) +
        b"{'descr': '<f4', 'fortran_order': False, }".ljust(53) + b"\n")
    put("npy", "duplicate_key.npy",
        b"\x93NUMPY\x01\x00" + struct.pack("<H", 86) +
        b"{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }".ljust(85)
        + b"\n" + b"\0" * 8)
    put("npy", "huge_shape.npy",
        b"\x93NUMPY\x01\x00" + struct.pack("<H", 70) +
        b"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 8), }"[:69]
        + b"\n")
    put("npy", "header_len_past_end.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr'")

    # npz: members, stats files, feature files
    mu = rng.standard_normal(4)
    sigma = np.eye(4)
    meta = json.dumps({"format_version": 1, "d": 4, "n": 10,
                       "tag": "inception_v3/fid:pool3@random-0/299/clean"})
    put("npz", "stats_plain.npz", npz_bytes(mu=mu, sigma=sigma))
    put("npz", "stats_fidkit.npz", npz_bytes(mu=mu, sigma=sigma, fidkit=np.array(meta)))
    put("npz", "feats_compressed.npz", npz_bytes(True, feats=f4))
    put("npz", "n_huge.npz", npz_bytes(mu=mu, sigma=sigma, fidkit=np.array(meta.replace(
        '"n": 10', '"n": 1e30'))))
    put("npz", "truncated.npz", npz_bytes(mu=mu, sigma=sigma)[:200])
    put("npz", "not_a_zip.npz", b"PK\x03\x04" + b"\xff" * 40)

    # zip dataset
    for name, members in {
        "two_pngs.zip": {"a.png": image_bytes("PNG"), "dir/b.png": image_bytes("PNG", "L")},
        "jpeg_and_junk.zip": {"a.jpg": image_bytes("JPEG"), "notes.txt": b"hello",
                              "bad.png": b"\x89PNG\r\n\x1a\nbroken"},
    }.items():
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
            for m, data in members.items():
                z.writestr(m, data)
        put("zip_dataset", name, b.getvalue())
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.png", b"\0" * 20000)  # compresses 1000:1
    put("zip_dataset", "ratio.zip", b.getvalue())
    put("zip_dataset", "truncated.zip", open(os.path.join(OUT, "zip_dataset", "two_pngs.zip"),
                                             "rb").read()[:150])

    # safetensors
    def st(tensors, raw=None, extra=None):
        header, blobs, off = {}, b"", 0
        for name, a in tensors.items():
            data = a.tobytes()
            header[name] = {"dtype": {"float32": "F32", "float16": "F16", "int64": "I64"}[
                str(a.dtype)], "shape": list(a.shape), "data_offsets": [off, off + len(data)]}
            blobs += data
            off += len(data)
        if extra:
            header.update(extra)
        h = (raw if raw is not None else json.dumps(header)).encode()
        return struct.pack("<Q", len(h)) + h + blobs
    w = rng.standard_normal((2, 3)).astype(np.float32)
    put("safetensors", "two.safetensors", st({"w": w, "b": np.zeros(3, np.float16)},
                                             extra={"__metadata__": {"format": "pt"}}))
    put("safetensors", "overlap.safetensors", st({"w": w}, raw=json.dumps({
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})) + b"\0" * 12)
    put("safetensors", "past_end.safetensors", st({}, raw=json.dumps({
        "a": {"dtype": "F32", "shape": [1024], "data_offsets": [0, 4096]}})))
    put("safetensors", "len_0x80.safetensors", struct.pack("<Q", 0x80) + b"{" + b" " * 126
        + b"}")
    put("safetensors", "bad_json.safetensors", struct.pack("<Q", 9) + b'{"a": {"dt')

    # torch containers and the pickles inside them
    import torch
    sd = collections.OrderedDict(
        [("conv.weight", torch.arange(6, dtype=torch.float32).reshape(2, 3)),
         ("conv.bias", torch.zeros(2, dtype=torch.float16)),
         ("bn.num_batches_tracked", torch.tensor(3))])
    b = io.BytesIO()
    torch.save(sd, b)
    zipped = b.getvalue()
    b = io.BytesIO()
    torch.save(sd, b, _use_new_zipfile_serialization=False)
    legacy = b.getvalue()
    put("torch", "state_dict_zip.pth", zipped)
    put("torch", "state_dict_legacy.pth", legacy)
    put("torch", "legacy_truncated.pth", legacy[:len(legacy) // 2])
    put("torch", "zip_truncated.pth", zipped[:300])
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        pkl = next(z.read(n) for n in z.namelist() if n.endswith("data.pkl"))
    put("pickle", "state_dict.pkl", pkl)
    put("pickle", "ordered_dict.pkl", pickle.dumps(collections.OrderedDict(a=1, b=[1.5, "x"]),
                                                   protocol=2))
    put("pickle", "protocol4.pkl", pickle.dumps({"k": (1, 2, None, True, b"by")}, protocol=4))
    put("pickle", "os_system.pkl", b"cos\nsystem\n(S'true'\ntR.")
    put("pickle", "underflow.pkl", b"\x80\x02t.")
    put("pickle", "memo_far.pkl", b"\x80\x02N\x94h\xff\xff\xff\x7f.")

    # YAML backbone configs
    cfgdir = os.path.join(SRC, "configs")
    for c in ["inception_v3_random.yaml", "clip_vit_b32_random.yaml"]:
        with open(os.path.join(cfgdir, c), "rb") as f:
            put("yaml_config", c, f.read())
    put("yaml_config", "bad_types.yaml", b"fidkit_config: 1\nplugin: [a, b]\nvariant: {x: 1}\n"
        b"input:\n  size: -3\n  mean: [1, 2]\n  std: [0, 0, 0]\n")
    put("yaml_config", "anchors.yaml", b"a: &x [*x]\nfidkit_config: 1\n")
    put("yaml_config", "tab_error.yaml", b"fidkit_config: 1\n\tplugin: x\n")

    # sweep files
    with open(os.path.join(SRC, "experiments", "backbone_comparison.yaml"), "rb") as f:
        put("sweep", "backbone_comparison.yaml", f.read())
    put("sweep", "noise.yaml", b"fidkit_sweep: 1\nreal: r.npy\nfake: f.npy\n"
        b"backbones: [inception_v3_random]\nmetrics: [fid, kid]\nn: 20\n"
        b"perturbation: gaussian_noise\naxes:\n  level: [0.0, 0.5, 1.0]\n  n: [10, 20]\n")
    put("sweep", "escape_name.yaml", b"fidkit_sweep: 1\nname: ../../x\nreal: r\nfake: f\n"
        b"backbones: [a]\nmetrics: [fid]\naxes:\n  level: []\n")
    put("sweep", "huge_product.yaml", b"fidkit_sweep: 1\nreal: r\nfake: f\nbackbones: [a]\n"
        b"metrics: [fid]\nperturbation: blur\naxes:\n  level: [" +
        b", ".join(b"%d" % i for i in range(200)) + b"]\n  n: [" +
        b", ".join(b"%d" % i for i in range(1, 200)) + b"]\n")

    # image decoders: first byte picks the name (0 png 1 jpg 2 gif 3 bmp 4 tif
    # 5 webp 6 ppm 7 tga; +8 a small pixel cap; +16 PIL's 16-bit clip)
    imgs = [(0, image_bytes("PNG")), (0, image_bytes("PNG", "P")),
            (16, image_bytes("PNG", "I")), (1, image_bytes("JPEG")),
            (1, image_bytes("JPEG", "L", progressive=True)), (2, image_bytes("GIF")),
            (3, image_bytes("BMP")), (4, image_bytes("TIFF", compression="tiff_lzw")),
            (5, image_bytes("WEBP", lossless=True)), (6, image_bytes("PPM")),
            (7, image_bytes("TGA")), (8, flat_png(300, 300))]
    for i, (sel, data) in enumerate(imgs):
        put("image", "%02d_%d.img" % (i, sel), bytes([sel]) + data)
    put("image", "png_truncated.img", b"\0" + image_bytes("PNG")[:40])
    put("image", "png_huge_ihdr.img", b"\0" + b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" +
        struct.pack(">II", 1 << 30, 1 << 30) + b"\x08\x02\0\0\0" + b"\0" * 4)
    put("image", "bmp_negative.img", b"\x03BM" + b"\xff" * 60)

    # caption manifests: first byte bit 0 picks JSONL (1) or CSV (0)
    put("manifest", "pairs.csv", b"\0image,caption\na.png,a cat\nb.png,\"a dog, \"\"big\"\"\"\n")
    put("manifest", "pairs.jsonl", b"\1" + b'{"image": "a.png", "caption": "a cat"}\n'
        b'{"image": "b.png", "caption": "caf\\u00e9 \\ud83d\\ude00"}\n')
    put("manifest", "bad_utf8.csv", b"\0image,caption\na.png,\xff\xfe bad\n")
    put("manifest", "unterminated.csv", b"\0image,caption\na.png,\"open quote\n")
    put("manifest", "bad.jsonl", b"\1" + b'{"image": 3}\n[1,2]\n{"caption": "x"\n')

    # BPE tokenizer: captions (bytes), and one input that is its own merge list
    for i, cap in enumerate([b"a photo of a cat", b"A &amp; B &lt;3 caf\xc3\xa9 \xf0\x9f\x98\x80",
                             b"don't   stop\tthe\nmusic 12345 !!!", b"\xff\xfe\xc3(",
                             "ＡＢＣ ﬁ Ǆ ﬀ Å".encode()]):
        put("bpe", "caption_%d.txt" % i, cap)
    put("bpe", "own_merges.txt", b"#merges\n#version: 0.2\nt h\nth e</w>\n")


if __name__ == "__main__":
    main()
