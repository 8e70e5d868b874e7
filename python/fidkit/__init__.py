"""fidkit: FID and its family in Python, over libfidkit.

The same numbers, tags and refusals as the ``fidkit`` command: every call
builds the options the CLI builds and runs the library's fk_evaluate.

    import fidkit
    r = fidkit.fid("real/", "fake/")              # a Result
    r.value, r.tag, r.to_dict()                   # == `fidkit fid real/ fake/ --json`

See docs/python.md.
"""
from ._lib import LIBRARY_PATH, lib as _clib, ffi as _ffi
from .errors import BadInputError, Error, TagMismatchError, UsageError
from ._core import Backbone, FeatureSet, Stats
from .api import Result, Results, evaluate, fd, fid, inception_score, score
from .clip import clip_score
from .streaming import Evaluator, FrechetInceptionDistance, KernelInceptionDistance, merge

__version__ = _ffi.string(_clib.fk_version()).decode()

__all__ = [
    "Backbone", "BadInputError", "Error", "Evaluator", "FeatureSet", "FrechetInceptionDistance",
    "KernelInceptionDistance", "LIBRARY_PATH", "Result", "Results", "Stats", "TagMismatchError",
    "UsageError", "clip_score", "evaluate", "fd", "fid", "inception_score", "merge", "score",
]
