"""The JSON API (/api/v1), the health endpoints (/livez, /readyz) and /metrics.

Everything here reads the state store (and the redacted settings); the answers' shapes are
described in openapi.json, which a test checks against real answers.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    request,
    stream_with_context,
)
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import CollectorRegistry

from adjutant import __version__
from adjutant.config.settings import redact_url
from adjutant.state import store
from adjutant.web import task_logs
from adjutant.web.app import error_response, settings, state
from adjutant.web.metrics import StoreCollector
from adjutant.worker_status import free_mb

blueprint = Blueprint("api", __name__)

MAX_PAGE = 500
# A worker that wrote no status for this long is not ready (it writes one per loop).
STALE_AFTER_S = 120.0


def _worker() -> dict[str, Any] | None:
    name = settings().adjutant.worker_name
    for row in store.workers(state()):
        if row["name"] == name or not name:
            return row
    return None


def _task_or_404(task_id: int) -> dict[str, Any]:
    row = store.task(state(), task_id)
    if row is None:
        abort(404, description=f"task {task_id} is not in this worker's history")
    return row


def _task_json(row: dict[str, Any]) -> dict[str, Any]:
    result = row.get("result")
    return {
        "id": row["id"], "method": row["method"], "arch": row["arch"], "tag": row["tag"],
        "parent": row["parent"], "state": row["state"], "worker": row["worker"],
        "started_at": row["started_at"], "ended_at": row["ended_at"],
        "duration_s": _duration(row["started_at"], row["ended_at"]),
        "result": None if result is None else json.loads(result),
        "fault": row["fault"], "image": row["image"], "image_digest": row["image_digest"],
        "image_reason": row["image_reason"], "buildroot_id": row["buildroot_id"],
    }  # fmt: skip


def _duration(started: float | None, ended: float | None) -> float | None:
    if started is None:
        return None
    return round((ended if ended is not None else time.time()) - started, 3)


def _step_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"], "argv": json.loads(row["argv"]), "user": row["user"],
        "log_name": row["log_name"], "started_at": row["started_at"],
        "ended_at": row["ended_at"], "duration_s": _duration(row["started_at"], row["ended_at"]),
        "exit_code": row["exit_code"], "error": row["error"],
    }  # fmt: skip


def _container_json(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("id", "task_id", "name", "image", "image_digest", "role",
                                      "created_at", "started_at", "removed_at")}  # fmt: skip


def status_json() -> dict[str, Any]:
    worker = _worker() or {}
    adjutant, kojid = settings().adjutant, settings().kojid
    counts = store.task_counts(state())
    recent, _ = store.tasks(state(), limit=1)
    return {
        "worker": adjutant.worker_name, "version": __version__,
        "pid": worker.get("pid"),
        "uptime_s": None if not worker.get("started_at") else round(
            time.time() - worker["started_at"], 1),
        "heartbeat_age_s": None if not worker.get("heartbeat_at") else round(
            time.time() - worker["heartbeat_at"], 1),
        "hub": {"url": redact_url(kojid.server), "session_alive": bool(worker.get("hub_ok")),
                "error": worker.get("hub_error") or None},
        "podman": {"url": redact_url(adjutant.podman_url), "answers": bool(worker.get("podman_ok")),
                   "version": worker.get("podman_version") or None,
                   "error": worker.get("podman_error") or None},
        "capacity": {"maxjobs": kojid.maxjobs, "running": worker.get("running", 0),
                     "load": worker.get("load"), "host_capacity": worker.get("capacity"),
                     "free_mb": free_mb(Path(kojid.workdir)), "minspace_mb": kojid.minspace},
        "tasks": {"running": counts.get("OPEN", 0),
                  "recorded": sum(counts.values()), "by_state": counts,
                  "last_started_at": recent[0]["started_at"] if recent else None},
    }  # fmt: skip


@blueprint.get("/api/v1/status")
def status() -> Response:
    return jsonify(status_json())


@blueprint.get("/api/v1/config")
def config() -> Response:
    shown = settings().redacted()
    return jsonify({section: {key: {"value": v.value, "source": v.source}
                              for key, v in rows.items()}
                    for section, rows in shown.items()})  # fmt: skip


def _int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        abort(400, description=f"{name} must be an integer, got {text!r}")
    if not minimum <= value <= maximum:
        abort(400, description=f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


@blueprint.get("/api/v1/tasks")
def tasks() -> Response:
    limit = _int_arg("limit", 50, 1, MAX_PAGE)
    offset = _int_arg("offset", 0, 0, 1 << 40)
    states = [s.upper() for s in request.args.getlist("state") for s in s.split(",") if s]
    methods = [m for m in request.args.getlist("method") for m in m.split(",") if m]
    rows, total = store.tasks(state(), states=states, methods=methods, limit=limit,
                              offset=offset)  # fmt: skip
    return jsonify({"tasks": [_task_json(r) for r in rows], "total": total, "limit": limit,
                    "offset": offset})  # fmt: skip


@blueprint.get("/api/v1/tasks/<int:task_id>")
def task(task_id: int) -> Response:
    row = _task_or_404(task_id)
    body = _task_json(row)
    body["steps"] = [_step_json(s) for s in store.steps(state(), task_id)]
    body["containers"] = [_container_json(c) for c in store.containers(state(), task_id=task_id)]
    body["logs"] = sorted(store.logs(state(), task_id))
    return jsonify(body)


def _log_path(task_id: int, name: str) -> tuple[dict[str, Any], Path | None]:
    if not task_logs.is_valid_name(name):
        abort(400, description=f"invalid log name {name!r}")
    row = _task_or_404(task_id)
    paths = store.logs(state(), task_id)
    if name not in paths:
        abort(404, description=f"task {task_id} has no log {name!r}")
    return row, Path(paths[name])


def _topurl() -> str:
    worker = _worker() or {}
    return str(worker.get("topurl") or (settings().kojid.topurls or ("",))[0])


@blueprint.get("/api/v1/tasks/<int:task_id>/logs/<name>")
def log_range(task_id: int, name: str) -> Response:
    _row, path = _log_path(task_id, name)
    offset = _int_arg("offset", 0, 0, 1 << 40)
    limit = _int_arg("limit", task_logs.MAX_RANGE_BYTES, 1, task_logs.MAX_RANGE_BYTES)
    try:
        data, next_offset = task_logs.read_range(path, _topurl(), task_id, name, offset, limit)
    except task_logs.LogUnavailable as exc:
        return error_response(404, "log_unavailable", str(exc))
    # Bytes as the file holds them; a build log is meant to be UTF-8.
    reply = Response(data, content_type="text/plain; charset=utf-8")
    reply.headers["X-Next-Offset"] = str(next_offset)
    return reply


@blueprint.get("/api/v1/tasks/<int:task_id>/logs/<name>/stream")
def log_stream(task_id: int, name: str) -> Response:
    _row, path = _log_path(task_id, name)
    last = request.headers.get("Last-Event-ID") or request.args.get("offset") or "0"
    offset = int(last) if last.isdigit() else 0
    db_path = current_app.config["ADJUTANT_STATE_DB"]

    def final_state() -> str | None:
        conn = store.connect(db_path, timeout_s=2.0, readonly=True)
        try:
            row = store.task(conn, task_id)
        finally:
            conn.close()
        if row is None or row["state"] != "OPEN":
            return "GONE" if row is None else str(row["state"])
        return None

    topurl = _topurl()

    def read_hub_copy(position: int) -> bytes:
        try:
            return task_logs.read_range(None, topurl, task_id, name, position)[0]
        except task_logs.LogUnavailable:
            return b""  # the stream ends with what the worker had

    events = task_logs.follow(path, offset, final_state, read_hub_copy)
    reply = Response(stream_with_context(events), mimetype="text/event-stream")
    reply.headers["Cache-Control"] = "no-cache"
    reply.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return reply


@blueprint.get("/api/v1/containers")
def containers() -> Response:
    live = request.args.get("live", "").lower() in ("1", "true", "yes")
    rows = store.containers(state(), live_only=live, limit=_int_arg("limit", 200, 1, MAX_PAGE))
    return jsonify({"containers": [_container_json(r) for r in rows]})


@blueprint.get("/api/v1/containers/<container_id>")
def container(container_id: str) -> Response:
    if not container_id.isalnum():
        abort(400, description=f"invalid container id {container_id!r}")
    row = store.container(state(), container_id)
    if row is None:
        abort(404, description=f"container {container_id} is not in this worker's history")
    return jsonify(_container_json(row))


@blueprint.get("/api/v1/openapi.json")
def openapi() -> Response:
    text = resources.files("adjutant.web").joinpath("openapi.json").read_text()
    return Response(text, mimetype="application/json")


@blueprint.get("/livez")
def livez() -> Response:
    return jsonify({"status": "alive"})


def not_ready_reasons() -> list[str]:
    """Why the worker cannot build now (empty: ready)."""
    worker = _worker()
    if worker is None:
        return ["the worker has not written its status yet"]
    reasons = []
    age = time.time() - float(worker["heartbeat_at"] or 0)
    if age > STALE_AFTER_S:
        reasons.append(f"the worker's last status is {age:.0f}s old")
    if not worker["hub_ok"]:
        reasons.append(f"the hub session is not alive: {worker['hub_error'] or 'unknown'}")
    if not worker["podman_ok"]:
        reasons.append(f"the podman service does not answer: {worker['podman_error']}")
    kojid = settings().kojid
    free = free_mb(Path(kojid.workdir))
    if free is None or free < kojid.minspace:
        reasons.append(f"free disk at {kojid.workdir}: {free} MB < minspace {kojid.minspace} MB")
    return reasons


@blueprint.get("/readyz")
def readyz() -> Response:
    reasons = not_ready_reasons()
    if reasons:
        reply = jsonify({"status": "not ready", "reasons": reasons})
        reply.status_code = 503
        return reply
    return jsonify({"status": "ready", "reasons": []})


@blueprint.get("/metrics")
def metrics() -> Response:
    db_path = current_app.config["ADJUTANT_STATE_DB"]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(lambda: store.connect(db_path, timeout_s=2.0, readonly=True)))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
