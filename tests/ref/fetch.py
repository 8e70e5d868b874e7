#!/usr/bin/env python3
"""Reference for tests/test_fetch.c: the file the local server hands out and
its SHA-256 computed by Python's hashlib (not fidkit's libmd), and the hash
of the bytes the server's "wrong" mode sends (second half XOR 0x5a).

usage: fetch.py FIXTURE_DIR"""
import hashlib
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
# 1.5 MB: big enough that a cut halfway leaves a real partial file, small
# enough that every case takes well under a second.
data = np.random.default_rng(22).integers(0, 256, size=1_500_001, dtype=np.uint8).tobytes()
with open(os.path.join(out, "payload.bin"), "wb") as f:
    f.write(data)
wrong = bytearray(data)
for i in range(len(wrong) // 2, len(wrong)):
    wrong[i] ^= 0x5A
assert bytes(wrong) != data
with open(os.path.join(out, "payload.sha256"), "w") as f:
    f.write(hashlib.sha256(data).hexdigest() + "\n")
with open(os.path.join(out, "wrong.sha256"), "w") as f:
    f.write(hashlib.sha256(bytes(wrong)).hexdigest() + "\n")
with open(os.path.join(out, "payload.size"), "w") as f:
    f.write("%d\n" % len(data))
print("fetch fixtures in", out)
