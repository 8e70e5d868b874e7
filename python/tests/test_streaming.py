"""Streaming: rows pushed in random batch sizes over several updates, and
states merged from 3 shards, give the FD of one pass (<= 1e-12 relative);
images streamed through a backbone give the CLI's FD of the folder."""
import pickle

import numpy as np
import pytest

import fidkit
from conftest import cli

TAG = "tiny_pool/g4:pool@random-0/32/clean"


def rows(seed, n, d, shift=0.0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d)) / np.sqrt(d)
    return (rng.standard_normal((n, d)) @ a + shift).astype(np.float32)


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b))


def batches(x, rng):
    i = 0
    while i < len(x):
        k = int(rng.integers(1, 40))
        yield x[i:i + k]
        i += k


@pytest.fixture(scope="module")
def data():
    return rows(1, 700, 48), rows(2, 650, 48, shift=0.1)


def one_pass(real, fake):
    return fidkit.fd(fidkit.Stats.from_features(real, TAG), fidkit.Stats.from_features(fake, TAG))


def test_random_batches_equal_one_pass(data):
    real, fake = data
    ref = one_pass(real, fake)
    m = fidkit.Evaluator(["fid"], tag=TAG, dim=48)
    rng = np.random.default_rng(3)
    for b in batches(real, rng):
        m.update(b, real=True)
    for b in batches(fake, rng):
        m.update(b, real=False)
    got = m.compute()[0]
    assert rel(got.value, ref.value) <= 1e-12
    assert got.tag == ref.tag == TAG and got.n == (700, 650)


def test_three_shards_merged_equal_one_pass(data):
    real, fake = data
    ref = one_pass(real, fake)
    cuts_r, cuts_f = [0, 123, 400, 700], [0, 300, 301, 650]
    states = []
    rng = np.random.default_rng(4)
    for s in range(3):
        m = fidkit.Evaluator(["fid"], tag=TAG, dim=48)
        for b in batches(real[cuts_r[s]:cuts_r[s + 1]], rng):
            m.update(b, real=True)
        for b in batches(fake[cuts_f[s]:cuts_f[s + 1]], rng):
            m.update(b, real=False)
        states.append(pickle.loads(pickle.dumps(m.state())))   # as from another process
    merged = fidkit.merge(states).compute()[0]
    assert rel(merged.value, ref.value) <= 1e-12
    assert merged.n == (700, 650)
    assert states[0]["sides"]["real"][0]["mean"].dtype == np.float64


def test_merge_refuses_other_tags(data):
    real, fake = data
    a = fidkit.Evaluator(["fid"], tag=TAG, dim=48)
    b = fidkit.Evaluator(["fid"], tag="tiny_pool/g4:pool@random-1/32/clean", dim=48)
    for m in (a, b):
        m.update(real[:10], real=True)
        m.update(fake[:10], real=False)
    with pytest.raises(fidkit.TagMismatchError):
        fidkit.merge([a.state(), b.state()])


def test_kid_shards_keep_rows(data):
    real, fake = data
    shards = []
    for s in range(3):
        m = fidkit.Evaluator(["kid"], tag=TAG, dim=48, kid_subsets=10, kid_subset_size=100)
        m.update(real[s::3], real=True)
        m.update(fake[s::3], real=False)
        shards.append(m.state())
    got = fidkit.merge(shards).compute()["kid"]
    ref_real = np.concatenate([real[s::3] for s in range(3)])
    ref_fake = np.concatenate([fake[s::3] for s in range(3)])
    ref = fidkit.score(fidkit.FeatureSet.from_features(ref_real, TAG),
                       fidkit.FeatureSet.from_features(ref_fake, TAG), metrics=["kid"],
                       interval=False, kid_subsets=10, kid_subset_size=100)["kid"]
    assert got.value == ref.value


def test_fid_images_streamed_equal_cli(fx):
    doc, _ = cli("fid", fx.real_dir, fx.fake_dir, "--backbone", fx.g4)
    m = fidkit.FrechetInceptionDistance(feature=48, backbone=fx.g4)
    rng = np.random.default_rng(5)
    for b in batches(fx.real, rng):
        m.update(b, real=True)
    for b in batches(fx.fake, rng):
        m.update(b, real=False)
    r = m.compute()
    # The CLI folds loader batches of 6 into its moments, this test random
    # batches: the same rows (bit-identical, test_memory), moments equal to
    # ~1e-16, and the FD's cancellation (traces of ~30 against FD ~1) lifts
    # that to ~1e-11 here.
    assert rel(r.value, doc["results"][0]["value"]) <= 1e-9
    assert r.tag == doc["results"][0]["tag"]
    m.reset()
    with pytest.raises(fidkit.BadInputError):
        m.compute()


def test_reset_real_features_false_keeps_real(fx):
    m = fidkit.FrechetInceptionDistance(feature="pool", backbone=fx.g4, reset_real_features=False)
    m.update(fx.real, real=True)
    m.update(fx.fake, real=False)
    first = m.compute().value
    m.reset()
    assert m.count(True) == 60 and m.count(False) == 0
    m.update(fx.fake, real=False)
    assert m.compute().value == first


def test_feature_must_match_the_backbone(fx):
    with pytest.raises(fidkit.UsageError):
        fidkit.FrechetInceptionDistance(feature=2048, backbone=fx.g4)


def test_kid_evaluator_equals_score(fx):
    m = fidkit.KernelInceptionDistance(feature=48, subsets=10, subset_size=50, backbone=fx.g4)
    m.update(fx.real[:30], real=True)
    m.update(fx.real[30:], real=True)
    m.update(fx.fake, real=False)
    r = m.compute()
    ref = fidkit.score(fx.real_dir, fx.fake_dir, backbone=fx.g4, metrics=["kid"], interval=False,
                       kid_subsets=10, kid_subset_size=50)["kid"]
    assert r.to_dict() == ref.to_dict()
    big = fidkit.KernelInceptionDistance(feature=48, subset_size=1000, backbone=fx.g4)
    big.update(fx.real, real=True)
    big.update(fx.fake, real=False)
    with pytest.raises(fidkit.Error):
        big.compute()                          # fewer samples than subset_size, as torchmetrics
