#!/usr/bin/env bash
# Builds cairn (release) and runs the benchmarks; figures go to docs/benchmarks.md by hand.
#   hack/bench.sh                       every benchmark
#   hack/bench.sh render [--rounds N]   the renderer against the Go reference renderer
#   hack/bench.sh apiserver [--seconds S] [--objects N] [--watchers W]
#   hack/bench.sh informer [--objects N] [--events N] [--seconds S]
#   hack/bench.sh sources [--tags N] [--mib M] [--polls P]
#   hack/bench.sh controllers [--namespaces N] [--feeds F] [--steady-seconds S] [--sync-period S]
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
[[ $# -gt 0 ]] && shift
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
case "$which" in
  render|all)
    cmake --build build-release --target cairn render_bench
    hack/build-gotpl-ref.sh build-release
    ./build-release/bench/render_bench "$@"
    ;;&
  informer|all)
    cmake --build build-release --target informer_bench
    ./build-release/bench/informer_bench "$@"
    ;;&
  sources|all)
    cmake --build build-release --target sources_bench
    ./build-release/bench/sources_bench "$@"
    ;;&
  controllers|all)
    cmake --build build-release --target cairn controllers_bench
    ./build-release/bench/controllers_bench --cairn build-release/cairn "$@"
    ;;&
  apiserver|all)
    cmake --build build-release --target cairn apiserver_bench
    ./build-release/bench/apiserver_bench --cairn build-release/cairn "$@"
    ;;
  render|informer|sources|controllers) ;;
  *) echo "usage: hack/bench.sh [render|apiserver|informer|sources|controllers] [options]" >&2
     exit 1 ;;
esac
