"""Fixtures of the fidkit Python tests: small tiny_pool configs (the
template backbone: no weights, no torch), seeded random images written as
PNG folders, and the CLI to compare with. Run by ctest (py_fidkit) or by
hand: PYTHONPATH=python /usr/bin/python3 -m pytest python/tests."""
import json
import os
import subprocess
import sys

# Before numpy loads a BLAS: thread counts change the rounding of BLAS
# sums, and the CLI run beside the API must see the same setting.
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import pytest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("FK_BUILD_DIR", os.path.join(SRC, "build"))
# The test plugin folder (tiny_pool.so) unless ctest already said where.
os.environ.setdefault("FIDKIT_PLUGIN_PATH", os.path.join(BUILD, "tests", "plugins") + ":" +
                      os.path.join(BUILD, "plugins"))
sys.path.insert(0, os.path.join(SRC, "python"))

import fidkit  # noqa: E402,F401  (fails early when the library is missing)

FK_BIN = os.environ.get("FK_BIN", os.path.join(BUILD, "fidkit"))

TINY = """fidkit_config: 1
plugin: tiny_pool
variant: {v}
weights:
  random: 0
input:
  size: 32
  resize: clean
  crop: none
  scale: 0.00392156862745098
  mean: [0.5, 0.5, 0.5]
  std: [0.5, 0.5, 0.5]
output: pool
batch_size: 6
"""


def make_images(seed, n, h=40, w=36, shift=0):
    """Smooth-ish random RGB images: noise plus a per-image colour offset."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 200, (n, 1, 1, 3))
    x = base + rng.integers(0, 56, (n, h, w, 3)) + shift
    return np.clip(x, 0, 255).astype(np.uint8)


def write_folder(path, images):
    from PIL import Image
    os.makedirs(path, exist_ok=True)
    for i, im in enumerate(images):
        Image.fromarray(im).save(os.path.join(path, "%03d.png" % i))
    return path


class Fx:
    pass


@pytest.fixture(scope="session")
def fx(tmp_path_factory):
    d = tmp_path_factory.mktemp("fidkit_py")
    f = Fx()
    f.dir = str(d)
    f.g4 = str(d / "tiny_g4.yaml")
    f.g8 = str(d / "tiny_g8.yaml")
    open(f.g4, "w").write(TINY.format(v="g4"))
    open(f.g8, "w").write(TINY.format(v="g8"))
    f.real = make_images(1, 60)
    f.fake = make_images(2, 55, shift=12)
    f.real_dir = write_folder(str(d / "real"), f.real)
    f.fake_dir = write_folder(str(d / "fake"), f.fake)
    return f


def cli(*args, ok=True):
    """Runs build/fidkit ... --json; the parsed document and exit code."""
    p = subprocess.run([FK_BIN, *args, "--json"], capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise AssertionError("fidkit %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                            p.stderr))
    return json.loads(p.stdout) if p.stdout.strip() else None, p.returncode


def strip_timings(doc):
    doc = dict(doc)
    doc.pop("timings", None)
    return doc
