"""progress=True drives a tqdm bar when tqdm is importable (a stand-in
module here: Debian's python3-tqdm is not a dependency) and is silent
without it; the counts reach the number of images."""
import sys
import types

import fidkit


class FakeBar:
    bars = []

    def __init__(self, total=None, desc=None, unit=None):
        self.total, self.n, self.closed = total, 0, False
        FakeBar.bars.append(self)

    def update(self, k):
        self.n += k

    def close(self):
        self.closed = True


def test_progress_uses_tqdm_when_importable(fx, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    FakeBar.bars.clear()
    r = fidkit.fid(fx.real_dir, fx.fake_dir, backbone=fx.g4, progress=True)
    (bar,) = FakeBar.bars
    assert bar.closed and bar.n == 115 and bar.total == 115
    FakeBar.bars.clear()
    m = fidkit.fid(fx.real, fx.fake, backbone=fx.g4, progress=True)
    assert FakeBar.bars[0].n == 115
    assert abs(m.value - r.value) <= 1e-9 * r.value


def test_no_tqdm_is_silent(fx, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)   # import tqdm raises ImportError
    fidkit.fid(fx.real_dir, fx.fake_dir, backbone=fx.g4, progress=True)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
