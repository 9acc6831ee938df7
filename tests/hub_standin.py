"""A loopback stand-in for the few Hub HTTP endpoints that publishing uses.

It records every request (method, path, headers, body) so tests can assert
exactly what was sent, and keeps the committed files in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HubStandIn:
    def __init__(self, token: str = "hf_test_write", read_only: set[str] = frozenset()) -> None:
        self.requests: list[dict] = []
        self.repos: dict[str, dict] = {}
        self.files: dict[str, dict[str, bytes]] = {}
        self.token = token
        self.read_only = set(read_only)
        self.private: dict[tuple[str, str], bytes] = {}  # (repo, filename) -> bytes, served only with a valid token
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, code: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                standin.requests.append({"method": "POST", "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                auth = self.headers.get("Authorization", "")
                if auth.removeprefix("Bearer ") not in (standin.token, *standin.read_only):
                    return self._reply(401, {"error": "Invalid credentials"})
                if self.path == "/api/repos/create":
                    data = json.loads(body)
                    if auth.removeprefix("Bearer ") in standin.read_only:
                        return self._reply(403, {"error": "read-only token"})
                    repo = f"{data.get('organization') or 'user'}/{data['name']}"
                    standin.repos[repo] = data
                    return self._reply(200, {"url": f"{standin.url}/{repo}"})
                if self.path == "/api/validate-yaml":  # the Hub checks model-card metadata before a README upload
                    return self._reply(200, {"errors": [], "warnings": []})
                if "/preupload/" in self.path:
                    files = json.loads(body)["files"]
                    return self._reply(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]})
                if "/commit/" in self.path:
                    repo = self.path.split("/api/models/")[1].split("/commit/")[0]
                    stored = standin.files.setdefault(repo, {})
                    for line in body.decode().splitlines():
                        item = json.loads(line)
                        if item["key"] == "file":
                            stored[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                    return self._reply(200, {"commitUrl": f"{standin.url}/{repo}/commit/{'a' * 40}", "commitOid": "a" * 40})
                return self._reply(404, {"error": f"not in the stand-in: {self.path}"})

            def _resolve(self, send_body: bool):
                """``/{owner}/{name}/resolve/{revision}/{filename}``: a private file, as the Hub serves one."""
                parts = self.path.split("?")[0].split("/")
                key = ("/".join(parts[1:3]), "/".join(parts[5:]))
                if len(parts) < 6 or parts[3] != "resolve" or key not in standin.private:
                    return self._reply(404, {"error": f"not in the stand-in: {self.path}"})
                auth = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if auth not in (standin.token, *standin.read_only):  # the Hub answers 401 for a private repo
                    body = b'{"error": "Repository Not Found"}'
                    self.send_response(401)
                    self.send_header("X-Error-Code", "RepoNotFound")
                    self.send_header("X-Error-Message", "Repository Not Found")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    return self.wfile.write(body) if send_body else None
                data = standin.private[key]
                self.send_response(200)
                self.send_header("X-Repo-Commit", "b" * 40)
                self.send_header("ETag", '"%s"' % hashlib.sha256(data).hexdigest())
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if send_body:
                    self.wfile.write(data)

            def do_HEAD(self):
                standin.requests.append({"method": "HEAD", "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": b""})
                return self._resolve(send_body=False)

            def do_GET(self):
                standin.requests.append({"method": "GET", "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": b""})
                if "/resolve/" in self.path:
                    return self._resolve(send_body=True)
                return self._reply(404, {"error": f"not in the stand-in: {self.path}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
