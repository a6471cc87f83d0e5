#!/usr/bin/python3
"""Pushes ORAS-style artifacts to an OCI distribution registry through its HTTP API (test helper).

The artifact is what `oras push` makes of release files: an OCI image manifest whose config is the
empty descriptor (application/vnd.oci.empty.v1+json, the two bytes "{}") and one layer per file,
titled by the org.opencontainers.image.title annotation. A directory becomes a tar+gzip layer whose
entries are prefixed by the title, annotated io.deis.oras.content.unpack=true.

Blobs go up as monolithic uploads (POST /v2/<repo>/blobs/uploads/, then PUT <location>&digest=);
the manifest is PUT under every tag given. Authentication answers the registry's challenge: Basic
with --user/--password, or Bearer with a token fetched from the challenge's realm (basic
credentials, scope from the challenge). Standard library only.

usage: oci_push.py REGISTRY REPOSITORY [--tag T]... [--tag-range PREFIX COUNT]
                   [--file TITLE=PATH]... [--dir TITLE=PATH]... [--tar TITLE=PATH]...
                   [--untitled PATH]... [--index-tag T] [--user U --password P]
  --file   a regular file layer
  --dir    a directory, packed here as ORAS packs it
  --tar    a prebuilt tar(+gzip) file pushed as an unpack layer as it is (hostile archives)
  --untitled  a file layer without any annotation (not a valid release file)
  --index-tag  also push an OCI image index that lists the artifact, under tag T
Prints the manifest digest.
"""

import argparse
import base64
import gzip
import hashlib
import http.client
import io
import json
import sys
import tarfile
import urllib.parse

EMPTY_CONFIG = b"{}"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
FILE_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"
DIR_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
TITLE = "org.opencontainers.image.title"
UNPACK = "io.deis.oras.content.unpack"
CONTENT_DIGEST = "io.deis.oras.content.digest"


def parse_challenge(header):
    scheme, _, rest = header.partition(" ")
    params = {}
    while rest:
        rest = rest.strip().lstrip(",").strip()
        name, eq, rest = rest.partition("=")
        if not eq:
            break
        if rest.startswith('"'):
            end = rest.index('"', 1)
            value, rest = rest[1:end], rest[end + 1:]
        else:
            value, _, rest = rest.partition(",")
        params[name.strip().lower()] = value
    return scheme.lower(), params


class Client:
    def __init__(self, registry, user, password):
        self.registry = registry
        self.conn = http.client.HTTPConnection(registry, timeout=60)
        self.basic = None
        if user is not None:
            raw = ("%s:%s" % (user, password or "")).encode()
            self.basic = "Basic " + base64.b64encode(raw).decode()
        self.authorization = None

    def _fetch_token(self, params):
        realm = urllib.parse.urlsplit(params["realm"])
        query = [("service", params.get("service", ""))]
        if params.get("scope"):
            query.append(("scope", params["scope"]))
        conn = http.client.HTTPConnection(realm.netloc, timeout=60)
        headers = {"Authorization": self.basic} if self.basic else {}
        conn.request("GET", realm.path + "?" + urllib.parse.urlencode(query), headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        if resp.status != 200:
            sys.exit("token service answered %d: %s" % (resp.status, body[:200]))
        data = json.loads(body)
        return "Bearer " + (data.get("token") or data["access_token"])

    def request(self, method, url, body=b"", headers=None):
        """Sends one request (url: a path, or an absolute URL on this registry)."""
        parts = urllib.parse.urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        for attempt in range(2):
            h = dict(headers or {})
            if self.authorization:
                h["Authorization"] = self.authorization
            h["Content-Length"] = str(len(body))
            self.conn.request(method, target, body=body, headers=h)
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.status != 401 or attempt == 1:
                return resp, data
            scheme, params = parse_challenge(resp.getheader("WWW-Authenticate", ""))
            if scheme == "basic" and self.basic:
                self.authorization = self.basic
            elif scheme == "bearer":
                self.authorization = self._fetch_token(params)
            else:
                return resp, data
        return resp, data

    def expect(self, what, resp, data, statuses):
        if resp.status not in statuses:
            sys.exit("%s: HTTP %d: %s" % (what, resp.status, data[:300].decode(errors="replace")))


def push_blob(client, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    resp, body = client.request("HEAD", "/v2/%s/blobs/%s" % (repo, digest))
    if resp.status == 200:
        return digest
    resp, body = client.request("POST", "/v2/%s/blobs/uploads/" % repo)
    client.expect("start upload", resp, body, (202,))
    location = resp.getheader("Location")
    sep = "&" if "?" in location else "?"
    resp, body = client.request("PUT", location + sep + "digest=" + urllib.parse.quote(digest),
                                body=data, headers={"Content-Type": "application/octet-stream"})
    client.expect("finish upload", resp, body, (201,))
    return digest


def pack_directory(title, path):
    """tar+gzip of `path` with entries under `title/`, as ORAS packs a directory."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(path, arcname=title, recursive=True)
    tar_bytes = raw.getvalue()
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0) as gz:
        gz.write(tar_bytes)
    return packed.getvalue(), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("registry")
    parser.add_argument("repository")
    parser.add_argument("--tag", action="append", default=[])
    parser.add_argument("--tag-range", nargs=2, metavar=("PREFIX", "COUNT"))
    parser.add_argument("--file", action="append", default=[])
    parser.add_argument("--dir", action="append", default=[])
    parser.add_argument("--tar", action="append", default=[])
    parser.add_argument("--untitled", action="append", default=[])
    parser.add_argument("--index-tag")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    tags = list(args.tag)
    if args.tag_range:
        prefix, count = args.tag_range[0], int(args.tag_range[1])
        tags += ["%s%03d" % (prefix, i) for i in range(count)]

    client = Client(args.registry, args.user, args.password)
    repo = args.repository
    layers = []
    for spec in args.file:
        title, path = spec.split("=", 1)
        with open(path, "rb") as f:
            data = f.read()
        layers.append({"mediaType": FILE_MEDIA_TYPE, "digest": push_blob(client, repo, data),
                       "size": len(data), "annotations": {TITLE: title}})
    for spec in args.dir:
        title, path = spec.split("=", 1)
        data, content_digest = pack_directory(title, path)
        layers.append({"mediaType": DIR_MEDIA_TYPE, "digest": push_blob(client, repo, data),
                       "size": len(data),
                       "annotations": {TITLE: title, UNPACK: "true",
                                       CONTENT_DIGEST: content_digest}})
    for spec in args.tar:
        title, path = spec.split("=", 1)
        with open(path, "rb") as f:
            data = f.read()
        layers.append({"mediaType": DIR_MEDIA_TYPE, "digest": push_blob(client, repo, data),
                       "size": len(data), "annotations": {TITLE: title, UNPACK: "true"}})

    for path in args.untitled:
        with open(path, "rb") as f:
            data = f.read()
        layers.append({"mediaType": FILE_MEDIA_TYPE, "digest": push_blob(client, repo, data),
                       "size": len(data)})

    config_digest = push_blob(client, repo, EMPTY_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": "application/vnd.unknown.artifact.v1",
        "config": {"mediaType": EMPTY_MEDIA_TYPE, "digest": config_digest,
                   "size": len(EMPTY_CONFIG), "data": "e30="},
        "layers": layers,
        "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
    }
    body = json.dumps(manifest, indent=2).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    for tag in tags:
        resp, data = client.request("PUT", "/v2/%s/manifests/%s" % (repo, tag), body=body,
                                    headers={"Content-Type": MANIFEST_MEDIA_TYPE})
        client.expect("put manifest " + tag, resp, data, (201,))
    if args.index_tag:
        if not tags:
            resp, data = client.request("PUT", "/v2/%s/manifests/%s" % (repo, digest), body=body,
                                        headers={"Content-Type": MANIFEST_MEDIA_TYPE})
            client.expect("put manifest by digest", resp, data, (201,))
        index = {
            "schemaVersion": 2,
            "mediaType": INDEX_MEDIA_TYPE,
            "manifests": [{"mediaType": MANIFEST_MEDIA_TYPE, "digest": digest,
                           "size": len(body),
                           "platform": {"architecture": "amd64", "os": "linux"}}],
        }
        index_body = json.dumps(index).encode()
        resp, data = client.request("PUT", "/v2/%s/manifests/%s" % (repo, args.index_tag),
                                    body=index_body, headers={"Content-Type": INDEX_MEDIA_TYPE})
        client.expect("put index " + args.index_tag, resp, data, (201,))
    print(digest)


if __name__ == "__main__":
    main()
