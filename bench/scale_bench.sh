#!/bin/bash
# Benchmark (not a test): strong scaling of `fidkit stats` across MPI ranks
# on this machine, and the cost of `fidkit merge` against extraction.
#
#   bench/scale_bench.sh [BUILD_DIR] [N_IMAGES] [CONFIG]
#
# Defaults: build, 200 images (64 x 64, seeded), inception_v3_random (the
# FID Inception architecture, d = 2048, nothing to download). Runs, on the
# same dataset and in the same invocation:
#   1 rank  x 1 thread, 1 rank x 2 threads, 2 ranks x 1 thread (mpirun),
#   2 shards (--shard i/2, one after the other) + merge,
# checks that every run wrote the same mu and sigma bit for bit, and prints
# wall times, speed-ups and parallel efficiency T(1x1) / (cores x T).
# Needs the MPI build (FIDKIT_MPI) for the mpirun row.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-"$here/../build"}" && pwd)
n=${2:-200}
cfg=${3:-inception_v3_random}
F="$build/fidkit"
[ -x "$F" ] || { echo "no $F: build fidkit first" >&2; exit 1; }
export FIDKIT_PLUGIN_PATH="$build/plugins"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -c "
import numpy as np
np.savez('$tmp/data.npz', arr_0=np.random.default_rng(19).integers(0, 256, ($n, 64, 64, 3), dtype=np.uint8))"
block=$(( n / 8 > 0 ? n / 8 : 1 ))
common=(--backbone "$cfg" --block "$block" --quiet)

now() { date +%s.%N; }
secs() { /usr/bin/python3 -c "print('%.2f' % ($2 - $1))"; }
run() { # label, then the command
    local label=$1; shift
    local t0; t0=$(now)
    "$@" > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
    local t1; t1=$(now)
    printf '%s %s\n' "$label" "$(secs "$t0" "$t1")" >> "$tmp/times"
}

# Untimed warm-up: page cache, plugin and weight set-up.
OMP_NUM_THREADS=1 "$F" stats "$tmp/data.npz" "${common[@]}" --limit 4 -o "$tmp/warm.npz" >/dev/null
# One OpenBLAS / torch thread per rank unless the row says otherwise.
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 run "1x1" "$F" stats "$tmp/data.npz" "${common[@]}" --threads 1 -o "$tmp/r11.npz"
OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 run "1x2" "$F" stats "$tmp/data.npz" "${common[@]}" --threads 2 -o "$tmp/r12.npz"
if command -v mpirun >/dev/null; then
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 run "2x1" mpirun -n 2 --bind-to core "$F" stats "$tmp/data.npz" "${common[@]}" --threads 1 -o "$tmp/r21.npz"
fi
for i in 0 1; do
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 run "shard$i" "$F" stats "$tmp/data.npz" "${common[@]}" --threads 1 --shard "$i/2" -o "$tmp/p$i.npz"
done
run "merge" "$F" merge "$tmp/p1.npz" "$tmp/p0.npz" -o "$tmp/merged.npz"

/usr/bin/python3 - "$tmp" "$n" "$cfg" <<'PY'
import os, sys
import numpy as np
tmp, n, cfg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t = dict(l.split() for l in open(os.path.join(tmp, "times")))
t = {k: float(v) for k, v in t.items()}
ref = np.load(os.path.join(tmp, "r11.npz"))
def same(f):
    x = np.load(os.path.join(tmp, f))
    return bool((x["mu"] == ref["mu"]).all() and (x["sigma"] == ref["sigma"]).all())
d = ref["mu"].shape[0]
print(f"fidkit stats, {n} images 64x64, {cfg} (d = {d}), {os.cpu_count()} cores")
print(f"{'run':<22}{'wall s':>8}{'img/s':>8}{'speed-up':>10}{'efficiency':>12}  same bits")
base = t["1x1"]
for k, cores, f in (("1x1", 1, "r11.npz"), ("1x2", 2, "r12.npz"), ("2x1", 2, "r21.npz")):
    if k not in t:
        continue
    name = {"1x1": "1 rank x 1 thread", "1x2": "1 rank x 2 threads", "2x1": "2 ranks x 1 thread"}[k]
    print(f"{name:<22}{t[k]:>8.2f}{n / t[k]:>8.1f}{base / t[k]:>10.2f}{base / (cores * t[k]):>12.2f}  {same(f)}")
sh = t["shard0"] + t["shard1"]
print(f"{'2 shards, serial':<22}{sh:>8.2f}{n / sh:>8.1f}")
print(f"{'merge of 2 shards':<22}{t['merge']:>8.2f}   ({100 * t['merge'] / sh:.1f} % of their extraction;"
      f" {(d * d + d + 1) * 8 / 1e6:.0f} MB of moments per part)  same bits {same('merged.npz')}")
PY
