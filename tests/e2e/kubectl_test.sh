#!/usr/bin/env bash
# End-to-end: the real kubectl against a freshly started `cairn apiserver` (HTTPS, client
# certificate from the generated kubeconfig).
#   tests/e2e/kubectl_test.sh CAIRN_BINARY
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
data="$here/testdata"
cairn=${1:?usage: kubectl_test.sh CAIRN_BINARY}
command -v kubectl >/dev/null || { echo "kubectl not found" >&2; exit 1; }

e2e_start_apiserver "$cairn"
echo "# cairn apiserver at $E2E_URL (data $E2E_DIR)"
k() { kubectl --request-timeout=30s "$@"; }
# json EXPR: evaluates a Python expression over the JSON document `d` read from stdin and
# fails unless it is true.
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
kjson() { local expr=$1; shift; k "$@" -o json | json "$expr"; }

# ---------------------------------------------------------------- health, version, discovery
matches "get --raw /readyz" '^ok$' k get --raw /readyz
matches "get --raw /livez" '^ok$' k get --raw /livez
matches "get --raw /version reports a Kubernetes version" '"gitVersion": ?"v1\.' k get --raw /version
matches "version prints the server version" 'Server Version: v1\.' k version
matches "api-resources lists configmaps" '^configmaps +cm +v1 +true +ConfigMap' k api-resources
matches "api-resources lists deployments" '^deployments +deploy +apps/v1 +true +Deployment' k api-resources
matches "api-resources lists CRDs" 'customresourcedefinitions +crd,crds +apiextensions.k8s.io/v1 +false' k api-resources
matches "api-resources lists leases" '^leases +coordination.k8s.io/v1 +true +Lease' k api-resources
matches "api-versions lists batch/v1" '^batch/v1$' k api-versions
matches "default namespaces exist" 'kube-system' k get namespaces
fails "unknown resource type" "the server doesn't have a resource type \"gizmos\"" k get gizmos

# ---------------------------------------------------------------- create, get
ok "create namespace e2e" k create namespace e2e
ok "create -f configmap" k create -f "$data/configmap.yaml"
fails "create -f again: AlreadyExists" 'AlreadyExists.*configmaps "cm1" already exists' \
  k create -f "$data/configmap.yaml"
ok "create configmap imperatively" k -n e2e create configmap cm2 --from-literal=x=y
matches "get cm -o yaml" 'name: cm1' k -n e2e get cm cm1 -o yaml
ok "get cm -o json has data and server fields" kjson \
  'd["data"]=={"a":"1"} and d["metadata"]["uid"] and int(d["metadata"]["resourceVersion"])>0' \
  -n e2e get cm cm1
matches "get cm -o wide shows the Data column" 'cm1 +1 ' k -n e2e get cm -o wide
matches "get -l selects by label" '^cm1 ' k -n e2e get cm -l app=demo --no-headers
matches "get --field-selector metadata.name" '^cm2 ' k -n e2e get cm --field-selector metadata.name=cm2 --no-headers
matches "get -A lists across namespaces" '^e2e +cm1 ' k get cm -A --no-headers
matches "get with --chunk-size pages through" 'cm2' k -n e2e get cm --chunk-size=1
fails "get missing object: NotFound" 'NotFound.*configmaps "nope" not found' k -n e2e get cm nope
fails "invalid label selector: BadRequest" 'unable to parse requirement|found' k -n e2e get cm -l 'a in (b'
fails "invalid name: Invalid" 'Invalid|invalid' k -n e2e create configmap Bad_Name

# ---------------------------------------------------------------- apply (client-side and server-side)
ok "apply -f creates a deployment" k apply -f "$data/deployment.yaml"
sed 's/nginx:1.27/nginx:1.28/' "$data/deployment.yaml" >"$E2E_DIR/deployment2.yaml"
ok "apply -f updates it (strategic merge patch)" k apply -f "$E2E_DIR/deployment2.yaml"
ok "the container image changed and the sidecar is kept" kjson \
  '[c["image"] for c in d["spec"]["template"]["spec"]["containers"]]==["nginx:1.28","busybox:1.36"] and d["metadata"]["generation"]==2' \
  -n e2e get deploy web
ok "apply --server-side a configmap" bash -c "sed 's/a: \"1\"/a: \"2\"/; s/name: cm1/name: cm3/' '$data/configmap.yaml' | kubectl apply --server-side -f -"
ok "server-side apply recorded managedFields" kjson \
  'any(m["manager"]=="kubectl" and m["operation"]=="Apply" for m in d["metadata"]["managedFields"])' \
  -n e2e get cm cm3 --show-managed-fields
fails "server-side apply conflict with another manager" 'conflict' bash -c \
  "sed 's/a: \"1\"/a: \"9\"/; s/name: cm1/name: cm3/' '$data/configmap.yaml' | kubectl apply --server-side --field-manager=other -f -"
ok "server-side apply --force-conflicts" bash -c \
  "sed 's/a: \"1\"/a: \"9\"/; s/name: cm1/name: cm3/' '$data/configmap.yaml' | kubectl apply --server-side --field-manager=other --force-conflicts -f -"
ok "forced value is stored" kjson 'd["data"]["a"]=="9"' -n e2e get cm cm3
ok "create --dry-run=server stores nothing" k -n e2e create configmap dry --from-literal=a=b --dry-run=server
fails "dry-run object does not exist" 'NotFound' k -n e2e get cm dry

# ---------------------------------------------------------------- patch, label, annotate
ok "patch --type merge" k -n e2e patch cm cm1 --type merge -p '{"data":{"b":"2"}}'
ok "patch --type json" k -n e2e patch cm cm1 --type json -p '[{"op":"replace","path":"/data/a","value":"10"}]'
ok "patch (strategic) a deployment container by name" k -n e2e patch deploy web -p \
  '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"}]}}}}'
ok "patched values are stored" kjson \
  'd["data"]=={"a":"10","b":"2"}' -n e2e get cm cm1
ok "strategic patch merged the container list" kjson \
  '[c["image"] for c in d["spec"]["template"]["spec"]["containers"]]==["nginx:1.28","busybox:1.37"]' \
  -n e2e get deploy web
fails "json patch test failure is rejected" 'Invalid|invalid|test' k -n e2e patch cm cm1 --type json \
  -p '[{"op":"test","path":"/data/a","value":"nope"}]'
ok "label" k -n e2e label cm cm1 tier=backend
fails "label without --overwrite refuses to change" "already has a value" k -n e2e label cm cm1 tier=frontend
ok "label --overwrite" k -n e2e label cm cm1 tier=frontend --overwrite
ok "annotate" k -n e2e annotate cm cm1 note=hello
ok "labels and annotations are stored" kjson \
  'd["metadata"]["labels"]["tier"]=="frontend" and d["metadata"]["annotations"]["note"]=="hello"' -n e2e get cm cm1
ok "remove a label" k -n e2e label cm cm1 tier-
ok "label is gone" kjson '"tier" not in d["metadata"]["labels"]' -n e2e get cm cm1

# ---------------------------------------------------------------- CRDs and custom resources
ok "create a CRD" k apply -f "$data/widget-crd.yaml"
ok "wait for the CRD to be established" k wait --for=condition=established --timeout=30s crd/widgets.example.com
eventually "the new kind is discovered" 20 bash -c "kubectl api-resources | grep -Eq '^widgets +wd +example.com/v1 +true +Widget'"
ok "apply -f a custom resource" k apply -f "$data/widget.yaml"
ok "defaults and server fields on the custom resource" kjson \
  'd["spec"]["size"]==3 and d["metadata"]["generation"]==1 and "status" not in d' -n e2e get widget w1
matches "printer columns in get" 'NAME +COLOR +SIZE +READY +AGE' k -n e2e get widgets
matches "printer column values (missing ones blank)" '^w1 +red +3 +[0-9]+s$' k -n e2e get wd --no-headers
matches "priority columns in -o wide" 'NAME +COLOR +SIZE +READY +MESSAGE +AGE' k -n e2e get widgets -o wide
fails "schema validation: enum" 'Unsupported value: "pink"' bash -c \
  "sed 's/color: red/color: pink/; s/name: w1/name: w2/' '$data/widget.yaml' | kubectl create -f -"
fails "schema validation: maximum" 'should be less than or equal to 10' bash -c \
  "sed 's/size: 3/size: 11/; s/name: w1/name: w2/' '$data/widget.yaml' | kubectl create -f -"
fails "unknown fields are rejected by strict validation" 'unknown field "spec.bogus"' bash -c \
  "sed 's/size: 3/size: 3\n  bogus: 1/; s/name: w1/name: w2/' '$data/widget.yaml' | kubectl create -f -"
sed 's/color: red/color: green/; s/name: w1/name: w3/; s/size: 3/size: 2/' "$data/widget.yaml" >"$E2E_DIR/w3.yaml"
ok "create w3 without size default" bash -c "grep -v 'size:' '$E2E_DIR/w3.yaml' | kubectl create -f -"
ok "schema default applied" kjson 'd["spec"]["size"]==1' -n e2e get widget w3
ok "apply -f changes a custom resource (merge patch)" bash -c \
  "sed 's/color: red/color: blue/' '$data/widget.yaml' | kubectl apply -f -"
ok "generation increased" kjson 'd["spec"]["color"]=="blue" and d["metadata"]["generation"]==2' -n e2e get widget w1
fails "strategic merge patch on a custom resource: 415" 'not supported' \
  k -n e2e patch widget w1 -p '{"spec":{"size":4}}'
ok "apply --server-side a custom resource" bash -c \
  "sed 's/color: red/color: blue/; s/size: 3/size: 5/' '$data/widget.yaml' | kubectl apply --server-side --force-conflicts -f -"
ok "scale subresource" k -n e2e scale widget w1 --replicas=7
ok "scale wrote spec.size" kjson 'd["spec"]["size"]==7' -n e2e get widget w1

# ---------------------------------------------------------------- status subresource and wait
ok "patch --subresource status" k -n e2e patch widget w1 --subresource status --type merge -p \
  '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Done","message":"all good","observedGeneration":5}]}}'
matches "printer column with a filter shows the condition" '^w1 +blue +7 +True ' k -n e2e get wd w1 --no-headers
ok "wait --for=condition=Ready" k -n e2e wait --for=condition=Ready --timeout=20s widget/w1
ok "wait --for=jsonpath" k -n e2e wait --for=jsonpath='{.spec.color}'=blue --timeout=20s widget/w1
(sleep 2; kubectl -n e2e patch widget w3 --subresource status --type merge -p \
  '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Later"}]}}' >/dev/null) &
later=$!
ok "wait --for=condition blocks until a later change" k -n e2e wait --for=condition=Ready --timeout=30s widget/w3
wait "$later"
ok "status writes through the main endpoint are ignored" bash -c \
  "kubectl -n e2e patch widget w1 --type merge -p '{\"status\":{\"size\":99}}' && [ \"\$(kubectl -n e2e get widget w1 -o jsonpath='{.status.size}')\" != 99 ]"

# ---------------------------------------------------------------- watch
k -n e2e get cm -w --output-watch-events >"$E2E_DIR/watch.out" 2>&1 &
watch_pid=$!
sleep 1.5
k -n e2e create configmap watched --from-literal=k=v >/dev/null
k -n e2e delete configmap watched >/dev/null
eventually "get -w sees ADDED and DELETED" 15 bash -c \
  "grep -Eq 'ADDED +watched' '$E2E_DIR/watch.out' && grep -Eq 'DELETED +watched' '$E2E_DIR/watch.out'"
kill "$watch_pid" 2>/dev/null
wait "$watch_pid" 2>/dev/null

k -n e2e get widgets -w >"$E2E_DIR/watch-cr.out" 2>&1 &
watch_pid=$!
sleep 1.5
k -n e2e patch widget w3 --type merge -p '{"spec":{"color":"red"}}' >/dev/null
eventually "get -w on custom resources prints printer columns" 15 bash -c \
  "grep -Eq '^w3 +red ' '$E2E_DIR/watch-cr.out'"
kill "$watch_pid" 2>/dev/null
wait "$watch_pid" 2>/dev/null

# ---------------------------------------------------------------- explain
matches "explain configmaps" 'KIND: *ConfigMap' k explain configmaps
matches "explain a custom resource field" 'The colour of the widget' k explain widgets.spec.color
matches "explain shows required fields" 'color.*-required-' k explain widgets.spec

# ---------------------------------------------------------------- delete, finalizers, wait --for=delete
ok "delete a configmap" k -n e2e delete cm cm2
fails "delete it again: NotFound" 'NotFound' k -n e2e delete cm cm2
ok "delete --ignore-not-found" k -n e2e delete cm cm2 --ignore-not-found
ok "add a finalizer" k -n e2e patch widget w3 --type merge -p '{"metadata":{"finalizers":["example.com/hold"]}}'
ok "delete --wait=false leaves the object terminating" k -n e2e delete widget w3 --wait=false
ok "deletionTimestamp is set" kjson '"deletionTimestamp" in d["metadata"]' -n e2e get widget w3
(sleep 2; kubectl -n e2e patch widget w3 --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null) &
later=$!
ok "wait --for=delete returns once the finalizer is removed" k -n e2e wait --for=delete --timeout=30s widget/w3
wait "$later"
ok "delete -l deletes by label" k -n e2e delete cm -l app=demo
fails "labelled configmap is gone" 'NotFound' k -n e2e get cm cm1

# ---------------------------------------------------------------- garbage collection
ok "create an owner configmap" k -n e2e create configmap owner --from-literal=a=b
uid=$(k -n e2e get cm owner -o jsonpath='{.metadata.uid}')
cat >"$E2E_DIR/child.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: child
  namespace: e2e
  ownerReferences:
    - {apiVersion: v1, kind: ConfigMap, name: owner, uid: "$uid"}
EOF
ok "create an owned configmap" k create -f "$E2E_DIR/child.yaml"
ok "delete the owner" k -n e2e delete cm owner
eventually "the dependent is garbage-collected" 20 bash -c "! kubectl -n e2e get cm child 2>/dev/null"

# ---------------------------------------------------------------- namespace deletion
ok "create a configmap in a doomed namespace" bash -c \
  "kubectl create namespace doomed && kubectl -n doomed create configmap c --from-literal=a=b"
ok "create a custom resource in it" bash -c "sed 's/namespace: e2e/namespace: doomed/' '$data/widget.yaml' | kubectl create -f -"
ok "delete the namespace (kubectl waits until it is gone)" k delete namespace doomed --timeout=60s
fails "the namespace is gone" 'NotFound' k get namespace doomed
fails "creating in a missing namespace: NotFound" 'namespaces "doomed" not found' \
  k -n doomed create configmap c2 --from-literal=a=b
fails "the default namespace may not be deleted" 'forbidden' k delete namespace default --wait=false

# ---------------------------------------------------------------- CRD deletion
ok "delete the CRD" k delete crd widgets.example.com --timeout=60s
eventually "custom resources are gone with it" 20 bash -c "! kubectl -n e2e get widgets 2>/dev/null"

e2e_finish
