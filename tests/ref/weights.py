"""Reference fixtures for test_weights: one small state dict written by
Debian's torch 1.13 in every format fidkit reads (torch.save zip, torch.save
legacy, safetensors written here by hand: struct + json), the expected tensors
as raw bytes, and bad files that must be refused.

Usage: /usr/bin/python3 weights.py OUTDIR

OUTDIR/expected.txt has one line per tensor, in file order:
    NAME DTYPE NDIM D0 D1 ...
and OUTDIR/exp/I.bin holds tensor I's bytes (contiguous, stored dtype),
OUTDIR/exp/I.f32 its float32 conversion (float tensors only).
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch

out = sys.argv[1]
os.makedirs(os.path.join(out, "exp"), exist_ok=True)
torch.manual_seed(20251123)

DTYPE_NAME = {
    torch.float32: ("float32", "F32"), torch.float16: ("float16", "F16"),
    torch.bfloat16: ("bfloat16", "BF16"), torch.float64: ("float64", "F64"),
    torch.int64: ("int64", "I64"), torch.int32: ("int32", "I32"),
    torch.uint8: ("uint8", "U8"), torch.bool: ("bool", "BOOL"),
}


class Tiny(torch.nn.Module):
    """conv -> bn -> linear, as in a torchvision model."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, bias=False)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.bn(self.conv(x)), 1)[:, :8])


def state_dict():
    m = Tiny()
    with torch.no_grad():
        m.bn.running_mean.copy_(torch.randn(4))
        m.bn.running_var.copy_(torch.rand(4) + 0.5)
        m.bn.weight.copy_(torch.randn(4))
        m.bn.num_batches_tracked.fill_(7)
    sd = m.state_dict()
    base = torch.randn(3, 5)
    grid = torch.randn(4, 6)
    big = torch.randn(30)
    sd["extra.half"] = torch.randn(2, 3).half()
    sd["extra.bf16"] = torch.randn(5).bfloat16()
    sd["extra.f64"] = torch.randn(2, 2, dtype=torch.float64)
    sd["extra.transposed"] = base.t()                 # strides (1, 5)
    sd["extra.strided"] = grid[1:, 1::2]              # offset 7, strides (6, 2)
    sd["extra.shared_a"] = big[0:12].view(3, 4)       # one storage ...
    sd["extra.shared_b"] = big[12:30]                 # ... two tensors
    sd["extra.scalar"] = torch.tensor(3.25)           # 0-d
    sd["extra.empty"] = torch.zeros(0, 3)
    sd["extra.param"] = torch.nn.Parameter(torch.randn(2, 2))  # _rebuild_parameter
    sd["extra.idx"] = torch.arange(-3, 3, dtype=torch.int32)
    sd["extra.u8"] = torch.arange(250, 256, dtype=torch.uint8)
    sd["extra.mask"] = torch.tensor([True, False, True])
    return sd


def raw(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, sd, tamper=None):
    header, blobs, pos = {}, [], 0
    for k, t in sd.items():
        b = raw(t)
        header[k] = {"dtype": DTYPE_NAME[t.dtype][1], "shape": list(t.shape),
                     "data_offsets": [pos, pos + len(b)]}
        blobs.append(b)
        pos += len(b)
    header["__metadata__"] = {"format": "pt"}
    if tamper:
        tamper(header)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_expected(sd):
    with open(os.path.join(out, "expected.txt"), "w") as f:
        for i, (k, t) in enumerate(sd.items()):
            f.write("%s %s %d %s\n" % (k, DTYPE_NAME[t.dtype][0], t.dim(),
                                       " ".join(str(d) for d in t.shape)))
            with open(os.path.join(out, "exp", "%d.bin" % i), "wb") as g:
                g.write(raw(t))
            if t.is_floating_point():
                with open(os.path.join(out, "exp", "%d.f32" % i), "wb") as g:
                    g.write(t.detach().float().contiguous().numpy().tobytes())


def dotted_names(obj, prefix=""):
    """Every tensor's dotted path, as fidkit is to expose them."""
    if isinstance(obj, torch.Tensor):
        return [prefix]
    items = []
    if isinstance(obj, dict):
        items = [(str(k), v) for k, v in obj.items() if isinstance(k, (str, int))]
    elif isinstance(obj, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(obj)]
    names = []
    for k, v in items:
        names += dotted_names(v, prefix + "." + k if prefix else k)
    return names


def legacy_prefix():
    """The three pickles that open every legacy torch.save file."""
    b = io.BytesIO()
    torch.save({}, b, _use_new_zipfile_serialization=False)
    data = b.getvalue()
    u = io.BytesIO(data)
    for _ in range(3):
        pickle.load(u)
    return data[:u.tell()]


class Evil:
    """Unpickling this runs a shell command: fidkit must refuse it."""

    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(out, "pwned"),))


class FakeStorage:
    """Stands for a storage; pickled as the persistent id it carries."""

    def __init__(self, pid):
        self.pid = pid


class FakeTensor:
    def __init__(self, storage, offset, size, stride, old):
        self.args = (storage, offset, size, stride)
        self.old = old

    def __reduce__(self):
        if self.old:
            return (torch._utils._rebuild_tensor, self.args)
        return (torch._utils._rebuild_tensor_v2,
                self.args + (False, collections.OrderedDict()))


class StoragePickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, FakeStorage) else None


def write_views():
    """What torch < 1.0 wrote: a storage view (view_metadata) and the old
    _rebuild_tensor, which torch 1.13 no longer produces."""
    root = torch.randn(10)
    whole = FakeStorage(("storage", torch.FloatStorage, "r", "cpu", 10, None))
    view = FakeStorage(("storage", torch.FloatStorage, "r", "cpu", 10, ("v", 2, 4)))
    obj = collections.OrderedDict([("a", FakeTensor(view, 1, (2,), (2,), False)),
                                   ("b", FakeTensor(whole, 0, (2, 5), (5, 1), True))])
    b = io.BytesIO()
    StoragePickler(b, protocol=2).dump(obj)
    with open(os.path.join(out, "views_legacy.pth"), "wb") as f:
        f.write(legacy_prefix() + b.getvalue() + pickle.dumps(["r"], protocol=2))
        f.write(struct.pack("<q", 10) + root.numpy().tobytes())
    open(os.path.join(out, "views_a.f32"), "wb").write(root[[3, 5]].numpy().tobytes())
    open(os.path.join(out, "views_b.f32"), "wb").write(root.reshape(2, 5).numpy().tobytes())


def main():
    if os.path.exists(os.path.join(out, "pwned")):
        os.remove(os.path.join(out, "pwned"))
    sd = state_dict()
    write_expected(sd)
    torch.save(sd, os.path.join(out, "sd_zip.pth"))
    torch.save(sd, os.path.join(out, "sd_legacy.pth"), _use_new_zipfile_serialization=False)
    write_safetensors(os.path.join(out, "sd.safetensors"), sd)

    # The same archive with deflated members (torch writes them stored).
    with zipfile.ZipFile(os.path.join(out, "sd_zip.pth")) as zin, \
            zipfile.ZipFile(os.path.join(out, "sd_zip_deflated.pth"), "w",
                            zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))

    # A training checkpoint wrapping the state dict, and an ambiguous one.
    small = {k: sd[k] for k in ("conv.weight", "bn.running_mean", "fc.bias")}
    ckpt = {"epoch": 3, "arch": "tiny", "best_acc": 0.5, "state_dict": small,
            "optimizer": {"state": {0: {"momentum_buffer": torch.ones(2)}},
                          "param_groups": [{"lr": 0.1, "params": [0]}]}}
    torch.save(ckpt, os.path.join(out, "wrapped.pth"))
    torch.save(ckpt, os.path.join(out, "wrapped_legacy.pth"),
               _use_new_zipfile_serialization=False)
    with open(os.path.join(out, "wrapped_names.txt"), "w") as f:
        f.write("\n".join(dotted_names(ckpt)) + "\n")
    ambiguous = {"state_dict": small, "model": {"fc.bias": torch.zeros(5)}}
    torch.save(ambiguous, os.path.join(out, "ambiguous.pth"))

    # Pickles that would run os.system: alone (GLOBAL, protocol 2), as a zip
    # data.pkl (STACK_GLOBAL, protocol 4), and inside a real state dict.
    with open(os.path.join(out, "evil_legacy.pth"), "wb") as f:
        f.write(legacy_prefix() + pickle.dumps(Evil(), protocol=2))
    with zipfile.ZipFile(os.path.join(out, "evil_zip.pth"), "w") as z:
        z.writestr("evil_zip/data.pkl", pickle.dumps(Evil(), protocol=4))
        z.writestr("evil_zip/version", "3\n")
    nested = dict(small)
    nested["zz"] = Evil()
    torch.save(nested, os.path.join(out, "evil_nested.pth"))

    # Wrong magic number: one byte of the LONG1 changed.
    data = bytearray(open(os.path.join(out, "sd_legacy.pth"), "rb").read())
    assert data[4] == 0x6c
    data[4] ^= 0x01
    open(os.path.join(out, "badmagic.pth"), "wb").write(bytes(data))

    # safetensors whose last tensor ends past the file, and an unknown dtype.
    def past_end(h):
        h["fc.bias"]["data_offsets"][1] += 4096
        h["fc.bias"]["data_offsets"][0] += 4096
    write_safetensors(os.path.join(out, "badoffsets.safetensors"), small, past_end)

    def fp8(h):
        h["fc.bias"]["dtype"] = "F8_E4M3"
    write_safetensors(os.path.join(out, "baddtype.safetensors"), small, fp8)

    write_views()

    # Where two tensors' bytes lie in each file: stored contiguous, they must
    # be read in place (views into the mapping), so their addresses differ by
    # exactly as much as their file offsets.
    with open(os.path.join(out, "mapped.txt"), "w") as f:
        for name in ("sd_zip.pth", "sd.safetensors", "sd_legacy.pth"):
            data = open(os.path.join(out, name), "rb").read()
            for k in ("conv.weight", "fc.weight"):
                at = data.find(raw(sd[k]))
                assert at > 0 and data.find(raw(sd[k]), at + 1) < 0
                f.write("%s %s %d\n" % (name, k, at))

    # Shared references nested 25 deep: 2^25 paths to one tensor.
    bomb = [torch.ones(1)]
    for _ in range(25):
        bomb = [bomb, bomb]
    torch.save({"x": bomb}, os.path.join(out, "bomb.pth"))

    # A TorchScript archive.
    lin = torch.jit.script(torch.nn.Linear(2, 2))
    torch.jit.save(lin, os.path.join(out, "script.pt"))


main()
