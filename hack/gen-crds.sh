#!/usr/bin/env bash
# Regenerates config/crd (the CRD manifests of cairn's kinds) from api/crd.cpp:
#   hack/gen-crds.sh [BUILD_DIR]     (default: build)
# Builds the generator target `gen_crds` (tests/api/gen_crds.cpp) in BUILD_DIR, configuring it
# first if needed, and runs it. api_test fails while the committed files differ from its output.
# Environment: JOBS (build jobs, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${JOBS:-1}

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target gen_crds -j "$jobs"
"$build/tests/api/gen_crds" config/crd
