#!/usr/bin/env bash
# Command-line behaviour of `cairn render`, `cairn template` and `cairn releases`: exact output on
# success; on any error exit status 1, nothing on stdout, and a message on
# stderr that says where and what.
#   tests/cli/cli_test.sh CAIRN_BINARY SHARED_DIR
set -uo pipefail
cairn=$1
shared=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect_error NAME PATTERN -- command...: exit 1, empty stdout, stderr matches PATTERN.
expect_error() {
  local name=$1 pattern=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [[ $rc -ne 1 ]]; then bad "$name: exit status $rc, want 1"; return; fi
  if [[ -s "$work/out" ]]; then bad "$name: stdout not empty: $(head -c 200 "$work/out")"; return; fi
  if ! grep -Eq "$pattern" "$work/err"; then
    bad "$name: stderr does not match /$pattern/: $(cat "$work/err")"
    return
  fi
  ok
}

# 1. A fixture chart renders exactly as helm template does.
fx="$shared/fixtures/charts/public/cc-docker-scs"
if "$cairn" render "$fx/chart" --name docker-scs-1-32 --namespace my-tenant \
    --kube-version v1.32.5 >"$work/out" 2>"$work/err" && cmp -s "$work/out" "$fx/expected.yaml"; then
  ok
else
  bad "render cc-docker-scs differs from expected.yaml: $(head -c 300 "$work/err")"
fi

# 2. Values files: -f merges over the chart's values.
fx="$shared/fixtures/charts/public/csp-helper"
if "$cairn" render "$fx/chart" --name csp-helper-my-tenant --namespace my-tenant \
    --kube-version v1.32.5 -f "$fx/values-test.yaml" >"$work/out" 2>"$work/err" &&
    cmp -s "$work/out" "$fx/expected.yaml"; then
  ok
else
  bad "render csp-helper with -f differs from expected.yaml: $(head -c 300 "$work/err")"
fi

# 3. A template error names the template, line and column.
mkdir -p "$work/broken/templates"
printf 'apiVersion: v2\nname: broken\nversion: 0.1.0\n' >"$work/broken/Chart.yaml"
printf 'a: 1\n' >"$work/broken/values.yaml"
printf 'kind: ConfigMap\ndata:\n  x: {{ .Values.a | upper }}\n' >"$work/broken/templates/cm.yaml"
expect_error "template error" 'broken/templates/cm.yaml:3:[0-9]+: .*expected string; got float64' \
  -- "$cairn" render "$work/broken"

# 4. A rendered document that is not YAML fails and names the file.
printf 'kind: ConfigMap\ndata: [unclosed\n' >"$work/broken/templates/cm.yaml"
expect_error "yaml error" 'broken/templates/cm.yaml' -- "$cairn" render "$work/broken"

# 5. Malformed values file.
printf 'kind: ConfigMap\n' >"$work/broken/templates/cm.yaml"
printf 'a: [1, 2\n' >"$work/bad-values.yaml"
expect_error "bad values" 'bad-values.yaml' -- "$cairn" render "$work/broken" -f "$work/bad-values.yaml"

# 6. A missing chart.
expect_error "missing chart" 'no-such-chart' -- "$cairn" render "$work/no-such-chart"

# 7. A hostile archive: an entry that escapes the chart directory.
mkdir -p "$work/evil/evil/templates"
printf 'apiVersion: v2\nname: evil\nversion: 0.1.0\n' >"$work/evil/evil/Chart.yaml"
printf 'x' >"$work/evil/escape.yaml"
tar -C "$work/evil" -czf "$work/evil.tgz" evil/Chart.yaml --transform 's,^evil/Chart.yaml,evil/Chart.yaml,' \
  escape.yaml --transform 's,^escape.yaml,evil/../../escape.yaml,' 2>/dev/null
expect_error "path traversal in archive" 'parent directory' -- "$cairn" render "$work/evil.tgz"

# 8. cairn template in both dialects.
printf '{"n": 1000000, "s": "x"}' >"$work/data.json"
printf '{{ .n }}|{{ .missing }}|{{ .s | upper }}' >"$work/t.tpl"
out=$("$cairn" template --mode gotpl --data "$work/data.json" "$work/t.tpl")
[[ "$out" == "1e+06|<no value>|X" ]] && ok || bad "template gotpl: got '$out'"
out=$("$cairn" template --mode helm --data "$work/data.json" "$work/t.tpl")
[[ "$out" == "1e+06||X" ]] && ok || bad "template helm: got '$out'"

# 9. cairn template errors: parse error with line, bad JSON data, missing file.
printf 'line1\n{{ if }}' >"$work/bad.tpl"
expect_error "template parse error" 'bad.tpl:2: missing value for if' -- \
  "$cairn" template --mode helm "$work/bad.tpl"
printf '{"a": ' >"$work/bad.json"
expect_error "bad data json" 'bad.json' -- "$cairn" template --data "$work/bad.json" "$work/t.tpl"
expect_error "missing template file" 'nope.tpl' -- "$cairn" template "$work/nope.tpl"

# 10. `cairn releases`: a local feed built from examples/, listed newest first and fetched
# into a cache; errors name the feed and the release.
example="$(dirname "$0")/../../examples/cluster-stacks/docker-demo-1-32"
feed="$work/feed"
for v in 1 2; do
  rel="$feed/docker-demo-1-32-v$v"
  mkdir -p "$rel" "$work/stage$v"
  sed "s/clusterStack: v1/clusterStack: v$v/" "$example/metadata.yaml" >"$rel/metadata.yaml"
  cp "$example/cluster-addon-values.yaml" "$rel/"
  cp -r "$example/cluster-class" "$work/stage$v/docker-demo-1-32-cluster-class"
  sed -i "s/^version: v1/version: v$v/" "$work/stage$v/docker-demo-1-32-cluster-class/Chart.yaml"
  cp -r "$example/cluster-addon" "$work/stage$v/docker-demo-1-32-cluster-addon"
  tar -czf "$rel/docker-demo-1-32-cluster-class-v$v.tgz" -C "$work/stage$v" docker-demo-1-32-cluster-class
  tar -czf "$rel/docker-demo-1-32-cluster-addon-v1.tgz" -C "$work/stage$v" docker-demo-1-32-cluster-addon
done
mkdir -p "$feed/openstack-scs-v5" "$feed/docker-demo-1-32-v3"
if "$cairn" releases list "file://$feed" >"$work/out" 2>"$work/err" &&
    [[ "$(awk 'NR>1 {print $1}' "$work/out" | tr '\n' ' ')" == "docker-demo-1-32-v3 docker-demo-1-32-v2 docker-demo-1-32-v1 " ]]; then
  ok
else
  bad "releases list: $(cat "$work/out" "$work/err")"
fi
if "$cairn" releases list "file://$feed" --stack docker-demo-1-32 -o json >"$work/out" 2>"$work/err" &&
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [r["clusterClass"] for r in d] == ["docker-demo-1-32-v3","docker-demo-1-32-v2","docker-demo-1-32-v1"], d' "$work/out"; then
  ok
else
  bad "releases list -o json: $(cat "$work/out" "$work/err")"
fi
if dir=$("$cairn" releases fetch "file://$feed" docker-demo-1-32-v2 --cache-dir "$work/cache" 2>"$work/err") &&
    [[ "$dir" == "$work/cache/releases/"*/docker-demo-1-32-v2 ]] && cmp -s "$dir/metadata.yaml" "$feed/docker-demo-1-32-v2/metadata.yaml"; then
  ok
else
  bad "releases fetch: $dir $(cat "$work/err")"
fi
expect_error "releases fetch broken release" 'feed file://.*: release docker-demo-1-32-v3: metadata.yaml: missing' -- \
  "$cairn" releases fetch "file://$feed" docker-demo-1-32-v3 --cache-dir "$work/cache"
expect_error "releases fetch missing release" 'feed file://.*docker-demo-1-32-v9' -- \
  "$cairn" releases fetch "file://$feed" docker-demo-1-32-v9 --cache-dir "$work/cache"
expect_error "releases bad feed URL" 'invalid feed URL "github://x": expected github://ORG/REPO' -- \
  "$cairn" releases list github://x
expect_error "releases bad stack" 'is not PROVIDER-NAME-MAJOR-MINOR' -- \
  "$cairn" releases list "file://$feed" --stack docker
expect_error "releases unreachable feed" 'feed git://127.0.0.1:1/x.git: .*Connection refused' -- \
  "$cairn" releases list git://127.0.0.1:1/x.git

# 11. Usage errors exit 1 too; --help exits 0.
expect_error "unknown flag" 'no-such-flag' -- "$cairn" render --no-such-flag x
expect_error "missing chart argument" 'chart' -- "$cairn" render
"$cairn" --help >/dev/null && ok || bad "--help did not exit 0"

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
