#!/usr/bin/python3
"""A front for docker-registry that adds what its 2.8 release lacks (test peer; stdlib only).

Debian's docker-registry (distribution 2.8) answers GET /v2/<name>/tags/list with every tag in
one unordered page: it ignores `n` and `last` and sends no ETag. Registries that follow the
distribution spec (distribution 3, Harbor, GHCR, ...) paginate. This front forwards every
request to the real registry unchanged (method, path, headers including Authorization, body) and
rewrites only the tag list the way the spec describes: tags in lexical order, at most `n` per
page, after `last`, with `Link: </v2/<name>/tags/list?last=X&n=N>; rel="next"` while more
remain. Error answers (401 challenges, 404) pass through as they are.

Options:
  --etag            tag-list pages carry an ETag (hash of the page); If-None-Match answers 304
  --redirect-blobs  GET of a blob answers 307 to the same path on the registry itself (a second
                    host:port, as registries redirect to object storage)
Control (not forwarded):
  POST /_front/rate-limit?seconds=S  from now on answer every request 429 with Retry-After S
                                     (S = 0 turns it off)
  GET  /_front/stats                 {"tag_pages": n, "not_modified": m}

usage: oci_front.py --port P --upstream HOST:PORT [--etag] [--redirect-blobs]
"""

import argparse
import hashlib
import http.client
import http.server
import json
import re
import threading
import urllib.parse

TAGS_PATH = re.compile(r"^/v2/(.+)/tags/list$")
BLOB_PATH = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rate_limit = 0
        self.tag_pages = 0
        self.not_modified = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print("oci-front: " + fmt % args, flush=True)

    def send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def upstream(self, method, path, body=b""):
        conn = http.client.HTTPConnection(self.server.state.args.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Host"] = self.server.state.args.upstream
        headers["Content-Length"] = str(len(body))
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), data

    def handle_any(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/_front/rate-limit":
            seconds = int(urllib.parse.parse_qs(url.query).get("seconds", ["0"])[0])
            with state.lock:
                state.rate_limit = seconds
            self.send(200, [], b"{}")
            return
        if url.path == "/_front/stats":
            with state.lock:
                stats = {"tag_pages": state.tag_pages, "not_modified": state.not_modified}
            self.send(200, [("Content-Type", "application/json")], json.dumps(stats).encode())
            return
        with state.lock:
            rate_limit = state.rate_limit
        if rate_limit:
            error = {"errors": [{"code": "TOOMANYREQUESTS", "message": "rate limit exceeded"}]}
            self.send(429, [("Retry-After", str(rate_limit)),
                            ("Content-Type", "application/json")], json.dumps(error).encode())
            return
        tags = TAGS_PATH.match(url.path)
        if self.command == "GET" and tags:
            self.tag_page(tags.group(1), urllib.parse.parse_qs(url.query))
            return
        if (self.command == "GET" and state.args.redirect_blobs and BLOB_PATH.match(url.path)):
            self.send(307, [("Location", "http://" + state.args.upstream + url.path)], b"")
            return
        status, headers, data = self.upstream(self.command, self.path, body)
        self.send(status, headers, data)

    def tag_page(self, name, query):
        state = self.server.state
        status, headers, data = self.upstream("GET", "/v2/%s/tags/list" % name)
        if status != 200:
            self.send(status, headers, data)
            return
        tags = sorted(json.loads(data).get("tags") or [])
        last = query.get("last", [None])[0]
        if last is not None:
            tags = [t for t in tags if t > last]
        n = int(query.get("n", [str(len(tags) or 1)])[0])
        page, rest = tags[:n], tags[n:]
        body = json.dumps({"name": name, "tags": page}).encode()
        out = [("Content-Type", "application/json")]
        if rest:
            link = "/v2/%s/tags/list?%s" % (name, urllib.parse.urlencode(
                [("last", page[-1]), ("n", str(n))]))
            out.append(("Link", '<%s>; rel="next"' % link))
        with state.lock:
            state.tag_pages += 1
        if state.args.etag:
            etag = '"%s"' % hashlib.sha256(body).hexdigest()
            out.append(("ETag", etag))
            if self.headers.get("If-None-Match") == etag:
                with state.lock:
                    state.not_modified += 1
                self.send(304, out, b"")
                return
        self.send(200, out, body)

    do_GET = handle_any
    do_HEAD = handle_any
    do_POST = handle_any
    do_PUT = handle_any


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--etag", action="store_true")
    parser.add_argument("--redirect-blobs", action="store_true")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    server.serve_forever()


if __name__ == "__main__":
    main()
