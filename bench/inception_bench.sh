#!/bin/sh
# Benchmark (not a test): the inception_v3 plugin against eager PyTorch on the
# same weights and inputs; prints images/s and the ratio.
#
#   bench/inception_bench.sh [BUILD_DIR] [-- options of inception_bench.py]
#
# BUILD_DIR (default: build) must hold a built plugins/inception_v3.so.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../build"}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
plugin="$build/plugins/inception_v3.so"
[ -f "$plugin" ] || { echo "no $plugin: build fidkit first" >&2; exit 1; }
exe="$build/inception_bench"
cmake --build "$build" --target inception_bench >/dev/null
# Debian's torch belongs to /usr/bin/python3.
exec /usr/bin/python3 "$here/inception_bench.py" "$exe" "$plugin" "$@"
