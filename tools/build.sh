#!/bin/sh
# Installs what is missing (tools/install-deps.sh), then configures and builds
# fidkit in ./build. Idempotent: a second run only rebuilds what changed.
set -eu
cd "$(dirname "$0")/.."
./tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
