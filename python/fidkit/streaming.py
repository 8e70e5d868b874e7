"""Streaming evaluators for training loops, with torchmetrics' method
names (update(imgs, real=True), compute(), reset()), plus state() and
merge() to combine shards computed in several processes exactly: each
side keeps float64 moments (count, mean, scatter matrix) that merge by
Chan's pairwise update, in the order the states are given."""
import numpy as np

from . import api
from ._core import Accumulator, check, load_config, new_error, parse_tag
from ._lib import lib, s
from .errors import BadInputError, UsageError

STATE_FORMAT = "fidkit-evaluator-state/1"
_SIDES = ("real", "fake")


class Evaluator:
    """Accumulates both sides of an evaluation batch by batch.

    ``Evaluator(metrics=["fid", "kid"], backbone="inception_v3_fid")`` takes
    images (see fidkit._arrays) through the backbone; with ``tag=TAG,
    dim=d`` it takes (N, d) float features computed elsewhere under that
    declared tag. Metrics beyond FD keep every row (as the CLI does);
    FD alone keeps moments only (O(d^2) memory whatever N). Other
    keyword options are :func:`fidkit.score`'s (kid_subsets, seed, ...).
    ``compute()`` returns :class:`fidkit.Results`."""

    def __init__(self, metrics=("fid",), backbone="inception_v3_fid", tag=None, dim=None,
                 interval=False, reset_real_features=True, progress=False, _sides=None,
                 **options):
        self.metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        api._metric_mask(self.metrics)
        self.backbone = backbone if tag is None else None
        self.interval = bool(interval)
        self.reset_real_features = reset_real_features
        self.progress = progress
        self.options = options
        beyond_fd = [m for m in self.metrics if m not in ("fid", "sfid")]
        self.keep_rows = bool(beyond_fd) or self.interval or "sfid" in self.metrics
        if _sides is not None:
            self._sides = _sides
            return
        if tag is not None:
            if "is" in self.metrics or "sfid" in self.metrics:
                raise UsageError("is and sfid need a backbone's extra outputs; a features "
                                 "evaluator (tag=...) holds one output")
            if dim is None:
                raise UsageError("a features evaluator needs dim, the feature dimension")
            self._sides = {k: [(Accumulator(tag=tag, dim=dim, keep_rows=self.keep_rows), 0)]
                           for k in _SIDES}
        else:
            cfg = load_config(backbone)
            self.backbone = s(cfg.path)
            names = self._layer_names(s(cfg.output))
            self._sides = {}
            for k in _SIDES:
                acc = Accumulator(self.backbone, names, keep_rows=self.keep_rows)
                self._sides[k] = [(acc, i) for i in range(acc.n_outputs)]

    def _layer_names(self, main):
        names = [main] if self.metrics != ["is"] else []
        if "is" in self.metrics:
            names.append(self.options.get("is_output") or api._IS_DEFAULT_OUTPUT)
        if "sfid" in self.metrics:
            names.append(api._SFID_OUTPUT)
        return names

    @property
    def tags(self):
        return [a.tag(k) for a, k in self._sides["real"]]

    def count(self, real):
        a, k = self._sides["real" if real else "fake"][0]
        return int(a.moments(k)[0])

    def update(self, x, real=True):
        """Adds a batch to the real (real=True) or generated side: images for
        a backbone evaluator, (N, d) features for a features one."""
        side = self._sides["real" if real else "fake"]
        acc = side[0][0]
        if acc.is_features:
            if len(side) != 1:
                raise UsageError("this merged evaluator holds %d outputs; update a fresh one"
                                 % len(side))
            acc.push_features(x, 0, "real features" if real else "generated features")
        else:
            if len({id(a) for a, _ in side}) != 1:
                raise UsageError("a merged evaluator takes no more images: merge the shard in")
            if self.progress and getattr(self, "_bar", None) is None:
                self._bar = api._Progress(True, type(self).__name__)
            acc.push_images(x, "real images" if real else "generated images",
                            getattr(self, "_bar", None))

    def reset(self):
        """Forgets the generated side, and the real one unless
        reset_real_features=False (torchmetrics' behaviour)."""
        for k in _SIDES:
            if k == "fake" or self.reset_real_features:
                for a in {id(a): a for a, _ in self._sides[k]}.values():
                    a.reset()

    def _side_input(self, k):
        side = self._sides[k]
        if side[0][0].count == 0:
            raise BadInputError("no %s samples yet: call update(..., real=%s) first"
                                % ("real" if k == "real" else "generated", k == "real"))
        if self.keep_rows:
            return [a.featset(i) for a, i in side]
        return side[0][0].stats(side[0][1])

    def compute(self):
        """The metrics on everything pushed so far (a fidkit.Results)."""
        if self.metrics == ["is"]:
            ins = [self._side_input("fake")]
        else:
            ins = [self._side_input("real"), self._side_input("fake")]
        return api.evaluate(ins, "score", metrics=self.metrics, interval=self.interval,
                            **self.options)

    # ---- shards -------------------------------------------------------
    def state(self):
        """A picklable dict: per side and output its tag and float64 moments
        (n, mean, m2), and the rows when this evaluator keeps them."""
        st = {"format": STATE_FORMAT, "metrics": list(self.metrics), "interval": self.interval,
              "keep_rows": self.keep_rows, "options": dict(self.options), "sides": {}}
        for k in _SIDES:
            outs = []
            for a, i in self._sides[k]:
                n, mean, m2 = a.moments(i)
                o = {"tag": a.tag(i), "d": a.dim(i), "n": n, "mean": mean, "m2": m2}
                if self.keep_rows:
                    o["rows"] = a.featset(i).rows if n else np.zeros((0, a.dim(i)), np.float32)
                outs.append(o)
            st["sides"][k] = outs
        return st

    def __repr__(self):
        return "fidkit.%s(metrics=%r, tags=%r, n_real=%d, n_fake=%d)" % (
            type(self).__name__, self.metrics, self.tags, self.count(True), self.count(False))


def merge(states):
    """One evaluator from the states of several shards (Evaluator.state()),
    merged in the given order: moments by the library's pairwise update
    (rows, when kept, concatenated in order and their moments recomputed
    from them). Every shard must carry the same tags, or TagMismatchError;
    the result computes exactly as one evaluator fed every shard's samples,
    up to floating-point rounding of the merge."""
    states = list(states)
    if not states:
        raise UsageError("merge needs at least one state")
    for st in states:
        if not isinstance(st, dict) or st.get("format") != STATE_FORMAT:
            raise BadInputError("not an evaluator state (Evaluator.state()): %r" % type(st))
    first = states[0]
    for st in states[1:]:
        if st["metrics"] != first["metrics"] or st["keep_rows"] != first["keep_rows"]:
            raise UsageError("states of different metrics cannot be merged (%s and %s)"
                             % (first["metrics"], st["metrics"]))
    sides = {}
    for k in _SIDES:
        outs = []
        for i, o0 in enumerate(first["sides"][k]):
            t0 = parse_tag(o0["tag"])
            acc = Accumulator(tag=o0["tag"], dim=o0["d"], keep_rows=first["keep_rows"])
            for st in states:
                o = st["sides"][k][i]
                e = new_error()
                check(lib.fk_tag_check(t0, parse_tag(o["tag"]), e), e)
                if o["n"] == 0:
                    continue
                if first["keep_rows"]:
                    acc.push_features(o["rows"])
                else:
                    acc.add_moments(o["n"], o["mean"], o["m2"])
            outs.append((acc, 0))
        sides[k] = outs
    cls = Evaluator
    return cls(metrics=first["metrics"], interval=first["interval"], _sides=sides,
               **first["options"])


class FrechetInceptionDistance(Evaluator):
    """torchmetrics-style FID: ``update(imgs, real=True)``, ``compute()``,
    ``reset()``. feature: 2048 (the FID Inception's pool3) or the name of an
    output of the backbone config; backbone: any config (then the score is
    FD_<space>). normalize is accepted for torchmetrics compatibility; the
    dtype decides (uint8 0..255, or float in [0, 1]). compute() returns a
    fidkit.Result (float(r) is the value)."""

    def __init__(self, feature=2048, reset_real_features=True, normalize=False,
                 backbone="inception_v3_fid", **options):
        super().__init__(["fid"], backbone=backbone, reset_real_features=reset_real_features,
                         **options)
        _check_feature(self, feature)
        self.normalize = normalize

    def compute(self):
        return super().compute()[0]


class KernelInceptionDistance(Evaluator):
    """torchmetrics-style KID: subsets (100) of subset_size samples with the
    cubic polynomial kernel. As in torchmetrics, a side with fewer samples
    than subset_size is an error; subset_size=None takes the CLI's default
    (1000, shrunk to the smaller side as torch-fidelity does, said in the
    result's notes). compute() returns a fidkit.Result: .value is the mean,
    .details["std"] the std over subsets."""

    def __init__(self, feature=2048, subsets=100, subset_size=1000, reset_real_features=True,
                 normalize=False, backbone="inception_v3_fid", **options):
        if subset_size is not None:
            options["kid_subset_size"] = subset_size
        super().__init__(["kid"], backbone=backbone, reset_real_features=reset_real_features,
                         kid_subsets=subsets, **options)
        _check_feature(self, feature)
        self.normalize = normalize

    def compute(self):
        return super().compute()[0]


def _check_feature(ev, feature):
    a, i = ev._sides["real"][0]
    if isinstance(feature, int):
        if feature != a.dim(i):
            raise UsageError("feature=%d: the output of %s has %d dimensions (name another "
                             "config with backbone=...)" % (feature, ev.backbone, a.dim(i)))
    elif isinstance(feature, str):
        layer = a.tag(i).split(":")[1].split("@")[0]
        if feature != layer:
            raise UsageError("feature=%r: %s scores its output %r (write a config naming "
                             "another output)" % (feature, ev.backbone, layer))
    elif feature is not None:
        raise UsageError("feature is a dimension (2048) or an output name, not %r" % (feature,))


__all__ = ["Evaluator", "FrechetInceptionDistance", "KernelInceptionDistance", "merge"]
