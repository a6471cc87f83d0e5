#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. dependencies (apt) incl. test tools and the Go reference renderer
#   2. release build + every test (unit, conformance vectors, charts, differential, CLI)
#   3. the unit suite again under AddressSanitizer + UndefinedBehaviorSanitizer
#   4. libFuzzer targets built with clang and run briefly
# Environment: JOBS (parallel build jobs, default: nproc), FUZZ_SECONDS (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-15}

phase_start=$SECONDS
phase() {  # prints how long the previous phase took, then the next phase's title
  echo "   (took $((SECONDS - phase_start)) s)"
  phase_start=$SECONDS
  echo "== $1"
}

hack/install-deps.sh --test

phase "build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
hack/build-gotpl-ref.sh build

phase "tests"
ctest --test-dir build --output-on-failure -j "$jobs"

phase "tests under ASan + UBSan"
# The benchmarks run from the release build only (hack/bench.sh).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON -DCAIRN_BENCH=OFF \
  >/dev/null
cmake --build build-asan -j "$jobs"
mkdir -p build-asan/tools
[[ -x build/tools/gotpl-ref ]] && cp build/tools/gotpl-ref build-asan/tools/
# The unit suite (the end-to-end tests drive the release binary above).
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -E '^e2e_'


phase "fuzz targets (clang + libFuzzer, ${fuzz_seconds}s each)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCAIRN_FUZZ=ON -DCAIRN_TESTS=OFF -DCAIRN_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target cairn_fuzz_targets
for target in build-fuzz/tests/fuzz/fuzz_*; do
  [[ -x "$target" ]] || continue
  corpus="tests/fuzz/corpus/$(basename "$target")"
  mkdir -p "build-fuzz/corpus-$(basename "$target")"
  echo "-- $target"
  "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 \
    "build-fuzz/corpus-$(basename "$target")" "$corpus" 2>&1 | tail -n 3
done
phase "done"
echo "all tests passed"
