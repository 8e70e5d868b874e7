"""CLIP-Score of (image, caption) pairs over fk_clipscore_evaluate, the
call under ``fidkit clipscore``: the same manifest reader, towers, tags
and conventions, so the numbers are the CLI's."""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Optional, Sequence

import numpy as np

from . import _arrays
from ._core import check, new_error
from ._lib import ffi, lib
from .api import Result, Results, _Progress
from .errors import UsageError


def _write_ppm(path, rgb):
    """Binary PPM: lossless, and decoded by fidkit's own PNM reader."""
    h, w, _ = rgb.shape
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes())


def _manifest(images, captions, folder):
    """A JSONL manifest for images given as paths or as arrays."""
    if isinstance(captions, (str, bytes)) or not isinstance(captions, Sequence):
        raise UsageError("clip_score: captions must be a sequence of strings")
    if isinstance(images, (list, tuple)) and images and all(
            isinstance(p, (str, bytes, os.PathLike)) for p in images):
        paths = [os.path.abspath(os.fsdecode(p)) for p in images]
    elif _arrays.is_array(images) or isinstance(images, (list, tuple)):
        paths = []
        for block in _arrays.image_batches(images, "images"):
            for im in block:
                paths.append(os.path.join(folder, "%08d.ppm" % len(paths)))
                _write_ppm(paths[-1], im)
    else:
        raise UsageError("clip_score: images must be a manifest path, a list of image paths or "
                         "an image array, not %s" % type(images).__name__)
    if len(paths) != len(captions):
        raise UsageError("clip_score: %d images but %d captions" % (len(paths), len(captions)))
    if not paths:
        raise UsageError("clip_score: no (image, caption) pairs")
    out = os.path.join(folder, "pairs.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for p, c in zip(paths, captions):
            if not isinstance(c, str):
                raise UsageError("clip_score: caption %r is not a string" % (c,))
            f.write(json.dumps({"image": p, "caption": c}, ensure_ascii=False) + "\n")
    return out


def clip_score(images: Any, captions: Optional[Sequence[str]] = None,
               convention: Optional[str] = None, backbone: str = "clip_vit_b32",
               prefix: Optional[str] = None, refs: Optional[str] = None,
               interval: bool = False, replicates: Optional[int] = None,
               seed: Optional[int] = None, truncate: bool = True,
               per_pair: Optional[str] = None, batch_size: Optional[int] = None,
               threads: Optional[int] = None, limit: Optional[int] = None,
               progress: bool = False, all_results: bool = False):
    """CLIP-Score, as ``fidkit clipscore MANIFEST --json``.

    images: a CSV/JSONL manifest path (then captions is None), a list of
    image paths, or images in memory (uint8 (N,H,W,3), or float (N,3,H,W)
    in [0,1] from numpy or torch) with one caption each. In-memory images
    are written losslessly (PPM) to a temporary folder for the library's
    manifest reader. convention: hessel (the default, as the CLI's:
    2.5·max(cos,0), prefix "A photo depicts ") or torchmetrics
    (max(100·mean cos, 0)). refs: a manifest of
    reference captions (RefCLIP-S). interval=True adds the 95 % bootstrap
    interval over pairs; truncate=False refuses captions over 77 tokens
    instead of cutting them (the CLI's --no-truncate). Returns the CLIP-Score :class:`Result`, or every
    result (with RefCLIP-S) as :class:`Results` when all_results=True."""
    keep = []

    def cstr(v):
        b = ffi.new("char[]", os.fsencode(v))
        keep.append(b)
        return b

    o = ffi.new("fk_clip_options *", lib.fk_clip_default_options())
    o.backbone = cstr(backbone)
    if convention is not None:  # else the library's default, as the CLI's
        conv, e = ffi.new("fk_clipscore_convention *"), new_error()
        check(lib.fk_clipscore_convention_parse(convention.encode(), conv, e), e)
        o.convention = conv[0]
    if prefix is not None:
        o.prefix = cstr(prefix)
    if refs is not None:
        o.refs = cstr(refs)
    if per_pair is not None:
        o.per_pair = cstr(per_pair)
    o.truncate = 1 if truncate else 0
    o.interval = 1 if interval else 0
    if replicates is not None:
        o.replicates = int(replicates)
    if seed is not None:
        o.seed = int(seed)
    if batch_size:
        o.extract.loader.batch_size = int(batch_size)
    if threads:
        o.extract.loader.threads = int(threads)
    if limit:
        o.extract.dataset.limit = int(limit)
    bar = _Progress(progress, "clipscore")
    o.extract.progress = bar.callback()
    with tempfile.TemporaryDirectory(prefix="fidkit-clip-") as tmp:
        if captions is None:
            if not isinstance(images, (str, bytes, os.PathLike)):
                raise UsageError("clip_score: give captions, or a manifest path as images")
            manifest = os.fsencode(images)
        else:
            manifest = os.fsencode(_manifest(images, captions, tmp))
        res, e = ffi.new("fk_results *"), new_error()
        try:
            check(lib.fk_clipscore_evaluate(manifest, o, res, e), e)
        finally:
            bar.close()
    try:
        text = lib.fk_results_json(res, b"clipscore", 0)
        if text == ffi.NULL:
            raise MemoryError("fidkit: out of memory serialising results")
        try:
            doc = json.loads(ffi.string(text).decode("utf-8"))
        finally:
            lib.free(text)
    finally:
        lib.fk_results_free(res)
    r = Results(doc)
    return r if all_results else r[0]
