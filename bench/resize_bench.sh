#!/bin/sh
# Builds and runs the resize benchmark against an existing build folder:
#   bench/resize_bench.sh build-dir
# Pinned to one core so both sides are measured per core.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
cmake --build "$build" --target resize_bench >/dev/null
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
exec $pin "$build/resize_bench" "$src/bench/resize_bench.py"
