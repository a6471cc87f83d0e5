#!/usr/bin/python3
"""A token service for docker-registry's `auth: token` mode (test peer; standard library only).

Implements the distribution token protocol: GET /token?service=S&scope=repository:NAME:ACTIONS
with HTTP Basic credentials answers {"token", "access_token", "expires_in", "issued_at"}. The
token is an RS256 JWT the registry verifies: header with an x5c chain holding the self-signed
certificate the registry lists in `rootcertbundle`, claims iss/aud/exp/nbf/iat/jti and `access`.
Signing runs `openssl dgst -sha256 -sign KEY` in a subprocess.

Only the --user USER:PASSWORD pairs given are accepted (several allowed); anything else, and no
credentials at all, gets 401. GET /stats answers {"token_requests": n, "tokens": m} (requests
seen, tokens issued) for the test's assertions. With --rate-limit SECONDS every token request is
answered 429 with that Retry-After.

usage: oci_token_server.py --port P --key KEY.pem --cert CERT.pem --issuer I --service S
                           [--user U:P]... [--expires-in SECONDS] [--rate-limit SECONDS]
"""

import argparse
import base64
import datetime
import http.server
import json
import os
import subprocess
import threading
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.token_requests = 0
        self.tokens = 0
        with open(args.cert) as f:
            pem = f.read()
        body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
        self.cert_der_b64 = "".join(body.split())
        self.accepted = set(args.user)

    def sign(self, data):
        result = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                                input=data, capture_output=True, check=True)
        return result.stdout

    def make_token(self, subject, scopes):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.cert_der_b64]}
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) == 3 and parts[0] == "repository":
                access.append({"type": "repository", "name": parts[1],
                               "actions": [a for a in parts[2].split(",") if a]})
        claims = {
            "iss": self.args.issuer,
            "sub": subject,
            "aud": self.args.service,
            "exp": now + self.args.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": b64url(os.urandom(12)),
            "access": access,
        }
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        return signing_input + "." + b64url(self.sign(signing_input.encode()))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print("token-server: " + fmt % args, flush=True)

    def reply(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/stats":
            with state.lock:
                self.reply(200, {"token_requests": state.token_requests,
                                 "tokens": state.tokens})
            return
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such path"}]})
            return
        with state.lock:
            state.token_requests += 1
        if state.args.rate_limit:
            self.reply(429, {"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
                       {"Retry-After": str(state.args.rate_limit)})
            return
        query = urllib.parse.parse_qs(url.query)
        if query.get("service", [""])[0] != state.args.service:
            self.reply(400, {"errors": [{"code": "DENIED", "message": "unknown service"}]})
            return
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            try:
                pair = base64.b64decode(auth[6:]).decode()
            except ValueError:
                pair = ""
            if pair in state.accepted:
                user = pair.split(":", 1)[0]
        if user is None:
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                         "message": "authentication required"}]},
                       {"WWW-Authenticate": 'Basic realm="cairn-token-test"'})
            return
        token = state.make_token(user, query.get("scope", []))
        with state.lock:
            state.tokens += 1
        issued = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.reply(200, {"token": token, "access_token": token,
                         "expires_in": state.args.expires_in, "issued_at": issued})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--user", action="append", default=[])
    parser.add_argument("--expires-in", type=int, default=300)
    parser.add_argument("--rate-limit", type=int, default=0)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    server.serve_forever()


if __name__ == "__main__":
    main()
