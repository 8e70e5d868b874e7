"""Fixtures for tests/test_stats.c: stats files as pytorch-fid and clean-fid
write them, numpy arrays of every dtype fidkit reads, and broken files."""
import io
import json
import os
import sys
import zipfile

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)
rng = np.random.default_rng(3)

d = 8
x = rng.standard_normal((100, d))
mu, sigma = x.mean(0), np.cov(x, rowvar=False)
np.save(p("good_mu.npy"), mu)
np.save(p("good_sigma.npy"), sigma)
np.savez_compressed(p("pytorch_fid.npz"), mu=mu, sigma=sigma)   # pytorch-fid --save-stats
np.savez(p("clean_fid.npz"), mu=mu, sigma=sigma)                 # clean-fid
np.savez(p("float32.npz"), mu=mu.astype(np.float32), sigma=sigma.astype(np.float32))

# Arrays of each dtype, values by formula so the C side checks them
# independently: element i (flat) equals i % 251 (as the dtype holds it).
arrays = {
    "u8": (np.arange(60) % 251).astype(np.uint8).reshape(3, 4, 5),
    "i64": (np.arange(12) % 251).astype(np.int64).reshape(12),
    "f32": (np.arange(6) % 251).astype(np.float32).reshape(2, 3),
    "f64": (np.arange(1) % 251).astype(np.float64).reshape(()),
    "empty": np.zeros((0, 3), np.float32),
}
np.savez(p("arrays_stored.npz"), **arrays)
np.savez_compressed(p("arrays_deflated.npz"), **arrays)
for v in ((1, 0), (2, 0), (3, 0)):
    with open(p(f"v{v[0]}.npy"), "wb") as f:
        np.lib.format.write_array(f, arrays["u8"], version=v)

# Broken inputs.
raw = open(p("clean_fid.npz"), "rb").read()
open(p("truncated.npz"), "wb").write(raw[: len(raw) // 2])
open(p("empty.npz"), "wb").close()
open(p("text.npz"), "w").write("mu, sigma\n1, 2\n")
np.savez(p("sigma_shape.npz"), mu=mu, sigma=np.zeros((d, d + 1)))
np.savez(p("mu_2d.npz"), mu=mu.reshape(2, 4), sigma=sigma)
bad = sigma.copy(); bad[0, 1] += 1.0
np.savez(p("nonsym.npz"), mu=mu, sigma=bad)
bad = sigma.copy(); bad[2, 2] = np.nan
np.savez(p("nan.npz"), mu=mu, sigma=bad)
np.savez(p("no_sigma.npz"), mu=mu)
np.savez(p("fortran.npz"), mu=mu, sigma=np.asfortranarray(sigma))
np.savez(p("bigendian.npz"), mu=mu.astype(">f8"), sigma=sigma.astype(">f8"))
np.savez(p("strings.npz"), mu=np.array(["a", "b"]), sigma=sigma)
y = rng.standard_normal((100, 16))
np.savez(p("d16.npz"), mu=y.mean(0), sigma=np.cov(y, rowvar=False))
# Truncated .npy data (header intact).
b = io.BytesIO(); np.lib.format.write_array(b, sigma)
open(p("short.npy"), "wb").write(b.getvalue()[:-8])
# A header that claims an absurd shape.
with zipfile.ZipFile(p("huge_shape.npz"), "w") as z:
    hdr = "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"
    hdr = hdr + " " * (118 - len(hdr)) + "\n"
    z.writestr("mu.npy", b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode())
    z.writestr("sigma.npy", b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode())
