#!/usr/bin/env bash
# Installs what cairn needs on Debian 12 (run as root; apt only).
#   hack/install-deps.sh          build dependencies
#   hack/install-deps.sh --test   + test tools: clang/libFuzzer, Go 1.23 for the
#                                 reference renderer (bookworm-backports), kubectl and
#                                 python3-kubernetes for the end-to-end tests
set -euo pipefail
with_test=0
[[ "${1:-}" == "--test" ]] && with_test=1

if [[ $(id -u) -ne 0 ]]; then
  echo "hack/install-deps.sh must run as root (it calls apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential g++ cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libssl-dev libcurl4-openssl-dev libgit2-dev nlohmann-json3-dev
  libyaml-dev libyaml-cpp-dev libarchive-dev libsqlite3-dev libre2-dev libspdlog-dev libfmt-dev
  libcli11-dev libexpected-dev prometheus-cpp-dev libcrypt-dev libjemalloc-dev catch2
)
if (( with_test )); then
  # clang/libFuzzer; the Python client of the e2e tests (Debian's, for /usr/bin/python3)
  packages+=(clang libclang-rt-14-dev python3-kubernetes python3-yaml)
  # Real peers of the release-feed tests: an OCI registry (distribution v2); git is above.
  packages+=(docker-registry)
  # kubectl drives the e2e tests; this machine has one preinstalled, elsewhere take Debian's.
  command -v kubectl >/dev/null || packages+=(kubernetes-client)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if (( with_test )); then
  # The Go reference renderer used by the differential tests (Go 1.23 from
  # bookworm-backports + Debian's Go libraries); see shared/tools/gotpl-ref.
  here=$(cd "$(dirname "$0")/.." && pwd)
  ref="${CAIRN_SHARED_DIR:-$here/../shared}/tools/gotpl-ref"
  if [[ -f "$ref/install-deps.sh" ]]; then
    sh "$ref/install-deps.sh"
  else
    echo "warning: $ref not found; the differential test will be skipped" >&2
  fi
fi
