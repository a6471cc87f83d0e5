#!/usr/bin/env bash
# Newcomer's first command: install dependencies, build cairn, render the
# example cluster stack's ClusterClass chart as `helm template` would.
set -euo pipefail
cd "$(dirname "$0")/.."
hack/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target cairn
stack=examples/cluster-stacks/docker-demo-1-32
echo "== cairn render $stack/cluster-class"
./build/cairn render "$stack/cluster-class" --name docker-demo-1-32 --namespace my-tenant \
  --kube-version v1.32.5
echo "== cairn render $stack/cluster-addon"
./build/cairn render "$stack/cluster-addon" --name cluster-addon --namespace kube-system \
  --kube-version v1.32.5 --include-crds
