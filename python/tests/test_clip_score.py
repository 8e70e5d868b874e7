"""fidkit.clip_score gives `fidkit clipscore --json` on the same pairs: from
the manifest itself, from a list of paths and captions, and from the
images decoded into memory. Uses the tiny CLIP that tests/ref/clip.py
builds (ctest runs that first and names its folder in FK_CLIP_FIXTURES)."""
import csv
import os

import numpy as np
import pytest

import fidkit
from conftest import cli, strip_timings

FX = os.environ.get("FK_CLIP_FIXTURES", "")
needs_fx = pytest.mark.skipif(not os.path.exists(os.path.join(FX, "manifest.csv")),
                              reason="run through ctest (the ref_clip fixture)")


def pairs():
    with open(os.path.join(FX, "manifest.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [os.path.join(FX, r["image"]) for r in rows], [r["caption"] for r in rows]


@needs_fx
@pytest.mark.parametrize("convention", ["hessel", "torchmetrics"])
def test_manifest_equals_cli(convention):
    cfg, man = os.path.join(FX, "clip_jit.yaml"), os.path.join(FX, "manifest.csv")
    doc, _ = cli("clipscore", man, "--backbone", cfg, "--convention", convention)
    rs = fidkit.clip_score(man, backbone=cfg, convention=convention, all_results=True)
    assert strip_timings(rs.to_dict())["results"] == strip_timings(doc)["results"]
    assert rs[0].tag.startswith("clip/vit-tiny-test:image@")


@needs_fx
def test_paths_and_arrays_equal_cli():
    from PIL import Image
    cfg, man = os.path.join(FX, "clip_jit.yaml"), os.path.join(FX, "manifest.csv")
    doc, _ = cli("clipscore", man, "--backbone", cfg, "--ci", "bootstrap", "--seed", "3")
    want = doc["results"][0]
    paths, caps = pairs()
    by_path = fidkit.clip_score(paths, caps, backbone=cfg, interval=True, seed=3)
    assert by_path.to_dict() == want
    arrays = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    by_array = fidkit.clip_score(arrays, caps, backbone=cfg, interval=True, seed=3)
    assert (by_array.value, by_array.interval, by_array.tag) == (
        want["value"], (want["interval"]["lo"], want["interval"]["hi"]), want["tag"])


@needs_fx
def test_bad_pairs():
    paths, caps = pairs()
    cfg = os.path.join(FX, "clip_jit.yaml")
    with pytest.raises(fidkit.UsageError, match="captions"):
        fidkit.clip_score(paths, caps[:-1], backbone=cfg)
    with pytest.raises(fidkit.Error):
        fidkit.clip_score(paths, caps, backbone=cfg, convention="nope")
