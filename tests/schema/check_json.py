#!/usr/bin/python3
"""Every fidkit command's --json against docs/result.schema.json.

Runs each command that has --json on tiny fixtures made here (PIL images,
the tiny_pool template backbone: no weights, no torch), on success and on
failure, and validates each printed object against the published schema:
with Debian's python3-jsonschema when it is installed, else with the small
validator below (the subset of JSON Schema the file uses: type, const,
enum, required, properties, items, $ref, oneOf, anyOf, allOf, if/then/else).

usage: check_json.py FIDKIT_BIN SOURCE_DIR WORK_DIR
(FIDKIT_PLUGIN_PATH must name the folder of tiny_pool.so.)
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def resolve(root, ref):
    assert ref.startswith("#/"), ref
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def validate(root, schema, value, path="$"):
    """The list of problems of value against schema (empty: valid)."""
    errs = []
    if "$ref" in schema:
        errs += validate(root, resolve(root, schema["$ref"]), value, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            errs.append(f"{path}: {value!r:.80} is not of type {types}")
            return errs
    if "const" in schema and value != schema["const"]:
        errs.append(f"{path}: {value!r:.80} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path}: {value!r:.80} is not one of {schema['enum']}")
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append(f"{path}: the key '{k}' is missing")
        for k, sub in schema.get("properties", {}).items():
            if k in value:
                errs += validate(root, sub, value[k], f"{path}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errs += validate(root, schema["items"], v, f"{path}[{i}]")
    if "allOf" in schema:
        for sub in schema["allOf"]:
            errs += validate(root, sub, value, path)
    if "anyOf" in schema:
        if all(validate(root, sub, value, path) for sub in schema["anyOf"]):
            errs.append(f"{path}: matches none of anyOf")
    if "oneOf" in schema:
        ok = sum(1 for sub in schema["oneOf"] if not validate(root, sub, value, path))
        if ok != 1:
            errs.append(f"{path}: matches {ok} of oneOf, not 1")
    if "if" in schema:
        if not validate(root, schema["if"], value, path):
            if "then" in schema:
                errs += validate(root, schema["then"], value, path)
        elif "else" in schema:
            errs += validate(root, schema["else"], value, path)
    return errs


def self_test(schema):
    """The validator must reject what the schema forbids (a test that can fail)."""
    bad = [
        {"schema": "fidkit-result/1", "command": "fid"},  # no results
        {"schema": "fidkit-result/2", "command": "fid", "fidkit_version": "x", "error": {}},
        {"schema": "fidkit-result/1", "command": "configs", "fidkit_version": "x",
         "search_path": "", "not_loaded": [], "configs": [{"name": "a"}]},
        {"schema": "fidkit-result/1", "command": "fid", "fidkit_version": "x",
         "error": {"message": "m", "file": None, "status": "s", "exit_code": 0, "kind": "runtime"}},
    ]
    for b in bad:
        if not validate(schema, schema, b):
            sys.exit(f"check_json: the validator accepts an invalid object: {b}")


def make_fixtures(work):
    rng = np.random.default_rng(17)
    for name, n in (("real", 40), ("fake", 30), ("fake_clean", 30)):
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(
                os.path.join(d, f"{i:03d}.png"))
    with open(os.path.join(work, "fake", "broken.png"), "wb") as f:
        f.write(b"this is not a PNG")
    for g in ("g4", "g2"):
        with open(os.path.join(work, f"tiny_{g}.yaml"), "w") as f:
            f.write("fidkit_config: 1\nplugin: tiny_pool\nvariant: %s\nweights:\n  random: 0\n"
                    "input: {size: 16, resize: clean, crop: none, scale: 0.00392156862745098, "
                    "mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]}\noutput: pool\n"
                    "batch_size: 8\nmatches: \"none (tests)\"\n" % g)
    with open(os.path.join(work, "sweep.yaml"), "w") as f:
        f.write("fidkit_sweep: 1\nname: ux\nreal: %s\nbackbones: [%s]\nmetrics: [fid, kid]\n"
                "ci: none\naxes:\n  fake: [%s]\n" % (
                    os.path.join(work, "real"), os.path.join(work, "tiny_g4.yaml"),
                    os.path.join(work, "fake_clean")))


def main():
    fidkit, src, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(os.path.join(src, "docs", "result.schema.json")) as f:
        schema = json.load(f)
    try:
        import jsonschema  # Debian's python3-jsonschema, when installed
        check = lambda v: [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(v)]
        how = "jsonschema " + jsonschema.__version__
    except ImportError:
        check = lambda v: validate(schema, schema, v)
        how = "the built-in validator"
    self_test(schema)
    make_fixtures(work)
    env = dict(os.environ, FIDKIT_NO_CACHE="1", FIDKIT_OFFLINE="1",
               XDG_CONFIG_HOME=os.path.join(work, "xdg"), XDG_CACHE_HOME=os.path.join(work, "cache"))
    W = lambda *p: os.path.join(work, *p)
    bb = ["--backbone", W("tiny_g4.yaml"), "--quiet", "--skip-bad"]
    # (arguments, exit code expected)
    runs = [
        (["fid", W("real"), W("fake")] + bb, 0),
        (["fid", W("real"), W("fake"), "--ci", "bootstrap", "--replicates", "20"] + bb, 0),
        (["score", W("real"), W("fake"), "--metrics", "fid,kid,pr", "--replicates", "20",
          "--replicates-other", "10"] + bb, 0),
        (["stats", W("real"), "-o", W("real.npz")] + bb, 0),
        (["stats", W("fake"), "-o", W("fake.npz")] + bb, 0),
        (["stats", W("real"), "-o", W("part0.npz"), "--shard", "0/2", "--block", "8"] + bb, 0),
        (["stats", W("real"), "-o", W("part1.npz"), "--shard", "1/2", "--block", "8"] + bb, 0),
        (["merge", W("part0.npz"), W("part1.npz"), "-o", W("merged.npz")], 0),
        (["extract", W("fake"), "-o", W("fake_feats.npz")] + bb, 0),
        (["fd", W("real.npz"), W("fake.npz")], 0),
        (["fid", W("real.npz"), W("fake")] + bb, 0),
        (["stats-info", W("real.npz")], 0),
        (["configs"], 0),
        (["backbones"], 0),
        (["weights", "ls"], 0),
        (["sweep", W("sweep.yaml"), "--out", W("sweep_out"), "--quiet"], 0),
        # failures: the error object
        (["fid", W("real"), W("missing_dir")] + bb, 1),
        (["fid", W("real"), W("fake"), "--backbone", W("tiny_g2.yaml"), "--bogus"], 2),
        (["fid", W("real.npz"), W("fake"), "--backbone", W("tiny_g2.yaml"), "--quiet",
          "--skip-bad"], 3),
        (["score", W("real"), W("fake"), "--kid-subset-size", "5000", "--metrics", "kid"] + bb, 2),
        (["is", W("fake")] + bb, 2),
        (["clipscore", W("no_manifest.csv"), "--quiet"], 1),
        (["adm", W("no_ref.npz"), W("no_sample.npz"), "--quiet"], 1),
        (["stats-info", W("no_such.npz")], 1),
        (["sweep", W("no_sweep.yaml")], 1),
    ]
    failures = []
    seen = set()
    for args, want in runs:
        for style in ([], ["--compact"]):
            p = subprocess.run([fidkit] + args + ["--json"] + style, env=env,
                               capture_output=True, text=True, timeout=600)
            cmd = " ".join(["fidkit"] + args + ["--json"] + style)
            if p.returncode != want:
                failures.append(f"{cmd}: exit {p.returncode}, expected {want}\n{p.stderr[-2000:]}")
                continue
            out = p.stdout.strip()
            try:
                obj = json.loads(out)
            except ValueError as e:
                failures.append(f"{cmd}: stdout is not one JSON object ({e}): {out[:500]}")
                continue
            lines = out.count("\n")
            if style and lines:
                failures.append(f"{cmd}: --compact printed {lines + 1} lines")
            if not style and not lines:
                failures.append(f"{cmd}: --json is not pretty by default")
            errs = check(obj)
            if obj.get("command") != args[0]:
                errs.append(f"command is {obj.get('command')!r}, not {args[0]!r}")
            if want and obj.get("error", {}).get("exit_code") != want:
                errs.append(f"error.exit_code is not {want}: {obj.get('error')}")
            if not want and "error" in obj:
                errs.append("a success printed an error object")
            if errs:
                failures.append(f"{cmd}:\n  " + "\n  ".join(errs[:20]))
            seen.add((args[0], bool(want)))
    # every result-bearing object carries the shared keys
    print(f"check_json: {len(runs) * 2} outputs of {len(set(c for c, _ in seen))} commands "
          f"checked with {how}")
    if failures:
        print("\n\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
