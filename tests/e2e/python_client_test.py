#!/usr/bin/python3
"""End-to-end: the Python `kubernetes` client (Debian's python3-kubernetes) against a freshly
started `cairn apiserver`: CustomObjectsApi create, list, watch, patch, status, delete.

    /usr/bin/python3 tests/e2e/python_client_test.py CAIRN_BINARY
"""
import json
import os
import re
import sys
import tempfile
import threading
import time

import yaml
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e_lib import check, finish, start_process, stop_process  # noqa: E402

GROUP, VERSION, PLURAL, NS = "example.com", "v1", "widgets", "py"


def expect_api_error(desc, status, fn):
    try:
        fn()
    except ApiException as e:
        check(desc, e.status == status, "" if e.status == status else f"got {e.status}: {e.body}")
        return e
    check(desc, False, "no error")
    return None


def start_server(cairn, workdir):
    """`cairn apiserver` over HTTPS on a port of its choosing; ready once it logs where."""
    log_path = os.path.join(workdir, "apiserver.log")

    def serving():
        with open(log_path, errors="replace") as f:
            return re.search(r"serving on (\S+)", f.read()) is not None

    return start_process(
        [cairn, "apiserver", "--data-dir", os.path.join(workdir, "data"),
         "--listen", "127.0.0.1:0", "--kubeconfig-out", os.path.join(workdir, "kubeconfig")],
        log_path, serving, step=0.1, what="cairn apiserver")


def wait_established(ext, name):
    deadline = time.time() + 30
    while time.time() < deadline:
        crd = ext.read_custom_resource_definition(name)
        conds = (crd.status and crd.status.conditions) or []
        if any(c.type == "Established" and c.status == "True" for c in conds):
            return True
        time.sleep(0.2)
    return False


def widget(name, color="red", size=3, labels=None):
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Widget",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"color": color, "size": size}}


def main():
    cairn = sys.argv[1]
    workdir = tempfile.mkdtemp(prefix="cairn-py-")
    proc = start_server(cairn, workdir)
    try:
        run(os.path.join(workdir, "kubeconfig"))
    finally:
        rc = stop_process(proc, 20)
        check("SIGTERM stops the server cleanly", rc == 0,
              "" if rc == 0 else "still running after 20 s" if rc is None else f"exit {rc}")
    finish(workdir)


def run(kubeconfig):
    api_client = config.new_client_from_config(config_file=kubeconfig)
    core = client.CoreV1Api(api_client)
    ext = client.ApiextensionsV1Api(api_client)
    co = client.CustomObjectsApi(api_client)

    core.create_namespace({"metadata": {"name": NS}})
    check("create a namespace", core.read_namespace(NS).status.phase == "Active")
    with open(os.path.join(HERE, "testdata", "widget-crd.yaml")) as f:
        ext.create_custom_resource_definition(yaml.safe_load(f))
    check("CRD becomes Established", wait_established(ext, "widgets.example.com"))

    created = co.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL,
                                                 widget("a", labels={"app": "x"}))
    check("create returns the stored object",
          created["metadata"]["uid"] and created["spec"] == {"color": "red", "size": 3})
    co.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, widget("b", "green"))
    co.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, widget("c", "blue", 5))
    e = expect_api_error("create a duplicate: 409", 409, lambda: co.create_namespaced_custom_object(
        GROUP, VERSION, NS, PLURAL, widget("a")))
    check("duplicate error names the object",
          e is not None and json.loads(e.body)["message"] == 'widgets.example.com "a" already exists')
    e = expect_api_error("schema violation: 422", 422, lambda: co.create_namespaced_custom_object(
        GROUP, VERSION, NS, PLURAL, widget("bad", "pink")))
    check("422 body carries the field cause",
          e is not None and '"field":"spec.color"' in e.body.replace(" ", ""))

    lst = co.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)
    check("list returns all three", [i["metadata"]["name"] for i in lst["items"]] == ["a", "b", "c"])
    lst = co.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, label_selector="app=x")
    check("list with a label selector", [i["metadata"]["name"] for i in lst["items"]] == ["a"])
    page = co.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, limit=2)
    check("list with limit returns a continue token",
          len(page["items"]) == 2 and page["metadata"].get("continue"))
    rest = co.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, limit=2,
                                            _continue=page["metadata"]["continue"])
    check("continue returns the rest", [i["metadata"]["name"] for i in rest["items"]] == ["c"])
    check("pages share one resourceVersion",
          rest["metadata"]["resourceVersion"] == page["metadata"]["resourceVersion"])
    all_ns = co.list_cluster_custom_object(GROUP, VERSION, PLURAL)
    check("list across namespaces", len(all_ns["items"]) == 3)

    patched = co.patch_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "a",
                                                {"spec": {"size": 7}})
    check("merge patch", patched["spec"]["size"] == 7 and patched["metadata"]["generation"] == 2)
    patched = co.patch_namespaced_custom_object_status(
        GROUP, VERSION, NS, PLURAL, "a",
        {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    check("status patch", patched["status"]["conditions"][0]["type"] == "Ready"
          and patched["metadata"]["generation"] == 2)
    obj = co.get_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "a")
    obj["spec"]["color"] = "green"
    replaced = co.replace_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "a", obj)
    check("replace with the current resourceVersion", replaced["spec"]["color"] == "green")
    expect_api_error("replace with a stale resourceVersion: 409", 409,
                     lambda: co.replace_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "a", obj))

    # Watch from the list's resourceVersion: events after it, in order, then a timeout.
    rv = co.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)["metadata"]["resourceVersion"]
    seen = []

    def watcher():
        w = watch.Watch()
        for ev in w.stream(co.list_namespaced_custom_object, GROUP, VERSION, NS, PLURAL,
                           resource_version=rv, timeout_seconds=5, allow_watch_bookmarks=True):
            if ev["type"] != "BOOKMARK":
                seen.append((ev["type"], ev["object"]["metadata"]["name"]))

    t = threading.Thread(target=watcher)
    t.start()
    time.sleep(0.5)
    co.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, widget("d"))
    co.patch_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "d", {"spec": {"size": 2}})
    co.delete_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "d")
    t.join(timeout=20)
    check("watch ended after timeoutSeconds", not t.is_alive())
    check("watch saw ADDED, MODIFIED, DELETED in order",
          seen == [("ADDED", "d"), ("MODIFIED", "d"), ("DELETED", "d")], f"(saw {seen})")

    e = expect_api_error("watch from a too-old resourceVersion: 410", 410, lambda: list(
        watch.Watch().stream(co.list_namespaced_custom_object, GROUP, VERSION, NS, PLURAL,
                             resource_version="1", timeout_seconds=2)))

    status = co.delete_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "b")
    check("delete returns a Success Status", status.get("status") == "Success")
    expect_api_error("get after delete: 404", 404,
                     lambda: co.get_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "b"))

    cm = core.create_namespaced_config_map(NS, {"metadata": {"name": "cm"}, "data": {"k": "v"}})
    check("core API create", cm.data == {"k": "v"})
    cm = core.patch_namespaced_config_map("cm", NS, {"data": {"k2": "v2"}})
    check("core API strategic merge patch", cm.data == {"k": "v", "k2": "v2"})
    cm = core.patch_namespaced_config_map("cm", NS, [{"op": "remove", "path": "/data/k"}])
    check("core API JSON patch", cm.data == {"k2": "v2"})
    sec = core.create_namespaced_secret(NS, {"metadata": {"name": "s"}, "stringData": {"p": "w"}})
    check("secret stringData is stored as base64 data", sec.data == {"p": "dw=="} and sec.type == "Opaque")


if __name__ == "__main__":
    main()
