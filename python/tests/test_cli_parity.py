"""The Python API gives the CLI's --json: the same numbers, tags,
conventions and sample counts, for the same inputs and options. Path
inputs take the library's very route, so the documents must be equal
(timings aside); in-memory arrays are pushed through the accumulator and
must agree with the folder of the same images as PNG."""

import fidkit
from conftest import cli, strip_timings


def close(a, b, rel):
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def test_fid_paths_equal_cli(fx):
    doc, _ = cli("fid", fx.real_dir, fx.fake_dir, "--backbone", fx.g4)
    r = fidkit.fid(fx.real_dir, fx.fake_dir, backbone=fx.g4)
    assert r.to_dict() == doc["results"][0]
    assert r.value == doc["results"][0]["value"]
    assert r.tag == "tiny_pool/g4:pool@random-0/32/clean"
    assert r.n == (60, 55) and r.name == "FD_g4" and r.interval is None
    full = fidkit.evaluate([fx.real_dir, fx.fake_dir], "fid", backbone=fx.g4, metrics=["fid"],
                           interval=False)
    assert strip_timings(full.to_dict()) == strip_timings(doc)


def test_fid_interval_equals_cli(fx):
    doc, _ = cli("fid", fx.real_dir, fx.fake_dir, "--backbone", fx.g4, "--ci", "bootstrap",
                 "--replicates", "30", "--seed", "7")
    r = fidkit.fid(fx.real_dir, fx.fake_dir, backbone=fx.g4, interval=True, replicates=30, seed=7)
    assert r.to_dict() == doc["results"][0]
    assert r.interval == (doc["results"][0]["interval"]["lo"], doc["results"][0]["interval"]["hi"])


ALL_TINY = "fid,kid,pr,prdc,fd-inf,cmmd"


def test_score_all_metrics_equal_cli(fx):
    doc, _ = cli("score", fx.real_dir, fx.fake_dir, "--backbone", fx.g4, "--metrics", ALL_TINY,
                 "--replicates", "20", "--replicates-other", "10", "--kid-subsets", "20")
    rs = fidkit.score(fx.real_dir, fx.fake_dir, backbone=fx.g4, metrics=ALL_TINY.split(","),
                      replicates=20, replicates_other=10, kid_subsets=20)
    assert strip_timings(rs.to_dict()) == strip_timings(doc)
    assert [r.to_dict() for r in rs] == doc["results"]
    assert rs["KID"].value == doc["results"][1]["value"]
    assert rs.notes == doc["notes"]


def test_score_in_memory_equals_cli_on_the_png_folder(fx):
    doc, _ = cli("score", fx.real_dir, fx.fake_dir, "--backbone", fx.g4, "--metrics", ALL_TINY,
                 "--replicates", "20", "--replicates-other", "10", "--kid-subsets", "20")
    rs = fidkit.score(fx.real, fx.fake, backbone=fx.g4, metrics=ALL_TINY.split(","),
                      replicates=20, replicates_other=10, kid_subsets=20)
    assert len(rs) == len(doc["results"])
    for r, c in zip(rs, doc["results"]):
        # Rows are bit-identical (test_memory), so every metric is too.
        assert r.value == c["value"], (r.name, r.value, c["value"])
        assert r.interval == ((c["interval"]["lo"], c["interval"]["hi"]) if c["interval"] else None)
        assert (r.tag, r.convention, list(r.n), r.name) == (c["tag"], c["convention"], c["n"],
                                                             c["name"])
    d = rs.to_dict()
    assert [s["path"] for s in d["datasets"]] == ["memory", "memory"]
    assert d["backbone"] == doc["backbone"]


def test_fid_in_memory_moments_match_cli(fx):
    # FD alone keeps moments only, accumulated per pushed batch rather than
    # per loader batch: equal up to rounding of the moment updates.
    doc, _ = cli("fid", fx.real_dir, fx.fake_dir, "--backbone", fx.g4)
    r = fidkit.fid(fx.real, fx.fake, backbone=fx.g4)
    assert close(r.value, doc["results"][0]["value"], 1e-9)
    assert r.tag == doc["results"][0]["tag"] and list(r.n) == doc["results"][0]["n"]


def test_fd_of_stats_files_equals_cli(fx, tmp_path):
    a, b = str(tmp_path / "a.npz"), str(tmp_path / "b.npz")
    cli("stats", fx.real_dir, "-o", a, "--backbone", fx.g4)
    cli("stats", fx.fake_dir, "-o", b, "--backbone", fx.g4)
    doc, _ = cli("fd", a, b)
    r = fidkit.fd(a, b)
    assert strip_timings(fidkit.evaluate([fidkit.Stats.load(a), fidkit.Stats.load(b)], "fd",
                                         metrics=["fid"], interval=False).to_dict()) \
        == strip_timings(doc)
    assert r.value == doc["results"][0]["value"] and r.tag == doc["results"][0]["tag"]
    st = fidkit.Stats.load(a)
    assert st.n == 60 and st.d == 48 and st.tag == r.tag and st.sigma.shape == (48, 48)


def test_features_file_inputs_equal_cli(fx, tmp_path):
    a, b = str(tmp_path / "fa.npz"), str(tmp_path / "fb.npz")
    cli("extract", fx.real_dir, "-o", a, "--backbone", fx.g4)
    cli("extract", fx.fake_dir, "-o", b, "--backbone", fx.g4)
    doc, _ = cli("score", a, b, "--metrics", "fid,kid", "--replicates", "10",
                 "--replicates-other", "10")
    rs = fidkit.score(fidkit.FeatureSet.load(a), fidkit.FeatureSet.load(b), metrics=["fid", "kid"],
                      replicates=10, replicates_other=10)
    for r, c in zip(rs, doc["results"]):
        assert r.to_dict() == c


# ---- the Inception: IS, sFID, the whole family (seeded random weights) ----
# The random-weight Inception costs ~4 s to build and ~0.3 s an image on one
# core: few images, few builds.
N_INC = 4


def _limit(args):
    return [*args, "--limit", str(N_INC), "--backbone", "inception_v3_random"]


def test_inception_score_equals_cli(fx):
    doc, _ = cli("is", fx.fake_dir, *_limit(["--splits", "2"]))
    r = fidkit.inception_score(fx.fake_dir, backbone="inception_v3_random", splits=2, limit=N_INC)
    assert r.to_dict() == doc["results"][0]
    assert r.tag.startswith("inception_v3/fid:logits_unbiased@random-0/299/")


def test_score_with_sfid_and_is_equals_cli(fx):
    metrics = "fid,sfid,kid,is"
    doc, _ = cli("score", fx.real_dir, fx.fake_dir,
                 *_limit(["--metrics", metrics, "--ci", "none", "--splits", "2",
                          "--kid-subsets", "5"]))
    rs = fidkit.score(fx.real_dir, fx.fake_dir, backbone="inception_v3_random",
                      metrics=metrics.split(","), interval=False, splits=2, kid_subsets=5,
                      limit=N_INC)
    assert strip_timings(rs.to_dict()) == strip_timings(doc)
    assert {r.name for r in rs} >= {"sFID", "IS", "KID"}
