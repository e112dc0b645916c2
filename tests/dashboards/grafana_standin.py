"""A loopback stand-in for the few Grafana HTTP API endpoints provisioning calls.

It is not Grafana: it records each request and keeps datasources, folders and dashboards by
UID with Grafana's status codes (401 without the right credential, 404 for an unknown UID,
409 for a duplicate, 400 for a dashboard in an unknown folder), so that the grafana-client
calls and their idempotence can be checked where no Grafana can run.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    """One request as received."""

    method: str
    path: str
    authorization: str
    body: Any


@dataclass
class GrafanaState:
    """What the stand-in holds."""

    credentials: set[str]  # accepted Authorization header values
    requests: list[Recorded] = field(default_factory=list)
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> saved payload
    versions: dict[str, int] = field(default_factory=dict)


Reply = tuple[int, dict[str, Any]]


def route(state: GrafanaState, method: str, path: str, body: Any) -> Reply:
    """Grafana's answer to one authorised request."""
    if m := re.fullmatch(r"/api/datasources/uid/([^/]+)", path):
        return _datasource(state, method, m.group(1), body)
    if method == "POST" and path == "/api/datasources":
        return _create_datasource(state, body)
    if m := re.fullmatch(r"/api/folders/([^/]+)", path):
        found = state.folders.get(m.group(1))
        return (200, found) if found else (404, {"message": "folder not found"})
    if method == "POST" and path == "/api/folders":
        if body["uid"] in state.folders:
            return 409, {"message": "a folder with the same uid already exists"}
        state.folders[body["uid"]] = {"uid": body["uid"], "title": body["title"]}
        return 200, state.folders[body["uid"]]
    if method == "POST" and path == "/api/dashboards/db":
        return _save_dashboard(state, body)
    return 404, {"message": "not found"}


def _datasource(state: GrafanaState, method: str, uid: str, body: Any) -> Reply:
    if uid not in state.datasources:
        return 404, {"message": "Data source not found"}
    if method == "PUT":
        state.datasources[uid] = body
        return 200, {"message": "Datasource updated", "datasource": body}
    return 200, state.datasources[uid]


def _create_datasource(state: GrafanaState, body: Any) -> Reply:
    names = {d["name"] for d in state.datasources.values()}
    if body["uid"] in state.datasources or body["name"] in names:
        return 409, {"message": "data source with the same name already exists"}
    state.datasources[body["uid"]] = body
    return 200, {"message": "Datasource added", "datasource": body}


def _save_dashboard(state: GrafanaState, body: Any) -> Reply:
    board = body["dashboard"]
    uid = board["uid"]
    if not board.get("title"):
        return 400, {"message": "Dashboard title cannot be empty"}
    if body.get("folderUid") not in state.folders:
        return 400, {"message": "folder not found"}
    if uid in state.dashboards and not body.get("overwrite"):
        return 412, {"status": "name-exists", "message": "A dashboard with the same uid exists"}
    state.versions[uid] = state.versions.get(uid, 0) + 1
    state.dashboards[uid] = body
    return 200, {
        "uid": uid, "status": "success", "version": state.versions[uid], "url": f"/d/{uid}/x",
    }  # fmt: skip


class StandIn:
    """The stand-in on a loopback port, in a thread."""

    def __init__(self, *, token: str = "", user: tuple[str, str] | None = None) -> None:
        accepted = {f"Bearer {token}"} if token else set()
        if user:
            accepted.add("Basic " + base64.b64encode(":".join(user).encode()).decode())
        self.state = GrafanaState(accepted)
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                auth = self.headers.get("Authorization", "")
                state.requests.append(Recorded(self.command, self.path, auth, body))
                if auth in state.credentials:
                    status, reply = route(state, self.command, self.path, body)
                else:
                    status, reply = 401, {"message": "Unauthorized"}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
