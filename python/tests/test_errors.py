"""Refusals are exceptions, never crashes: different rulers raise
TagMismatchError from the library (both tags named), bad arrays and files
BadInputError naming the problem, bad arguments UsageError."""
import numpy as np
import pytest
import torch

import fidkit


def test_cross_backbone_is_refused_by_the_library(fx):
    a = fidkit.Backbone(fx.g4).feature_set(fx.real)
    b = fidkit.Backbone(fx.g8).feature_set(fx.fake)
    with pytest.raises(fidkit.TagMismatchError) as ex:
        fidkit.score(a, b, metrics=["fid", "kid"])
    msg = str(ex.value)
    assert "tiny_pool/g4:pool@random-0/32/clean" in msg
    assert "tiny_pool/g8:pool@random-0/32/clean" in msg
    assert ex.value.status == "tag" and isinstance(ex.value, fidkit.Error)
    with pytest.raises(fidkit.TagMismatchError):
        fidkit.fd(a.stats(), b.stats())


def test_declared_tag_mismatch_with_a_folder(fx):
    feats = fidkit.FeatureSet.from_features(np.ones((5, 48), np.float32) + np.arange(48),
                                            tag="tiny_pool/g4:pool@random-1/32/clean")
    with pytest.raises(fidkit.TagMismatchError):
        fidkit.fid(fx.real_dir, feats, backbone=fx.g4)


@pytest.mark.parametrize("bad, words", [
    (np.zeros((4, 32, 32, 3), np.int32), "uint8"),
    (np.zeros((32, 32, 3), np.uint8), "4 dimensions"),
    (np.zeros((0, 32, 32, 3), np.uint8), "empty"),
    (np.zeros((4, 32, 32, 4), np.uint8), "(N, H, W, 3)"),
    (np.full((2, 3, 8, 8), 1.5, np.float32), "[0, 1]"),
    (np.full((2, 3, 8, 8), np.nan, np.float32), "NaN"),
    (np.zeros((2, 8, 8, 3), np.float32), "(N, 3, H, W)"),
    ([], "empty"),
])
def test_bad_arrays(fx, bad, words):
    with pytest.raises(fidkit.BadInputError) as ex:
        fidkit.Backbone(fx.g4).features(bad)
    assert words in str(ex.value)


def test_nan_features_are_refused_by_the_library():
    x = np.ones((5, 3), np.float32)
    x[2, 1] = np.nan
    with pytest.raises(fidkit.BadInputError):
        fidkit.FeatureSet.from_features(x, tag="tiny_pool/g4:mean@random-0/32/clean")


def test_bad_feature_arrays():
    with pytest.raises(fidkit.BadInputError):
        fidkit.FeatureSet.from_features(np.ones(5), tag="tiny_pool/g4:mean@random-0/32/clean")
    with pytest.raises(fidkit.BadInputError):
        fidkit.FeatureSet.from_features(np.ones((0, 3)), tag="tiny_pool/g4:mean@random-0/32/clean")
    with pytest.raises(fidkit.Error):
        fidkit.FeatureSet.from_features(np.ones((4, 3)), tag="not a tag")


def test_missing_file_names_it(fx, tmp_path):
    missing = str(tmp_path / "nope.npz")
    with pytest.raises(fidkit.BadInputError) as ex:
        fidkit.Stats.load(missing)
    assert "nope.npz" in str(ex.value)
    with pytest.raises(fidkit.BadInputError) as ex:
        fidkit.fid(str(tmp_path / "no_folder"), fx.fake_dir, backbone=fx.g4)
    assert "no_folder" in str(ex.value)


def test_usage_errors(fx):
    with pytest.raises(fidkit.UsageError) as ex:
        fidkit.score(fx.real_dir, fx.fake_dir, metrics=["fid", "nope"], backbone=fx.g4)
    assert "nope" in str(ex.value)
    with pytest.raises(fidkit.UsageError):
        fidkit.fid(object(), fx.fake_dir, backbone=fx.g4)
    with pytest.raises(fidkit.UsageError) as ex:
        fidkit.clip_score(np.zeros((1, 8, 8, 3), np.uint8), ["a", "b"])
    assert "1 images but 2 captions" in str(ex.value)
    with pytest.raises(fidkit.Error):
        fidkit.Backbone("no_such_config_anywhere")


def test_stats_cannot_feed_kid(fx):
    st = fidkit.Backbone(fx.g4).feature_set(fx.real).stats()
    with pytest.raises(fidkit.UsageError) as ex:
        fidkit.score(st, st, metrics=["kid"], interval=False)
    assert "kid" in str(ex.value)


def test_gpu_tensor_is_a_clear_error(fx):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    with pytest.raises(fidkit.UsageError):
        fidkit.Backbone(fx.g4).features(torch.zeros((1, 3, 8, 8)).cuda())
