#!/usr/bin/env python3
"""User-space instructions per ConfigMap create and update of `cairn apiserver` (callgrind).

Throughput on a shared 2-vCPU host moves by ±20% from run to run; the number of instructions a
request costs does not. This script starts the server under `valgrind --tool=callgrind` three
times: with no requests, with N creates, and with N creates then N updates (one client, plain
HTTP). The differences between the runs' totals, divided by N, are the cost of one create and one
update; server start-up and shutdown cancel out. Kernel time (sockets, fsync) is not counted.

    hack/apiserver-instructions.py --cairn build/cairn [--requests 1000]

Needs valgrind (apt install valgrind). Takes about a minute per 1000 requests.
"""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile


def run(cairn: str, creates: int, updates: int, workdir: str) -> int:
    """Total instructions of one server run that serves `creates` and then `updates` requests."""
    data = tempfile.mkdtemp(dir=workdir)
    out = os.path.join(data, "callgrind.out")
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", cairn, "apiserver",
         "--insecure", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(data, "data"),
         "--kubeconfig-out", os.path.join(data, "kubeconfig")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    while port is None:
        line = server.stdout.readline()
        if not line:
            sys.exit("cairn apiserver exited before serving")
        found = re.search(r"serving on http://127\.0\.0\.1:(\d+)", line)
        if found:
            port = int(found.group(1))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def send(method: str, path: str, body: dict) -> None:
        conn.request(method, path, body=json.dumps(body),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        text = response.read()
        if response.status >= 300:
            sys.exit(f"{method} {path}: HTTP {response.status}: {text[:300]!r}")

    def configmap(i: int, value: int) -> dict:
        return {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": f"cm-{i}", "namespace": "bench"},
                "data": {"i": str(value)}}

    send("POST", "/api/v1/namespaces",
         {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
    for i in range(creates):
        send("POST", "/api/v1/namespaces/bench/configmaps", configmap(i, i))
    for i in range(updates):
        send("PUT", f"/api/v1/namespaces/bench/configmaps/cm-{i}", configmap(i, i + 1))
    conn.close()
    server.send_signal(signal.SIGTERM)
    if server.wait(timeout=300) != 0:
        sys.exit("cairn apiserver did not stop cleanly")
    with open(out, encoding="utf-8") as f:
        for line in f:
            if line.startswith("totals:"):
                return int(line.split()[1])
    sys.exit(f"no totals in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cairn", default="build/cairn")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    n = args.requests
    with tempfile.TemporaryDirectory(prefix="cairn-instr-") as workdir:
        idle = run(args.cairn, 0, 0, workdir)
        created = run(args.cairn, n, 0, workdir)
        updated = run(args.cairn, n, n, workdir)
    print(f"{args.cairn}: {n} requests of each kind, user-space instructions (callgrind Ir)")
    print(f"per create: {(created - idle) / n / 1000:.1f} k")
    print(f"per update: {(updated - created) / n / 1000:.1f} k")


if __name__ == "__main__":
    main()
