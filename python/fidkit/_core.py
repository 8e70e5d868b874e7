"""Objects over the library: tags, Stats, FeatureSet, Backbone and the
accumulator. Each owns its C struct and frees it once."""
import os

import numpy as np

from . import _arrays
from ._lib import ffi, lib, s
from .errors import BadInputError, UsageError, from_status


def check(status, err):
    if status != 0:
        raise from_status(status, s(err.msg))


def new_error():
    return ffi.new("fk_error *")


def fspath(p):
    return os.fsencode(os.fspath(p))


def tag_str(t, short=False):
    buf = ffi.new("char[1024]")  # room beyond FK_TAG_STR_MAX, which grows with the grammar
    lib.fk_tag_str(t, 1 if short else 0, buf, 1024)
    return s(buf)


def parse_tag(text):
    """An fk_tag * from its text form (BACKBONE/VARIANT:LAYER@WEIGHTS/SIZE/RESIZE)."""
    if not isinstance(text, str):
        raise UsageError("a tag is a string like 'tiny_pool/g4:pool@random-0/32/clean', not %r"
                         % (text,))
    t, e = ffi.new("fk_tag *"), new_error()
    check(lib.fk_tag_parse(text.encode(), t, e), e)
    return t


def find_config(name):
    """The path of a backbone config given by name or path."""
    buf, e = ffi.new("char[1024]"), new_error()
    check(lib.fk_config_find(fspath(name), buf, 1024, e), e)
    return s(buf)


def load_config(name):
    path = find_config(name)
    c, e = ffi.new("fk_config *"), new_error()
    check(lib.fk_config_load(path.encode(), c, e), e)
    return c


class Stats:
    """Tagged (mu, sigma) of a feature set: what an FD needs.

    Read any stats file the CLI reads (fidkit's, pytorch-fid's and
    clean-fid's .npz; untagged ones take ``assume=TAG``), or compute them
    from rows with :meth:`from_features`. ``mu`` and ``sigma`` are float64
    copies; ``n`` is 0 when a foreign file did not record it."""

    def __init__(self, _c):
        self._c = _c            # fk_stats *, owned

    def __del__(self):
        c = getattr(self, "_c", None)
        if c is not None:
            lib.fk_stats_free(c)
            self._c = None

    @classmethod
    def load(cls, path, assume=None):
        """Reads a stats file; ``assume`` is the tag of an untagged one."""
        c, e = ffi.new("fk_stats *"), new_error()
        check(lib.fk_stats_read(fspath(path), c, e), e)
        st = cls(c)
        if assume is not None and not c.has_tag:
            c.tag = parse_tag(assume)[0]
            c.has_tag = 1
        return st

    @classmethod
    def from_features(cls, features, tag):
        """Stats (float64 moments) of (N, d) rows computed elsewhere, under the
        tag the caller declares."""
        return FeatureSet.from_features(features, tag).stats()

    def save(self, path, extra=None):
        """Writes the .npz (mu, sigma and the fidkit member), atomically."""
        import json
        e = new_error()
        ej = json.dumps(extra).encode() if extra else ffi.NULL
        check(lib.fk_stats_write(fspath(path), self._c, ej, e), e)

    @property
    def d(self):
        return self._c.d

    @property
    def n(self):
        return int(self._c.n)

    @property
    def tag(self):
        return tag_str(ffi.addressof(self._c.tag)) if self._c.has_tag else None

    @property
    def mu(self):
        return np.frombuffer(ffi.buffer(self._c.mu, 8 * self.d), dtype=np.float64).copy()

    @property
    def sigma(self):
        d = self.d
        return np.frombuffer(ffi.buffer(self._c.sigma, 8 * d * d),
                             dtype=np.float64).reshape(d, d).copy()

    def __repr__(self):
        return "fidkit.Stats(n=%d, d=%d, tag=%r)" % (self.n, self.d, self.tag)


class FeatureSet:
    """Tagged feature rows of one output (what KID, PR, IS ... need).

    ``rows`` is a float32 (N, d) copy. Make one from rows computed
    elsewhere with :meth:`from_features` (the tag is the caller's
    declaration of which ruler measured them), read a features file with
    :meth:`load`, or get one from :meth:`Backbone.feature_set`."""

    def __init__(self, _c):
        self._c = _c            # fk_featset *, owned

    def __del__(self):
        c = getattr(self, "_c", None)
        if c is not None:
            lib.fk_featset_free(c)
            self._c = None

    @classmethod
    def from_features(cls, features, tag, source=None):
        rows = _arrays.feature_rows(features)
        t = parse_tag(tag)
        c, e = ffi.new("fk_featset *"), new_error()
        check(lib.fk_featset_from_rows(ffi.from_buffer("float[]", rows), rows.shape[0],
                                       rows.shape[1], t, source.encode() if source else ffi.NULL,
                                       c, e), e)
        return cls(c)

    @classmethod
    def load(cls, path, layer=None, assume=None):
        """Reads the member of output ``layer`` (None: the main ``feats``) of a
        features file; ``assume`` tags an untagged (clean-fid) one."""
        c, e = ffi.new("fk_featset *"), new_error()
        check(lib.fk_featset_read(fspath(path), layer.encode() if layer else ffi.NULL,
                                  parse_tag(assume) if assume else ffi.NULL, c, e), e)
        return cls(c)

    @staticmethod
    def save_many(path, sets, extra=None):
        """Writes sets[0] as ``feats`` and the others as ``feats_LAYER``."""
        import json
        arr = ffi.new("fk_featset[]", len(sets))
        for i, fs in enumerate(sets):
            arr[i] = fs._c[0]     # shallow: rows stay owned by fs
        e = new_error()
        ej = json.dumps(extra).encode() if extra else ffi.NULL
        check(lib.fk_featset_write(fspath(path), arr, len(sets), ej, e), e)

    def save(self, path, extra=None):
        FeatureSet.save_many(path, [self], extra)

    def stats(self):
        c, e = ffi.new("fk_stats *"), new_error()
        check(lib.fk_stats_from_featset(self._c, c, e), e)
        return Stats(c)

    @property
    def d(self):
        return self._c.d

    @property
    def n(self):
        return int(self._c.n)

    @property
    def layer(self):
        return s(self._c.tag.layer)

    @property
    def tag(self):
        return tag_str(ffi.addressof(self._c.tag)) if self._c.has_tag else None

    @property
    def rows(self):
        n, d = self.n, self.d
        return np.frombuffer(ffi.buffer(self._c.rows, 4 * n * d),
                             dtype=np.float32).reshape(n, d).copy()

    def __len__(self):
        return self.n

    def __repr__(self):
        return "fidkit.FeatureSet(n=%d, d=%d, tag=%r)" % (self.n, self.d, self.tag)


class Accumulator:
    """fk_accum: streaming moments (and optionally rows) of one or more
    outputs, fed images through a backbone or rows under a declared tag."""

    def __init__(self, backbone=None, outputs=None, keep_rows=False, tag=None, dim=None):
        self._a = None
        pp, e = ffi.new("fk_accum **"), new_error()
        if tag is not None:
            if dim is None:
                raise UsageError("a features accumulator needs the dimension d")
            check(lib.fk_accum_open_features(parse_tag(tag), int(dim), int(bool(keep_rows)), pp, e),
                  e)
            self.backbone_path = None
        else:
            path = find_config(backbone or "inception_v3_fid")
            bufs = [ffi.new("char[]", o.encode()) for o in outputs] if outputs else []
            names = ffi.new("const char *[]", bufs) if bufs else ffi.NULL
            self._names = (bufs, names)   # alive as long as the accumulator
            check(lib.fk_accum_open(path.encode(), names, len(bufs), int(bool(keep_rows)), pp, e),
                  e)
            self.backbone_path = path
        self._a = pp[0]
        self.keep_rows = bool(keep_rows)
        self.is_features = tag is not None

    def __del__(self):
        a = getattr(self, "_a", None)
        if a is not None:
            lib.fk_accum_close(a)
            self._a = None

    @property
    def n_outputs(self):
        return lib.fk_accum_n_outputs(self._a)

    def dim(self, k=0):
        return lib.fk_accum_dim(self._a, k)

    def tag(self, k=0):
        t = ffi.new("fk_tag *")
        lib.fk_accum_tag(self._a, k, t)
        return tag_str(t)

    @property
    def count(self):
        return int(lib.fk_accum_count(self._a))

    def reset(self):
        lib.fk_accum_reset(self._a)

    def push_images(self, images, what="images", progress=None):
        if self.is_features:
            raise UsageError("this evaluator was opened for features (tag=...), not images: "
                             "pass (N, d) rows")
        e = new_error()
        for block in _arrays.image_batches(images, what):
            n, h, w = block.shape[:3]
            check(lib.fk_accum_push_images(self._a, ffi.from_buffer("uint8_t[]", block), n, h, w,
                                           e), e)
            if progress is not None:
                progress.update(n)

    def push_features(self, rows, k=0, what="features"):
        rows = _arrays.feature_rows(rows, what)
        e = new_error()
        check(lib.fk_accum_push_features(self._a, k, ffi.from_buffer("float[]", rows),
                                         rows.shape[0], rows.shape[1], e), e)

    def stats(self, k=0):
        c, e = ffi.new("fk_stats *"), new_error()
        check(lib.fk_accum_stats(self._a, k, c, e), e)
        return Stats(c)

    def featset(self, k=0):
        c, e = ffi.new("fk_featset *"), new_error()
        check(lib.fk_accum_featset(self._a, k, c, e), e)
        return FeatureSet(c)

    def moments(self, k=0):
        """(n, mean, m2) copies in float64 (m2: the scatter matrix, lower
        triangle meaningful)."""
        m = lib.fk_accum_moments(self._a, k)
        d = m.d
        mean = np.frombuffer(ffi.buffer(m.mean, 8 * d), dtype=np.float64).copy()
        m2 = np.frombuffer(ffi.buffer(m.m2, 8 * d * d), dtype=np.float64).reshape(d, d).copy()
        return int(m.n), mean, m2

    def add_moments(self, n, mean, m2, k=0):
        d = self.dim(k)
        mean = np.ascontiguousarray(mean, dtype=np.float64)
        m2 = np.ascontiguousarray(m2, dtype=np.float64)
        if mean.shape != (d,) or m2.shape != (d, d):
            raise BadInputError("moments of dimension %s do not fit an output of d = %d"
                                % (mean.shape, d))
        m = ffi.new("fk_moments *")
        m.d, m.n = d, int(n)
        m.mean = ffi.cast("double *", ffi.from_buffer(mean))
        m.m2 = ffi.cast("double *", ffi.from_buffer(m2))
        e = new_error()
        check(lib.fk_accum_add_moments(self._a, k, m, e), e)

    def merge(self, other):
        e = new_error()
        check(lib.fk_accum_merge(self._a, other._a, e), e)


class Backbone:
    """A backbone config opened for extraction.

    ``Backbone("inception_v3_fid")`` (a config name or a YAML path);
    ``outputs`` names extra layers (default: the config's output).
    :meth:`features` returns float32 (N, d) rows of the first output,
    bit-identical to what the CLI extracts from the same images as files."""

    def __init__(self, name_or_config="inception_v3_fid", outputs=None):
        self._acc = Accumulator(name_or_config, outputs, keep_rows=True)
        self.config = self._acc.backbone_path

    @property
    def tag(self):
        """The tag of the first output's features."""
        return self._acc.tag(0)

    @property
    def tags(self):
        return [self._acc.tag(k) for k in range(self._acc.n_outputs)]

    @property
    def dim(self):
        return self._acc.dim(0)

    def feature_sets(self, images):
        """A tagged FeatureSet per output for a batch of images."""
        self._acc.reset()
        try:
            self._acc.push_images(images)
            return [self._acc.featset(k) for k in range(self._acc.n_outputs)]
        finally:
            self._acc.reset()

    def feature_set(self, images):
        return self.feature_sets(images)[0]

    def features(self, images):
        """float32 (N, d) features of the first output."""
        return self.feature_set(images).rows

    def __repr__(self):
        return "fidkit.Backbone(%r, tag=%r)" % (self.config, self.tag)
