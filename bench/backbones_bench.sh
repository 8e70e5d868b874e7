#!/bin/sh
# Benchmark (not a test): the resnet, mobilenet_v3 and torchscript plugins
# against eager torchvision (NCHW, as a user runs it) on the same weights and
# inputs; prints images/s of each and the ratio.
#
#   bench/backbones_bench.sh [BUILD_DIR] [-- options of backbones_bench.py]
#
# BUILD_DIR (default: build) must hold libfidkit and the plugins.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-"$here/../build"}" && pwd)
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
exe="$build/backbones_bench"
cmake --build "$build" --target backbones_bench >/dev/null
# Debian's torch belongs to /usr/bin/python3.
FIDKIT_PLUGIN_PATH="$build/plugins" exec /usr/bin/python3 "$here/backbones_bench.py" "$exe" "$@"
