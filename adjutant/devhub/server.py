"""devhub's HTTP(S) front: XML-RPC at /kojihub, SSL login, fast uploads and the topurl files.

With a keytab (``serve --keytab``), /kojihub/ssllogin also takes HTTP Negotiate as
mod_auth_gssapi does in front of the real hub: no client certificate and no token → 401 with
``WWW-Authenticate: Negotiate``; a good token → the principal logs in (mapped to its user).
One handler serves both listeners. POST /kojihub (and /kojihub/ssllogin) carries XML-RPC or,
when the query names a file, a rawUpload chunk; GET /kojifiles/... serves the topdir (links
followed, never outside it). Over HTTPS the client certificate is asked for during the
handshake (optional, so anonymous calls work) and its CN is the login name. Every request
runs as one database transaction; a fault rolls it back, and the call number is stored only
with a call that changed data, as on the real hub. The fault plan is consulted first.
"""

from __future__ import annotations

import base64
import logging
import shutil
import socket
import ssl
import threading
import time
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import gssapi
import koji
from gssapi.raw.misc import GSSError
from koji.xmlrpcplus import Fault

from adjutant.devhub import rpc, sessions, uploads
from adjutant.devhub.db import Database
from adjutant.devhub.faults import FaultPlan
from adjutant.devhub.misc import HUB_VERSION

log = logging.getLogger(__name__)

HUB_PATH = "/kojihub"
FILES_PATH = "/kojifiles"
_MAX_BODY = 256 * 1024 * 1024


class HubState:
    """What every request handler shares: the store, settings, fault plan and keytab."""

    def __init__(
        self, db: Database, config: rpc.HubConfig, faults: FaultPlan, keytab: Path | None = None
    ) -> None:
        self.db = db
        self.config = config
        self.faults = faults
        self.keytab = keytab  # HTTP/<host> service keys for Negotiate logins


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], state: HubState, tls: ssl.SSLContext | None
    ) -> None:
        self.state = state
        self.tls = tls
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.state.faults.is_refusing():
            sock.close()
            raise OSError("devhub fault plan: refusing connections")
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "adjutant-devhub"

    def setup(self) -> None:
        self.request.settimeout(60)
        # Headers and body go out in separate writes: with Nagle's algorithm and the client's
        # delayed ACK each keep-alive reply waited ~40 ms (64 KiB log chunks: 1.2 MB/s).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        log.debug("%s %s", self.address_string(), format % args)

    # --- routing -------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith(FILES_PATH + "/") or path == FILES_PATH:
            self._serve_file(unquote(path[len(FILES_PATH) :]), head=False)
        else:
            self._send(404, b"not found\n", "text/plain")

    def do_HEAD(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith(FILES_PATH + "/"):
            self._serve_file(unquote(path[len(FILES_PATH) :]), head=True)
        else:
            self._send(404, b"", "text/plain")

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.rstrip("/") not in (HUB_PATH, HUB_PATH + "/ssllogin"):
            self._send(404, b"not found\n", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > _MAX_BODY:
            self._send(413, b"request too large\n", "text/plain")
            return
        body = self.rfile.read(length)
        faults = self.server.state.faults
        if faults.delay_s():
            time.sleep(faults.delay_s())
        status = faults.next_http_error()
        if status is not None:
            self._send(status, f"devhub fault plan: HTTP {status}\n".encode(), "text/plain")
            return
        if self.headers.get("Content-Type") == "application/octet-stream" or "filename=" in (
            parts.query
        ):
            response = self._call(
                "rawUpload", lambda call: uploads.raw_upload(call, parts.query, body)
            )
            self._send(200, response.encode(), "text/xml")
            return
        principal: str | None = None
        extra: dict[str, str] = {}
        if (parts.path.rstrip("/") == HUB_PATH + "/ssllogin" and self.server.state.keytab
                and self._peer_cn() is None):  # fmt: skip
            negotiated = self._negotiate(self.server.state.keytab)
            if negotiated is None:
                return
            principal, extra = negotiated
        self._send(200, self._xmlrpc(body, principal).encode(), "text/xml", extra)

    def _negotiate(self, keytab: Path) -> tuple[str, dict[str, str]] | None:
        """The client's principal and the mutual-auth header, or None after a 401 answer."""
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        challenge = {"WWW-Authenticate": "Negotiate"}
        if scheme.lower() != "negotiate" or not token.strip():
            self._send(
                401, b"Kerberos (Negotiate) authentication required\n", "text/plain", challenge
            )
            return None
        try:
            creds = gssapi.Credentials(usage="accept", store={"keytab": str(keytab)})
            context = gssapi.SecurityContext(creds=creds, usage="accept")
            reply = context.step(base64.b64decode(token.strip()))
        except (GSSError, ValueError) as exc:
            log.info("Negotiate login refused: %s", exc)
            self._send(
                401, f"Negotiate failed: {exc}\n".encode(errors="replace"), "text/plain", challenge
            )
            return None
        if not context.complete:
            self._send(
                401, b"Negotiate needs more steps than devhub serves\n", "text/plain", challenge
            )
            return None
        extra = {"WWW-Authenticate": "Negotiate " + base64.b64encode(reply or b"").decode()}
        return str(context.initiator_name), extra

    # --- XML-RPC -------------------------------------------------------------------------

    def _xmlrpc(self, body: bytes, principal: str | None = None) -> str:
        try:
            params, method = xmlrpc.client.loads(body, use_builtin_types=False)
        except Exception as exc:  # malformed request: the hub answers with a fault
            return rpc.encode_fault(1000, f"could not parse request: {exc}")
        if method is None:
            return rpc.encode_fault(1000, "request has no method name")
        return self._call(method, lambda call: rpc.dispatch(call, method, params), principal)

    def _call(self, method: str, work: Any, principal: str | None = None) -> str:
        state = self.server.state
        injected = state.faults.fault_for(method)
        if injected is not None:
            return rpc.encode_fault(injected.faultCode, injected.faultString)
        try:
            with state.db.transaction() as cur:
                session = sessions.load_session(cur, dict(self.headers.items()), method)
                call = rpc.Call(
                    db=cur,
                    config=state.config,
                    session=session,
                    peer_cn=self._peer_cn(),
                    faults=state.faults,
                    gss_principal=principal,
                )
                before = cur.changes()
                result = work(call)
                if cur.changes() != before:
                    sessions.record_callnum(cur, session)
            return rpc.encode_result(result)
        except Fault as fault:
            return rpc.encode_fault(fault.faultCode, fault.faultString)
        except koji.GenericError:
            log.debug("call %s: fault", method, exc_info=True)
            return rpc.current_exception_fault()
        except Exception:
            log.warning("call %s failed", method, exc_info=True)
            return rpc.current_exception_fault()

    def _peer_cn(self) -> str | None:
        if not isinstance(self.request, ssl.SSLSocket):
            return None
        cert = self.request.getpeercert()
        if not cert:
            return None
        subject: Any = cert.get("subject", ())
        for rdn in subject:
            for key, value in rdn:
                if key == "commonName":
                    return str(value)
        return None

    # --- files ---------------------------------------------------------------------------

    def _serve_file(self, relpath: str, head: bool) -> None:
        topdir = self.server.state.config.topdir.resolve()
        target = (topdir / relpath.lstrip("/")).resolve()
        if target != topdir and topdir not in target.parents:
            self._send(403, b"outside the topdir\n", "text/plain")
            return
        if not target.is_file():
            self._send(404, b"not found\n", "text/plain")
            return
        size = target.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if not head:
            with target.open("rb") as stream:
                shutil.copyfileobj(stream, self.wfile)

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Koji-Version", HUB_VERSION)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def tls_context(server_pem: Path, ca_cert: Path) -> ssl.SSLContext:
    """Server TLS that asks for (but does not demand) a client certificate from our CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(server_pem))
    context.load_verify_locations(str(ca_cert))
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


class Listener:
    """One listening socket served on a background thread."""

    def __init__(self, state: HubState, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        self._server = _Server((host, port), state, tls)
        self.port = int(self._server.server_address[1])
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"devhub-{self.scheme}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
