#!/usr/bin/env bash
# Builds cairn (release) and the Go reference renderer, then runs the benchmarks.
#   hack/bench.sh [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release --target cairn render_bench
hack/build-gotpl-ref.sh build-release
./build-release/bench/render_bench "$@"
