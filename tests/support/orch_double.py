"""A test double of koji-boxed's orch service: the keytab checkout and CA endpoints only.

``POST /api/v2/resource/<uuid>`` makes the mapped principal in a real KDC (first time),
re-keys it into a keytab (``ktadd``, as orch does on every checkout) and answers the bytes
with 200; a second checkout while held answers 409; ``DELETE`` releases. Errors are orch's
JSON shape. ``GET /api/v2/ca/certificate`` serves a CA file. Answers can be scripted ahead
(``script``), and every request is recorded, so tests see exactly what the worker asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.kdc import Kdc

RESOURCE_PREFIX = "/api/v2/resource/"
CA_PATH = "/api/v2/ca/certificate"


def error_body(code: str, message: str) -> bytes:
    """orch's error JSON (app/common/error_handlers.py shape)."""
    return json.dumps({"error": {"code": code, "message": message, "details": {}},
                       "request_id": None, "timestamp": None}).encode()  # fmt: skip


@dataclass
class OrchDouble:
    kdc: Kdc
    directory: Path
    ca_cert: Path
    # uuid -> principal name without realm, e.g. "worker/adjutant-1"
    resources: dict[str, str]
    # called with the full principal on a resource's first checkout (orch adds the host)
    on_first_checkout: Callable[[str], None] | None = None
    held: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # answers to give before the real behaviour: (status, body)
    script: list[tuple[int, bytes]] = field(default_factory=list)
    url: str = ""
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str) -> tuple[int, bytes, str]:
        with self._lock:
            self.requests.append((method, path))
            if self.script:
                status, body = self.script.pop(0)
                return status, body, "application/json"
            if method == "GET" and path == CA_PATH:
                return 200, self.ca_cert.read_bytes(), "application/x-x509-ca-cert"
            if not path.startswith(RESOURCE_PREFIX):
                return 404, error_body("NOT_FOUND", "no such endpoint"), "application/json"
            uuid = path[len(RESOURCE_PREFIX) :]
            if uuid not in self.resources:
                return (
                    404,
                    error_body("RESOURCE_NOT_FOUND", "resource not found"),
                    ("application/json"),
                )
            if method == "DELETE":
                if uuid not in self.held:
                    return (
                        400,
                        error_body(
                            "VALIDATION_ERROR", "Resource not checked out to this container"
                        ),
                        ("application/json"),
                    )
                self.held.discard(uuid)
                return (
                    200,
                    json.dumps({"message": "Resource released successfully"}).encode(),
                    ("application/json"),
                )
            if method != "POST":
                return (
                    405,
                    error_body("VALIDATION_ERROR", "method not allowed"),
                    ("application/json"),
                )
            if uuid in self.held:
                return (
                    409,
                    error_body(
                        "RESOURCE_ALREADY_CHECKED_OUT",
                        "Resource is already checked out to another container",
                    ),
                    "application/json",
                )
            principal = self.kdc.add_principal(self.resources[uuid])
            keytab = self.kdc.export_keytab(principal, self.directory / f"{uuid}.keytab")
            if uuid not in self._seen and self.on_first_checkout is not None:
                self.on_first_checkout(principal)
            self._seen.add(uuid)
            self.held.add(uuid)
            return 200, keytab.read_bytes(), "application/octet-stream"


def _handler(double: OrchDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            status, body, ctype = double.answer(self.command, self.path)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _reply

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def running_orch(double: OrchDouble) -> Iterator[OrchDouble]:
    """Serve ``double`` on a loopback port until the block ends (``double.url`` is set)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    double.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="orch-double", daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
