"""Reference for tests/test_dinov2.c: DINOv2 vision transformers written
here in torch.nn from the architecture of facebookresearch/dinov2
(dinov2/models/vision_transformer.py as torch.hub builds it: img_size 518,
patch 14, LayerScale, LayerNorm eps 1e-6, qkv/proj/ffn biases), seeded
random weights saved with torch.save in the official key layout (mask_token
included, as in the *_pretrain.pth files, and never used), and features of
random inputs computed in float64.

Usage: /usr/bin/python3 tests/ref/dinov2.py OUTDIR
Writes per variant V: V.pth, V.yaml, V_cls.npy, V_patch_mean.npy, V_fd.npy
(the FD of the cls features of the first half of the images against the
second half), and inputs.npy (N x 3 x 224 x 224 float32, normalised).
S/14 and B/14, with and without registers, and g/14's architecture at
depth 2 (vitg14_depth2_test) always; L/14 and g/14 (with and
without registers) only with FIDKIT_SLOW_TESTS=1. FIDKIT_DINOV2_VARIANTS
(a comma list) overrides the choice: g/14 needs ~20 GB here (1.1 G
parameters, kept in float32 and float64).

Where torch 1.13 lacks what the official code uses:
  - xFormers' memory_efficient_attention (MemEffAttention) and the fused
    SwiGLU kernel (SwiGLUFFNFused): optional in the official code, which
    falls back to plain attention softmax(q k^T / sqrt(d)) v and to
    w3(silu(x1) * x2); here written out the same way (nn.functional.silu).
  - newer dinov2 code may call F.scaled_dot_product_attention (torch 2):
    the same explicit softmax form here.
  - antialiased bicubic interpolate (register models' pos-embed) exists in
    torch 1.13 (since 1.11); used as the official code calls it.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DIMS = {  # embed, depth, heads, swiglu, registers
    "vits14": (384, 12, 6, 0, 0), "vitb14": (768, 12, 12, 0, 0),
    "vitl14": (1024, 24, 16, 0, 0), "vitg14": (1536, 40, 24, 1, 0),
}
for k in list(DIMS):
    DIMS[k + "_reg4"] = DIMS[k][:4] + (4,)
# g/14's width, heads and SwiGLU with 2 of its 40 blocks: the plugin's test
# variant, so that the suite checks the g architecture every run.
DIMS["vitg14_depth2_test"] = (1536, 2, 24, 1, 0)
FAST = ["vits14", "vits14_reg4", "vitb14", "vitb14_reg4", "vitg14_depth2_test"]
SLOW = ["vitl14", "vitl14_reg4", "vitg14", "vitg14_reg4"]
GRID, PATCH, SIZE = 37, 14, 224


class Block(nn.Module):
    def __init__(self, d, heads, swiglu):
        super().__init__()
        self.heads, self.swiglu = heads, swiglu
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(d, 3 * d)
        self.attn.proj = nn.Linear(d, d)
        self.ls1 = nn.Module()
        self.ls1.gamma = nn.Parameter(torch.ones(d))
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = nn.Module()
        if swiglu:
            hidden = (int(4 * d * 2 / 3) + 7) // 8 * 8
            self.mlp.w12 = nn.Linear(d, 2 * hidden)
            self.mlp.w3 = nn.Linear(hidden, d)
        else:
            self.mlp.fc1 = nn.Linear(d, 4 * d)
            self.mlp.fc2 = nn.Linear(4 * d, d)
        self.ls2 = nn.Module()
        self.ls2.gamma = nn.Parameter(torch.ones(d))

    def attention(self, x):
        b, n, c = x.shape
        h = self.heads
        qkv = self.attn.qkv(x).reshape(b, n, 3, h, c // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (c // h) ** -0.5, qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.attn.proj((a @ v).transpose(1, 2).reshape(b, n, c))

    def ffn(self, x):
        if self.swiglu:
            x1, x2 = self.mlp.w12(x).chunk(2, dim=-1)
            return self.mlp.w3(F.silu(x1) * x2)
        return self.mlp.fc2(F.gelu(self.mlp.fc1(x)))

    def forward(self, x):
        x = x + self.ls1.gamma * self.attention(self.norm1(x))
        return x + self.ls2.gamma * self.ffn(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, d, depth, heads, swiglu, registers):
        super().__init__()
        self.registers = registers
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, d, PATCH, PATCH)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + GRID * GRID, d))
        if registers:
            self.register_tokens = nn.Parameter(torch.zeros(1, registers, d))
        self.mask_token = nn.Parameter(torch.zeros(1, d))
        self.blocks = nn.ModuleList([Block(d, heads, swiglu) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)

    def positions(self, h, w):
        """The official interpolate_pos_encoding: offset 0.1 and a scale factor
        without antialias for plain models; size and antialias for _reg4."""
        pos = self.pos_embed
        h0, w0 = h // PATCH, w // PATCH
        if h0 * w0 == GRID * GRID and h == w:
            return pos
        d = pos.shape[-1]
        grid = pos[:, 1:].reshape(1, GRID, GRID, d).permute(0, 3, 1, 2)
        if self.registers:
            grid = F.interpolate(grid, size=(w0, h0), mode="bicubic", antialias=True)
        else:
            s = ((w0 + 0.1) / GRID, (h0 + 0.1) / GRID)
            grid = F.interpolate(grid, scale_factor=s, mode="bicubic", antialias=False)
        assert grid.shape[-2:] == (w0, h0)
        return torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, d)], dim=1)

    def forward(self, x):
        b, _, h, w = x.shape
        t = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls_token.expand(b, -1, -1), t], dim=1) + self.positions(h, w)
        if self.registers:
            t = torch.cat([t[:, :1], self.register_tokens.expand(b, -1, -1), t[:, 1:]], dim=1)
        for blk in self.blocks:
            t = blk(t)
        t = self.norm(t)
        return t[:, 0], t[:, 1 + self.registers:].mean(dim=1)


def randomise(model, gen):
    """Non-degenerate random weights: every parameter (biases, norms,
    LayerScale) away from its trivial value so that each fold is checked;
    a smooth, large pos_embed so that its interpolation matters."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "pos_embed":
                d = p.shape[-1]
                yy, xx = torch.meshgrid(torch.arange(GRID, dtype=torch.float64),
                                        torch.arange(GRID, dtype=torch.float64), indexing="ij")
                fy = torch.rand(d, generator=gen, dtype=torch.float64) * 0.6
                fx = torch.rand(d, generator=gen, dtype=torch.float64) * 0.6
                ph = torch.rand(d, generator=gen, dtype=torch.float64) * 6.28
                g = torch.sin(yy[..., None] * fy + xx[..., None] * fx + ph)
                g = g + 0.1 * torch.randn(GRID, GRID, d, generator=gen, dtype=torch.float64)
                first = torch.randn(1, d, generator=gen, dtype=torch.float64)
                p.copy_(torch.cat([first, g.reshape(-1, d)])[None].float())
            elif name.endswith("gamma"):
                p.copy_(torch.rand(p.shape, generator=gen) * 0.4 + 0.05)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
            elif name == "patch_embed.proj.weight":
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(3 * PATCH * PATCH))
            elif p.dim() == 2 and name.startswith("blocks"):
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))
            else:
                p.copy_(torch.randn(p.shape, generator=gen))


def fd_factors(a, b):
    """FD between the rows of a and b through S = B^T B factors (numpy, float64):
    |mu1 - mu2|^2 + tr S1 + tr S2 - 2 * sum of singular values of B1 B2^T."""
    m1, m2 = a.mean(0), b.mean(0)
    b1 = (a - m1) / np.sqrt(len(a) - 1)
    b2 = (b - m2) / np.sqrt(len(b) - 1)
    sv = np.linalg.svd(b1 @ b2.T, compute_uv=False)
    return float(((m1 - m2) ** 2).sum() + (b1 ** 2).sum() + (b2 ** 2).sum() - 2 * sv.sum())


CONFIG = """fidkit_config: 1
plugin: dinov2
variant: %s
weights:
  file: ./%s.pth
input:
  size: 224
  resize: pil_bicubic
  crop: none
  scale: 0.00392156862745098
  mean: [0.485, 0.456, 0.406]
  std: [0.229, 0.224, 0.225]
output: cls
device: cpu
threads: 0
batch_size: 8
"""


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    rng = np.random.default_rng(20261203)
    n = 6
    img = rng.integers(0, 256, size=(n, 3, SIZE, SIZE)).astype(np.float64) / 255
    mean = np.array([0.485, 0.456, 0.406])[:, None, None]
    std = np.array([0.229, 0.224, 0.225])[:, None, None]
    x = ((img - mean) / std).astype(np.float32)
    np.save(os.path.join(out, "inputs.npy"), x)
    variants = FAST + (SLOW if os.environ.get("FIDKIT_SLOW_TESTS") == "1" else [])
    if os.environ.get("FIDKIT_DINOV2_VARIANTS"):
        variants = os.environ["FIDKIT_DINOV2_VARIANTS"].split(",")
    for i, v in enumerate(variants):
        gen = torch.Generator().manual_seed(1000 + i)
        model = ViT(*DIMS[v]).eval()
        randomise(model, gen)
        torch.save(model.state_dict(), os.path.join(out, v + ".pth"))
        m64 = model.double()
        k = n if v in FAST else 4
        with torch.no_grad():
            cls, pm = m64(torch.from_numpy(x[:k]).double())
        cls, pm = cls.numpy(), pm.numpy()
        np.save(os.path.join(out, v + "_cls.npy"), cls)
        np.save(os.path.join(out, v + "_patch_mean.npy"), pm)
        np.save(os.path.join(out, v + "_fd.npy"), np.array([fd_factors(cls[:k // 2], cls[k // 2:])]))
        with open(os.path.join(out, v + ".yaml"), "w") as f:
            f.write(CONFIG % (v, v))
        print("%s: %d images, |cls| %.3g" % (v, k, np.abs(cls).max()))


if __name__ == "__main__":
    main()
