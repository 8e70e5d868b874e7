#!/bin/sh
# Benchmark (not a test): `fidkit stats` on a folder of PNG files against
# pytorch-fid's pipeline (PIL, DataLoader, eager PyTorch) on the same files
# and weights, end to end; prints images/s of each and the ratio.
#
#   bench/stats_bench.sh [BUILD_DIR] [-- options of stats_bench.py]
#
# BUILD_DIR (default: build) must hold a built fidkit and its plugins.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-"$here/../build"}" && pwd)
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
[ -x "$build/fidkit" ] || { echo "no $build/fidkit: build fidkit first" >&2; exit 1; }
# Debian's torch belongs to /usr/bin/python3.
FIDKIT_PLUGIN_PATH="$build/plugins" exec /usr/bin/python3 "$here/stats_bench.py" "$build/fidkit" "$@"
