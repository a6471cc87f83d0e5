#!/usr/bin/python3
"""Bad input over the wire: a running `cairn apiserver` answers hostile and malformed requests
with the Kubernetes Status codes of kube-api.md §6 and keeps serving.

    /usr/bin/python3 tests/e2e/bad_input_test.py CAIRN_BINARY
"""
import json
import os
import re
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import (check, finish, free_port, http_request, start_apiserver,  # noqa: E402
                     stop_process)


class Api:
    def __init__(self, port):
        self.port = port

    def call(self, method, path, body=None, content_type="application/json", headers=None):
        h = {"Content-Type": content_type} if body is not None else {}
        h.update(headers or {})
        status, data = http_request(self.port, method, path, body, h, timeout=30)
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        return status, doc, data

    def expect(self, desc, want_code, want_reason, method, path, body=None, **kw):
        code, doc, raw = self.call(method, path, body, **kw)
        good = code == want_code
        if want_reason is not None:
            good = good and isinstance(doc, dict) and doc.get("kind") == "Status" \
                and doc.get("reason") == want_reason and doc.get("code") == want_code
        check(desc, good, "" if good else f"got {code}: {raw[:300]!r}")
        return doc


def main():
    cairn = sys.argv[1]
    workdir = tempfile.mkdtemp(prefix="cairn-bad-")
    port = free_port()
    proc = start_apiserver(cairn, os.path.join(workdir, "d"), port,
                           os.path.join(workdir, "apiserver.log"))
    api = Api(port)
    try:
        run(api, port)
        check("server still alive after all of it", proc.poll() is None and api.call("GET", "/readyz")[0] == 200)
    finally:
        stop_process(proc)
    finish(workdir)


def run(api, port):
    cms = "/api/v1/namespaces/default/configmaps"
    api.expect("malformed JSON body: 400", 400, "BadRequest", "POST", cms, '{"metadata": {"name": "x"')
    api.expect("JSON that is not an object: 400", 400, "BadRequest", "POST", cms, '[1,2,3]')
    api.expect("malformed YAML body: 400", 400, "BadRequest", "POST", cms,
               "metadata:\n  name: [unclosed\n", content_type="application/yaml")
    api.expect("YAML alias bomb is refused", 400, "BadRequest", "POST", cms,
               "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
               "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
               "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
               "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
               content_type="application/yaml")
    api.expect("deeply nested JSON is refused, not a crash", 400, "BadRequest", "POST", cms,
               "[" * 100000 + "]" * 100000)
    api.expect("unsupported body media type: 415", 415, "UnsupportedMediaType", "POST", cms,
               "x", content_type="text/plain")
    api.expect("oversized body: 413", 413, "RequestEntityTooLarge", "POST", cms,
               json.dumps({"metadata": {"name": "big"}, "data": {"k": "x" * (4 * 1024 * 1024)}}))
    api.expect("wrong kind for the URL: 400", 400, "BadRequest", "POST", cms,
               json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}))
    api.expect("wrong apiVersion: 400", 400, "BadRequest", "POST", cms,
               json.dumps({"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "x"}}))
    doc = api.expect("invalid name: 422", 422, "Invalid", "POST", cms,
                     json.dumps({"metadata": {"name": "Bad_Name"}}))
    check("422 names the field", bool(doc) and any(c.get("field") == "metadata.name"
                                                   for c in doc.get("details", {}).get("causes", [])))
    api.expect("name too long: 422", 422, "Invalid", "POST", cms,
               json.dumps({"metadata": {"name": "a" * 300}}))
    api.expect("invalid label value: 422", 422, "Invalid", "POST", cms,
               json.dumps({"metadata": {"name": "lbl", "labels": {"k": "bad value!"}}}))
    api.expect("invalid label key: 422", 422, "Invalid", "POST", cms,
               json.dumps({"metadata": {"name": "lbl", "labels": {"-bad/key/x": "v"}}}))
    api.expect("neither name nor generateName: 422", 422, "Invalid", "POST", cms,
               json.dumps({"metadata": {}}))
    api.expect("invalid label selector: 400", 400, "BadRequest", "GET", cms + "?labelSelector=a%20in%20(b")
    api.expect("unsupported field selector: 400", 400, "BadRequest", "GET", cms + "?fieldSelector=data.foo%3Dx")
    api.expect("malformed continue token: 400", 400, "BadRequest", "GET", cms + "?limit=1&continue=%%%%")
    api.expect("unknown resource: 404", 404, "NotFound", "GET", "/api/v1/namespaces/default/gizmos")
    api.expect("unknown version: 404", 404, "NotFound", "GET", "/apis/apps/v9/deployments")
    api.expect("unknown group: 404", 404, "NotFound", "GET", "/apis/nope.example.com/v1/things")
    code = api.call("GET", cms + "/a%2Fb")[0]
    check("name with an encoded slash is rejected", code in (400, 404))
    code = api.call("GET", cms + "/..")[0]
    check("name '..' is rejected", code in (400, 404))
    code = api.call("GET", "/api/v1/namespaces/../configmaps")[0]
    check("namespace '..' is rejected", code in (400, 404))
    api.expect("a verb the path does not allow: 405", 405, "MethodNotAllowed", "POST",
               cms + "/some-name", json.dumps({"metadata": {"name": "some-name"}}))
    api.expect("unsatisfiable Accept: 406", 406, "NotAcceptable", "GET", cms,
               headers={"Accept": "application/xml"})
    api.expect("bad boolean watch parameter: 400", 400, "BadRequest", "GET", cms + "?watch=maybe")
    api.expect("openapi v2 is not served: 404", 404, None, "GET", "/openapi/v2")

    # Garbage on the socket itself.
    for desc, payload in [("garbage request line", b"HELLO\r\n\r\n"),
                          ("absurd header", b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 2_000_000 + b"\r\n\r\n"),
                          ("bad chunked encoding", b"POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n"
                                                   b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")]:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            try:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
                reply = sock.recv(200)
            except OSError:
                reply = b""
        good = reply == b"" or re.match(rb"HTTP/1\.[01] 4\d\d", reply) is not None
        check(f"{desc}: a 4xx answer or a closed connection", good,
              "" if good else f"got {reply[:80]!r}")


if __name__ == "__main__":
    main()
