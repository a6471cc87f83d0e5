#!/usr/bin/python3
"""`cairn manager` against a real `cairn apiserver`: leader election between replicas, the
metrics and probe endpoints, shutdown on SIGTERM, and bad flags.

  * two managers on one Lease: exactly one leads (Lease holder, leader_election_master_status);
  * SIGKILL the leader: the other leads within lease duration + retry period;
  * SIGTERM the leader: it releases the Lease and exits 0, and a waiting replica leads within 2 s;
  * /metrics serves the controller-runtime and client-go metric names, /healthz and /readyz
    answer; a manager whose API server is unreachable stays up, reports not ready and still
    stops cleanly on SIGTERM;
  * malformed flags are refused with a message naming the flag.
The API server gets cairn's and the Cluster API CRDs first (`cairn crds --capi`): the manager's
informers wait for them.

Default lease timings (15 s / 10 s / 2 s) are used, so the figures printed are the real ones.

    /usr/bin/python3 tests/e2e/manager_test.py CAIRN_BINARY
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (check, finish, free_port, http_get, kill_process,  # noqa: E402
                     start_apiserver, stop_process, wait_exit, wait_for)

LEASE_NS = "default"
LEASE = "clusterstack.x-k8s.io"
LEASE_DURATION, RETRY_PERIOD = 15.0, 2.0
# Scheduling slack on a loaded 2-core CI machine, on top of the bounds the issue sets.
SLACK = 1.5


class ApiServer:
    def __init__(self, cairn, workdir):
        self.port = free_port()
        self.kubeconfig = os.path.join(workdir, "kubeconfig")
        self.proc = start_apiserver(cairn, os.path.join(workdir, "data"), self.port,
                                    os.path.join(workdir, "apiserver.log"), self.kubeconfig)
        # The controllers' kinds: cairn's CRDs and the Cluster API ones (`cairn crds --capi`).
        crds = subprocess.run([cairn, "crds", "--capi"], check=True, capture_output=True).stdout
        subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, "apply", "--server-side", "--validate=false",
                        "-f", "-"], input=crds, check=True, capture_output=True)
        subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, "wait", "--for",
                        "condition=Established", "crd", "--all", "--timeout=60s"], check=True,
                       capture_output=True)

    def lease(self):
        status, body = http_get(
            self.port, f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NS}/leases/{LEASE}")
        return json.loads(body) if status == 200 else None

    def holder(self):
        lease = self.lease()
        return (lease or {}).get("spec", {}).get("holderIdentity", "")

    def stop(self):
        stop_process(self.proc)


class Manager:
    def __init__(self, cairn, workdir, name, kubeconfig, extra=()):
        self.name = name
        self.metrics_port, self.probe_port = free_port(), free_port()
        self.log_path = os.path.join(workdir, f"manager-{name}.log")
        self.proc = subprocess.Popen(
            [cairn, "manager", "--kubeconfig", kubeconfig,
             "--leader-election-namespace", LEASE_NS,
             "--metrics-bind-address", f"127.0.0.1:{self.metrics_port}",
             "--health-probe-bind-address", f"127.0.0.1:{self.probe_port}",
             "--log-format", "json", *extra],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))

    def logs(self):
        out = []
        with open(self.log_path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"msg": line.strip(), "unparsed": True})
        return out

    def identity(self):
        for rec in self.logs():
            if rec.get("identity"):
                return rec["identity"]
        return ""

    def leading(self):
        status, text = http_get(self.metrics_port, "/metrics")
        if status != 200:
            return None
        m = re.search(r'^leader_election_master_status\{name="%s"\} (\S+)$' % re.escape(LEASE),
                      text, re.M)
        return m is not None and float(m.group(1)) == 1.0

    def ready(self):
        return http_get(self.probe_port, "/readyz")[0] == 200


def main():
    cairn = os.path.abspath(sys.argv[1])
    workdir = tempfile.mkdtemp(prefix="cairn-manager-e2e-")
    server = ApiServer(cairn, workdir)
    managers = []
    try:
        a = Manager(cairn, workdir, "a", server.kubeconfig)
        b = Manager(cairn, workdir, "b", server.kubeconfig)
        managers += [a, b]
        check("both managers become ready", wait_for(lambda: a.ready() and b.ready(), 30))
        check("one of them acquires the Lease",
              wait_for(lambda: server.holder() != "", 30), server.holder())
        both = wait_for(lambda: (a.leading() is not None and b.leading() is not None)
                        and [a.leading(), b.leading()], 10)
        check("exactly one leads (leader_election_master_status)",
              both is not None and sorted(both) == [False, True], str(both))
        leader, follower = (a, b) if a.leading() else (b, a)
        check("the Lease names the leader", wait_for(leader.identity, 5) == server.holder(),
              f"{leader.identity()} vs {server.holder()}")
        lease = server.lease() or {}
        spec = lease.get("spec", {})
        check("Lease spec uses the default duration and MicroTime",
              spec.get("leaseDurationSeconds") == 15 and
              re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", spec.get("renewTime", "")),
              json.dumps(spec))
        # Stays stable: the follower does not take over while the leader renews.
        time.sleep(3)
        check("leadership is stable while the leader renews",
              leader.leading() is True and follower.leading() is False)

        status, text = http_get(leader.metrics_port, "/metrics")
        names = ["leader_election_master_status", "rest_client_requests_total"]
        check("/metrics serves the known metric names",
              status == 200 and all(n in text for n in names) and
              "# TYPE rest_client_requests_total counter" in text,
              ", ".join(n for n in names if n not in text))
        check("/healthz answers ok", http_get(leader.probe_port, "/healthz") == (200, "ok"))
        status, text = http_get(leader.probe_port, "/readyz?verbose")
        check("/readyz?verbose lists its checks", status == 200 and "[+]informers ok" in text, text)
        check("unknown paths get 404", http_get(leader.probe_port, "/nope")[0] == 404)

        # SIGKILL: no release; the follower must wait out the lease.
        killed_at = time.time()
        kill_process(leader.proc)
        took_over = wait_for(follower.leading, LEASE_DURATION + RETRY_PERIOD + SLACK + 5)
        elapsed = time.time() - killed_at
        check(f"after SIGKILL the follower leads within lease duration + retry period "
              f"({LEASE_DURATION + RETRY_PERIOD:.0f} s)",
              took_over is True and elapsed <= LEASE_DURATION + RETRY_PERIOD + SLACK,
              f"{elapsed:.2f} s")
        check("the Lease names the new leader", wait_for(
            lambda: server.holder() == follower.identity(), 5), server.holder())
        transitions = (server.lease() or {}).get("spec", {}).get("leaseTransitions", 0)
        check("leaseTransitions counts the takeover", transitions >= 1, str(transitions))

        # SIGTERM: the leader releases, a waiting replica leads within 2 s.
        c = Manager(cairn, workdir, "c", server.kubeconfig)
        managers.append(c)
        check("a third manager starts as a follower",
              wait_for(lambda: c.ready() and c.leading() is False, 30))
        termed_at = time.time()
        follower.proc.send_signal(signal.SIGTERM)
        took_over = wait_for(c.leading, 10, step=0.02)
        elapsed = time.time() - termed_at
        check("after SIGTERM the waiting replica leads within 2 s",
              took_over is True and elapsed <= 2.0 + 0.5, f"{elapsed:.2f} s")
        rc = wait_exit(follower.proc, 30)
        check("the terminated manager exits 0", rc == 0, str(rc))
        msgs = [r.get("msg", "") for r in follower.logs()]
        check("it logged the shutdown and the release",
              any("signal received" in m for m in msgs) and
              any("release" in m.lower() for m in msgs), "; ".join(msgs[-6:]))
        check("every log line is JSON with ts, level and msg",
              all(not r.get("unparsed") and {"ts", "level", "msg"} <= r.keys()
                  for r in follower.logs()))

        # An unreachable API server: up, not crashing, stops cleanly.
        dead_kubeconfig = os.path.join(workdir, "dead.kubeconfig")
        with open(server.kubeconfig) as f:
            text = f.read()
        with open(dead_kubeconfig, "w") as f:
            f.write(text.replace(f"127.0.0.1:{server.port}", f"127.0.0.1:{free_port()}"))
        d = Manager(cairn, workdir, "d", dead_kubeconfig)
        managers.append(d)
        check("with the API server unreachable the manager stays up and healthy",
              wait_for(lambda: http_get(d.probe_port, "/healthz")[0] == 200, 20) and
              (time.sleep(2) or d.proc.poll() is None))
        rc = stop_process(d.proc, 20)
        check("... and exits 0 on SIGTERM", rc == 0, str(rc))
        check("... having logged why it could not lead",
              any(r.get("level") in ("warn", "error") for r in d.logs()))

        for flags, pattern in [
            (["--watch-label-selector", "a in (("], "watch-label-selector"),
            (["--metrics-bind-address", "nonsense"], "metrics-bind-address"),
            (["--log-format", "xml"], "log-format"),
            (["--kubeconfig", os.path.join(workdir, "missing")], "missing"),
        ]:
            if "--kubeconfig" not in flags:
                flags = ["--kubeconfig", server.kubeconfig, *flags]
            p = subprocess.run([cairn, "manager", "--health-probe-bind-address", "0", *flags],
                               capture_output=True, text=True, timeout=30)
            out = p.stdout + p.stderr
            check(f"bad flag {' '.join(flags)} is refused", p.returncode != 0 and pattern in out,
                  f"rc {p.returncode}: {out.strip()[:200]}")
    finally:
        for m in managers:
            kill_process(m.proc)
        server.stop()
    finish(workdir)


if __name__ == "__main__":
    main()
