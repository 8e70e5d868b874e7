"""In-memory images equal the same images as PNG files in a folder: the
same pixels through the same preprocessing give bit-identical features.
Floats convert as torchmetrics' (imgs * 255).byte(), checked against torch
itself."""
import numpy as np
import pytest
import torch

import fidkit
from conftest import cli


@pytest.fixture(scope="module")
def folder_rows(fx, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("feats") / "real.npz")
    cli("extract", fx.real_dir, "-o", path, "--backbone", fx.g4)
    return fidkit.FeatureSet.load(path)


def test_numpy_uint8_equals_png_folder(fx, folder_rows):
    bb = fidkit.Backbone(fx.g4)
    rows = bb.features(fx.real)
    assert rows.dtype == np.float32 and rows.shape == (60, 48)
    assert np.array_equal(rows, folder_rows.rows)          # bit-identical
    assert bb.tag == folder_rows.tag


def test_list_of_images_of_any_size(fx, folder_rows):
    bb = fidkit.Backbone(fx.g4)
    small = [im[:30, :20] for im in fx.real[:3]]
    rows = bb.features(list(fx.real[:5]) + small)
    assert np.array_equal(rows[:5], folder_rows.rows[:5])
    assert rows.shape == (8, 48)
    assert np.array_equal(rows[5:], bb.features(np.stack(small)))


def test_torch_uint8_nchw_equals_numpy_nhwc(fx):
    bb = fidkit.Backbone(fx.g4)
    t = torch.from_numpy(fx.real[:7]).permute(0, 3, 1, 2).contiguous()
    assert np.array_equal(bb.features(t), bb.features(fx.real[:7]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_nchw_converts_like_torchmetrics(fx, dtype):
    bb = fidkit.Backbone(fx.g4)
    f = torch.from_numpy(fx.real[:9]).permute(0, 3, 1, 2).to(dtype) / 255.0
    expect = (f * 255).byte()            # torchmetrics' normalize=True conversion
    ref = bb.features(expect.permute(0, 2, 3, 1).contiguous().numpy())
    assert np.array_equal(bb.features(f), ref)
    assert np.array_equal(bb.features(f.numpy()), ref)


def test_from_features_round_trip(fx, tmp_path, folder_rows):
    fs = fidkit.FeatureSet.from_features(folder_rows.rows, tag=folder_rows.tag)
    assert fs.tag == folder_rows.tag and np.array_equal(fs.rows, folder_rows.rows)
    p = str(tmp_path / "f.npz")
    fs.save(p)
    back = fidkit.FeatureSet.load(p)
    assert np.array_equal(back.rows, fs.rows) and back.tag == fs.tag
    st = fidkit.Stats.from_features(folder_rows.rows, tag=folder_rows.tag)
    assert np.allclose(st.mu, folder_rows.rows.astype(np.float64).mean(0), rtol=0, atol=1e-12)
    assert np.allclose(st.sigma, np.cov(folder_rows.rows.astype(np.float64), rowvar=False),
                       rtol=1e-10, atol=1e-12)
    sp = str(tmp_path / "s.npz")
    st.save(sp)
    st2 = fidkit.Stats.load(sp)
    assert st2.tag == st.tag and np.array_equal(st2.sigma, st.sigma) and st2.n == 60
