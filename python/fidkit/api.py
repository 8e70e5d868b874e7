"""One-call evaluations: fid, score, inception_score, fd (clip_score is in
clip.py, over fk_clipscore_evaluate). Each builds the same
fk_eval_options the CLI command builds and calls fk_evaluate, so the
numbers, tags and refusals are the CLI's."""
from __future__ import annotations

import json
import os
from typing import Any, Iterable, Sequence, Union

from . import _arrays
from ._core import Accumulator, FeatureSet, Stats, check, load_config, new_error, parse_tag
from ._lib import ffi, lib, s
from .errors import UsageError

METRICS = ("fid", "sfid", "kid", "pr", "prdc", "is", "fd-inf", "cmmd")
_IS_DEFAULT_OUTPUT = "logits_unbiased"
# A side: a path, Stats, FeatureSet (or a list of them), or images in memory.
Input = Union[str, "os.PathLike[str]", Stats, FeatureSet, Sequence[FeatureSet], Any]
_SFID_OUTPUT = "spatial"


class Result:
    """One score: ``value``, ``interval`` ((lo, hi) or None), ``n`` (samples
    per side), ``tag``, ``convention``, ``backbone`` (plugin name),
    ``name`` (FID, FD_CLIP, KID, precision, ...), ``metric`` (the request:
    fid, kid, pr, ...), ``details``; ``to_dict()`` is the item of the CLI's
    ``--json`` "results" list for the same inputs. float(result) is the value."""

    def __init__(self, d):
        self._d = d
        self.metric = d["metric"]
        self.name = d["name"]
        self.value = d["value"]
        iv = d.get("interval")
        self.interval = (iv["lo"], iv["hi"]) if iv else None
        self.n = tuple(d["n"])
        self.tag = d["tag"]
        self.tag_short = d["tag_short"]
        self.convention = d["convention"]
        self.backbone = d["backbone"]
        self.details = d["details"]

    def to_dict(self):
        return json.loads(json.dumps(self._d))

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        iv = " [%.6g, %.6g]" % self.interval if self.interval else ""
        return "<%s %.6g%s n=%s tag=%s>" % (self.name, self.value, iv, list(self.n), self.tag)


class Results(list):
    """The results of one evaluation, in the CLI's order. Index by position,
    by label (``r["FID"]``, ``r["precision"]``) or by metric (``r["kid"]``,
    the first of that metric). ``to_dict()`` is the CLI's whole ``--json``
    document (schema fidkit-result/1), timings included."""

    def __init__(self, doc):
        super().__init__(Result(x) for x in doc["results"])
        self._doc = doc
        self.notes = list(doc.get("notes", []))
        self.datasets = doc.get("datasets", [])

    def __getitem__(self, key):
        if isinstance(key, str):
            for r in self:
                if r.name == key:
                    return r
            for r in self:
                if r.metric == key:
                    return r
            raise KeyError("%s (have %s)" % (key, ", ".join(r.name for r in self)))
        return list.__getitem__(self, key)

    def to_dict(self):
        return json.loads(json.dumps(self._doc))


def _metric_mask(metrics):
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",")]
    metrics = list(metrics)
    if not metrics:
        raise UsageError("no metric requested (%s)" % ", ".join(METRICS))
    mask = ffi.new("unsigned *")
    e = new_error()
    check(lib.fk_metric_parse_list(",".join(metrics).encode(), mask, e), e)
    return mask[0]


class _Progress:
    """A tqdm bar when tqdm is importable and asked for, else nothing."""

    def __init__(self, enabled, label, total=None):
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=total, desc=label, unit="img")

    def callback(self):
        if self.bar is None:
            return ffi.NULL

        # The library reports (done, total) per dataset; one bar spans both
        # sides: a count that goes back down is the next dataset starting.
        seen = {"offset": 0, "done": 0, "total": 0}

        @ffi.callback("void(void *, int64_t, int64_t)")
        def cb(user, done, total):
            if done < seen["done"]:
                seen["offset"] += seen["total"]
            seen["done"], seen["total"] = done, total
            self.bar.total = seen["offset"] + total
            self.bar.update(seen["offset"] + done - self.bar.n)
        self._cb = cb
        return cb

    def update(self, n):
        if self.bar is not None:
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _options(keep, backbone=None, metrics=("fid",), interval=False, replicates=None,
             replicates_other=None, seed=None, kid_subset_size=None, kid_subsets=None,
             splits=None, is_convention="torch-fidelity", kid_convention=None, is_output=None, assume=None,
             batch_size=None, threads=None, limit=None, subset=None, skip_bad=False,
             gray16_pil=False, fd_method="auto", eps=None):
    """An fk_eval_options * as the CLI builds it from the same flags; keep
    holds the C objects it points to."""
    o = ffi.new("fk_eval_options *", lib.fk_eval_default_options())

    def cstr(v):
        b = ffi.new("char[]", os.fsencode(v))
        keep.append(b)
        return b

    if backbone is not None:
        o.backbone = cstr(backbone)
    o.metrics = _metric_mask(metrics)
    o.interval = 1 if interval else 0
    if replicates is not None:
        o.replicates_fd = int(replicates)
    if replicates_other is not None:
        o.replicates_other = int(replicates_other)
    if kid_subset_size is not None:
        o.kid_subset_size = int(kid_subset_size)
    if kid_subsets is not None:
        o.kid_subsets = int(kid_subsets)
    # The library's own parsers, so a convention's name means what the CLI's does.
    conv = ffi.new("int *")
    if lib.fk_is_convention_parse(os.fsencode(is_convention), ffi.cast("fk_is_convention *", conv)):
        raise UsageError("is_convention is torch-fidelity, adm or fidkit, not %r" % (is_convention,))
    o.is_convention = conv[0]
    if kid_convention is not None:
        if lib.fk_kid_convention_parse(os.fsencode(kid_convention),
                                           ffi.cast("fk_kid_convention *", conv)):
            raise UsageError("kid_convention is torch-fidelity, clean-fid, torchmetrics or "
                             "fidkit, not %r" % (kid_convention,))
        o.kid_convention = conv[0]
    if splits is not None:
        o.is_splits = int(splits)
    if is_convention == "adm":
        o.is_splits = 0
    if is_output is not None:
        o.is_output = cstr(is_output)
    if assume is not None:
        t = parse_tag(assume)
        keep.append(t)
        o.assume = t
    ex = o.extract
    if batch_size:
        ex.loader.batch_size = int(batch_size)
    if threads:
        ex.loader.threads = int(threads)
    if subset:
        ex.dataset.limit = int(subset)
        ex.dataset.random_subset = 1
    elif limit:
        ex.dataset.limit = int(limit)
    if seed is not None:
        o.seed = int(seed)
        ex.dataset.seed = int(seed)
    ex.loader.skip_bad = 1 if skip_bad else 0
    ex.dataset.decode.gray16_pil_clip = 1 if gray16_pil else 0
    methods = {"auto": 0, "cholesky": 1, "eigen": 2}
    if fd_method not in methods:
        raise UsageError("fd_method is auto, cholesky or eigen, not %r" % (fd_method,))
    o.fd.method = methods[fd_method]
    if eps is not None:
        o.fd.eps = float(eps)
    return o


def _layers(o, n_inputs, cfg_output):
    """The outputs fk_evaluate will look for, in its order (main first)."""
    names = []
    m = o.metrics
    is_bit, sfid_bit = 1 << METRICS.index("is"), 1 << METRICS.index("sfid")
    if m & ~is_bit or n_inputs == 2:
        names.append(cfg_output)
    if m & is_bit:
        names.append(s(ffi.cast("char *", o.is_output)) if o.is_output != ffi.NULL
                     else _IS_DEFAULT_OUTPUT)
    if m & sfid_bit:
        names.append(_SFID_OUTPUT)
    return names


def _needs_rows(o):
    fd_only = (1 << METRICS.index("fid")) | (1 << METRICS.index("sfid"))
    return bool(o.metrics & ~fd_only) or bool(o.interval)


def _input(x, o, n_inputs, keep, progress, what, state):
    """An fk_eval_input for one side: a path goes to the library as is (the
    CLI's route); Stats and FeatureSets as objects; arrays through the
    backbone's accumulator first."""
    inp = ffi.new("fk_eval_input *")
    keep.append(inp)
    if isinstance(x, (str, bytes, os.PathLike)):
        p = ffi.new("char[]", os.fsencode(x))
        keep.append(p)
        inp.path = p
    elif isinstance(x, Stats):
        keep.append(x)
        inp.stats = x._c
    elif isinstance(x, FeatureSet) or (isinstance(x, (list, tuple)) and x
                                       and all(isinstance(f, FeatureSet) for f in x)):
        sets = [x] if isinstance(x, FeatureSet) else list(x)
        arr = ffi.new("fk_featset[]", len(sets))
        for i, fs in enumerate(sets):
            arr[i] = fs._c[0]
        keep.extend([sets, arr])
        inp.sets, inp.n_sets = arr, len(sets)
    elif _arrays.is_array(x):
        backbone = ffi.string(o.backbone).decode() if o.backbone != ffi.NULL else None
        if "cfg" not in state:
            state["cfg"] = load_config(backbone or "inception_v3_fid")
        cfg = state["cfg"]
        names = _layers(o, n_inputs, s(cfg.output))
        # Rows when a metric needs them (as the CLI keeps them); sFID too,
        # since a stats input carries the main output only.
        rows = _needs_rows(o) or bool(o.metrics & (1 << METRICS.index("sfid")))
        # One backbone for both sides: opening one (a network's weights) is
        # the slow part; what a side needs is copied out before the reset.
        if "acc" not in state:
            state["acc"] = Accumulator(s(cfg.path), names, keep_rows=rows)
        acc = state["acc"]
        acc.reset()
        acc.push_images(x, what, progress)
        state["backbone"] = s(cfg.path)
        if rows:
            got = [acc.featset(k) for k in range(acc.n_outputs)]
        else:
            got = acc.stats(0)
        acc.reset()
        return _input(got, o, n_inputs, keep, progress, what, state)
    else:
        raise UsageError("%s: expected a path, fidkit.Stats, fidkit.FeatureSet or an image array, "
                         "not %s" % (what, type(x).__name__))
    return inp


def evaluate(inputs: Sequence[Input], command: str, progress: bool = False,
             **options) -> "Results":
    """The general call under fid/score/inception_score/fd: inputs is one
    or two sides; options are those of the CLI (see :func:`score`).
    Returns :class:`Results`."""
    keep = []
    o = _options(keep, **options)
    bar = _Progress(progress, command)
    o.extract.progress = bar.callback()
    state = {}
    roles = ["generated"] if len(inputs) == 1 else ["real", "generated"]
    try:
        ins = [_input(x, o, len(inputs), keep, bar, roles[k], state) for k, x in enumerate(inputs)]
        arr = ffi.new("fk_eval_input[]", len(ins))
        for k, i in enumerate(ins):
            arr[k] = i[0]
        res, e = ffi.new("fk_results *"), new_error()
        check(lib.fk_evaluate(arr, len(ins), o, res, e), e)
    finally:
        bar.close()
    try:
        if not ffi.string(res.backbone) and "backbone" in state:
            res.backbone = state["backbone"].encode()[:1023]
        text = lib.fk_results_json(res, command.encode(), 0)
        if text == ffi.NULL:
            raise MemoryError("fidkit: out of memory serialising results")
        try:
            doc = json.loads(ffi.string(text).decode("utf-8"))
        finally:
            lib.free(text)
    finally:
        lib.fk_results_free(res)
    return Results(doc)


def fid(real: Input, fake: Input, backbone: str = "inception_v3_fid", interval: bool = False,
        progress: bool = False, **options) -> Result:
    """The Fréchet distance of two sets in a backbone's space (FID for the
    FID Inception, FD_<space> otherwise), as ``fidkit fid REAL FAKE --json``.

    real, fake: a path (folder, .zip, .npz/.npy of uint8 samples, .txt list,
    manifest, stats file, features file), a Stats or FeatureSet, or images
    in memory (see fidkit._arrays). interval=True adds the 95 % bootstrap
    interval (``--ci bootstrap``). Other options: replicates, assume (the tag
    of untagged files), batch_size, threads, limit, subset, seed, skip_bad,
    gray16_pil. Returns a :class:`Result`."""
    return evaluate([real, fake], "fid", progress=progress, backbone=backbone,
                    metrics=["fid"], interval=interval, **options)[0]


def score(real: Input, fake: Input, metrics: Iterable[str] = ("fid", "kid", "pr"),
          backbone: str = "inception_v3_fid", interval: bool = True, progress: bool = False,
          **options) -> Results:
    """Several metrics from one extraction per side, as ``fidkit score
    --metrics LIST --json`` (intervals on by default, as there).

    metrics: any of fid, sfid, kid, pr, prdc, is, fd-inf, cmmd. Options:
    replicates (FD-type), replicates_other, kid_subsets, kid_subset_size,
    splits (IS), seed, assume, and the extraction options of :func:`fid`.
    Returns :class:`Results`."""
    return evaluate([real, fake], "score", progress=progress, backbone=backbone,
                    metrics=metrics, interval=interval, **options)


def inception_score(images: Input, backbone: str = "inception_v3_fid",
                    convention: str = "torch-fidelity", splits: int | None = None,
                    output: str | None = None, interval: bool = False, progress: bool = False,
                    **options) -> Result:
    """The Inception Score of one set, as ``fidkit is --json``: convention
    torch-fidelity (10 shuffled splits) or adm; output defaults to
    logits_unbiased. Returns a :class:`Result` (details["std"]: over splits)."""
    return evaluate([images], "is", progress=progress, backbone=backbone, metrics=["is"],
                    is_convention=convention, splits=splits, is_output=output,
                    interval=interval, **options)[0]


def fd(stats_a: Union[Stats, str], stats_b: Union[Stats, str], assume: str | None = None,
       method: str = "auto", eps: float | None = None) -> Result:
    """The Fréchet distance of two Stats (or stats files), as ``fidkit fd
    A B --json``. Returns a :class:`Result`."""
    sides = [Stats.load(x) if isinstance(x, (str, bytes, os.PathLike)) else x
             for x in (stats_a, stats_b)]
    for x in sides:
        if not isinstance(x, Stats):
            raise UsageError("fd takes two fidkit.Stats or stats files, not %s"
                             % type(x).__name__)
    return evaluate(sides, "fd", metrics=["fid"], interval=False, assume=assume,
                    fd_method=method, eps=eps)[0]
