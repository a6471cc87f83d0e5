#!/usr/bin/env bash
# End-to-end: `cairn up --demo` driven by the real kubectl — the CRDs are installed, the demo
# feed and ClusterStack exist, a second `cairn up` on the same data dir is refused, SIGTERM
# exits 0, a restart keeps the objects, and bad flags exit 2 with the flag named.
#   tests/e2e/up_test.sh CAIRN_BINARY
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cairn=${1:?usage: up_test.sh CAIRN_BINARY}
command -v kubectl >/dev/null || { echo "kubectl not found" >&2; exit 1; }
command -v git >/dev/null || { echo "git not found" >&2; exit 1; }

E2E_DIR=$(mktemp -d /tmp/cairn-e2e-up.XXXXXX)
trap e2e_cleanup EXIT
export HOME="$E2E_DIR/home"
mkdir -p "$HOME"
data="$E2E_DIR/data"
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(free_port)

# start_up LOG_PREFIX [FLAGS...]: starts `cairn up --demo` in the background (E2E_PID) and waits
# until it prints that it is ready.
start_up() {
  local log=$1
  shift
  "$cairn" up --data-dir "$data" --listen "127.0.0.1:$port" --demo --source-interval 10s "$@" \
    >"$E2E_DIR/$log.out" 2>"$E2E_DIR/$log.err" &
  E2E_PID=$!
  local deadline=$((SECONDS + 40))
  until grep -q "^cairn up: ready" "$E2E_DIR/$log.out" 2>/dev/null; do
    if ! kill -0 "$E2E_PID" 2>/dev/null || ((SECONDS > deadline)); then
      echo "cairn up did not become ready:" >&2
      cat "$E2E_DIR/$log.out" "$E2E_DIR/$log.err" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# stop_up SIGNAL: signals cairn up and checks that it exits 0 within 30 s.
stop_up() {
  local sig=$1 rc=0 deadline=$((SECONDS + 30))
  kill "-$sig" "$E2E_PID"
  while kill -0 "$E2E_PID" 2>/dev/null && ((SECONDS <= deadline)); do sleep 0.1; done
  if kill -0 "$E2E_PID" 2>/dev/null; then
    kill -KILL "$E2E_PID"
    rc=137
  fi
  wait "$E2E_PID" || rc=$?
  E2E_PID=
  ok "$sig: cairn up exits 0" test "$rc" -eq 0
}

# exits_with CODE DESCRIPTION PATTERN COMMAND...: exit status CODE and output matching PATTERN.
exits_with() {
  local code=$1 desc=$2 pattern=$3
  shift 3
  e2e_count=$((e2e_count + 1))
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if ((rc == code)) && grep -Eq -- "$pattern" <<<"$out"; then
    echo "ok $e2e_count - $desc"
  else
    echo "not ok $e2e_count - $desc (rc=$rc, want $code and output matching /$pattern/)"
    printf '%s\n' "$out" | sed 's/^/    /'
    e2e_failures=$((e2e_failures + 1))
  fi
}

k() { kubectl --request-timeout=30s "$@"; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
kjson() { local expr=$1; shift; k "$@" -o json | json "$expr"; }

# ---------------------------------------------------------------- bad flags, before anything starts
exits_with 2 "unknown --source exits 2 naming the flag" '--source: "gitlab"' \
  "$cairn" up --data-dir "$E2E_DIR/bad" --source gitlab
exits_with 2 "webhook receiver without a secret exits 2" '--release-webhook-secret-file: required' \
  "$cairn" up --data-dir "$E2E_DIR/bad" --release-webhook-bind-address 127.0.0.1:0
exits_with 2 "a bad --source-interval exits 2" '--source-interval: ' \
  "$cairn" up --data-dir "$E2E_DIR/bad" --source-interval 5
exits_with 2 "the manager refuses the same flags with exit 2" '--source: "gitlab"' \
  "$cairn" manager --source gitlab
ok "bad flags created no data dir" test ! -e "$E2E_DIR/bad"

# ---------------------------------------------------------------- first start
start_up up1
export KUBECONFIG="$data/kubeconfig"
echo "# cairn up on 127.0.0.1:$port (data $data)"
ok "the kubeconfig is written to DATA_DIR/kubeconfig" test -s "$data/kubeconfig"
matches "stdout says how to use kubectl" "export KUBECONFIG=$data/kubeconfig" cat "$E2E_DIR/up1.out"
matches "stdout names the demo feed and ClusterStack" 'ClusterStack demo/demo created' \
  cat "$E2E_DIR/up1.out"
matches "logs go to stderr as text" 'INFO +CRDs installed' cat "$E2E_DIR/up1.err"
matches "the API server is ready" '^ok$' k get --raw /readyz

for crd in clusterstacks.clusterstack.x-k8s.io clusterstackreleases.clusterstack.x-k8s.io \
  clusteraddons.clusterstack.x-k8s.io clusters.cluster.x-k8s.io clusterclasses.cluster.x-k8s.io \
  machinedeployments.cluster.x-k8s.io kubeadmcontrolplanetemplates.controlplane.cluster.x-k8s.io \
  kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io clusterresourcesets.addons.cluster.x-k8s.io \
  dockermachinetemplates.infrastructure.cluster.x-k8s.io \
  openstackclustertemplates.infrastructure.cluster.x-k8s.io images.openstack.k-orc.cloud; do
  ok "CRD $crd is Established" k wait --for=condition=Established --timeout=10s "crd/$crd"
done
crd_count=$(k get crd --no-headers | wc -l)
matches "api-resources lists clusterstacks with its short name" '^clusterstacks +csk ' k api-resources
matches "kubectl get clusterstack -n demo demo" '^demo +docker +demo +1\.32 +stable +true' \
  k get clusterstack -n demo demo --no-headers
ok "the demo ClusterStack subscribes to the demo feed and pins v1" kjson \
  "d['spec']['source']=={'url':'git+file://$data/demo-feed','interval':'30s'} and d['spec']['versions']==['v1'] and d['spec']['noProvider'] and d['spec']['autoSubscribe']" \
  -n demo get clusterstack demo
matches "the demo feed holds both releases as tags" 'docker-demo-1-32-v1.*docker-demo-1-32-v2' \
  bash -c "git -C '$data/demo-feed' tag | tr '\n' ' '"
matches "cairn releases lists the demo feed" 'docker-demo-1-32-v2' \
  "$cairn" releases list "git+file://$data/demo-feed" --cache-dir "$E2E_DIR/releases-cache"
# The controllers pick the demo up: v1 (pinned) and v2 (newest) become ClusterClasses.
eventually "the demo's ClusterClasses docker-demo-1-32-v1 and -v2 appear" 30 \
  k -n demo get clusterclass docker-demo-1-32-v1 docker-demo-1-32-v2
ok "the demo ClusterStack becomes Ready" \
  k -n demo wait --for=condition=Ready --timeout=30s clusterstack/demo
ok "create a ConfigMap to outlive the restart" k -n demo create configmap keep --from-literal=a=b

# ---------------------------------------------------------------- one cairn up per data dir
exits_with 1 "a second cairn up on the same data dir fails clearly" \
  "is in use by another cairn up \\(pid $E2E_PID\\)" \
  "$cairn" up --data-dir "$data" --listen "127.0.0.1:$(free_port)"
matches "the first one still serves" '^ok$' k get --raw /readyz

stop_up TERM
matches "it said it stopped" '^cairn up: stopped' cat "$E2E_DIR/up1.out"

# ---------------------------------------------------------------- restart on the same data dir
printf 'demo-webhook-secret\n' >"$E2E_DIR/webhook-secret"
start_up up2 --release-webhook-bind-address 127.0.0.1:0 \
  --release-webhook-secret-file "$E2E_DIR/webhook-secret"
matches "the restart re-applies the demo without recreating it" 'ClusterStack demo/demo exists' \
  cat "$E2E_DIR/up2.out"
matches "the demo tags were kept" 'tags present' cat "$E2E_DIR/up2.out"
ok "the ConfigMap survived the restart" kjson 'd["data"]=={"a":"b"}' -n demo get configmap keep
ok "the ClusterStack survived the restart" k -n demo get clusterstack demo
hook=$(sed -n 's|^Release webhook: POST \(http://[^ ]*\).*|\1|p' "$E2E_DIR/up2.out")
ok "stdout names the release webhook URL" test -n "$hook"
# A generic notification for the demo feed, signed with the secret file's content (without
# its newline): the receiver schedules one feed.
matches "a signed webhook for the demo feed reaches its poller" '"feeds": ?1' /usr/bin/python3 -c '
import hashlib, hmac, json, sys, urllib.request
url, feed = sys.argv[1], sys.argv[2]
body = json.dumps({"source": feed}).encode()
sig = "sha256=" + hmac.new(b"demo-webhook-secret", body, hashlib.sha256).hexdigest()
req = urllib.request.Request(url.replace("/github", "/generic"), data=body, method="POST",
    headers={"Content-Type": "application/json", "X-Cairn-Signature-256": sig})
print(urllib.request.urlopen(req, timeout=10).read().decode())
' "$hook" "git+file://$data/demo-feed"
ok "the CRDs were re-applied, not duplicated" test "$(k get crd --no-headers | wc -l)" -eq "$crd_count"
stop_up INT

e2e_finish
