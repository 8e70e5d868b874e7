"""Reference for the torchscript plugin: usage torchscript.py OUTDIR.

A small CNN with seeded random weights, exported three ways with
torch.jit.save: scripted (forward and an exported `embed` method), traced,
and one whose forward returns (n, d, 1, 1); plus a module returning a tuple,
which the plugin must refuse. Each has a YAML config naming it as weights;
the expected features are the eager module's outputs on the same inputs.

Files:
  inputs.npy                             (N, 3, SIDE, SIDE) float32
  scripted.pt, traced.pt, spatial.pt, tuple.pt
  {scripted,traced,embed,spatial}.yaml   configs that must work
  wrong_dim.yaml, tuple.yaml, no_method.yaml   configs that must fail
  {scripted,traced,embed,spatial}_features.npy
"""
import hashlib
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 99
N_IMAGES = 5
SIDE = 40
DIM = 16
EMBED_DIM = 8


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 12, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(12)
        self.conv2 = nn.Conv2d(12, 24, 3, stride=2, padding=1)
        self.fc = nn.Linear(24, DIM)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.gelu(self.conv2(y))
        return self.fc(y.mean(dim=(2, 3)))


class WithEmbed(nn.Module):
    """TinyNet plus a second exported method, as research models offer."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.proj = nn.Linear(DIM, EMBED_DIM)

    def forward(self, x):
        return self.net(x)

    @torch.jit.export
    def embed(self, x):
        return F.normalize(self.proj(self.net(x)), dim=1)


class Spatial(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[:, :, None, None]


class Pair(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        y = self.net(x)
        return y, y


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_config(path, weights, dim, method=None):
    with open(path, "w") as f:
        f.write("fidkit_config: 1\nplugin: torchscript\nvariant: default\n")
        f.write("weights:\n  file: %s\n  sha256: %s\n" % (os.path.basename(weights), sha256(weights)))
        f.write("input:\n  size: %d\n  resize: none\n  crop: none\n" % SIDE)
        f.write("  scale: 0.00392156862745098\n  mean: [0.5, 0.5, 0.5]\n  std: [0.5, 0.5, 0.5]\n")
        f.write("output: features\ndevice: cpu\nthreads: 0\nbatch_size: 4\n")
        f.write("options:\n  output_dim: %d\n" % dim)
        if method:
            f.write("  method: %s\n" % method)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    net = TinyNet()
    with torch.no_grad():
        net.bn1.running_mean.normal_(0, 0.2)
        net.bn1.running_var.uniform_(0.5, 2.0)
        net.bn1.weight.uniform_(0.5, 1.5)
        net.bn1.bias.normal_(0, 0.1)
    net.eval()
    full = WithEmbed(net).eval()
    x = torch.randn(N_IMAGES, 3, SIDE, SIDE)
    np.save(os.path.join(out, "inputs.npy"), x.numpy().astype(np.float32))
    with torch.no_grad():
        feats = net(x)
        emb = full.embed(x)

    p = lambda name: os.path.join(out, name)
    torch.jit.save(torch.jit.trace(net, x[:2]), p("traced.pt"))
    torch.jit.save(torch.jit.script(full), p("scripted.pt"))
    torch.jit.save(torch.jit.script(Spatial(net).eval()), p("spatial.pt"))
    torch.jit.save(torch.jit.script(Pair(net).eval()), p("tuple.pt"))

    write_config(p("scripted.yaml"), p("scripted.pt"), DIM)
    write_config(p("traced.yaml"), p("traced.pt"), DIM)
    write_config(p("embed.yaml"), p("scripted.pt"), EMBED_DIM, "embed")
    write_config(p("spatial.yaml"), p("spatial.pt"), DIM)
    write_config(p("wrong_dim.yaml"), p("scripted.pt"), DIM + 1)
    write_config(p("tuple.yaml"), p("tuple.pt"), DIM)
    write_config(p("no_method.yaml"), p("scripted.pt"), DIM, "no_such_method")
    for name, v in [("scripted", feats), ("traced", feats), ("embed", emb), ("spatial", feats)]:
        np.save(p(name + "_features.npy"), v.numpy().astype(np.float32))
    print("torchscript reference written to", out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fixtures/torchscript")
