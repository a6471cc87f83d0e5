#!/usr/bin/python3
"""A GitHub REST API test server for cairn's GitHub Releases feed (tests/sources/github_test.cpp).

It serves one repository, described by a JSON data file, through the part of the GitHub REST API
(version 2022-11-28) a release feed uses:

  GET /repos/{owner}/{repo}                          the repository
  GET /repos/{owner}/{repo}/releases                 releases, newest first, paginated
  GET /repositories/{id}/releases                    the same (the form Link headers name)
  GET /repos/{owner}/{repo}/releases/{id}            one release by id
  GET /repos/{owner}/{repo}/releases/tags/{tag}      one published release by tag
  GET /repos/{owner}/{repo}/releases/assets/{id}     asset metadata; with
                                                     Accept: application/octet-stream a 302 to
                                                     the asset store on --asset-port

The asset store answers pre-signed URLs (the signature is in the query) and, like S3, refuses a
request that also carries an Authorization header.

Behaviour modelled on api.github.com:
  - per_page (default 30, at most 100) and page, with an RFC 8288 Link header (first, prev,
    next, last) whose targets use the /repositories/{id}/ form;
  - a weak ETag on every 200 and 304 Not Modified when If-None-Match matches it;
  - tokens in the "Bearer" or "token" scheme; a wrong token is 401 "Bad credentials"; a private
    repository is 404 without the token; drafts are visible only with the token;
  - X-RateLimit-Limit/Remaining/Reset/Used/Resource on every API answer; an exhausted primary
    limit is 403 with X-RateLimit-Remaining: 0; a secondary limit is 429 with Retry-After;
  - a forbidden token (no access to the contents) is 403 with the rate-limit headers intact;
  - a request without User-Agent is 403; an X-GitHub-Api-Version other than 2022-11-28 is 400.

Data file (--data):
  {"owner": "o", "repo": "r", "repo_id": 4242, "token": "..." or null, "private": false,
   "releases": [                                   newest first
     {"tag_name": "...", "name": "title", "draft": false, "prerelease": false,
      "assets": [{"name": "metadata.yaml",
                  "content": "text" | "file": "path relative to the data file" | "generate": N,
                  "digest": true | false | "sha256:...",   published digest (false: null)
                  "size": N,                               published size (default: the real one)
                  "fault": null | "reset" | "fail_once" | "stall" | "wrong_content"}]}]}

Faults (asset store): "reset" writes half of the body and resets the connection, every time;
"fail_once" does so on the first download only; "stall" sends the headers and then nothing for
--stall-seconds; "wrong_content" sends a body of the right size whose first byte is changed.

Control API on the API port (neither counted nor authenticated):
  POST /_control  JSON with any of
    "rate_limit": null | {"kind": "primary", "reset": EPOCH, "count": N}
                       | {"kind": "secondary", "retry_after": SECONDS, "count": N}
                  (count: how many API requests are refused; absent: all until cleared)
    "forbidden": true | false
    "add_release": {release as in the data file}   (becomes the newest)
    "delete_release": "tag"
    "asset_fault": {"tag": "...", "name": "...", "fault": "..." | null}
    "reset_stats": true
  GET /_control/stats  request counts by kind, "conditional" (requests with If-None-Match),
    "not_modified" (those whose If-None-Match was valid, answered 304), "unauthorized",
    "rate_limited", "forbidden", "auth_schemes", "asset_port_authorization" (asset store
    requests that carried an Authorization header), "bad_signature", "downloads" per
    "tag/name", and the "user_agents" and "api_versions" API requests named.

Runs until SIGTERM or SIGINT, then stops both listeners and exits 0.
"""

import argparse
import hashlib
import hmac
import json
import math
import os
import random
import secrets
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "2022-11-28"
AUTHENTICATED_LIMIT = 5000
ANONYMOUS_LIMIT = 60
DOCS = "https://docs.github.com/rest"


def iso_time(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def new_stats():
    return {
        "requests": {"repo": 0, "list": 0, "release": 0, "release_by_id": 0, "asset_api": 0,
                     "asset_download": 0, "other": 0},
        "conditional": 0,
        "not_modified": 0,
        "unauthorized": 0,
        "rate_limited": 0,
        "forbidden": 0,
        "auth_schemes": {"bearer": 0, "token": 0},
        "asset_port_authorization": 0,
        "bad_signature": 0,
        "downloads": {},
        "user_agents": {},
        "api_versions": {},
    }


class Asset:
    def __init__(self, spec, base_dir, asset_id, created):
        self.id = asset_id
        self.name = spec["name"]
        if "file" in spec:
            with open(os.path.join(base_dir, spec["file"]), "rb") as f:
                self.content = f.read()
        elif "generate" in spec:
            self.content = random.Random(self.name).randbytes(int(spec["generate"]))
        else:
            self.content = spec.get("content", "").encode()
        digest = spec.get("digest", True)
        if digest is True:
            self.digest = "sha256:" + hashlib.sha256(self.content).hexdigest()
        elif isinstance(digest, str):
            self.digest = digest
        else:
            self.digest = None
        self.size = int(spec.get("size", len(self.content)))
        self.fault = spec.get("fault")
        self.created = created


class Release:
    def __init__(self, spec, base_dir, release_id, next_asset_id, created):
        self.id = release_id
        self.tag = spec["tag_name"]
        self.name = spec.get("name", self.tag)
        self.draft = bool(spec.get("draft", False))
        self.prerelease = bool(spec.get("prerelease", False))
        self.body = spec.get("body", "")
        self.created = created
        self.assets = []
        for a in spec.get("assets", []):
            self.assets.append(Asset(a, base_dir, next_asset_id(), created))


class State:
    """Everything the handlers share; guarded by `lock`."""

    def __init__(self, data, base_dir, args):
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.base_dir = base_dir
        self.owner = data.get("owner", "cairn-test")
        self.repo = data.get("repo", "stacks")
        self.repo_id = int(data.get("repo_id", 4242))
        self.token = data.get("token")
        self.private = bool(data.get("private", False))
        self.asset_host = args.asset_host
        self.asset_port = args.asset_port
        self.stall_seconds = args.stall_seconds
        self.secret = secrets.token_bytes(32)
        self.next_release = 1
        self.next_asset = 1
        self.rate_limit = None
        self.forbidden = False
        self.used = 0
        self.attempts = {}
        self.stats = new_stats()
        specs = data.get("releases", [])
        now = time.time()
        self.releases = []
        # Ids and creation times grow from the oldest (last) to the newest (first) release.
        for age, spec in enumerate(reversed(specs)):
            self.releases.insert(0, self.make_release(spec, now - 86400 + age))

    def make_release(self, spec, created):
        release_id = self.next_release
        self.next_release += 1

        def next_asset_id():
            asset_id = self.next_asset
            self.next_asset += 1
            return asset_id

        return Release(spec, self.base_dir, release_id, next_asset_id, created)

    def visible(self, authed):
        return [r for r in self.releases if authed or not r.draft]

    def find_asset(self, asset_id, authed=True):
        for r in self.visible(authed):
            for a in r.assets:
                if a.id == asset_id:
                    return r, a
        return None, None


def etag_matches(if_none_match, etag):
    if if_none_match.strip() == "*":
        return True
    bare = etag[2:] if etag.startswith("W/") else etag
    for candidate in if_none_match.split(","):
        c = candidate.strip()
        if c.startswith("W/"):
            c = c[2:]
        if c == bare:
            return True
    return False


def user_json(base):
    return {"login": "release-bot", "id": 1, "node_id": "U_1", "type": "User",
            "url": f"{base}/users/release-bot", "site_admin": False}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHubTestServer/1.0"

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.server.name, fmt % args))

    def send_body(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, value, headers=()):
        body = json.dumps(value).encode()
        self.send_body(status, body, "application/json; charset=utf-8", headers)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


class ApiHandler(Handler):
    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def base_url(self):
        return "http://" + self.headers.get("Host", "127.0.0.1")

    def rate_headers(self, authed, remaining=None, reset=None):
        st = self.state
        limit = AUTHENTICATED_LIMIT if authed else ANONYMOUS_LIMIT
        if remaining is None:
            remaining = max(1, limit - st.used)
        if reset is None:
            reset = int(time.time()) + 3600
        return [("X-RateLimit-Limit", str(limit)), ("X-RateLimit-Remaining", str(remaining)),
                ("X-RateLimit-Reset", str(reset)), ("X-RateLimit-Used", str(limit - remaining)),
                ("X-RateLimit-Resource", "core"), ("X-GitHub-Api-Version-Selected", API_VERSION)]

    def dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_control" or url.path.startswith("/_control/"):
            self.control(url.path)
            return
        st = self.state
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        kind, route = self.route(parts)
        user_agent = self.headers.get("User-Agent")
        api_version = self.headers.get("X-GitHub-Api-Version")
        with st.lock:
            st.stats["requests"][kind] += 1
            agents = st.stats["user_agents"]
            agents[user_agent or ""] = agents.get(user_agent or "", 0) + 1
            if api_version is not None:
                versions = st.stats["api_versions"]
                versions[api_version] = versions.get(api_version, 0) + 1
        if not user_agent:
            self.send_json(403, {"message": "Request forbidden by administrative rules. Please "
                                            "make sure your request has a User-Agent header."})
            return
        if api_version is not None and api_version != API_VERSION:
            self.send_json(400, {"message": f"API version {api_version} is not supported.",
                                 "documentation_url": DOCS, "status": "400"})
            return

        authed = False
        auth = self.headers.get("Authorization")
        if auth is not None:
            scheme, _, credential = auth.strip().partition(" ")
            scheme = scheme.lower()
            valid = (scheme in ("bearer", "token") and st.token is not None and
                     hmac.compare_digest(credential.strip().encode(), st.token.encode()))
            with st.lock:
                if valid:
                    st.stats["auth_schemes"][scheme] += 1
                else:
                    st.stats["unauthorized"] += 1
            if not valid:
                self.send_json(401, {"message": "Bad credentials", "documentation_url": DOCS,
                                     "status": "401"})
                return
            authed = True

        with st.lock:
            limit = st.rate_limit
            if limit is not None:
                if limit.get("count") is not None:
                    limit["count"] -= 1
                    if limit["count"] <= 0:
                        st.rate_limit = None
                st.stats["rate_limited"] += 1
            forbidden = st.forbidden
            if forbidden and limit is None:
                st.stats["forbidden"] += 1
        if limit is not None:
            self.refuse_rate_limited(limit, authed)
            return
        if forbidden:
            self.send_json(403, {"message": "Resource not accessible by personal access token",
                                 "documentation_url": DOCS, "status": "403"},
                           self.rate_headers(authed))
            return

        if route is None or self.command not in ("GET", "HEAD"):
            self.not_found(authed)
            return
        if route[0] == "repo_ref":
            owner, repo = route[1], route[2]
            if owner.lower() != st.owner.lower() or repo.lower() != st.repo.lower():
                self.not_found(authed)
                return
        elif route[1] != st.repo_id:
            self.not_found(authed)
            return
        if st.private and not authed:
            self.not_found(authed)
            return
        handler = getattr(self, "get_" + kind)
        handler(route[3:], authed, urllib.parse.parse_qs(url.query))

    def route(self, parts):
        """(kind, (form, owner-or-id, repo, args...)) or ("other", None)."""
        if len(parts) >= 3 and parts[0] == "repos":
            head = ("repo_ref", parts[1], parts[2])
            rest = parts[3:]
        elif len(parts) >= 2 and parts[0] == "repositories" and parts[1].isdigit():
            head = ("repo_id", int(parts[1]), None)
            rest = parts[2:]
        else:
            return "other", None
        if rest == []:
            return "repo", head
        if rest == ["releases"]:
            return "list", head
        if len(rest) == 3 and rest[:2] == ["releases", "tags"]:
            return "release", head + (rest[2],)
        if len(rest) == 3 and rest[:2] == ["releases", "assets"] and rest[2].isdigit():
            return "asset_api", head + (int(rest[2]),)
        if len(rest) == 2 and rest[0] == "releases" and rest[1].isdigit():
            return "release_by_id", head + (int(rest[1]),)
        return "other", None

    def not_found(self, authed):
        self.send_json(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"},
                       self.rate_headers(authed))

    def refuse_rate_limited(self, limit, authed):
        if limit.get("kind") == "secondary":
            retry_after = int(limit.get("retry_after", 60))
            self.send_json(429, {
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                           "before you try again.",
                "documentation_url": DOCS, "status": "429"},
                [("Retry-After", str(retry_after))] + self.rate_headers(authed))
            return
        reset = int(limit.get("reset", int(time.time()) + 3600))
        self.send_json(403, {
            "message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: "
                       "Authenticated requests get a higher rate limit.)",
            "documentation_url": DOCS, "status": "403"},
            self.rate_headers(authed, remaining=0, reset=reset))

    def count_use(self):
        with self.state.lock:
            self.state.used += 1

    def send_cacheable(self, value, authed, extra=()):
        """200 with a weak ETag, or 304 when If-None-Match names it."""
        st = self.state
        body = json.dumps(value).encode()
        etag = 'W/"%s"' % hashlib.sha256(body).hexdigest()
        headers = [("ETag", etag), ("Cache-Control", "private, max-age=60, s-maxage=60"),
                   ("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")] + list(extra)
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            with st.lock:
                st.stats["conditional"] += 1
            if etag_matches(if_none_match, etag):
                with st.lock:
                    st.stats["not_modified"] += 1
                # A 304 is not counted against the rate limit.
                self.send_response(304)
                for name, v in headers + self.rate_headers(authed):
                    self.send_header(name, v)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.count_use()
        self.send_body(200, body, "application/json; charset=utf-8",
                       headers + self.rate_headers(authed))

    def release_json(self, r):
        st = self.state
        base = self.base_url()
        api = f"{base}/repos/{st.owner}/{st.repo}"
        html = f"https://github.test/{st.owner}/{st.repo}"
        tag = urllib.parse.quote(r.tag, safe="")
        return {
            "url": f"{api}/releases/{r.id}",
            "assets_url": f"{api}/releases/{r.id}/assets",
            "upload_url": f"https://uploads.github.test/repos/{st.owner}/{st.repo}/releases/"
                          f"{r.id}/assets{{?name,label}}",
            "html_url": f"{html}/releases/tag/{tag}",
            "id": r.id,
            "author": user_json(base),
            "node_id": f"RE_{r.id:08d}",
            "tag_name": r.tag,
            "target_commitish": "main",
            "name": r.name,
            "draft": r.draft,
            "immutable": False,
            "prerelease": r.prerelease,
            "created_at": iso_time(r.created),
            "published_at": None if r.draft else iso_time(r.created),
            "assets": [self.asset_json(r, a) for a in r.assets],
            "tarball_url": f"{api}/tarball/{tag}",
            "zipball_url": f"{api}/zipball/{tag}",
            "body": r.body,
        }

    def asset_json(self, r, a):
        st = self.state
        base = self.base_url()
        return {
            "url": f"{base}/repos/{st.owner}/{st.repo}/releases/assets/{a.id}",
            "id": a.id,
            "node_id": f"RA_{a.id:08d}",
            "name": a.name,
            "label": "",
            "uploader": user_json(base),
            "content_type": "application/octet-stream",
            "state": "uploaded",
            "size": a.size,
            "digest": a.digest,
            "download_count": 0,
            "created_at": iso_time(a.created),
            "updated_at": iso_time(a.created),
            "browser_download_url": f"https://github.test/{st.owner}/{st.repo}/releases/download/"
                                    f"{urllib.parse.quote(r.tag, safe='')}/"
                                    f"{urllib.parse.quote(a.name, safe='')}",
        }

    def get_repo(self, args, authed, query):
        st = self.state
        self.send_cacheable({"id": st.repo_id, "node_id": f"R_{st.repo_id}", "name": st.repo,
                             "full_name": f"{st.owner}/{st.repo}", "private": st.private},
                            authed)

    def get_list(self, args, authed, query):
        st = self.state

        def int_param(name, default):
            try:
                return int(query.get(name, [str(default)])[0])
            except ValueError:
                return default

        per_page = min(100, max(1, int_param("per_page", 30)))
        page = max(1, int_param("page", 1))
        with st.lock:
            visible = st.visible(authed)
            items = [self.release_json(r) for r in visible[(page - 1) * per_page:page * per_page]]
            last = max(1, math.ceil(len(visible) / per_page))
        target = f"{self.base_url()}/repositories/{st.repo_id}/releases?per_page={per_page}&page="
        links = []
        if page > 1:
            links.append(f'<{target}{min(page - 1, last)}>; rel="prev"')
        if page < last:
            links.append(f'<{target}{page + 1}>; rel="next"')
            links.append(f'<{target}{last}>; rel="last"')
        if page > 1:
            links.append(f'<{target}1>; rel="first"')
        self.send_cacheable(items, authed, [("Link", ", ".join(links))] if links else [])

    def get_release(self, args, authed, query):
        st = self.state
        with st.lock:
            found = [r for r in st.releases if r.tag == args[0] and not r.draft]
            value = self.release_json(found[0]) if found else None
        if value is None:
            self.not_found(authed)
            return
        self.send_cacheable(value, authed)

    def get_release_by_id(self, args, authed, query):
        st = self.state
        with st.lock:
            found = [r for r in st.visible(authed) if r.id == args[0]]
            value = self.release_json(found[0]) if found else None
        if value is None:
            self.not_found(authed)
            return
        self.send_cacheable(value, authed)

    def get_asset_api(self, args, authed, query):
        st = self.state
        with st.lock:
            release, asset = st.find_asset(args[0], authed)
            value = self.asset_json(release, asset) if asset is not None else None
        if asset is None:
            self.not_found(authed)
            return
        if "application/octet-stream" not in self.headers.get("Accept", ""):
            self.send_cacheable(value, authed)
            return
        self.count_use()
        expires = int(time.time()) + 300
        signature = hmac.new(st.secret, f"{asset.id}:{expires}".encode(),
                             hashlib.sha256).hexdigest()
        disposition = urllib.parse.quote(f"attachment; filename={asset.name}", safe="")
        location = (
            f"http://{st.asset_host}:{st.asset_port}/github-production-release-asset/"
            f"{st.repo_id}/{asset.id}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential=RELEASEASSETPRODUCTION%2F{time.strftime('%Y%m%d')}"
            f"%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={time.strftime('%Y%m%dT%H%M%SZ')}"
            f"&X-Amz-Expires=300&X-Amz-Signature={signature}&X-Amz-SignedHeaders=host"
            f"&actor_id=0&key_id=0&repo_id={st.repo_id}&expires={expires}"
            f"&response-content-disposition={disposition}"
            f"&response-content-type=application%2Foctet-stream")
        self.send_body(302, b"", "text/html;charset=utf-8",
                       [("Location", location)] + self.rate_headers(authed))

    def control(self, path):
        st = self.state
        if self.command == "GET" and path == "/_control/stats":
            with st.lock:
                value = json.loads(json.dumps(st.stats))
            self.send_json(200, value)
            return
        if self.command != "POST" or path != "/_control":
            self.send_json(404, {"message": "Not Found"})
            return
        try:
            req = json.loads(self.read_body() or b"{}")
        except ValueError as e:
            self.send_json(400, {"message": f"bad JSON: {e}"})
            return
        with st.lock:
            if "rate_limit" in req:
                st.rate_limit = req["rate_limit"]
            if "forbidden" in req:
                st.forbidden = bool(req["forbidden"])
            if "add_release" in req:
                st.releases.insert(0, st.make_release(req["add_release"], time.time()))
            if "delete_release" in req:
                st.releases = [r for r in st.releases if r.tag != req["delete_release"]]
            if "asset_fault" in req:
                f = req["asset_fault"]
                for r in st.releases:
                    for a in r.assets:
                        if r.tag == f.get("tag") and a.name == f.get("name"):
                            a.fault = f.get("fault")
            if req.get("reset_stats"):
                st.stats = new_stats()
                st.attempts = {}
        self.send_json(200, {"ok": True})


class AssetHandler(Handler):
    def do_GET(self):
        st = self.state
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = url.path.split("/")[1:]
        has_auth = self.headers.get("Authorization") is not None
        with st.lock:
            st.stats["requests"]["asset_download"] += 1
            if has_auth:
                st.stats["asset_port_authorization"] += 1
        if has_auth:
            self.s3_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the "
                          "X-Amz-Algorithm query parameter, Signature query string parameter or "
                          "the Authorization header should be specified")
            return
        if len(parts) != 3 or parts[0] != "github-production-release-asset" or \
                not parts[2].isdigit():
            self.s3_error(404, "NoSuchKey", "The specified key does not exist.")
            return
        asset_id = int(parts[2])
        signature = query.get("X-Amz-Signature", [""])[0]
        expires = query.get("expires", ["0"])[0]
        expected = hmac.new(st.secret, f"{asset_id}:{expires}".encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected) or not expires.isdigit() or \
                int(expires) < time.time():
            with st.lock:
                st.stats["bad_signature"] += 1
            self.s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                          "does not match the signature you provided.")
            return
        with st.lock:
            release, asset = st.find_asset(asset_id)
            if asset is not None:
                key = f"{release.tag}/{asset.name}"
                st.attempts[key] = st.attempts.get(key, 0) + 1
                st.stats["downloads"][key] = st.stats["downloads"].get(key, 0) + 1
                attempt = st.attempts[key]
                fault = asset.fault
                body = asset.content
                name = asset.name
        if asset is None:
            self.s3_error(404, "NoSuchKey", "The specified key does not exist.")
            return
        if fault == "wrong_content":
            body = bytes([body[0] ^ 0xFF]) + body[1:] if body else b"x"
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"%s"' % hashlib.md5(body).hexdigest())
        self.send_header("Last-Modified", self.date_time_string(time.time() - 3600))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Disposition", f"attachment; filename={name}")
        self.end_headers()
        if fault == "reset" or (fault == "fail_once" and attempt == 1):
            self.wfile.write(body[:len(body) // 2])
            self.reset_connection()
            return
        if fault == "stall":
            self.wfile.flush()
            st.stopping.wait(st.stall_seconds)
            self.close_connection = True
            return
        self.wfile.write(body)

    def s3_error(self, status, code, message):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f'<Message>{message}</Message></Error>').encode()
        self.send_body(status, body, "application/xml")

    def reset_connection(self):
        """Closes the socket with SO_LINGER 0, so the peer sees a reset, not an orderly end."""
        self.wfile.flush()
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(sock.detach())
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, state, name):
        super().__init__(address, handler)
        self.state = state
        self.name = name

    def handle_error(self, request, client_address):
        # Clients that give up (a stall timeout) close their end; that is expected here.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, BrokenPipeError, OSError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="API port")
    parser.add_argument("--asset-port", type=int, required=True, help="asset store port")
    parser.add_argument("--data", required=True, help="JSON file describing the releases")
    parser.add_argument("--host", default="127.0.0.1", help="address both listeners bind")
    parser.add_argument("--asset-host", default="127.0.0.1", help="host named in redirects")
    parser.add_argument("--stall-seconds", type=float, default=30.0,
                        help="how long a 'stall' asset sends nothing")
    args = parser.parse_args()

    with open(args.data, encoding="utf-8") as f:
        data = json.load(f)
    state = State(data, os.path.dirname(os.path.abspath(args.data)), args)

    stop = {"requested": False}

    def on_signal(signum, frame):
        stop["requested"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    servers = [Server((args.host, args.port), ApiHandler, state, "api"),
               Server((args.host, args.asset_port), AssetHandler, state, "assets")]
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1})
               for s in servers]
    for t in threads:
        t.start()
    sys.stderr.write(f"github_server: api on {args.port}, assets on {args.asset_port}\n")
    sys.stderr.flush()
    while not stop["requested"]:
        time.sleep(0.1)
    state.stopping.set()
    for s in servers:
        s.shutdown()
        s.server_close()
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
