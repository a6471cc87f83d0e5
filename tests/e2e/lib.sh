# Shared helpers of the end-to-end tests: start a fresh `cairn apiserver`, check results.
#   source tests/e2e/lib.sh; e2e_start_apiserver CAIRN_BINARY [extra flags...]
# sets E2E_DIR (temp dir, removed on exit), E2E_URL, E2E_PORT, KUBECONFIG, HOME (isolated, so
# kubectl's discovery cache starts empty) and E2E_PID.

e2e_failures=0
e2e_count=0

e2e_cleanup() {
  if [[ -n "${E2E_PID:-}" ]] && kill -0 "$E2E_PID" 2>/dev/null; then
    kill -TERM "$E2E_PID" 2>/dev/null
    wait "$E2E_PID" 2>/dev/null
  fi
  if [[ -n "${E2E_DIR:-}" && -z "${E2E_KEEP:-}" ]]; then rm -rf "$E2E_DIR"; fi
}

e2e_start_apiserver() {
  local cairn=$1
  shift
  E2E_DIR=$(mktemp -d /tmp/cairn-e2e.XXXXXX)
  trap e2e_cleanup EXIT
  export HOME="$E2E_DIR/home"
  mkdir -p "$HOME"
  "$cairn" apiserver --data-dir "$E2E_DIR/data" --listen 127.0.0.1:0 \
    --kubeconfig-out "$E2E_DIR/kubeconfig" "$@" >"$E2E_DIR/apiserver.log" 2>&1 &
  E2E_PID=$!
  local deadline=$((SECONDS + 30))
  until grep -q "serving on" "$E2E_DIR/apiserver.log" 2>/dev/null; do
    if ! kill -0 "$E2E_PID" 2>/dev/null || ((SECONDS > deadline)); then
      echo "cairn apiserver did not start:" >&2
      cat "$E2E_DIR/apiserver.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  E2E_URL=$(sed -n 's/.*serving on \([^ ]*\).*/\1/p' "$E2E_DIR/apiserver.log" | head -1)
  E2E_PORT=${E2E_URL##*:}
  export KUBECONFIG="$E2E_DIR/kubeconfig"
}

# ok DESCRIPTION COMMAND...: the command must succeed.
ok() {
  local desc=$1
  shift
  e2e_count=$((e2e_count + 1))
  local out
  if out=$("$@" 2>&1); then
    echo "ok $e2e_count - $desc"
  else
    echo "not ok $e2e_count - $desc"
    printf '%s\n' "$out" | sed 's/^/    /'
    e2e_failures=$((e2e_failures + 1))
  fi
}

# fails DESCRIPTION PATTERN COMMAND...: the command must fail and its output match PATTERN
# (an extended regular expression).
fails() {
  local desc=$1 pattern=$2
  shift 2
  e2e_count=$((e2e_count + 1))
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if ((rc != 0)) && grep -Eq -- "$pattern" <<<"$out"; then
    echo "ok $e2e_count - $desc"
  else
    echo "not ok $e2e_count - $desc (rc=$rc, want failure matching /$pattern/)"
    printf '%s\n' "$out" | sed 's/^/    /'
    e2e_failures=$((e2e_failures + 1))
  fi
}

# matches DESCRIPTION PATTERN COMMAND...: the command must succeed and its output match.
matches() {
  local desc=$1 pattern=$2
  shift 2
  e2e_count=$((e2e_count + 1))
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if ((rc == 0)) && grep -Eq -- "$pattern" <<<"$out"; then
    echo "ok $e2e_count - $desc"
  else
    echo "not ok $e2e_count - $desc (rc=$rc, want output matching /$pattern/)"
    printf '%s\n' "$out" | sed 's/^/    /'
    e2e_failures=$((e2e_failures + 1))
  fi
}

# eventually DESCRIPTION SECONDS COMMAND...: the command succeeds within SECONDS.
eventually() {
  local desc=$1 limit=$2
  shift 2
  e2e_count=$((e2e_count + 1))
  local deadline=$((SECONDS + limit)) out
  while true; do
    if out=$("$@" 2>&1); then
      echo "ok $e2e_count - $desc"
      return
    fi
    if ((SECONDS > deadline)); then
      echo "not ok $e2e_count - $desc (not within ${limit}s)"
      printf '%s\n' "$out" | sed 's/^/    /'
      e2e_failures=$((e2e_failures + 1))
      return
    fi
    sleep 0.2
  done
}

e2e_finish() {
  echo "# $e2e_count checks, $e2e_failures failed"
  ((e2e_failures == 0))
}
