#!/usr/bin/env bash
# Builds the Go reference renderer (shared/tools/gotpl-ref) into
# <build dir>/tools/gotpl-ref, from a copy of its sources (shared/ is read-only).
#   hack/build-gotpl-ref.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
ref="${CAIRN_SHARED_DIR:-$here/../shared}/tools/gotpl-ref"
if [[ ! -d "$ref" ]]; then
  echo "no $ref: skipping the reference renderer" >&2
  exit 0
fi
if [[ ! -x /usr/lib/go-1.23/bin/go ]]; then
  echo "Go 1.23 is not installed (hack/install-deps.sh --test): skipping the reference renderer" >&2
  exit 0
fi
src="$build/tools/gotpl-ref-src"
rm -rf "$src"
mkdir -p "$src" "$build/tools"
cp "$ref"/*.go "$ref"/build.sh "$src"/
# Our in-process benchmark loop (bench/gotpl-ref/), so both renderers are timed on the same work.
cp "$here"/bench/gotpl-ref/*.go "$src"/
sh "$src/build.sh" >/dev/null
mv "$src/bin/gotpl-ref" "$build/tools/gotpl-ref"
rm -rf "$src"
echo "built $build/tools/gotpl-ref"
