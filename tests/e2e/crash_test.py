#!/usr/bin/python3
"""Crash test of `cairn apiserver`: writers create and update ConfigMaps and a watcher follows
them while the server is killed with SIGKILL at random moments and restarted on the same data
directory. Afterwards:
  * every write that received a 2xx is present: each object holds its last acknowledged
    content, or the content of a write that was in flight when the server died;
  * resourceVersions never went backwards: every write acknowledged after a restart has a
    higher resourceVersion than every write acknowledged before the kill, and no two
    acknowledged writes share one;
  * no watcher saw two different objects under one resourceVersion, and each watch stream
    delivered increasing resourceVersions.

    /usr/bin/python3 tests/e2e/crash_test.py CAIRN_BINARY [--kills N] [--seed S]
"""
import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (check, finish, free_port, http_request, kill_process,  # noqa: E402
                     start_apiserver, stop_process)

NS = "crash"
WRITERS = 4
OBJECTS_PER_WRITER = 5


class Server:
    def __init__(self, cairn, workdir):
        self.cairn, self.workdir = cairn, workdir
        self.port = free_port()
        self.proc = None
        # Increases at every start, before the process exists: a request that read the same
        # value before sending and after its answer talked to exactly that server process.
        self.generation = 0

    def start(self):
        self.generation += 1
        self.proc = start_apiserver(
            self.cairn, os.path.join(self.workdir, "data"), self.port,
            os.path.join(self.workdir, f"apiserver-{self.generation}.log"),
            os.path.join(self.workdir, "kubeconfig"))

    def kill(self):
        kill_process(self.proc)

    def stop(self):
        return stop_process(self.proc)


class Recorder:
    """Everything the clients observed, shared by the threads under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}        # name -> (seq, data) of the newest acknowledged write
        self.in_doubt = {}     # name -> set of seqs sent without an answer
        self.ack_log = []      # (server generation, rv) of every acknowledged write
        self.rv_seen = {}      # rv -> (name, data) as watchers saw it
        self.violations = []
        self.writes = 0


def writer(server, rec, wid, stop, rng):
    conn = None
    created = set()
    seq = 0
    while not stop.is_set():
        name = f"cm-{wid}-{rng.randrange(OBJECTS_PER_WRITER)}"
        seq += 1
        data = {"writer": str(wid), "seq": str(seq), "pad": "x" * rng.randrange(64)}
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": NS}, "data": data}
        if name in created:
            method, path = "PUT", f"/api/v1/namespaces/{NS}/configmaps/{name}"
        else:
            method, path = "POST", f"/api/v1/namespaces/{NS}/configmaps"
        generation = server.generation
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
            resp = conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException):
            with rec.lock:
                rec.in_doubt.setdefault(name, set()).add(seq)
            conn = None
            time.sleep(0.02)
            continue
        if resp.status in (200, 201):
            obj = json.loads(payload)
            same_server = generation == server.generation
            with rec.lock:
                rec.acked[name] = (seq, data)
                rec.in_doubt.pop(name, None)  # an acknowledged later write supersedes them
                if same_server:
                    rec.ack_log.append((generation, int(obj["metadata"]["resourceVersion"])))
                rec.writes += 1
            created.add(name)
        elif resp.status == 409 and method == "POST":
            created.add(name)  # an in-doubt create did commit
        elif resp.status == 404 and method == "PUT":
            created.discard(name)
        else:
            with rec.lock:
                rec.violations.append(f"{method} {name}: unexpected {resp.status} {payload[:200]!r}")


def watcher(server, rec, stop):
    rv = None
    while not stop.is_set():
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            if rv is None:
                conn.request("GET", f"/api/v1/namespaces/{NS}/configmaps")
                resp = conn.getresponse()
                lst = json.loads(resp.read())
                rv = lst["metadata"]["resourceVersion"]
                record_objects(rec, lst["items"])
            conn.request("GET", f"/api/v1/namespaces/{NS}/configmaps?watch=1&resourceVersion={rv}"
                                "&allowWatchBookmarks=true&timeoutSeconds=30")
            resp = conn.getresponse()
            if resp.status == 410:
                rv = None
                continue
            last = int(rv)
            while not stop.is_set():
                line = resp.readline()
                if not line:
                    break
                if line.strip() == b"":
                    continue
                ev = json.loads(line)
                if ev["type"] == "ERROR":
                    if ev["object"].get("code") == 410:
                        rv = None
                    break
                obj_rv = int(ev["object"]["metadata"]["resourceVersion"])
                if obj_rv <= last:
                    with rec.lock:
                        rec.violations.append(f"watch went backwards: {obj_rv} after {last}")
                last = obj_rv
                rv = str(obj_rv)
                if ev["type"] in ("ADDED", "MODIFIED"):
                    record_objects(rec, [ev["object"]])
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            time.sleep(0.05)


def record_objects(rec, objects):
    with rec.lock:
        for o in objects:
            key = int(o["metadata"]["resourceVersion"])
            val = (o["metadata"]["name"], json.dumps(o.get("data"), sort_keys=True))
            if rec.rv_seen.setdefault(key, val) != val:
                rec.violations.append(f"resourceVersion {key} seen as {rec.rv_seen[key]} and {val}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cairn")
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CAIRN_CRASH_SEED", "20261130")))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="cairn-crash-")
    server = Server(args.cairn, workdir)
    server.start()
    status, _ = http_request(server.port, "POST", "/api/v1/namespaces",
                             json.dumps({"metadata": {"name": NS}}),
                             {"Content-Type": "application/json"})
    assert status == 201

    rec = Recorder()
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(server, rec, w, stop, random.Random(rng.random())))
               for w in range(WRITERS)]
    threads.append(threading.Thread(target=watcher, args=(server, rec, stop)))
    for t in threads:
        t.start()
    for _ in range(args.kills):
        time.sleep(rng.uniform(0.2, 1.2))
        server.kill()
        time.sleep(rng.uniform(0.0, 0.2))
        server.start()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=30)

    problems = list(rec.violations)
    # Final state: every acknowledged write is there (or a newer in-flight one).
    _, listed = http_request(server.port, "GET", f"/api/v1/namespaces/{NS}/configmaps")
    items = {o["metadata"]["name"]: o for o in json.loads(listed)["items"]}
    for name, (seq, data) in sorted(rec.acked.items()):
        obj = items.get(name)
        if obj is None:
            problems.append(f"{name}: acknowledged write seq {seq} lost (object missing)")
            continue
        got = int(obj["data"]["seq"])
        if got != seq and got not in rec.in_doubt.get(name, set()):
            problems.append(f"{name}: holds seq {got}, last acknowledged {seq}")
        elif got == seq and obj["data"] != data:
            problems.append(f"{name}: content differs from the acknowledged write")
    # resourceVersions: unique, and after every restart above everything acknowledged before
    # (writes whose server process is ambiguous, answered around a restart, are left out).
    rvs = [rv for _, rv in rec.ack_log]
    if len(rvs) != len(set(rvs)):
        problems.append("two acknowledged writes share a resourceVersion")
    by_gen = {}
    for gen, rv in rec.ack_log:
        lo, hi = by_gen.get(gen, (rv, rv))
        by_gen[gen] = (min(lo, rv), max(hi, rv))
    prev_hi = 0
    for gen in sorted(by_gen):
        lo, hi = by_gen[gen]
        if lo <= prev_hi:
            problems.append(f"after restart {gen} a write got resourceVersion {lo} <= {prev_hi}")
        prev_hi = max(prev_hi, hi)

    rc = server.stop()
    if rc != 0:
        problems.append(f"SIGTERM exit code {rc}")
    print(f"# {args.kills} kills, {rec.writes} acknowledged writes, {len(rec.rv_seen)} "
          f"resourceVersions watched, {len(items)} objects")
    for p in problems:
        check(p, False)
    check("no acknowledged write lost, resourceVersions unique and increasing across restarts, "
          "watches consistent", not problems)
    finish(workdir)


if __name__ == "__main__":
    main()
