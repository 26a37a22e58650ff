"""Google's authorization and token endpoints and Cloud Elements' POST /instances, on loopback,
for the benchmark: both tools run against this same process, which is never measured.

Usage: fakes.py PORT_FILE [--ce-delay SECONDS]
Writes the port to PORT_FILE once it listens, and serves until killed.
"""
import argparse
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    ce_delay = 0.0
    # Seconds each GET of an instance or a ping waits (an internet round trip), for many.py.
    get_delay = 0.0
    # HTTP/1.1 keeps connections open unless an answer says close.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm holds the body
    # until the client's delayed ACK (40 ms) on a kept-alive connection.
    disable_nagle_algorithm = True
    next_id = [480000]
    lock = threading.Lock()
    # Google answers the token request with the scope that was granted for the code.
    scopes = {}

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", content_type="application/json", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/elements/api-v2/elements/"):
            # ceauth's check before the browser opens: the element exists, the secrets work.
            if not (self.headers.get("Authorization") or "").startswith("User "):
                return self.answer(401, b'{"message": "Invalid Organization or User secret"}')
            return self.answer(200, json.dumps({"key": url.path.rsplit("/", 1)[-1]}).encode())
        parts = url.path.split("/")
        if url.path.startswith("/elements/api-v2/instances/") or url.path.startswith("/elements/api-v2/hubs/"):
            # verify: GET /instances/{id}, then GET /hubs/{hub}/ping through the instance.
            time.sleep(self.get_delay)
            if not (self.headers.get("Authorization") or "").startswith("User "):
                return self.answer(401, b'{"message": "Invalid Organization or User secret"}')
            if parts[3] == "instances":
                return self.answer(200, json.dumps({"id": int(parts[4]), "name": "bench", "valid": True, "disabled": False,
                                                    "token": "INSTANCETOKEN-bench-%s" % parts[4],
                                                    "element": {"key": "gmail", "hub": "general"}}).encode())
            return self.answer(200, b'{"endpoint": "general"}')
        if url.path != "/o/oauth2/v2/auth":
            return self.answer(404)
        query = dict(urllib.parse.parse_qsl(url.query))
        items = {"state": query.get("state", ""), "code": "4/0Abench" + secrets.token_urlsafe(12),
                 "scope": query.get("scope", ""), "iss": "https://accounts.google.com"}
        with self.lock:
            self.scopes[items["code"]] = items["scope"]
        location = query["redirect_uri"] + "?" + urllib.parse.urlencode(items)
        self.answer(302, headers=[("Location", location)])

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/token":
            form = dict(urllib.parse.parse_qsl(body.decode()))
            token = {"access_token": "ya29.bench", "refresh_token": "1//bench-refresh", "expires_in": 3599,
                     "token_type": "Bearer", "scope": self.scopes.get(form.get("code"), "")}
            return self.answer(200, json.dumps(token).encode())
        if self.path != "/elements/api-v2/instances":
            return self.answer(404)
        if not (self.headers.get("Authorization") or "").startswith("User "):
            return self.answer(401, b'{"message": "Invalid Organization or User secret"}')
        time.sleep(self.ce_delay)
        request = json.loads(body or b"{}")
        with self.lock:
            self.next_id[0] += 1
            instance_id = self.next_id[0]
        key = request.get("element", {}).get("key", "gmail")
        instance = {"id": instance_id, "name": request.get("name", "bench"), "token": "INSTANCETOKEN-" + secrets.token_urlsafe(16),
                    "element": {"id": 3317, "key": key, "name": key}, "valid": True, "disabled": False,
                    "configuration": request.get("configuration", {})}
        self.answer(200, json.dumps(instance).encode())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port_file")
    parser.add_argument("--ce-delay", type=float, default=0.0)
    parser.add_argument("--get-delay", type=float, default=0.0)
    args = parser.parse_args()
    Handler.ce_delay = args.ce_delay
    Handler.get_delay = args.get_delay
    # socketserver's backlog is 5: more clients connecting at once would wait for a SYN retry (1 s).
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".part", "w") as f:
        f.write(str(server.server_port))
    import os
    os.rename(args.port_file + ".part", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
