#!/usr/bin/python3
"""ClusterStacks end to end with the real `kubectl` against `cairn up` (issue 6).

A local Git feed holds releases of examples/cluster-stacks/docker-demo-1-32. Shown:
  * a ClusterStack gets releases for its pinned version and the newest; they and the stack
    become Ready (`kubectl wait`), and the ClusterClass objects exist;
  * a new tag becomes a release within one poll interval, and through the webhook receiver
    (signed generic payload) at once, with the interval set to an hour;
  * a Cluster using an older class keeps its release; unpinning and removing the Cluster
    garbage-collects the releases and their ClusterClass objects;
  * a hand edit of an applied object is reverted by the next reconcile;
  * releases with broken metadata or a hostile archive show a False condition with its reason
    and apply nothing;
  * `kill -9` of `cairn up` while it downloads (24 MiB releases, killed before any download
    finished) and again right after the first download finished (the others downloading, the
    applies pending), then restart: it converges, with no duplicate releases and no object
    that no release lists;
  * SIGTERM stops it with exit status 0.

    /usr/bin/python3 tests/e2e/stack_lifecycle_test.py CAIRN_BINARY
"""
import hashlib
import hmac
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (check, finish, free_port, http_request, kill_process,  # noqa: E402
                     start_process, stop_process, wait_for)

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "../../examples/cluster-stacks/docker-demo-1-32")
STACK = "docker-demo-1-32"
SECRET = "e2e-webhook-secret"
# Scheduling slack on a loaded 2-core machine.
SLACK = 20
# Seconds between polls that run kubectl.
STEP = 0.1


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=cairn e2e", "-c", "user.email=e2e@cairn.invalid",
                    "-c", "init.defaultBranch=main", *args], cwd=repo, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Feed:
    """A Git repository with one tag per release."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path)
        git(path, "init", "-q", ".")
        self.url = "git+file://" + path

    def _clear(self):
        for entry in os.listdir(self.path):
            if entry != ".git":
                p = os.path.join(self.path, entry)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)

    def _common(self, version, metadata_version):
        shutil.copytree(os.path.join(EXAMPLE, "cluster-addon"),
                        os.path.join(self.path, f"{STACK}-cluster-addon-v1"))
        shutil.copy(os.path.join(EXAMPLE, "cluster-addon-values.yaml"), self.path)
        with open(os.path.join(self.path, "metadata.yaml"), "w") as f:
            f.write("apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\nversions:\n"
                    f"  clusterStack: {metadata_version or version}\n  kubernetes: v1.32.5\n"
                    "  components:\n    clusterAddon: v1\n")

    def _commit(self, version):
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", version)
        git(self.path, "tag", f"{STACK}-{version}")

    def publish(self, version, metadata_version="", padding_mib=0):
        self._clear()
        chart = os.path.join(self.path, f"{STACK}-cluster-class-{version}")
        shutil.copytree(os.path.join(EXAMPLE, "cluster-class"), chart)
        chart_yaml = os.path.join(chart, "Chart.yaml")
        with open(chart_yaml) as f:
            text = f.read()
        with open(chart_yaml, "w") as f:
            f.write(text.replace("\nversion: v1\n", f"\nversion: {version}\n"))
        self._common(version, metadata_version)
        if padding_mib:  # incompressible: makes the download take a while
            with open(os.path.join(self.path, "padding.bin"), "wb") as f:
                f.write(os.urandom(padding_mib << 20))
        self._commit(version)

    def publish_hostile(self, version):
        """The class chart as a .tgz with an entry that escapes the release directory."""
        self._clear()
        with tarfile.open(os.path.join(self.path, f"{STACK}-cluster-class-{version}.tgz"),
                          "w:gz") as tgz:
            for name, data in ((f"{STACK}-cluster-class/Chart.yaml",
                                f"apiVersion: v2\nname: x\nversion: {version}\n"),
                               ("../../escape.yaml", "kind: Evil\n")):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tgz.addfile(info, io.BytesIO(data.encode()))
        self._common(version, "")
        self._commit(version)


class Up:
    """`cairn up` as a child process."""

    def __init__(self, cairn, workdir, feeds_dir):
        self.cairn, self.workdir = cairn, workdir
        self.data_dir = os.path.join(workdir, "data")
        self.kubeconfig = os.path.join(self.data_dir, "kubeconfig")
        self.api_port, self.hook_port = free_port(), free_port()
        self.secret_file = os.path.join(workdir, "webhook-secret")
        with open(self.secret_file, "w") as f:
            f.write(SECRET + "\n")
        self.feeds_dir = feeds_dir
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.proc = start_process(
            [self.cairn, "up", "--data-dir", self.data_dir,
             "--listen", f"127.0.0.1:{self.api_port}",
             "--allowed-source", f"git+file://{self.feeds_dir}/*",
             "--release-webhook-bind-address", f"127.0.0.1:{self.hook_port}",
             "--release-webhook-secret-file", self.secret_file,
             "--sync-period", "3", "--metrics-bind-address", "0",
             "--health-probe-bind-address", "0"],
            os.path.join(self.workdir, f"up-{self.starts}.log"),
            lambda: os.path.exists(self.kubeconfig) and kubectl(
                self, "get", "crd", "clusterclasses.cluster.x-k8s.io", quiet=True).returncode == 0,
            timeout=60, step=0.2, what="cairn up")

    def log(self):
        with open(os.path.join(self.workdir, f"up-{self.starts}.log"), errors="replace") as f:
            return f.read()

    def kill(self):
        kill_process(self.proc)

    def stop(self):
        return stop_process(self.proc, 60)


def kubectl(up, *args, quiet=False, stdin=None):
    r = subprocess.run(["kubectl", "--kubeconfig", up.kubeconfig, *args], input=stdin,
                       capture_output=True, text=True)
    if r.returncode != 0 and not quiet:
        print(f"  kubectl {' '.join(args)}: {r.stderr.strip()}", flush=True)
    return r


def get(up, kind, ns, name):
    r = kubectl(up, "get", kind, "-n", ns, name, "-o", "json", quiet=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


def names(up, kind, ns):
    r = kubectl(up, "get", kind, "-n", ns, "-o", "json", quiet=True)
    if r.returncode != 0:
        return set()
    return {i["metadata"]["name"] for i in json.loads(r.stdout)["items"]
            if "deletionTimestamp" not in i["metadata"]}


def condition(obj, ctype):
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def apply(up, obj):
    r = kubectl(up, "apply", "--server-side", "-f", "-", stdin=json.dumps(obj))
    return r.returncode == 0


def stack(ns, name, url, versions, interval="3s", auto=True):
    return {"apiVersion": "clusterstack.x-k8s.io/v1alpha1", "kind": "ClusterStack",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"provider": "docker", "name": "demo", "kubernetesVersion": "1.32",
                     "channel": "stable", "autoSubscribe": auto, "noProvider": True,
                     "versions": versions, "source": {"url": url, "interval": interval}}}


def wait_ready(up, ns, kind, name, timeout=60):
    r = kubectl(up, "wait", "-n", ns, "--for=condition=Ready", f"{kind}/{name}",
                f"--timeout={timeout}s", quiet=True)
    return r.returncode == 0


OWNED_KINDS = ("clusterclasses.cluster.x-k8s.io,dockerclustertemplates,dockermachinetemplates,"
               "kubeadmconfigtemplates,kubeadmcontrolplanetemplates")


def leaked(up, ns):
    """Objects labelled as applied by cairn that no ClusterStackRelease lists."""
    r = kubectl(up, "get", OWNED_KINDS, "-n", ns, "-l", "clusterstack.x-k8s.io/instance=owned",
                "-o", "json", quiet=True)
    if r.returncode != 0:
        return ["<list failed: " + r.stderr.strip() + ">"]
    listed = set()
    releases = json.loads(kubectl(up, "get", "cskr", "-n", ns, "-o", "json").stdout)["items"]
    for rel in releases:
        for res in (rel.get("status") or {}).get("resources") or []:
            listed.add((res["kind"], res["name"]))
    return [f'{o["kind"]}/{o["metadata"]["name"]}' for o in json.loads(r.stdout)["items"]
            if (o["kind"], o["metadata"]["name"]) not in listed]


def post_webhook(up, payload):
    body = json.dumps(payload).encode()
    sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    status, answer = http_request(
        up.hook_port, "POST", "/hooks/releases/generic", body,
        {"Content-Type": "application/json", "X-Cairn-Signature-256": "sha256=" + sig})
    return status, answer.decode()


def main():
    cairn = os.path.abspath(sys.argv[1])
    workdir = tempfile.mkdtemp(prefix="cairn-e2e-stacks-")
    feeds_dir = os.path.join(workdir, "feeds")
    feed = Feed(os.path.join(feeds_dir, "main"))
    for v in ("v1", "v2"):
        feed.publish(v)
    up = Up(cairn, workdir, feeds_dir)
    up.start()
    ns = "e2e"
    kubectl(up, "create", "namespace", ns)

    # Pinned v1 and the newest (v2).
    check("ClusterStack applied", apply(up, stack(ns, "demo", feed.url, ["v1"])))
    for v in ("v1", "v2"):
        check(f"release {v} Ready", wait_ready(up, ns, "cskr", f"{STACK}-{v}"))
    check("ClusterStack Ready", wait_ready(up, ns, "csk", "demo"))
    check("ClusterClass objects exist",
          {f"{STACK}-v1", f"{STACK}-v2"} <= names(up, "clusterclass", ns))
    st = get(up, "csk", ns, "demo")["status"]
    check("status: usable versions and latest release",
          st.get("usableVersions") == "v1, v2" and
          st.get("latestRelease") == f"{STACK}-v2 | v1.32.5", json.dumps(st)[:300])

    # A Cluster uses v2.
    check("Cluster created", apply(up, {
        "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
        "metadata": {"name": "uses-v2", "namespace": ns},
        "spec": {"topology": {"class": f"{STACK}-v2", "version": "v1.32.5"}}}))

    # A new tag within one interval (3 s).
    feed.publish("v3")
    start = time.time()
    got = wait_for(lambda: f"{STACK}-v3" in names(up, "cskr", ns), 3 + SLACK, STEP)
    check("new tag -> release within the poll interval", got, f"{time.time() - start:.1f} s")
    check("release v3 Ready", wait_ready(up, ns, "cskr", f"{STACK}-v3"))

    # Through the webhook receiver, with the interval set to one hour.
    check("interval set to 1h", apply(up, stack(ns, "demo", feed.url, ["v1"], interval="1h")))
    time.sleep(2)  # the stack's subscription takes the new interval
    feed.publish("v4")
    start = time.time()
    status, body = post_webhook(up, {"source": feed.url})
    check("webhook accepted and matched the feed", status == 200 and '"feeds":1' in
          body.replace(" ", ""), f"{status} {body}")
    got = wait_for(lambda: f"{STACK}-v4" in names(up, "cskr", ns), SLACK, 0.05)
    check("new tag -> release through the webhook", got, f"{time.time() - start:.2f} s")
    check("release v4 Ready", wait_ready(up, ns, "cskr", f"{STACK}-v4"))
    check("v3 collected: not pinned, not newest, not in use",
          wait_for(lambda: f"{STACK}-v3" not in names(up, "cskr", ns) and
                   f"{STACK}-v3" not in names(up, "clusterclass", ns), SLACK, STEP))
    check("v2 kept while a Cluster uses it",
          {f"{STACK}-v1", f"{STACK}-v2", f"{STACK}-v4"} == names(up, "cskr", ns) and
          f"{STACK}-v2" in names(up, "clusterclass", ns))

    # Unpin v1, remove the Cluster: v1 and v2 go with their objects.
    check("unpinned", apply(up, stack(ns, "demo", feed.url, [], interval="1h")))
    kubectl(up, "delete", "cluster", "-n", ns, "uses-v2", "--wait=false")
    check("unused releases and their objects collected", wait_for(
        lambda: names(up, "cskr", ns) == {f"{STACK}-v4"} and
        names(up, "clusterclass", ns) == {f"{STACK}-v4"} and
        not any(n.startswith(f"{STACK}-v1") or n.startswith(f"{STACK}-v2")
                for n in names(up, "dockermachinetemplates", ns)), SLACK * 2, STEP),
          f"{sorted(names(up, 'cskr', ns))} {sorted(names(up, 'clusterclass', ns))}")

    # A hand edit is reverted by the next reconcile (sync period 3 s).
    kubectl(up, "patch", "clusterclass", "-n", ns, f"{STACK}-v4", "--type", "merge", "-p",
            '{"spec":{"controlPlane":{"machineHealthCheck":{"maxUnhealthy":"99%"}}}}')
    check("hand edit reverted", wait_for(lambda: (get(up, "clusterclass", ns, f"{STACK}-v4") or {})
                                         .get("spec", {}).get("controlPlane", {})
                                         .get("machineHealthCheck", {})
                                         .get("maxUnhealthy") == "33%", 3 + SLACK, STEP))

    # Broken metadata, then a hostile archive: False conditions, nothing applied.
    for version, publish, want in (("v5", lambda: feed.publish("v5", metadata_version="v9"),
                                    "InvalidRelease"),
                                   ("v6", lambda: feed.publish_hostile("v6"), "HostileArchive")):
        publish()
        post_webhook(up, {"source": feed.url})
        rel = f"{STACK}-{version}"
        c = wait_for(lambda: (lambda x: x if x and x.get("reason") == "IssueWithReleaseAssets"
                              else None)(condition(get(up, "cskr", ns, rel),
                                                   "ClusterStackReleaseDownloaded")), SLACK, STEP)
        check(f"{version}: ClusterStackReleaseDownloaded False, IssueWithReleaseAssets",
              c and c.get("status") == "False" and want in c.get("message", ""),
              (c or {}).get("message", "<none>")[:200])
        check(f"{version}: nothing applied", f"{STACK}-{version}" not in
              names(up, "clusterclass", ns) and not (get(up, "cskr", ns, rel) or {})
              .get("status", {}).get("resources"))
    check("nothing escaped the cache", not os.path.exists(os.path.join(workdir, "escape.yaml")) and
          not os.path.exists(os.path.join(up.data_dir, "escape.yaml")))
    check("v4 kept as the newest ready release", f"{STACK}-v4" in names(up, "cskr", ns))
    check("no leaked objects", not leaked(up, ns), str(leaked(up, ns)))

    # kill -9 while downloading and applying (a second feed: nothing cached), then restart.
    feed2 = Feed(os.path.join(feeds_dir, "second"))
    for v in ("v1", "v2", "v3"):
        feed2.publish(v, padding_mib=24)
    crash_ns = "e2e-crash"
    kubectl(up, "create", "namespace", crash_ns)
    check("crash stack applied",
          apply(up, stack(crash_ns, "demo", feed2.url, ["v1", "v2", "v3"], auto=False)))
    # As soon as the releases exist and before any download finished.
    def logged(what):
        return any(what in line and ("e2e-crash" in line or "feeds/second" in line)
                   for line in up.log().splitlines())

    created = wait_for(lambda: logged("created a release"), SLACK, 0.02)
    downloading = not logged("release downloaded")
    up.kill()
    check("kill -9 while the releases download", created and downloading)
    up.start()
    # As soon as the first download finished: the other downloads and the applies are pending.
    downloaded = wait_for(lambda: logged("release downloaded"), SLACK * 3, 0.02)
    up.kill()
    check("kill -9 after the first download, while the rest download and apply", downloaded)
    up.start()
    for v in ("v1", "v2", "v3"):
        check(f"after kill -9: release {v} Ready", wait_ready(up, crash_ns, "cskr", f"{STACK}-{v}"))
    check("after kill -9: no duplicate or extra releases",
          names(up, "cskr", crash_ns) == {f"{STACK}-v1", f"{STACK}-v2", f"{STACK}-v3"})
    check("after kill -9: no leaked objects", not leaked(up, crash_ns), str(leaked(up, crash_ns)))
    check("after kill -9: every ClusterClass present",
          names(up, "clusterclass", crash_ns) == {f"{STACK}-v1", f"{STACK}-v2", f"{STACK}-v3"})

    code = up.stop()
    check("SIGTERM exits 0", code == 0, f"exit {code}")
    finish(workdir)


if __name__ == "__main__":
    main()
