#!/bin/sh
# Benchmark (not a test): the Python package against the CLI on the same
# job, and its torchmetrics-style loop against eager PyTorch Inception.
#
#   bench/python_bench.sh [BUILD_DIR] [-- options of python_bench.py]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-"$here/../build"}" && pwd)
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
[ -x "$build/fidkit" ] || { echo "no $build/fidkit: build fidkit first" >&2; exit 1; }
FIDKIT_LIB="$build/libfidkit.so" PYTHONPATH="$here/../python" \
  FIDKIT_PLUGIN_PATH="${FIDKIT_PLUGIN_PATH:+$FIDKIT_PLUGIN_PATH:}$build/tests/plugins:$build/plugins" \
  exec /usr/bin/python3 "$here/python_bench.py" "$build/fidkit" "$@"
