#!/bin/sh
# Installs what is missing (tools/install-deps.sh), then configures and builds
# fidkit in ./build. Idempotent: a second run only rebuilds what changed.
set -eu
cd "$(dirname "$0")/.."
./tools/install-deps.sh
# FIDKIT_WERROR=1 in the environment (CI, developers) makes warnings errors;
# users' builds never fail on a warning.
case "${FIDKIT_WERROR:-0}" in
  1|ON|on|yes|true) werror=ON ;;
  *) werror=OFF ;;
esac
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIDKIT_WERROR="$werror" >/dev/null
cmake --build build -j "$(nproc)"
