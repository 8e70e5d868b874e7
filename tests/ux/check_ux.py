#!/usr/bin/python3
"""What a new user sees (issue 17: names and labels, discoverability, metrics
behaviour), through the fidkit command on tiny fixtures made here with PIL
and the tiny_pool template backbone (no weights, no torch).

usage: check_ux.py FIDKIT_BIN SOURCE_DIR WORK_DIR
(FIDKIT_PLUGIN_PATH must name the folder of tiny_pool.so.)

Each check_* function is one item; all run, failures are listed at the end.
"""
import hashlib
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import time

import numpy as np
from PIL import Image

FIDKIT = SRC = WORK = None
ENV = {}


def W(*p):
    return os.path.join(WORK, *p)


def run(*args, env=None, want=0):
    e = dict(ENV)
    e.update(env or {})
    p = subprocess.run([FIDKIT] + [str(a) for a in args], env=e, capture_output=True, text=True,
                       timeout=600)
    if want is not None and p.returncode != want:
        raise AssertionError(f"fidkit {' '.join(map(str, args))}: exit {p.returncode}, expected "
                             f"{want}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
    return p


def js(*args, **kw):
    p = run(*args, "--json", **kw)
    return json.loads(p.stdout)


def ok(cond, msg):
    if not cond:
        raise AssertionError(msg)


def make_fixtures():
    rng = np.random.default_rng(3)
    for name, n in (("real", 60), ("fake", 50)):
        os.makedirs(W(name))
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(
                W(name, f"{i:03d}.png"))
    os.makedirs(W("bad"))
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(W("bad", f"{i:03d}.png"))
    for i in range(5):
        with open(W("bad", f"broken{i}.png"), "wb") as f:
            f.write(b"not an image")
    os.makedirs(W("cfgs"))
    os.makedirs(W("xdg", "fidkit", "configs"))
    os.makedirs(W("wdir"))
    tiny = ("fidkit_config: 1\nplugin: tiny_pool\nvariant: %s\nweights:\n%s\n"
            "input: {size: 16, resize: clean, crop: none, scale: 0.00392156862745098, "
            "mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]}\noutput: pool\nbatch_size: 8\n%s")
    with open(W("cfgs", "ux_g4.yaml"), "w") as f:
        f.write(tiny % ("g4", "  random: 0", "matches: \"none (ux test)\"\n"))
    with open(W("cfgs", "ux_g2.yaml"), "w") as f:
        f.write(tiny % ("g2", "  random: 0", ""))
    blob = bytes(range(256)) * 8
    with open(W("wdir", "ux_weights.bin"), "wb") as f:
        f.write(blob)
    sha = hashlib.sha256(blob).hexdigest()
    with open(W("xdg", "fidkit", "configs", "ux_hashed.yaml"), "w") as f:
        f.write(tiny % ("g4", f"  file: ux_weights.bin\n  sha256: {sha}",
                        "matches: \"none (ux hashed)\"\n"))
    return sha


# ---- names and labels ------------------------------------------------------

def check_labels_by_backbone():
    out = run("fid", W("real"), W("fake"), "--backbone", "ux_g4").stdout
    ok(out.startswith("FD_g4: "), f"fid's text is not labelled FD_g4:\n{out}")
    j = js("score", W("real"), W("fake"), "--backbone", "ux_g4", "--metrics", "fid", "--ci", "none")
    ok(j["results"][0]["name"] == "FD_g4" and j["results"][0]["metric"] == "fid", j["results"][0])
    table = run("score", W("real"), W("fake"), "--backbone", "ux_g4", "--metrics", "fid",
                "--ci", "none").stdout
    ok(re.search(r"^FD_g4[:\s]", table, re.M), f"score's table row is not FD_g4:\n{table}")
    for cmd in ("fid", "score"):
        h = run(cmd, "--help").stdout
        ok("FID" in h and "FD_" in h and "Inception" in h,
           f"`fidkit {cmd} --help` does not say how scores are labelled:\n{h}")


def check_tag_forms(sha):
    env = {"FIDKIT_WEIGHTS_DIR": W("wdir")}
    j = js("fid", W("real"), W("fake"), "--backbone", "ux_hashed", env=env)
    r = j["results"][0]
    ok(r["tag"] == f"tiny_pool/g4:pool@{sha}/16/clean", f"JSON tag is not the full form: {r['tag']}")
    ok(r["tag_short"] == f"tiny_pool/g4:pool@{sha[:8]}/16/clean", f"tag_short: {r['tag_short']}")
    text = run("fid", W("real"), W("fake"), "--backbone", "ux_hashed", env=env).stdout
    ok(f"@{sha[:8]}/16/clean" in text and sha not in text, f"text does not print the short tag:\n{text}")
    run("stats", W("real"), "-o", W("hashed.npz"), "--backbone", "ux_hashed", env=env)
    info = js("stats-info", W("hashed.npz"))
    ok(info["tag"].endswith(f"@{sha}/16/clean"), f"the file does not keep the full tag: {info['tag']}")


# ---- discoverability -------------------------------------------------------

def check_configs_listing():
    env = {"FIDKIT_WEIGHTS_DIR": W("wdir")}
    j = js("configs", env=env)
    by = {c["name"]: c for c in j["configs"]}
    for name in ("ux_g4", "ux_hashed", "inception_v3_fid", "inception_v3_random"):
        ok(name in by, f"`fidkit configs` does not list {name}: {sorted(by)}")
    g4 = by["ux_g4"]
    ok(g4["backbone"] == "tiny_pool" and g4["variant"] == "g4" and g4["output"] == "pool", g4)
    ok(g4["dims"] == 48 and g4["resolution"] == 16 and g4["matches"] == "none (ux test)", g4)
    ok(g4["weights"]["present"] is True and g4["weights"]["file"] is None, g4)
    ok(by["ux_hashed"]["weights"]["present"] is True and
       by["ux_hashed"]["weights"]["path"] == W("wdir", "ux_weights.bin"), by["ux_hashed"])
    j2 = js("configs")   # without FIDKIT_WEIGHTS_DIR the file is missing
    ok([c for c in j2["configs"] if c["name"] == "ux_hashed"][0]["weights"]["present"] is False,
       "a missing weights file is listed as present")
    # every config shipped in configs/ says what it reproduces
    shipped = sorted(f[:-5] for f in os.listdir(os.path.join(SRC, "configs")) if f.endswith(".yaml"))
    for name in shipped:
        c = by.get(name)
        ok(c is not None, f"configs/{name}.yaml is not listed")
        ok(c["matches"] and c["matches"] != "unspecified", f"configs/{name}.yaml has no matches: key")
    ok(by["inception_v3_fid"]["matches"] == "pytorch-fid", by["inception_v3_fid"]["matches"])
    ok(by["inception_v3_fid_clean"]["matches"] == "clean-fid clean", by["inception_v3_fid_clean"])
    ok("ADM evaluator" in by["inception_v3_fid_tf"]["matches"], by["inception_v3_fid_tf"])
    text = run("configs", env=env).stdout
    ok(re.search(r"^ux_hashed\s+tiny_pool/g4\s+pool\s+48\s+16\s+ux_weights\.bin \(present\)", text, re.M),
       f"the text table lacks ux_hashed's row:\n{text}")


def check_backbones_hides_test_variants():
    j = js("backbones")
    names = [v["variant"] for p in j["plugins"] for v in p.get("variants", [])]
    ok(not [v for v in names if v.endswith("-test") or v.endswith("_test")],
       f"`fidkit backbones` shows test-only variants: {names}")
    every = [v["variant"] for p in js("backbones", "--all")["plugins"] for v in p.get("variants", [])]
    ok(set(names) <= set(every), "--all lists fewer variants")
    ok("g4" in names, f"tiny_pool's variants are missing: {names}")


def check_config_search_path():
    # by name from $FIDKIT_CONFIG_PATH (set for every run) and from the user's folder
    run("fid", W("real"), W("fake"), "--backbone", "ux_g4")
    run("fid", W("real"), W("fake"), "--backbone", "ux_hashed", env={"FIDKIT_WEIGHTS_DIR": W("wdir")})
    p = run("fid", W("real"), W("fake"), "--backbone", "no_such_config_ux", want=1)
    for d in (W("cfgs"), W("xdg", "fidkit", "configs"), os.path.join(SRC, "configs")):
        ok(d in p.stderr, f"the miss does not list {d}:\n{p.stderr}")
    # without XDG_CONFIG_HOME: ~/.config/fidkit/configs
    home = W("home")
    os.makedirs(os.path.join(home, ".config", "fidkit", "configs"))
    shutil.copy(W("cfgs", "ux_g2.yaml"), os.path.join(home, ".config", "fidkit", "configs", "ux_home.yaml"))
    e = {"HOME": home, "XDG_CONFIG_HOME": ""}
    run("fid", W("real"), W("fake"), "--backbone", "ux_home", env=e)
    # weights: only through FIDKIT_WEIGHTS_DIR here; the miss names where it looked
    p = run("fid", W("real"), W("fake"), "--backbone", "ux_hashed", want=1)
    ok("ux_weights.bin" in p.stderr and "looked in" in p.stderr and "FIDKIT_WEIGHTS_DIR" in p.stderr,
       p.stderr)
    p = run("fid", W("real"), W("fake"), "--backbone", "ux_hashed", env={"FIDKIT_WEIGHTS_DIR": W("cfgs")},
            want=1)
    ok(W("cfgs") in p.stderr, f"the weights miss does not list FIDKIT_WEIGHTS_DIR:\n{p.stderr}")


def help_default(text, option):
    """The default --help states for option: '(default X' or '(X)' on its line."""
    for line in text.splitlines():
        if line.strip().startswith(option + " "):
            m = re.search(r"\(default:? ([^;),]+)", line) or re.search(r"\((\d+)[:)]", line)
            return m.group(1).strip() if m else None
    return None


def check_help_defaults():
    # the backbone each command applies when none is given is the one its --help
    # names: offline, with no weights anywhere, the error names the config it used
    empty = {"FIDKIT_OFFLINE": "1", "FIDKIT_WEIGHTS_DIR": W("empty"), "XDG_CACHE_HOME": W("empty"),
             "FIDKIT_CONFIG_PATH": ""}
    os.makedirs(W("empty"), exist_ok=True)
    with open(W("man.csv"), "w") as f:
        f.write("image,caption\n%s,a picture\n" % W("real", "000.png"))
    cases = {
        "fid": [W("real"), W("fake")], "score": [W("real"), W("fake")], "is": [W("fake")],
        "stats": [W("real"), "-o", W("never.npz")], "extract": [W("real"), "-o", W("never2.npz")],
        "adm": [W("hashed.npz"), W("fake")], "clipscore": [W("man.csv")],
    }
    for cmd, args in cases.items():
        h = run(cmd, "--help").stdout
        want = help_default(h, "--backbone")
        ok(want, f"`fidkit {cmd} --help` states no default backbone:\n{h}")
        p = run(cmd, *args, "--json", "--quiet", env=empty, want=None)
        ok(p.returncode != 0, f"{cmd} ran without weights?")
        err = json.loads(p.stdout)["error"]
        got = os.path.basename(err["file"] or "")
        ok(got == want + ".yaml", f"{cmd}: --help says the default backbone is {want}, it used {got}")
    # the numbers `score --help` states are the ones score applies
    h = run("score", "--help").stdout
    states = {o: help_default(h, o) for o in ("--replicates", "--replicates-other", "--kid-subsets",
                                              "--seed", "--splits")}
    ok(all(states.values()), f"score --help lacks a default: {states}")
    j = js("score", W("real"), W("fake"), "--backbone", "ux_g4", "--metrics", "fid,kid")
    fd, kid = j["results"]
    ok(fd["interval"]["replicates"] == int(states["--replicates"]), (fd["interval"], states))
    ok(kid["interval"]["replicates"] == int(states["--replicates-other"]), (kid["interval"], states))
    ok(kid["details"]["subsets"] == int(states["--kid-subsets"]), (kid["details"], states))
    ok(kid["details"]["seed"] == int(states["--seed"]), (kid["details"], states))
    h = run("fid", "--help").stdout
    ok(help_default(h, "--ci").startswith("none"), h)
    j = js("fid", W("real"), W("fake"), "--backbone", "ux_g4")
    ok(j["results"][0]["interval"] is None, "fid computes an interval by default")


def check_fid_infers_backbone():
    run("stats", W("real"), "-o", W("real_g4.npz"), "--backbone", "ux_g4")
    explicit = js("fid", W("real_g4.npz"), W("fake"), "--backbone", "ux_g4")["results"][0]["value"]
    j = js("fid", W("real_g4.npz"), W("fake"))
    ok(j["results"][0]["value"] == explicit, (j["results"][0]["value"], explicit))
    ok(j["backbone"].endswith("ux_g4.yaml") and any("inferred" in n for n in j["notes"]), j)
    # a real mismatch is refused (exit 3) and an unknown space says what to do
    p = run("fid", W("real_g4.npz"), W("fake"), "--backbone", "ux_g2", want=3)
    ok("refusing to compare" in p.stderr, p.stderr)
    p = run("fid", W("real_g4.npz"), W("fake"), env={"FIDKIT_CONFIG_PATH": W("empty")}, want=3)
    ok("--backbone" in p.stderr and "fidkit configs" in p.stderr, p.stderr)


# ---- metrics behaviour -----------------------------------------------------

def check_kid_subset_rule():
    j = js("score", W("real"), W("fake"), "--backbone", "ux_g4", "--metrics", "kid", "--ci", "none")
    kid = j["results"][0]
    ok(kid["details"]["subset_size"] == 50 and kid["details"]["subsets"] == 100, kid["details"])
    ok(any("50" in n and "KID" in n for n in j["notes"]), f"the shrink is not said: {j['notes']}")
    text = run("score", W("real"), W("fake"), "--backbone", "ux_g4", "--metrics", "kid",
               "--ci", "none").stdout
    ok("subsets of 50" in text, text)
    j = js("score", W("real"), W("fake"), "--backbone", "ux_g4", "--metrics", "kid", "--ci", "none",
           "--kid-subsets", "7", "--kid-subset-size", "20")
    ok(j["results"][0]["details"]["subset_size"] == 20 and j["results"][0]["details"]["subsets"] == 7,
       j["results"][0]["details"])
    # an explicit size larger than a set: refused before any extraction,
    # naming the option that exists
    t0 = time.time()
    p = run("score", W("real"), W("fake"), "--backbone", "ux_g4", "--metrics", "kid",
            "--kid-subset-size", "55", want=2)
    ok("--kid-subset-size" in p.stderr and "shrink_to_fit" not in p.stderr, p.stderr)
    ok("extracting" not in p.stderr, p.stderr)
    ok(time.time() - t0 < 30, "the refusal took long")


def check_sweep_kid_rule():
    # a sweep's KID follows score's subset rule: 50 images are enough
    with open(W("kid_sweep.yaml"), "w") as f:
        f.write("fidkit_sweep: 1\nname: uxkid\nreal: %s\nbackbones: [%s]\nmetrics: [fid, kid]\n"
                "ci: none\naxes:\n  fake: [%s]\n" % (W("real"), W("cfgs", "ux_g4.yaml"), W("fake")))
    run("sweep", W("kid_sweep.yaml"), "--out", W("kid_sweep_out"), "--quiet")
    with open(W("kid_sweep_out", "results.json")) as f:
        rows = json.load(f)["rows"]
    kid = [r for r in rows if r["metric"] == "kid"]
    ok(len(kid) == 1 and kid[0]["n_fake"] == 50, rows)
    fd = [r for r in rows if r["metric"] == "fid"]
    ok(fd and fd[0].get("name") == "FD_g4", f"the sweep row is not labelled by its space: {fd}")
    with open(W("kid_sweep_out", "results.csv")) as f:
        head = f.readline().strip().split(",")
    ok(head[-1] == "name", head)


def check_skip_bad_report():
    for cmd in (["fid", W("real"), W("bad")], ["score", W("real"), W("bad"), "--metrics", "fid"],
                ["stats", W("bad"), "-o", W("bad.npz")], ["extract", W("bad"), "-o", W("badf.npz")]):
        args = cmd + ["--backbone", "ux_g4", "--skip-bad"]
        text = run(*args).stdout
        ok("skipped      5 undecodable images" in text, f"{cmd[0]}: no count:\n{text}")
        shown = [f"broken{i}.png" for i in range(5) if f"broken{i}.png" in text]
        ok(len(shown) == 3 and "and 2 more" in text, f"{cmd[0]}: not the first three:\n{text}")
        j = js(*args)
        ds = [d for d in j["datasets"] if d["path"] == W("bad")][0]
        ok(ds["skipped"] == 5 and len(ds["skipped_files"]) == 5, ds)
        ok(all(W("bad", "broken") in s for s in ds["skipped_files"]), ds)
    # without --skip-bad the first bad file stops the run, naming it (exit 1, or 4
    # where bad input data has its own code)
    p = run("fid", W("real"), W("bad"), "--backbone", "ux_g4", want=None)
    ok(p.returncode in (1, 4) and "broken0.png" in p.stderr, p.stderr)


def check_fid_ci_and_progress():
    j = js("fid", W("real"), W("fake"), "--backbone", "ux_g4", "--ci", "bootstrap", "--replicates", "50")
    iv = j["results"][0]["interval"]
    ok(iv and iv["replicates"] == 50 and iv["lo"] <= j["results"][0]["value"] <= iv["hi"] + 1e-9, iv)
    text = run("fid", W("real"), W("fake"), "--backbone", "ux_g4", "--ci", "bootstrap",
               "--replicates", "50").stdout
    ok("95% interval" in text, text)
    h = run("clipscore", "--help").stdout
    ok("--ci" in h and "interval" in h, h)
    # a progress bar on a terminal only (the same one clipscore attaches)
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(ENV)
        os.execv(FIDKIT, [FIDKIT, "fid", W("real"), W("fake"), "--backbone", "ux_g4"])
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    os.waitpid(pid, 0)
    ok(b"extracting [" in buf and b"img/s" in buf, f"no progress bar on a terminal: {buf[-500:]!r}")
    piped = run("fid", W("real"), W("fake"), "--backbone", "ux_g4")
    ok("img/s" not in piped.stderr, "a progress bar on a pipe")


def check_json_errors():
    p = run("fid", W("real"), W("nowhere"), "--backbone", "ux_g4", "--json", want=1)
    err = json.loads(p.stdout)["error"]
    ok(err["file"] == W("nowhere") and err["kind"] == "runtime" and err["exit_code"] == 1, err)
    p = run("fid", W("real"), "--json", "--no-such-option", want=2)
    err = json.loads(p.stdout)["error"]
    ok(err["kind"] == "usage" and "--no-such-option" in err["message"], err)
    p = run("fid", W("real_g4.npz"), W("fake"), "--backbone", "ux_g2", "--json", "--compact", want=3)
    ok(p.stdout.count("\n") == 1 and json.loads(p.stdout)["error"]["kind"] == "tag-refusal", p.stdout)


def main():
    global FIDKIT, SRC, WORK, ENV
    FIDKIT, SRC, WORK = sys.argv[1:4]
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    sha = make_fixtures()
    ENV = dict(os.environ, FIDKIT_NO_CACHE="1", FIDKIT_OFFLINE="1", FIDKIT_CONFIG_PATH=W("cfgs"),
               XDG_CONFIG_HOME=W("xdg"), XDG_CACHE_HOME=W("cache"))
    ENV.pop("FIDKIT_WEIGHTS_DIR", None)
    ENV.pop("FIDKIT_WEIGHTS_PATH", None)
    checks = [
        check_labels_by_backbone, lambda: check_tag_forms(sha), check_configs_listing,
        check_backbones_hides_test_variants, check_config_search_path, check_help_defaults,
        check_fid_infers_backbone, check_kid_subset_rule, check_sweep_kid_rule, check_skip_bad_report,
        check_fid_ci_and_progress, check_json_errors,
    ]
    failed = []
    for c in checks:
        name = getattr(c, "__name__", "check")
        name = "check_tag_forms" if name == "<lambda>" else name
        try:
            c()
            print(f"ok    {name}")
        except Exception as e:  # noqa: BLE001 - report every failing item
            print(f"FAIL  {name}: {e}")
            failed.append(name)
    if failed:
        sys.exit(f"check_ux: {len(failed)} of {len(checks)} items failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
