#!/usr/bin/env bash
# End-to-end: cairn's own CRDs (config/crd) install into a freshly started `cairn apiserver` with
# the real kubectl; the Go operator's sample ClusterStack is accepted and defaulted, invalid
# objects get 422 with a cause that says why.
#   tests/e2e/crd_install_test.sh CAIRN_BINARY
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
cairn=${1:?usage: crd_install_test.sh CAIRN_BINARY}
command -v kubectl >/dev/null || { echo "kubectl not found" >&2; exit 1; }

e2e_start_apiserver "$cairn"
echo "# cairn apiserver at $E2E_URL (data $E2E_DIR)"
k() { kubectl --request-timeout=30s "$@"; }
json() {
  /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}
kjson() { local expr=$1; shift; k "$@" -o json | json "$expr"; }
# kcreate_422 FILE: `kubectl create -v=6` (which logs the response status line); prints its
# output and succeeds only when kubectl failed with HTTP 422.
kcreate_422() {
  local out rc=0
  out=$(kubectl --request-timeout=30s create -v=6 -f "$1" 2>&1) || rc=$?
  printf '%s\n' "$out"
  ((rc != 0)) && grep -q '422 Unprocessable Entity' <<<"$out"
}
# create_422 DESCRIPTION PATTERN FILE: creating FILE gets 422 with a cause matching PATTERN.
create_422() { matches "$1" "$2" kcreate_422 "$3"; }
# stack NAME SPEC_JSON: writes a ClusterStack with that spec to $E2E_DIR/NAME.json.
stack() {
  printf '{"apiVersion":"clusterstack.x-k8s.io/v1alpha1","kind":"ClusterStack",
"metadata":{"name":"%s","namespace":"e2e"},"spec":%s}\n' "$1" "$2" >"$E2E_DIR/$1.json"
  echo "$E2E_DIR/$1.json"
}

# ---------------------------------------------------------------- install
ok "apply -k config/crd installs the CRDs" k apply -k "$root/config/crd"
for plural in clusterstacks clusterstackreleases clusteraddons; do
  ok "crd $plural becomes Established" k wait --for condition=established --timeout=30s \
    "crd/$plural.clusterstack.x-k8s.io"
done
# api_resources: the api-resources table of the group (kubectl re-reads discovery).
api_resources() { kubectl api-resources --api-group=clusterstack.x-k8s.io; }
eventually "api-resources lists the kinds with short names" 20 bash -c "$(declare -f api_resources)
  api_resources | grep -Eq '^clusterstacks +csk +clusterstack\.x-k8s\.io/v1alpha1 +true ' &&
  api_resources | grep -Eq '^clusterstackreleases +cskr .* ClusterStackRelease' &&
  api_resources | grep -Eq '^clusteraddons +caddon .* ClusterAddon'"
ok "apply -k again is a no-op" k apply -k "$root/config/crd"
ok "create namespace e2e" k create namespace e2e

# ---------------------------------------------------------------- the Go operator's sample
sample=$(stack ferrol '{"provider":"docker","name":"ferrol","kubernetesVersion":"1.27",
"channel":"stable","autoSubscribe":false,"noProvider":true,"versions":["v2"]}')
ok "the Go operator's sample ClusterStack is accepted" k create -f "$sample"
matches "get csk prints the printer columns" \
  '^ferrol +docker +ferrol +1\.27 +stable +false ' k -n e2e get csk --no-headers
minimal=$(stack minimal '{"provider":"docker","name":"ferrol","kubernetesVersion":"1.28",
"noProvider":true}')
ok "a ClusterStack without channel and autoSubscribe is accepted" k create -f "$minimal"
ok "the schema defaults channel and autoSubscribe" kjson \
  'd["spec"]["channel"]=="stable" and d["spec"]["autoSubscribe"] is True' -n e2e get csk minimal

# ---------------------------------------------------------------- invalid ClusterStacks: 422
# bad NAME FIELDS: a ClusterStack file whose spec is a valid no-provider spec plus FIELDS (JSON
# members that replace the valid ones).
bad() {
  stack "$1" "$(/usr/bin/python3 -c 'import json,sys
spec={"provider":"docker","name":"ferrol","kubernetesVersion":"1.27","noProvider":True}
spec.update(json.loads("{"+sys.argv[1]+"}"))
print(json.dumps(spec))' "$2")"
}
create_422 "bad Kubernetes version 1.x: 422" \
  'spec\.kubernetesVersion: Invalid value: "1\.x": spec\.kubernetesVersion in body should match' \
  "$(bad bad-k8s '"kubernetesVersion":"1.x"')"
create_422 "bad Kubernetes version v1.27: 422" 'spec\.kubernetesVersion: Invalid value: "v1\.27"' \
  "$(bad bad-k8s-v '"kubernetesVersion":"v1.27"')"
create_422 "bad channel beta: 422" \
  'spec\.channel: Unsupported value: "beta": supported values: "stable", "custom"' \
  "$(bad bad-channel '"channel":"beta"')"
create_422 "empty provider: 422" \
  'spec\.provider: Invalid value: "": spec\.provider in body should be at least 1 chars long' \
  "$(bad bad-provider '"provider":""')"
create_422 "bad version in versions: 422" 'spec\.versions\[0\]: Invalid value: "2"' \
  "$(bad bad-versions '"versions":["2"]')"
create_422 "provider mode without providerRef: 422" 'spec\.providerRef: Required value' \
  "$(bad bad-ref '"noProvider":false')"
fails "unknown spec field: strict decoding error" 'unknown field "spec\.bogus"' \
  k create -f "$(bad bogus '"bogus":1')"
matches "none of the invalid objects was stored" '^ferrol minimal$' \
  k -n e2e get csk -o 'jsonpath={.items[*].metadata.name}'

# ---------------------------------------------------------------- ClusterStackRelease, ClusterAddon
cat >"$E2E_DIR/cskr.yaml" <<'YAML'
apiVersion: clusterstack.x-k8s.io/v1alpha1
kind: ClusterStackRelease
metadata: {name: docker-ferrol-1-27-v2, namespace: e2e}
spec: {}
YAML
ok "a ClusterStackRelease named by its release tag is accepted" k create -f "$E2E_DIR/cskr.yaml"
matches "get cskr prints the printer columns" '^docker-ferrol-1-27-v2 +[0-9]+s *$' \
  k -n e2e get cskr --no-headers
sed 's/docker-ferrol-1-27-v2/docker-ferrol-v2/' "$E2E_DIR/cskr.yaml" >"$E2E_DIR/cskr-bad.yaml"
create_422 "a ClusterStackRelease not named by a release tag: 422" \
  'metadata\.name: Invalid value: "docker-ferrol-v2"' "$E2E_DIR/cskr-bad.yaml"
cat >"$E2E_DIR/caddon.yaml" <<'YAML'
apiVersion: clusterstack.x-k8s.io/v1alpha1
kind: ClusterAddon
metadata: {name: cluster-addon-c1, namespace: e2e}
spec: {clusterRef: {apiVersion: cluster.x-k8s.io/v1beta1, kind: Cluster, name: c1, namespace: e2e}}
YAML
ok "a ClusterAddon referring to a Cluster is accepted" k create -f "$E2E_DIR/caddon.yaml"
matches "get caddon prints the printer columns" '^cluster-addon-c1 +[0-9]+s *$' \
  k -n e2e get caddon --no-headers
sed 's/kind: Cluster,/kind: Machine,/; s/cluster-addon-c1/cluster-addon-c2/' \
  "$E2E_DIR/caddon.yaml" >"$E2E_DIR/caddon-bad.yaml"
create_422 "a ClusterAddon referring to another kind: 422" \
  'spec\.clusterRef\.kind: Unsupported value: "Machine": supported values: "Cluster"' \
  "$E2E_DIR/caddon-bad.yaml"

e2e_finish
