#!/bin/sh
# Builds and runs the decode + resize benchmark against a build folder:
#   bench/decode_resize_bench.sh build
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
py=/usr/bin/python3
cmake --build "$build" --target decode_resize_bench >/dev/null
jpg="$build/bench_256.jpg"
"$py" "$src/bench/decode_resize_bench.py" make "$jpg"
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
exec $pin "$build/decode_resize_bench" "$jpg" "$py" "$src/bench/decode_resize_bench.py"
