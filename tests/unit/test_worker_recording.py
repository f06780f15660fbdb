"""The worker records each task's outcome as koji's runTask reports it to the hub, and its
status (podman probe, capacity, policy counters) once per loop."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import koji
import pytest
from koji.tasks import RefuseTask

from adjutant.container.probe import probe_podman
from adjutant.policy.resolver import ImageResolver
from adjutant.state import Recorder, store
from adjutant.worker import record_task
from adjutant.worker_status import WorkerStatus


class Handler:
    """What record_task needs of a koji task handler."""

    def __init__(self, task_id: int, run: Callable[[], Any], workdir: Path) -> None:
        self.id = task_id
        self.method = "newRepo"
        self.workdir = str(workdir)
        self.run = run


def run_recorded(tmp_path: Path, run: Callable[[], Any]) -> dict[str, Any]:
    recorder = Recorder(tmp_path / "state.db", worker="w")
    handler = Handler(3, run, tmp_path)
    record_task(recorder, handler, {"parent": 2, "arch": "noarch"})
    try:
        handler.run()
    except BaseException:  # noqa: B036 (the outcome is what this helper looks at)
        pass
    row = store.task(store.connect(tmp_path / "state.db", timeout_s=1), 3)
    assert row is not None
    return row


@pytest.mark.parametrize("outcome, state, fault", [
    (lambda: {"repo_id": 5}, "CLOSED", None),
    (koji.GenericError("no such tag"), "FAILED", "no such tag"),
    (ValueError("bad"), "FAILED", "ValueError: bad"),
    (RefuseTask("no image for the arch"), "REFUSED", "no image for the arch"),
    (SystemExit(1), "CANCELED", "the task process was stopped"),
    (KeyboardInterrupt(), "CANCELED", "the task process was stopped"),
])  # fmt: skip
def test_outcome_is_recorded_as_the_hub_gets_it(
    tmp_path: Path, outcome: Any, state: str, fault: str | None
) -> None:
    def run() -> Any:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome()

    row = run_recorded(tmp_path, run)
    assert (row["state"], row["fault"], row["parent"], row["arch"]) == (state, fault, 2, "noarch")
    if state == "CLOSED":
        assert json.loads(row["result"]) == {"repo_id": 5}


class _Version(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = json.dumps({"Version": "4.3.1"}).encode()
        self.send_response(200 if self.path == "/version" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self) -> tuple[Any, Any]:
        request, _ = super().get_request()
        return request, ("local", 0)  # BaseHTTPRequestHandler wants a (host, port)


@pytest.fixture
def fake_podman(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "podman.sock"
    server = _UnixHTTPServer(str(path), _Version)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"unix://{path}"
    finally:
        server.shutdown()
        server.server_close()


def test_probe_reads_the_version_and_reports_a_dead_socket(fake_podman: str,
                                                           tmp_path: Path) -> None:  # fmt: skip
    status = probe_podman(fake_podman)
    assert status.ok and status.version == "4.3.1"
    dead = probe_podman(f"unix://{tmp_path / 'nothing.sock'}", timeout_s=0.5)
    assert not dead.ok and "nothing.sock" in dead.error
    assert not probe_podman("ssh://core@host/run/podman.sock").ok


def test_worker_status_row_and_policy_counters(fake_podman: str, tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "state.db", worker="w")
    resolver = ImageResolver(default_image="img", enabled=False, ttl_s=60,
                             get_build_config=lambda *a, **k: {})  # fmt: skip
    status = WorkerStatus(
        recorder, podman_url=fake_podman, hub_url="https://u:secret@hub/kojihub",
        topurl="http://hub/kojifiles", workdir=tmp_path, maxjobs=4, minspace_mb=1,
        resolver=resolver,
    )  # fmt: skip

    class Manager:
        pids = {11: 100}
        hostdata = {"capacity": 3.0}

    resolver.counters.hits, resolver.counters.fallbacks = 5, 1
    status.report(Manager(), hub_ok=True)
    status.report(Manager(), hub_ok=False, hub_error="x")  # within MIN_INTERVAL_S: skipped
    resolver.counters.hits = 7
    status.report(Manager(), hub_ok=False, hub_error="hub down", force=True)
    conn = store.connect(tmp_path / "state.db", timeout_s=1)
    (row,) = store.workers(conn)
    assert (row["running"], row["capacity"], row["maxjobs"]) == (1, 3.0, 4)
    assert (row["hub_ok"], row["hub_error"], row["podman_version"]) == (0, "hub down", "4.3.1")
    assert "secret" not in row["hub_url"] and row["free_mb"] > 0
    totals = {labels["result"]: v for m, labels, v in store.counters(conn)
              if m == "adjutant_image_policy_lookups_total"}  # fmt: skip
    assert totals == {"hit": 7, "fallback": 1}
