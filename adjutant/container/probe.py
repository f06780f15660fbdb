"""Ask a podman API service whether it answers, and its version, with one plain HTTP request.

The worker's status (dashboard, /readyz) needs this every loop; it must be cheap and must not
hang, so it is a bare ``GET /version`` with a short timeout rather than a podman-py client.
Only unix:// and tcp:// services can be asked; for ssh:// the answer is "not checked".
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class PodmanStatus:
    ok: bool
    version: str = ""
    error: str = ""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout_s: float) -> None:
        super().__init__("podman", timeout=timeout_s)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


def probe_podman(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> PodmanStatus:
    """Whether the service at ``url`` answers ``GET /version``, and the version it gives."""
    parts = urlsplit(url)
    conn: http.client.HTTPConnection
    if parts.scheme == "unix":
        conn = _UnixConnection(parts.path, timeout_s)
    elif parts.scheme == "tcp":
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout_s)
    else:
        return PodmanStatus(False, error=f"{parts.scheme}:// services are not checked")
    try:
        conn.request("GET", "/version")
        reply = conn.getresponse()
        body = reply.read()
    except OSError as exc:
        return PodmanStatus(False, error=f"{url}: {exc}")
    finally:
        conn.close()
    if reply.status != 200:
        return PodmanStatus(False, error=f"{url}: HTTP {reply.status}")
    try:
        version = str(json.loads(body).get("Version", ""))
    except (ValueError, AttributeError):
        version = ""
    return PodmanStatus(True, version=version)
