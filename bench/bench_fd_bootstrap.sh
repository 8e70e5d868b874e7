#!/bin/sh
# Builds and runs the FD bootstrap benchmark against a build folder:
#   bench/bench_fd_bootstrap.sh build [N [d [B [K]]]]   (10000 2048 200 3)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [N [d [B [K]]]]}" && pwd)
shift
cc -std=c11 -O2 -Wall -Wextra -I"$src/core/include" "$src/bench/bench_fd_bootstrap.c" \
   -L"$build" -lfidkit -Wl,-rpath,"$build" -lm -o "$build/bench_fd_bootstrap"
exec "$build/bench_fd_bootstrap" "$@"
