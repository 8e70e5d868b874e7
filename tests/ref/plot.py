#!/usr/bin/python3
"""Reference and checker for fidkit's plots (tests/test_plot.c).

  plot.py OUTDIR
      writes the figure data the C test draws (data.npy: panels x series x
      (x, y, lo, hi) x points, in shuffled x order, with NaN/inf and a
      non-positive x on the log-x panel), flags.npy (log_x, log_y per panel)
      and what must be drawn of it, counted here independently of fidkit:
      expected.npy = [points drawn, points skipped, points drawn without
      band] and markers.npy = points drawn per panel.

  plot.py check-png FILE WIDTH HEIGHT N_COLOURS
      FILE is a PNG (signature, IHDR size WIDTH x HEIGHT), decodes with PIL,
      has a white background and the first N_COLOURS Okabe-Ito colours.

  plot.py check-svg FILE TITLE MARKERS TAG...
      FILE parses as XML; it has one panel frame per TAG (a closed rectangle
      stroked in fidkit's frame grey); each TAG is the text of exactly one
      element, sitting over exactly one frame, and over no other; no text
      holds two tags; TITLE (or "-") appears once; MARKERS is "m1,m2,..."
      (or "-"): the number of fully opaque palette-coloured markers inside
      each frame, in TAG order.

Checks print what they found and exit 1 with the reason when a check fails.
"""
import json
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

import numpy as np

# Okabe & Ito (2008), "Color Universal Design", in fidkit's order.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
             "#F0E442"]
FRAME = "#5A5A5A"
SVG = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


# ---- fixture ---------------------------------------------------------------

def make_fixture(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261123)
    P, S, N = 3, 3, 9
    data = np.empty((P, S, 4, N))
    flags = np.zeros((P, 2))
    flags[1, 0] = 1  # panel 2: log x (sample counts)
    flags[2, 1] = 1  # panel 3: log y
    for p in range(P):
        for s in range(S):
            x = np.linspace(0.0, 0.4, N) if not flags[p, 0] else np.geomspace(500, 50000, N)
            y = 5.0 + (p + 1) * 20 * np.linspace(0, 1, N) ** (1 + 0.5 * s) + s
            lo = y - rng.uniform(0.5, 2.0, N)
            hi = y + rng.uniform(0.5, 2.0, N)
            order = rng.permutation(N)
            data[p, s] = np.stack([x, y, lo, hi])[:, order]
    # Unusable values: every kind, in every field.
    data[0, 0, 1, 2] = np.nan       # y NaN
    data[0, 1, 0, 4] = np.inf       # x inf
    data[0, 2, 2, 1] = np.nan       # lo NaN: point kept, band interrupted
    data[1, 0, 0, 3] = 0.0          # x = 0 on the log-x panel
    data[1, 1, 0, 5] = -10.0        # x < 0 on the log-x panel
    data[1, 2, 3, 6] = -np.inf      # hi -inf: band interrupted
    data[2, 0, 1, 0] = -np.inf      # y -inf
    data[2, 1, 2, 7] = -1.0         # lo < 0 on the log-y panel: band interrupted
    data[2, 2, 1, 8] = np.nan       # y NaN
    data[2, 2, 2, 8] = np.nan       # (and its lo: counted once, as a skipped point)

    drawn = skipped = noband = 0
    markers = np.zeros(P)
    for p in range(P):
        logx, logy = flags[p]
        for s in range(S):
            x, y, lo, hi = data[p, s]
            ok = np.isfinite(x) & np.isfinite(y)
            if logx:
                ok &= x > 0
            if logy:
                ok &= y > 0
            band = np.isfinite(lo) & np.isfinite(hi)
            if logy:
                band &= (lo > 0) & (hi > 0)
            drawn += ok.sum()
            skipped += (~ok).sum()
            noband += (ok & ~band).sum()
            markers[p] += ok.sum()
    np.save(os.path.join(out, "data.npy"), data)
    np.save(os.path.join(out, "flags.npy"), flags)
    np.save(os.path.join(out, "expected.npy"), np.array([drawn, skipped, noband], float))
    np.save(os.path.join(out, "markers.npy"), markers)
    print(json.dumps({"drawn": int(drawn), "skipped": int(skipped), "noband": int(noband),
                      "markers": markers.tolist()}))


# ---- PNG ---------------------------------------------------------------------

def check_png(path, width, height, n_colours):
    with open(path, "rb") as f:
        head = f.read(33)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: no PNG signature")
    if head[12:16] != b"IHDR":
        fail(f"{path}: first chunk is {head[12:16]!r}, not IHDR")
    w, h = struct.unpack(">II", head[16:24])
    if (w, h) != (width, height):
        fail(f"{path}: IHDR says {w}x{h}, expected {width}x{height}")
    from PIL import Image
    im = Image.open(path)
    im.load()  # decodes every row: a truncated or corrupt file fails here
    rgb = np.asarray(im.convert("RGB"))
    if rgb.shape[:2] != (height, width):
        fail(f"{path}: decoded {rgb.shape}, expected {height}x{width}")
    if tuple(rgb[0, 0]) != (255, 255, 255) or tuple(rgb[-1, -1]) != (255, 255, 255):
        fail(f"{path}: background is not white: {rgb[0, 0]} {rgb[-1, -1]}")
    found = {}
    flat = rgb.reshape(-1, 3)
    for c in OKABE_ITO[:n_colours]:
        v = np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)])
        found[c] = int((flat == v).all(axis=1).sum())
        if found[c] < 20:
            fail(f"{path}: series colour {c} covers {found[c]} pixels: series not drawn?")
    print(json.dumps({"width": w, "height": h, "colour_pixels": found}))


# ---- SVG ---------------------------------------------------------------------

def points_of(el):
    nums = [float(v) for v in re.split(r"[\s,]+", el.get("points", "").strip()) if v]
    return list(zip(nums[0::2], nums[1::2]))


def frames_of(root):
    frames = []
    for el in root.iter(SVG + "polyline"):
        if el.get("stroke", "").upper() != FRAME:
            continue
        pts = points_of(el)
        if len(pts) != 5 or pts[0] != pts[-1]:
            continue
        xs = sorted({round(p[0], 2) for p in pts})
        ys = sorted({round(p[1], 2) for p in pts})
        if len(xs) == 2 and len(ys) == 2:
            frames.append((xs[0], ys[0], xs[1], ys[1]))
    return frames


def texts_of(root):
    out = []
    for el in root.iter(SVG + "text"):
        m = re.search(r"matrix\(([^)]*)\)", el.get("transform", ""))
        if not m:
            fail("a <text> without a position")
        a = [float(v) for v in re.split(r"[ ,]+", m.group(1).strip())]
        out.append(("".join(el.itertext()), a[4], a[5], float(el.get("font-size", "0"))))
    return out


def check_svg(path, title, markers, tags):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as ex:
        fail(f"{path}: not well-formed XML: {ex}")
    if root.tag != SVG + "svg":
        fail(f"{path}: root element is {root.tag}")
    frames = frames_of(root)
    texts = texts_of(root)
    if len(frames) != len(tags):
        fail(f"{path}: {len(frames)} panel frames for {len(tags)} tags")
    strings = [t[0] for t in texts]
    if title != "-" and strings.count(title) != 1:
        fail(f"{path}: the title {title!r} appears {strings.count(title)} times")
    for s in strings:
        held = [t for t in tags if t in s]
        if len(held) > 1:
            fail(f"{path}: one text holds several tags: {s!r}")
    owner = {}
    for tag in tags:
        hits = [t for t in texts if t[0] == tag]
        if len(hits) != 1:
            fail(f"{path}: tag {tag!r} appears in {len(hits)} texts (want 1)")
        _, x, y, size = hits[0]
        # Coordinates are PLplot's (y up): a title sits just above its frame.
        over = [i for i, (x0, y0, x1, y1) in enumerate(frames)
                if x0 <= x <= x1 and y1 <= y <= y1 + 4 * size]
        if len(over) != 1:
            fail(f"{path}: tag {tag!r} sits over {len(over)} frames (want 1)")
        if over[0] in owner:
            fail(f"{path}: tags {owner[over[0]]!r} and {tag!r} are over the same panel")
        owner[over[0]] = tag
    counts = {}
    palette = set(OKABE_ITO)
    filled = list(root.iter(SVG + "polygon")) + list(root.iter(SVG + "polyline"))
    for el in filled:
        if el.get("fill", "").upper() not in palette:
            continue
        if float(el.get("fill-opacity", "1")) < 0.999:
            continue  # a band
        pts = points_of(el)
        cx = sum(p[0] for p in pts) / len(pts)
        cy = sum(p[1] for p in pts) / len(pts)
        for i, (x0, y0, x1, y1) in enumerate(frames):
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                counts[owner[i]] = counts.get(owner[i], 0) + 1
    got = [counts.get(t, 0) for t in tags]
    if markers != "-":
        want = [int(v) for v in markers.split(",")]
        if got != want:
            fail(f"{path}: markers per panel {got}, expected {want}")
    # The legend, right of every frame: each entry has a swatch line in a
    # palette colour, the entries' colours differ, and each is the colour of
    # a line drawn inside the panels.
    right = max(x1 for (_, _, x1, _) in frames)
    lines = [(el.get("stroke", "").upper(), points_of(el)) for el in root.iter(SVG + "polyline")
             if el.get("stroke", "").upper() in palette]
    inside = {c for c, pts in lines for (x, y) in pts
              if any(x0 < x < x1 and y0 < y < y1 for (x0, y0, x1, y1) in frames)}
    swatches = []
    for text, tx, ty, size in texts:
        if tx <= right:
            continue
        # the swatch: a horizontal stroke left of the text, on its line
        near = {c for c, pts in lines if len(pts) == 2 and
                all(right < x <= tx and abs(y - ty) <= 0.5 * size for (x, y) in pts)}
        if len(near) != 1:
            fail(f"{path}: legend entry {text!r} has {len(near)} swatch colours (want 1)")
        swatches.append(near.pop())
    if not swatches:
        fail(f"{path}: no legend entries")
    if len(set(swatches)) != len(swatches):
        fail(f"{path}: legend entries share a swatch colour: {swatches}")
    for c in swatches:
        if c not in inside:
            fail(f"{path}: legend colour {c} is the colour of no line in the panels")
    print(json.dumps({"frames": len(frames), "texts": len(texts), "markers": got,
                      "legend": swatches}))


def main(argv):
    if len(argv) == 2:
        make_fixture(argv[1])
    elif len(argv) == 6 and argv[1] == "check-png":
        check_png(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif len(argv) >= 5 and argv[1] == "check-svg":
        check_svg(argv[2], argv[3], argv[4], argv[5:])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
