#!/bin/sh
# Benchmark (not a test): the dinov2 plugin against eager PyTorch of the same
# model at 224 (bench/dinov2_bench.py); ViT-S/14 and ViT-L/14 by default.
#
#   bench/dinov2_bench.sh [BUILD_DIR] [-- options of dinov2_bench.py]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-"$here/../build"}" && pwd)
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
cmake --build "$build" --target backbones_bench dinov2 >/dev/null
FIDKIT_PLUGIN_PATH="$build/plugins" FIDKIT_NO_CACHE=1 exec /usr/bin/python3 "$here/dinov2_bench.py" "$build/backbones_bench" "$@"
