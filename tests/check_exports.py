#!/usr/bin/env python3
"""Checks that fidkit's shared libraries export exactly their public API.

    check_exports.py --headers DIR... --lib LIB.so... [--plugin PLUGIN.so...]

For every --lib, `nm -D --defined-only` must list only names that begin with
fk_ and are declared, with FK_API, in a header of a --headers folder; every
fk_ function declared in those headers must carry FK_API and be exported by
one of the --lib libraries (so no public function is hidden by mistake: the
Python binding calls them through the shared library). Every --plugin must
export fk_plugin_entry and nothing else. Prints one line per problem and
exits 1 if there is any.
"""
import argparse
import os
import re
import subprocess
import sys

# Symbols the linker defines in every shared object; not the library's API.
LINKER = {"_init", "_fini", "_edata", "_end", "__bss_start"}

DECL = re.compile(
    r"^(FK_API\s+)?(?!static\b|typedef\b|extern\b|#)"
    r"(?:const\s+|struct\s+|unsigned\s+|enum\s+)*[A-Za-z_]\w*[\s*]+(fk_\w+)\s*\(",
    re.M)


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: re.sub(r"[^\n]", " ", m.group(0)),
                  text, flags=re.S)


def declarations(folders):
    """{name: (header, has FK_API)} for the file-scope fk_ functions."""
    out = {}
    for d in folders:
        for f in sorted(os.listdir(d)):
            if not f.endswith(".h"):
                continue
            path = os.path.join(d, f)
            with open(path, encoding="utf-8") as fh:
                text = strip_comments(fh.read())
            for m in DECL.finditer(text):
                out[m.group(2)] = (path, bool(m.group(1)))
    return out


def exported(lib):
    r = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{lib}: nm failed: {r.stderr.strip()}")
    names = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] not in LINKER:
            names.add(parts[2].split("@")[0])
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--headers", action="append", default=[])
    ap.add_argument("--lib", action="append", default=[])
    ap.add_argument("--plugin", action="append", default=[])
    a = ap.parse_args()
    decl = declarations(a.headers)
    problems = []
    for name, (hdr, api) in sorted(decl.items()):
        if not api:
            problems.append(f"{hdr}: {name} is declared without FK_API (it would be hidden)")
    all_exports = set()
    for lib in a.lib:
        names = exported(lib)
        all_exports |= names
        for n in sorted(names):
            if not n.startswith("fk_"):
                problems.append(f"{lib}: exports {n}, which is not an fk_ name (internal symbol leaks)")
            elif n not in decl:
                problems.append(f"{lib}: exports {n}, which no public header declares (internal symbol leaks)")
        print(f"{lib}: {len(names)} exported symbols")
    if a.lib:
        for name, (hdr, api) in sorted(decl.items()):
            if name not in all_exports:
                problems.append(f"{hdr}: {name} is public but no library exports it")
    for p in a.plugin:
        names = exported(p)
        if names != {"fk_plugin_entry"}:
            problems.append(f"{p}: exports {sorted(names)}, a plugin must export only fk_plugin_entry")
    print(f"{len(decl)} public functions declared; {len(a.plugin)} plugins checked")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
