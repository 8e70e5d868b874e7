"""Reference for the inception_v3 plugin: usage inception.py OUTDIR.

Builds the FID Inception (the TF inception-2015-12-05 graph as pytorch-fid
ports it) from its published structure, and torchvision's Inception3, both
with seeded random weights whose batch-norm statistics are calibrated on
random images (so activations are well scaled, as with trained weights).
Writes the weights under the published key names in every format users hold
(torch.save zip and legacy, safetensors written here by hand), a batch of
normalised inputs, and every output the plugin offers, computed by the eager
float32 NCHW model with unfolded batch norms.

Files (all .npy float32 unless said):
  inputs.npy                   (N, 3, 299, 299), values in [-1, 1]
  fid.pth / fid_legacy.pth / fid.safetensors      FID network weights
  fid_missing.safetensors      without MISSING_KEY
  fid_badshape.safetensors     BAD_KEY stored with shape BAD_SHAPE
  tv.pth                       torchvision Inception3 weights (AuxLogits included)
  {fid,tv}_{pool3,logits,logits_unbiased,block64,block192,block768,spatial}.npy
"""
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

N_IMAGES = 8
SEED = 1234
MISSING_KEY = "Mixed_7c.branch_pool.conv.weight"
BAD_KEY = "Mixed_6b.branch7x7_2.conv.weight"
BAD_SHAPE = (128, 128, 7, 1)
OUTPUTS = ["pool3", "logits", "logits_unbiased", "block64", "block192", "block768", "spatial"]


# ---- the FID Inception ---------------------------------------------------
# torchvision's Inception3 layout; the TF graph's pool branches average
# without counting padding, and Mixed_7c's pool branch is a max pool.

class Conv(nn.Module):
    def __init__(self, cin, cout, k, stride=1, pad=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def pool_branch(x, mode):
    if mode == "max":
        return F.max_pool2d(x, 3, 1, 1)
    return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)


class BlockA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = Conv(cin, 64, 1)
        self.branch5x5_1 = Conv(cin, 48, 1)
        self.branch5x5_2 = Conv(48, 64, 5, pad=2)
        self.branch3x3dbl_1 = Conv(cin, 64, 1)
        self.branch3x3dbl_2 = Conv(64, 96, 3, pad=1)
        self.branch3x3dbl_3 = Conv(96, 96, 3, pad=1)
        self.branch_pool = Conv(cin, pool_features, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch5x5_2(self.branch5x5_1(x))
        c = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        d = self.branch_pool(pool_branch(x, "avg"))
        return torch.cat([a, b, c, d], 1)


class BlockB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = Conv(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = Conv(cin, 64, 1)
        self.branch3x3dbl_2 = Conv(64, 96, 3, pad=1)
        self.branch3x3dbl_3 = Conv(96, 96, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3(x)
        b = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([a, b, F.max_pool2d(x, 3, 2)], 1)


class BlockC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = Conv(cin, 192, 1)
        self.branch7x7_1 = Conv(cin, c7, 1)
        self.branch7x7_2 = Conv(c7, c7, (1, 7), pad=(0, 3))
        self.branch7x7_3 = Conv(c7, 192, (7, 1), pad=(3, 0))
        self.branch7x7dbl_1 = Conv(cin, c7, 1)
        self.branch7x7dbl_2 = Conv(c7, c7, (7, 1), pad=(3, 0))
        self.branch7x7dbl_3 = Conv(c7, c7, (1, 7), pad=(0, 3))
        self.branch7x7dbl_4 = Conv(c7, c7, (7, 1), pad=(3, 0))
        self.branch7x7dbl_5 = Conv(c7, 192, (1, 7), pad=(0, 3))
        self.branch_pool = Conv(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        c = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            c = layer(c)
        d = self.branch_pool(pool_branch(x, "avg"))
        return torch.cat([a, b, c, d], 1)


class BlockD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = Conv(cin, 192, 1)
        self.branch3x3_2 = Conv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = Conv(cin, 192, 1)
        self.branch7x7x3_2 = Conv(192, 192, (1, 7), pad=(0, 3))
        self.branch7x7x3_3 = Conv(192, 192, (7, 1), pad=(3, 0))
        self.branch7x7x3_4 = Conv(192, 192, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3_2(self.branch3x3_1(x))
        b = self.branch7x7x3_1(x)
        for layer in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b = layer(b)
        return torch.cat([a, b, F.max_pool2d(x, 3, 2)], 1)


class BlockE(nn.Module):
    def __init__(self, cin, pool_mode):
        super().__init__()
        self.pool_mode = pool_mode
        self.branch1x1 = Conv(cin, 320, 1)
        self.branch3x3_1 = Conv(cin, 384, 1)
        self.branch3x3_2a = Conv(384, 384, (1, 3), pad=(0, 1))
        self.branch3x3_2b = Conv(384, 384, (3, 1), pad=(1, 0))
        self.branch3x3dbl_1 = Conv(cin, 448, 1)
        self.branch3x3dbl_2 = Conv(448, 384, 3, pad=1)
        self.branch3x3dbl_3a = Conv(384, 384, (1, 3), pad=(0, 1))
        self.branch3x3dbl_3b = Conv(384, 384, (3, 1), pad=(1, 0))
        self.branch_pool = Conv(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        t = self.branch3x3_1(x)
        b = torch.cat([self.branch3x3_2a(t), self.branch3x3_2b(t)], 1)
        u = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        c = torch.cat([self.branch3x3dbl_3a(u), self.branch3x3dbl_3b(u)], 1)
        d = self.branch_pool(pool_branch(x, self.pool_mode))
        return torch.cat([a, b, c, d], 1)


class FIDInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = Conv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = Conv(32, 32, 3)
        self.Conv2d_2b_3x3 = Conv(32, 64, 3, pad=1)
        self.maxpool1 = nn.MaxPool2d(3, 2)
        self.Conv2d_3b_1x1 = Conv(64, 80, 1)
        self.Conv2d_4a_3x3 = Conv(80, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, 2)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, "avg")
        self.Mixed_7c = BlockE(2048, "max")
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x):
        for name in ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
                     "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c",
                     "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                     "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool"]:
            x = getattr(self, name)(x)
        return self.fc(torch.flatten(x, 1))


def build_fid(seed):
    torch.manual_seed(seed)
    m = FIDInception()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.Conv2d):
                fan_in = mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1]
                mod.weight.normal_(0.0, (2.0 / fan_in) ** 0.5)
        m.fc.weight.normal_(0.0, 0.02)
        m.fc.bias.normal_(0.0, 0.5)
    return m


def build_torchvision(seed):
    torch.manual_seed(seed)
    return torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True,
                                           transform_input=False)


def random_images(n, seed, side=299):
    """Smooth random images with some fine noise, already in [-1, 1]."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 12, 12, generator=g) * 2 - 1
    x = F.interpolate(coarse, size=(side, side), mode="bicubic", align_corners=False)
    x = x + 0.1 * (torch.rand(n, 3, side, side, generator=g) * 2 - 1)
    return x.clamp(-1, 1).contiguous()


def calibrate(model, seed, batches=2, batch=4):
    """Random affine batch norms, then running statistics measured on random
    images (cumulative average: momentum None), so that eval-mode
    activations are well scaled and every folded term is non-trivial."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.copy_(0.5 + torch.rand(mod.num_features, generator=g))
                mod.bias.copy_(0.2 * torch.randn(mod.num_features, generator=g))
                mod.reset_running_stats()
                mod.momentum = None
        model.train()
        for i in range(batches):
            model(random_images(batch, seed + 1 + i))
    model.eval()
    return model


def outputs(model, x):
    """Every output of the plugin, from the eager float32 NCHW model."""
    seen = {}
    hooks = [getattr(model, name).register_forward_hook(
        lambda mod, inp, out, name=name: seen.__setitem__(name, out))
        for name in ["maxpool1", "maxpool2", "Mixed_6e", "avgpool"]]
    hooks.append(model.Mixed_6d.branch1x1.register_forward_hook(
        lambda mod, inp, out: seen.__setitem__("mixed_6_conv", out)))
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    pool3 = torch.flatten(seen["avgpool"], 1)
    gap = lambda t: F.adaptive_avg_pool2d(t, (1, 1)).flatten(1)
    spatial = seen["mixed_6_conv"][:, :7].permute(0, 2, 3, 1).reshape(x.shape[0], -1)
    res = {
        "pool3": pool3, "logits": logits, "logits_unbiased": pool3 @ model.fc.weight.t(),
        "block64": gap(seen["maxpool1"]), "block192": gap(seen["maxpool2"]),
        "block768": gap(seen["Mixed_6e"]), "spatial": spatial,
    }
    return {k: v.detach().numpy().astype(np.float32) for k, v in res.items()}


# ---- safetensors, written by hand ------------------------------------------
# 8-byte little-endian header length, a JSON header mapping each name to its
# dtype, shape and [begin, end) byte offsets in the data that follows.

_ST_DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}


def save_safetensors(state, path, skip=(), override=None):
    override = override or {}
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        if name in skip:
            continue
        t = override.get(name, t).detach().contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": _ST_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def main(out):
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    x = random_images(N_IMAGES, SEED)
    np.save(os.path.join(out, "inputs.npy"), x.numpy().astype(np.float32))

    fid = calibrate(build_fid(SEED), SEED + 100)
    state = fid.state_dict()
    torch.save(state, os.path.join(out, "fid.pth"))
    torch.save(state, os.path.join(out, "fid_legacy.pth"), _use_new_zipfile_serialization=False)
    save_safetensors(state, os.path.join(out, "fid.safetensors"))
    save_safetensors(state, os.path.join(out, "fid_missing.safetensors"), skip={MISSING_KEY})
    save_safetensors(state, os.path.join(out, "fid_badshape.safetensors"),
                     override={BAD_KEY: state[BAD_KEY].reshape(BAD_SHAPE)})
    for k, v in outputs(fid, x).items():
        np.save(os.path.join(out, "fid_%s.npy" % k), v)

    tv = calibrate(build_torchvision(SEED + 1), SEED + 200)
    state = tv.state_dict()
    torch.save(state, os.path.join(out, "tv.pth"))
    for k, v in outputs(tv, x).items():
        np.save(os.path.join(out, "tv_%s.npy" % k), v)
    print("inception reference: %d images, %.1f s" % (N_IMAGES, time.time() - t0))


if __name__ == "__main__":
    main(sys.argv[1])
