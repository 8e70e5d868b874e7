#!/bin/sh
# Builds and runs the FD bootstrap benchmark against a build folder:
#   bench/bench_fd_bootstrap.sh build [N [d [B [K]]]]   (10000 2048 200 3)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [N [d [B [K]]]]}" && pwd)
shift
cmake --build "$build" --target bench_fd_bootstrap >/dev/null
exec "$build/bench_fd_bootstrap" "$@"
