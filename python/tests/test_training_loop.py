"""The training-loop example of docs/python.md, shrunk: a tiny torch
generator trained for a few steps, scored every N steps with the
torchmetrics-style evaluator; the real side is pushed once and kept
(reset_real_features=False). Each score must equal fidkit.fid of the same
generated images, and the loop must leave the generator trainable."""
import numpy as np
import torch

import fidkit


class Generator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 3 * 16 * 16), torch.nn.Sigmoid())

    def forward(self, z):
        return self.net(z).view(-1, 3, 16, 16)      # floats in [0, 1], NCHW


def test_training_loop_scores_every_n_steps(fx):
    torch.manual_seed(0)
    g = Generator()
    opt = torch.optim.SGD(g.parameters(), lr=0.5)
    target = torch.from_numpy(fx.real[:, :16, :16]).permute(0, 3, 1, 2).float() / 255
    metric = fidkit.FrechetInceptionDistance(feature="pool", backbone=fx.g4,
                                             reset_real_features=False)
    metric.update(fx.real, real=True)
    scores = []
    z_eval = torch.randn(64, 8)
    for step in range(1, 31):
        z = torch.randn(32, 8)
        loss = ((g(z).mean(0) - target.mean(0)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0:
            with torch.no_grad():
                fake = g(z_eval)
            metric.reset()                     # generated side only
            for chunk in fake.split(16):
                metric.update(chunk, real=False)
            r = metric.compute()
            assert np.isfinite(r.value) and r.n == (60, 64)
            assert abs(r.value - fidkit.fid(fx.real, fake, backbone=fx.g4).value) \
                <= 1e-9 * r.value
            scores.append(r.value)
    assert len(scores) == 3
    assert scores[-1] < scores[0]              # matching the mean colour lowers the FD
