"""The Flask app factory: configuration, the store connection per request, the optional bearer
token and JSON errors. Routes live in ``api`` (JSON, health, metrics) and ``pages`` (HTML)."""

from __future__ import annotations

import hmac
import logging
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from adjutant.config import Settings
from adjutant.state import store

log = logging.getLogger(__name__)

TOKEN_COOKIE = "adjutant_token"
# Health checks run on the machine (container HEALTHCHECK, probes): no token needed.
OPEN_PATHS = frozenset({"/livez", "/readyz"})
# The pages load only their own CSS and JS and talk only to this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(settings: Settings, *, state_db: Path | None = None) -> Flask:
    """The dashboard app reading ``state_db`` (default: ``[adjutant] state_db``)."""
    app = Flask(__name__)
    app.config["ADJUTANT_SETTINGS"] = settings
    app.config["ADJUTANT_STATE_DB"] = state_db or settings.adjutant.state_db
    app.config["ADJUTANT_TOKEN"] = settings.adjutant.dashboard_token
    create_store(app.config["ADJUTANT_STATE_DB"])
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from adjutant.web import api, pages

    app.register_blueprint(api.blueprint)
    app.register_blueprint(pages.blueprint)
    app.before_request(_check_token)
    app.after_request(after_request)
    app.teardown_appcontext(_close_store)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(sqlite3.Error, _store_error)
    return app


def create_store(path: Path) -> None:
    """Create an empty store if the worker has not yet, so pages answer before its first
    write; every request then reads without ever taking the writers' lock."""
    if path.exists():
        return
    try:
        store.connect(path, timeout_s=2.0).close()
    except (sqlite3.Error, OSError) as exc:
        log.warning("state store %s cannot be created: %s", path, exc)


def settings() -> Settings:
    value: Settings = current_app.config["ADJUTANT_SETTINGS"]
    return value


def state() -> sqlite3.Connection:
    """This request's read-only connection to the store (opened on first use)."""
    if "state" not in g:
        conn = store.connect(current_app.config["ADJUTANT_STATE_DB"], timeout_s=2.0,
                             readonly=True)  # fmt: skip
        g.state = conn
    conn_: sqlite3.Connection = g.state
    return conn_


def _close_store(_exc: BaseException | None) -> None:
    conn = g.pop("state", None)
    if conn is not None:
        conn.close()


def _check_token() -> Response | None:
    token: str = current_app.config["ADJUTANT_TOKEN"]
    if not token or request.path in OPEN_PATHS:
        return None
    given = ""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        given = header.removeprefix("Bearer ")
    elif request.args.get("token"):
        given = request.args["token"]  # a browser's first visit; kept in a cookie after
    else:
        given = request.cookies.get(TOKEN_COOKIE, "")
    if not hmac.compare_digest(given.encode(), token.encode()):
        reply = error_response(401, "unauthorized", "a valid bearer token is required")
        reply.headers["WWW-Authenticate"] = 'Bearer realm="adjutant"'
        return reply
    if request.args.get("token"):
        g.set_token_cookie = token
    return None


def error_response(status: int, code: str, message: str) -> Response:
    reply = jsonify({"error": code, "message": message})
    reply.status_code = status
    return reply


def _http_error(exc: HTTPException) -> Response:
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_response(exc.code or 500, code, exc.description or code)


def _store_error(exc: sqlite3.Error) -> Response:
    return error_response(503, "state_store_unavailable", f"the state store cannot be read: {exc}")


def after_request(reply: Any) -> Any:
    """Keep a token given as ?token= in an HttpOnly cookie (EventSource sends no headers);
    add the security headers."""
    token = g.pop("set_token_cookie", None)
    if token:
        reply.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
    reply.headers.update(SECURITY_HEADERS)
    return reply
