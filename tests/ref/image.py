#!/usr/bin/python3
"""Reference for test_image: image files of every kind fidkit decodes, and the
pixels PIL gives for them.

Usage: image.py OUTDIR

Writes OUTDIR/good/NAME (the image) and OUTDIR/good/NAME.npy (uint8 HxWx3,
np.asarray(Image.open(f).convert("RGB"))), and for 16-bit greyscale also
NAME.scaled.npy (the 16-bit samples >> 8, fidkit's default). OUTDIR/good.txt
lists one case a line: "good/NAME good/EXPECTED.npy OPTION" (OPTION:
default|pilclip). OUTDIR/damaged/ holds damaged copies PIL refuses (listed in
OUTDIR/refused.txt; the damaged copies PIL decodes are good cases), and
OUTDIR/broken/ the named broken files; each is checked to be refused by PIL
here. OUTDIR/speed_pil_ms.txt: PIL's time for a 256x256 quality-90 JPEG.
"""
import io
import os
import struct
import sys
import time
import warnings
import zlib

import numpy as np
from PIL import Image, ImageFile

assert not ImageFile.LOAD_TRUNCATED_IMAGES
warnings.filterwarnings("ignore", category=UserWarning)  # PIL on P+tRNS saves

out = sys.argv[1]
good_dir = os.path.join(out, "good")
broken_dir = os.path.join(out, "broken")
os.makedirs(good_dir, exist_ok=True)
os.makedirs(broken_dir, exist_ok=True)
rng = np.random.default_rng(20261123)
cases = []


def picture(h, w, c=3):
    """Smooth gradients plus noise: compressible like a photo, yet every code
    path (edges, chroma detail) is exercised."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([
        127 + 120 * np.sin(x / max(w, 1) * 6.3 + k) * np.cos(y / max(h, 1) * 4.1 - k)
        for k in range(c)], axis=-1)
    noise = rng.normal(0, 25, (h, w, c))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def add(name, option="default", expected=None):
    """Records a case; expected defaults to what PIL decodes."""
    path = os.path.join(good_dir, name)
    if expected is None:
        with Image.open(path) as im:
            expected = np.asarray(im.convert("RGB"))
    expected = np.ascontiguousarray(expected, dtype=np.uint8)
    assert expected.ndim == 3 and expected.shape[2] == 3
    npy = name + (".scaled" if option == "default" and name.startswith("gray16") else "")
    np.save(os.path.join(good_dir, npy + ".npy"), expected)
    cases.append(f"good/{name} good/{npy}.npy {option}")


def save(im, name, **kw):
    im.save(os.path.join(good_dir, name), **kw)
    add(name)


def write(dirname, name, data):
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(data)


def png_chunk(tag, data):
    return (struct.pack(">I", len(data)) + tag + data +
            struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))


def png_bytes(w, h, depth, ctype, raw_rows, extra=b""):
    """A PNG written by hand (PIL cannot write 16-bit RGB)."""
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    data = b"".join(b"\0" + r for r in raw_rows)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra +
            png_chunk(b"IDAT", zlib.compress(data, 9)) + png_chunk(b"IEND", b""))


# ---- PNG ---------------------------------------------------------------------
rgb = picture(5, 17)
save(Image.fromarray(rgb), "png_rgb_17x5.png")
save(Image.fromarray(picture(257, 255, 4)), "png_rgba_255x257.png")
save(Image.fromarray(picture(31, 1, 1)[:, :, 0]), "png_l_1x31.png")
save(Image.fromarray(picture(20, 23, 2), "LA"), "png_la.png")
pim = Image.fromarray(picture(24, 30)).quantize(colors=200)
save(pim, "png_p.png")
save(pim, "png_p_trns.png", transparency=7)
pal_alpha = bytes(rng.integers(0, 256, 200, dtype=np.uint8))
save(pim, "png_p_trns_table.png", transparency=pal_alpha)
save(Image.fromarray(picture(9, 14, 1)[:, :, 0]), "png_l_trns.png", transparency=17)
save(Image.fromarray(picture(13, 11, 1)[:, :, 0] > 127), "png_1bit.png")
# 16-bit RGB and RGBA: PIL keeps the high byte.
for name, ctype, c in (("png_rgb16.png", 2, 3), ("png_rgba16.png", 6, 4)):
    v = rng.integers(0, 65536, (7, 19, c), dtype=np.uint16)
    write(good_dir, name, png_bytes(19, 7, 16, ctype, [r.astype(">u2").tobytes() for r in v]))
    add(name)
# 16-bit greyscale: PIL (mode "I") clips at 255; fidkit's default is v >> 8.
# Small values too, so that clipping and scaling differ both ways.
g16 = rng.integers(0, 65536, (11, 21), dtype=np.uint16)
g16[0, :10] = np.arange(10) * 30
Image.fromarray(g16.astype(np.uint16), "I;16").save(os.path.join(good_dir, "gray16.png"))
with Image.open(os.path.join(good_dir, "gray16.png")) as im:
    assert np.array_equal(np.asarray(im.convert("I")), g16.astype(np.int32)), "16-bit PNG"
add("gray16.png", "pilclip")
add("gray16.png", "default", np.repeat((g16 >> 8).astype(np.uint8)[:, :, None], 3, 2))
# 16-bit grey + alpha: PIL reads "LA" from the high bytes.
v = rng.integers(0, 65536, (6, 9, 2), dtype=np.uint16)
write(good_dir, "png_la16.png", png_bytes(9, 6, 16, 4, [r.astype(">u2").tobytes() for r in v]))
add("png_la16.png")
# 4-bit greyscale (scaled by 17).
v = rng.integers(0, 16, (5, 8), dtype=np.uint8)
write(good_dir, "png_l4.png", png_bytes(8, 5, 4, 0, [bytes((r[i] << 4) | r[i + 1]
                                                           for i in range(0, 8, 2)) for r in v]))
add("png_l4.png")

# A zlib stream that ends cleanly after 3 of 5 rows: PIL keeps the rest 0,
# which for a palette image is the colour of index 0.
pal = bytes(rng.integers(0, 256, 16 * 3, dtype=np.uint8))
v = rng.integers(0, 16, (3, 6), dtype=np.uint8)
write(good_dir, "png_short_stream.png", png_bytes(6, 5, 8, 3, [r.tobytes() for r in v],
                                                  png_chunk(b"PLTE", pal)))
add("png_short_stream.png")

# ---- BMP, TGA ------------------------------------------------------------------
save(Image.fromarray(picture(33, 19)), "bmp_rgb.bmp")
save(Image.fromarray(picture(8, 5, 1)[:, :, 0]), "bmp_l.bmp")
save(pim, "bmp_p.bmp")
save(Image.fromarray(picture(9, 13, 1)[:, :, 0] > 100), "bmp_1bit.bmp")
save(Image.fromarray(picture(21, 18)), "tga_rgb.tga")
save(Image.fromarray(picture(21, 18, 4)), "tga_rgba.tga")
save(Image.fromarray(picture(6, 10, 1)[:, :, 0]), "tga_l.tga")
save(Image.fromarray(picture(17, 26)), "tga_rle.tga", compression="tga_rle")

# ---- PNM ----------------------------------------------------------------------
save(Image.fromarray(picture(12, 15)), "ppm_rgb.ppm")
save(Image.fromarray(picture(12, 15, 1)[:, :, 0]), "pgm_l.pgm")
save(Image.fromarray(picture(5, 11, 1)[:, :, 0] > 127), "pbm_1bit.pbm")
v = rng.integers(0, 101, (4, 6, 3))
write(good_dir, "ppm_maxval100.ppm",
      b"P6\n# comment\n6 4\n100\n" + v.astype(np.uint8).tobytes())
add("ppm_maxval100.ppm")
v = rng.integers(0, 65536, (4, 7, 3))
write(good_dir, "ppm_16bit.ppm", b"P6 7 4 65535\n" + v.astype(">u2").tobytes())
add("ppm_16bit.ppm")
v = rng.integers(0, 1001, (5, 6))
write(good_dir, "gray16_maxval1000.pgm", b"P5\n6 5\n1000\n" + v.astype(">u2").tobytes())
add("gray16_maxval1000.pgm", "pilclip")
# PIL rescales to 0..65535 with Python's round (ties to even), then "I" -> RGB.
scaled = np.array([[round(int(x) / 1000 * 65535) for x in r] for r in v]) >> 8
add("gray16_maxval1000.pgm", "default", np.repeat(scaled.astype(np.uint8)[:, :, None], 3, 2))
v = rng.integers(0, 65536, (3, 5))
write(good_dir, "gray16_pgm.pgm", b"P5\n5 3\n65535\n" + v.astype(">u2").tobytes())
add("gray16_pgm.pgm", "pilclip")
add("gray16_pgm.pgm", "default", np.repeat((v >> 8).astype(np.uint8)[:, :, None], 3, 2))
v = rng.integers(0, 256, (3, 4, 3))
write(good_dir, "ppm_plain.ppm", b"P3\n# plain\n4 3\n255\n" +
      "\n".join(" ".join(str(x) for x in r.ravel()) for r in v).encode() + b"\n")
add("ppm_plain.ppm")
v = rng.integers(0, 31, (3, 4))
write(good_dir, "pgm_plain.pgm", b"P2\n4 3 30\n" +
      " ".join(str(x) for x in v.ravel()).encode() + b"\n")
add("pgm_plain.pgm")
v = rng.integers(0, 2, (3, 9))
write(good_dir, "pbm_plain.pbm", b"P1\n9 3\n" +
      b"\n".join("".join(str(x) for x in r).encode() for r in v) + b"\n")
add("pbm_plain.pbm")

# ---- GIF ----------------------------------------------------------------------
gim = Image.fromarray(picture(33, 40)).quantize(colors=64)
save(gim, "gif_p.gif")  # PIL interlaces GIFs of 16+ pixels a side
save(gim, "gif_trns.gif", transparency=3)
save(Image.fromarray(picture(7, 9, 1)[:, :, 0]), "gif_l.gif")
frames = [Image.fromarray(picture(18, 22)).quantize(colors=32) for _ in range(3)]
frames[0].save(os.path.join(good_dir, "gif_anim.gif"), save_all=True,
               append_images=frames[1:], duration=50, loop=0)
add("gif_anim.gif")
with Image.open(os.path.join(good_dir, "gif_anim.gif")) as im:
    assert im.n_frames == 3
# A first frame smaller than the screen, off its corner, with transparency:
# PIL fills the rest with the transparency index.
b = bytearray(open(os.path.join(good_dir, "gif_trns.gif"), "rb").read())
struct.pack_into("<HH", b, 6, 50, 41)
i = b.index(b",", 13 + (3 << ((b[10] & 7) + 1)))
struct.pack_into("<HH", b, i + 1, 6, 5)
write(good_dir, "gif_offset.gif", bytes(b))
add("gif_offset.gif")

# ---- JPEG ---------------------------------------------------------------------
photo = picture(64, 80)
for q in (50, 75, 90, 95):
    for ss, tag in ((0, "444"), (1, "422"), (2, "420")):
        save(Image.fromarray(photo), f"jpeg_q{q}_{tag}.jpg", quality=q, subsampling=ss)
save(Image.fromarray(picture(257, 255)), "jpeg_255x257_420.jpg", quality=85, subsampling=2)
save(Image.fromarray(picture(5, 17)), "jpeg_17x5_422.jpg", quality=90, subsampling=1)
save(Image.fromarray(picture(23, 1)), "jpeg_1x23.jpg", quality=90)
save(Image.fromarray(photo), "jpeg_progressive.jpg", quality=85, progressive=True)
save(Image.fromarray(photo), "jpeg_optimize.jpg", quality=80, optimize=True)
save(Image.fromarray(picture(37, 29, 1)[:, :, 0]), "jpeg_gray.jpg", quality=88)
cmyk = Image.fromarray(picture(24, 30, 4), "CMYK")
save(cmyk, "jpeg_cmyk_adobe.jpg", quality=90)
data = open(os.path.join(good_dir, "jpeg_cmyk_adobe.jpg"), "rb").read()
assert b"Adobe" in data, "PIL writes an Adobe marker with CMYK JPEGs"
# The same without its APP14 Adobe marker: PIL still reads it as inverted.
i = data.index(b"\xff\xee")
n = struct.unpack(">H", data[i + 2:i + 4])[0]
write(good_dir, "jpeg_cmyk_noadobe.jpg", data[:i] + data[i + 2 + n:])
add("jpeg_cmyk_noadobe.jpg")
exif = Image.Exif()
exif[0x0112] = 6  # orientation: rotate; convert("RGB") ignores it
save(Image.fromarray(picture(16, 24)), "jpeg_exif_rotated.jpg", quality=90, exif=exif)
# A stuffed 0xFF00 near the end turned into a COM marker: libjpeg warns and pads
# the scan, then meets the end of the file while skipping the "comment"; PIL
# decodes it, since the rows were all out by then.
data = open(os.path.join(good_dir, "jpeg_q90_444.jpg"), "rb").read()
i = data.rindex(b"\xff\x00", 0, len(data) - 2)
write(good_dir, "jpeg_marker_in_scan.jpg", data[:i] + b"\xff\xfe" + data[i + 2:])
add("jpeg_marker_in_scan.jpg")
# Restart markers.
save(Image.fromarray(photo), "jpeg_restart.jpg", quality=90, restart_marker_rows=1)

# ---- WebP ---------------------------------------------------------------------
save(Image.fromarray(picture(27, 31)), "webp_lossless.webp", lossless=True)
save(Image.fromarray(picture(27, 31, 4)), "webp_lossless_rgba.webp", lossless=True)
save(Image.fromarray(picture(40, 33)), "webp_lossy.webp", quality=80)
save(Image.fromarray(picture(40, 33, 4)), "webp_lossy_rgba.webp", quality=80)

# ---- TIFF ---------------------------------------------------------------------
save(Image.fromarray(picture(19, 23)), "tiff_rgb.tif")
save(Image.fromarray(picture(19, 23, 4)), "tiff_rgba.tif")
save(Image.fromarray(picture(19, 23, 1)[:, :, 0]), "tiff_l.tif")
save(Image.fromarray(picture(30, 41)), "tiff_lzw.tif", compression="tiff_lzw")
save(Image.fromarray(picture(30, 41)), "tiff_deflate.tif", compression="tiff_adobe_deflate")
save(Image.fromarray(picture(30, 41, 1)[:, :, 0]), "tiff_packbits.tif", compression="packbits")
save(Image.fromarray(picture(9, 14, 1)[:, :, 0] > 127), "tiff_1bit.tif")
save(pim, "tiff_p.tif")
save(Image.fromarray(picture(12, 13, 4), "CMYK"), "tiff_cmyk.tif")
v = rng.integers(0, 65536, (6, 7), dtype=np.uint16)
Image.fromarray(v, "I;16").save(os.path.join(good_dir, "gray16_tiff.tif"))
add("gray16_tiff.tif", "pilclip")
add("gray16_tiff.tif", "default", np.repeat((v >> 8).astype(np.uint8)[:, :, None], 3, 2))

# ---- variants PIL reads but does not write: written by hand -----------------
def bmp_bytes(w, h, bpp, rows, comp=0, masks=b"", palette=b"", topdown=False):
    """rows: the stored rows in file order, already padded."""
    data = b"".join(rows)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if topdown else h, 1, bpp, comp,
                       len(data), 2835, 2835, len(palette) // 4, 0)
    off = 14 + len(info) + len(masks) + len(palette)
    return (b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + info + masks +
            palette + data)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


w, h = 13, 6
v = rng.integers(0, 65536, (h, w), dtype=np.uint16)
rows = [pad4(r.astype("<u2").tobytes()) for r in v[::-1]]
write(good_dir, "bmp_16bit_555.bmp", bmp_bytes(w, h, 16, rows))
write(good_dir, "bmp_16bit_565.bmp", bmp_bytes(w, h, 16, rows, 3,
                                               struct.pack("<III", 0xF800, 0x7E0, 0x1F)))
v = rng.integers(0, 2 ** 32, (h, w), dtype=np.uint32)
rows = [r.astype("<u4").tobytes() for r in v[::-1]]
write(good_dir, "bmp_32bit.bmp", bmp_bytes(w, h, 32, rows))
write(good_dir, "bmp_32bit_bitfields.bmp",
      bmp_bytes(w, h, 32, rows, 3, struct.pack("<III", 0xFF0000, 0xFF00, 0xFF)))
v = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
write(good_dir, "bmp_topdown.bmp", bmp_bytes(w, h, 24, [pad4(r.tobytes()) for r in v],
                                             topdown=True))
pal = bytes(rng.integers(0, 256, 16 * 4, dtype=np.uint8))
v = rng.integers(0, 16, (h, 14), dtype=np.uint8)
write(good_dir, "bmp_4bit.bmp", bmp_bytes(14, h, 4, [pad4(bytes(
    (r[i] << 4) | r[i + 1] for i in range(0, 14, 2))) for r in v[::-1]], palette=pal))
pal = bytes(rng.integers(0, 256, 256 * 4, dtype=np.uint8))
v = rng.integers(0, 256, (h, w), dtype=np.uint8)
v[:, 3:9] = 77  # runs for the RLE encoder
rle = b""
for r in v[::-1]:
    for x in r:
        rle += bytes([1, x])
    rle += b"\0\0"
write(good_dir, "bmp_rle8.bmp", bmp_bytes(w, h, 8, [rle + b"\0\1"], 1, palette=pal))
# RLE with every escape: runs, absolute runs (odd lengths, padded), a delta
# (whose four bytes PIL's decoder reads), end of line, end of bitmap.
rle8 = (b"\x03\x10\x00\x05\x01\x02\x03\x04\x05\x00\x02\x07\x00\x00"
        b"\x00\x02\x09\x09\x02\x01\x04\x21\x00\x00\x0d\x44\x00\x00"
        b"\x00\x03\xfa\xfb\xfc\x00\x0a\x30\x00\x00\x05\x50\x00\x01")
write(good_dir, "bmp_rle8_escapes.bmp", bmp_bytes(13, 5, 8, [rle8], 1, palette=pal))
pal16 = bytes(rng.integers(0, 256, 16 * 4, dtype=np.uint8))
rle4 = (b"\x05\x1f\x00\x03\x23\x40\x00\x00\x06\xab\x00\x00"
        b"\x00\x02\x01\x00\x02\x01\x03\x5c\x00\x00\x08\x71\x00\x01")
write(good_dir, "bmp_rle4.bmp", bmp_bytes(9, 4, 4, [rle4], 2, palette=pal16))
# OS/2 (12-byte header): 3-byte palette entries.
v = rng.integers(0, 256, (4, 6), dtype=np.uint8)
core = struct.pack("<IHHHH", 12, 6, 4, 1, 8)
pal3 = bytes(rng.integers(0, 256, 256 * 3, dtype=np.uint8))
rows = b"".join(pad4(r.tobytes()) for r in v[::-1])
off = 14 + 12 + len(pal3)
write(good_dir, "bmp_os2.bmp", b"BM" + struct.pack("<IHHI", off + len(rows), 0, 0, off) +
      core + pal3 + rows)
for name in ("bmp_16bit_555.bmp", "bmp_16bit_565.bmp", "bmp_32bit.bmp",
             "bmp_32bit_bitfields.bmp", "bmp_topdown.bmp", "bmp_4bit.bmp", "bmp_rle8.bmp",
             "bmp_rle8_escapes.bmp", "bmp_rle4.bmp", "bmp_os2.bmp"):
    add(name)


def tga_bytes(w, h, itype, bpp, data, desc=0, cmap=b"", cmap_bits=0):
    ncmap = len(cmap) // (cmap_bits // 8) if cmap_bits else 0
    return (struct.pack("<BBBHHBHHHHBB", 0, 1 if cmap else 0, itype, 0, ncmap, cmap_bits,
                        0, 0, w, h, bpp, desc) + cmap + data)


v = rng.integers(0, 65536, (7, 9), dtype=np.uint16) | 0x8000
write(good_dir, "tga_16bit.tga", tga_bytes(9, 7, 2, 16, v.astype("<u2").tobytes()))
v = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
write(good_dir, "tga_topleft.tga", tga_bytes(9, 7, 2, 24, v.tobytes(), desc=0x20))
cmap = bytes(rng.integers(0, 256, 256 * 3, dtype=np.uint8))
v = rng.integers(0, 256, (7, 9), dtype=np.uint8)
write(good_dir, "tga_colormap.tga", tga_bytes(9, 7, 1, 8, v.tobytes(), cmap=cmap,
                                              cmap_bits=24))
v = rng.integers(0, 256, (5, 8, 3), dtype=np.uint8)
write(good_dir, "tga_right_to_left.tga", tga_bytes(8, 5, 2, 24, v.tobytes(), desc=0x10))
v = rng.integers(0, 256, (5, 8), dtype=np.uint8)
write(good_dir, "tga_l_rle_topleft.tga", tga_bytes(8, 5, 11, 8, b"".join(
    b"\x83" + bytes([r[0]]) + b"\x03" + r[4:].tobytes() for r in v), desc=0x20))
for name in ("tga_16bit.tga", "tga_topleft.tga", "tga_colormap.tga",
             "tga_right_to_left.tga", "tga_l_rle_topleft.tga"):
    add(name)


def adam7_png(img, ctype, depth=8):
    """An interlaced PNG (filter 0 on every row)."""
    h, w = img.shape[:2]
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
              (1, 0, 2, 2), (0, 1, 1, 2))
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = img[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\0" + r.tobytes() for r in sub)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


write(good_dir, "png_interlaced.png", adam7_png(picture(19, 22), 2))
add("png_interlaced.png")
# A 2-bit palette PNG.
pal = bytes(rng.integers(0, 256, 4 * 3, dtype=np.uint8))
v = rng.integers(0, 4, (6, 12), dtype=np.uint8)
rows = [bytes((r[i] << 6) | (r[i + 1] << 4) | (r[i + 2] << 2) | r[i + 3]
              for i in range(0, 12, 4)) for r in v]
write(good_dir, "png_p2bit.png", png_bytes(12, 6, 2, 3, rows, png_chunk(b"PLTE", pal)))
add("png_p2bit.png")


def tiff_bytes(w, h, spp, bps, photometric, strips=None, tiles=None, planar=1, extra=()):
    """A little-endian, uncompressed TIFF: strips (list of bytes, one row each)
    or tiles ((tw, th, list of bytes))."""
    chunks = strips if strips is not None else tiles[2]
    entries = []
    pos = 8
    blobs = b""
    offsets = []
    for c in chunks:
        offsets.append(pos + len(blobs))
        blobs += c
    tail = 8 + len(blobs)
    extra_data = b""

    def arr(tag, typ, vals):
        nonlocal extra_data
        fmt = {3: "<H", 4: "<I"}[typ]
        packed = b"".join(struct.pack(fmt, x) for x in vals)
        if len(packed) <= 4:
            entries.append((tag, typ, len(vals), packed.ljust(4, b"\0")))
        else:
            entries.append((tag, typ, len(vals), ("ext", len(extra_data))))
            extra_data += packed
    arr(256, 4, [w])
    arr(257, 4, [h])
    arr(258, 3, [bps] * spp)
    arr(259, 3, [1])
    arr(262, 3, [photometric])
    if strips is not None:
        arr(273, 4, offsets)
    arr(277, 3, [spp])
    if strips is not None:
        arr(278, 4, [1])
        arr(279, 4, [len(c) for c in chunks])
    arr(284, 3, [planar])
    if tiles is not None:
        arr(322, 4, [tiles[0]])
        arr(323, 4, [tiles[1]])
        arr(324, 4, offsets)
        arr(325, 4, [len(c) for c in chunks])
    if extra:
        arr(338, 3, list(extra))
    ifd_at = tail + len(extra_data)
    ifd = struct.pack("<H", len(entries))
    for tag, typ, n, val in sorted(entries):
        if isinstance(val, tuple):
            val = struct.pack("<I", tail + val[1])
        ifd += struct.pack("<HHI", tag, typ, n) + val
    ifd += b"\0\0\0\0"
    return b"II*\0" + struct.pack("<I", ifd_at) + blobs + extra_data + ifd


img = picture(11, 10)
write(good_dir, "tiff_planar.tif", tiff_bytes(10, 11, 3, 8, 2, planar=2, strips=[
    img[y, :, c].tobytes() for c in range(3) for y in range(11)]))
img = picture(21, 37)
tiles = []
for ty in range(0, 21, 16):
    for tx in range(0, 37, 16):
        t = np.zeros((16, 16, 3), np.uint8)
        part = img[ty:ty + 16, tx:tx + 16]
        t[:part.shape[0], :part.shape[1]] = part
        tiles.append(t.tobytes())
write(good_dir, "tiff_tiled.tif", tiff_bytes(37, 21, 3, 8, 2, tiles=(16, 16, tiles)))
v = rng.integers(0, 65536, (5, 6, 3), dtype=np.uint16)
write(good_dir, "tiff_rgb16.tif", tiff_bytes(6, 5, 3, 16, 2, strips=[
    r.astype("<u2").tobytes() for r in v]))
v = rng.integers(0, 256, (5, 6), dtype=np.uint8)
write(good_dir, "tiff_miniswhite.tif", tiff_bytes(6, 5, 1, 8, 0, strips=[
    r.tobytes() for r in v]))
v = rng.integers(0, 256, (5, 6, 4), dtype=np.uint8)
write(good_dir, "tiff_rgba_assoc.tif", tiff_bytes(6, 5, 4, 8, 2, strips=[
    r.tobytes() for r in v], extra=(1,)))
for bits in (2, 4):
    v = rng.integers(0, 1 << bits, (3, 8), dtype=np.uint8)
    per = 8 // bits
    rows = [bytes(sum(int(r[i + j]) << (8 - bits * (j + 1)) for j in range(per))
                  for i in range(0, 8, per)) for r in v]
    write(good_dir, f"tiff_l{bits}.tif", tiff_bytes(8, 3, 1, bits, 1, strips=rows))
    add(f"tiff_l{bits}.tif")
for name in ("tiff_planar.tif", "tiff_tiled.tif", "tiff_rgb16.tif", "tiff_miniswhite.tif",
             "tiff_rgba_assoc.tif"):
    add(name)
save(Image.fromarray(picture(8, 9, 2), "LA"), "tiff_la.tif")
pages = [Image.fromarray(picture(10, 12)) for _ in range(2)]
pages[0].save(os.path.join(good_dir, "tiff_multipage.tif"), save_all=True,
              append_images=pages[1:])
add("tiff_multipage.tif")
frames = [Image.fromarray(picture(14, 17)) for _ in range(3)]
frames[0].save(os.path.join(good_dir, "webp_anim.webp"), save_all=True,
               append_images=frames[1:], duration=40, lossless=False, quality=70)
add("webp_anim.webp")
# The same with its first frame moved off the corner of a larger canvas.
b = bytearray(open(os.path.join(good_dir, "webp_anim.webp"), "rb").read())
assert b[12:16] == b"VP8X"
b[24:30] = (17 + 9 - 1).to_bytes(3, "little") + (14 + 5 - 1).to_bytes(3, "little")
i = b.index(b"ANMF")
b[i + 8:i + 14] = (4).to_bytes(3, "little") + (2).to_bytes(3, "little")  # x=8, y=4
write(good_dir, "webp_anim_offset.webp", bytes(b))
add("webp_anim_offset.webp")

# ---- damaged copies: fidkit must decode what PIL decodes, refuse what it refuses --
# A fixed set of random byte changes and cuts, for the formats whose decoders
# follow PIL's own rules on damaged data (GIF, JPEG, BMP, PNG). TIFF (libtiff's
# stricter directory checks), plain PNM and WebP differ from PIL on some
# damaged files, and PNG in rare cases: docs/images.md lists how.
damaged_dir = os.path.join(out, "damaged")
os.makedirs(damaged_dir, exist_ok=True)
refused = []
drng = np.random.default_rng(7)
for src in ("gif_p.gif", "gif_anim.gif", "gif_trns.gif", "jpeg_q75_420.jpg",
            "jpeg_progressive.jpg", "jpeg_gray.jpg", "bmp_rle8.bmp", "bmp_4bit.bmp",
            "bmp_16bit_565.bmp", "bmp_p.bmp", "png_rgb_17x5.png", "png_p_trns.png",
            "png_interlaced.png", "png_l4.png", "png_rgba16.png"):
    base = open(os.path.join(good_dir, src), "rb").read()
    stem, ext = os.path.splitext(src)
    for k in range(24):
        d = bytearray(base)
        if k % 3 == 0:
            d = d[: int(drng.integers(1, len(d)))]
        else:
            for _ in range(int(drng.integers(1, 4))):
                d[int(drng.integers(0, len(d)))] = int(drng.integers(0, 256))
        name = f"{stem}_{k:02d}{ext}"
        write(damaged_dir, name, bytes(d))
        try:
            with Image.open(os.path.join(damaged_dir, name)) as im:
                pixels = np.asarray(im.convert("RGB"))
        except Exception:  # noqa: BLE001 -- PIL refuses it: so must fidkit
            refused.append(f"damaged/{name}")
            continue
        os.replace(os.path.join(damaged_dir, name), os.path.join(good_dir, "damaged_" + name))
        add("damaged_" + name, expected=pixels)
with open(os.path.join(out, "refused.txt"), "w") as f:
    f.write("\n".join(refused) + "\n")

# ---- broken files: PIL must refuse each ---------------------------------------
png = open(os.path.join(good_dir, "png_rgba_255x257.png"), "rb").read()
jpg = open(os.path.join(good_dir, "jpeg_q90_420.jpg"), "rb").read()
gif = open(os.path.join(good_dir, "gif_p.gif"), "rb").read()
broken = {
    "empty.png": b"",
    "truncated.png": png[: len(png) // 2],
    "truncated.jpg": jpg[: len(jpg) // 2],
    "no_eoi.jpg": jpg[:-2],  # PIL refuses a JPEG missing only its EOI marker
    "truncated.gif": gif[: len(gif) // 2],
    "random.png": bytes(rng.integers(0, 256, 3000, dtype=np.uint8)),
    "text.jpg": b"This is a text file, not a JPEG image.\n" * 20,
    "bomb.png": png_bytes(100000, 100000, 8, 2, [])[:33] +
                png_chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + png_chunk(b"IEND", b""),
}
assert broken["random.png"][:2] not in (b"BM", b"P1", b"P2", b"P3", b"P4", b"P5", b"P6")
assert Image.MAX_IMAGE_PIXELS == 89478485  # PIL's default, as fidkit's
for name, data in broken.items():
    write(broken_dir, name, data)
    try:
        with Image.open(os.path.join(broken_dir, name)) as im:
            im.convert("RGB")
    except Exception:  # noqa: BLE001 -- any refusal is what we want
        continue
    raise SystemExit(f"PIL decoded broken/{name}")

with open(os.path.join(out, "good.txt"), "w") as f:
    f.write("\n".join(cases) + "\n")

# ---- PIL's decode time of a 256x256 quality-90 JPEG, for the report -----------
buf = io.BytesIO()
Image.fromarray(picture(256, 256)).save(buf, "JPEG", quality=90)
write(out, "speed_256_q90.jpg", buf.getvalue())
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    for _ in range(50):
        with Image.open(io.BytesIO(buf.getvalue())) as im:
            im.convert("RGB")
    best = min(best, (time.perf_counter() - t) / 50)
with open(os.path.join(out, "speed_pil_ms.txt"), "w") as f:
    f.write(f"{best * 1e3:.4f}\n")
print(f"{len(cases)} cases, {len(refused)} damaged files PIL refuses, {len(broken)} broken "
      f"files; PIL decodes a 256x256 q90 JPEG in {best * 1e3:.3f} ms")
