"""`adjutant healthcheck`: which check it makes and what it calls healthy."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from adjutant import healthcheck
from adjutant.config import AdjutantSettings, Settings
from adjutant.healthcheck import check_url, readyz_url, worker_running


def _proc(tmp_path: Path, *cmdlines: list[str]) -> Path:
    for pid, argv in enumerate(cmdlines, start=1):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv))
    return tmp_path


def test_the_worker_process_is_found_by_its_argv(tmp_path: Path) -> None:
    proc = _proc(tmp_path, ["/opt/adjutant/bin/python3", "/opt/adjutant/bin/adjutant",
                            "worker", "--fg"])  # fmt: skip
    assert worker_running(proc)


def test_other_adjutant_commands_are_not_the_worker(tmp_path: Path) -> None:
    proc = _proc(tmp_path, ["/usr/bin/adjutant", "web"], ["/bin/sh", "worker"])
    assert not worker_running(proc)


def test_readyz_is_asked_on_loopback_when_the_dashboard_binds_everywhere() -> None:
    settings = Settings(adjutant=AdjutantSettings(dashboard_bind="0.0.0.0", dashboard_port=8090))
    assert readyz_url(settings) == "http://127.0.0.1:8090/readyz"


@pytest.fixture
def answering() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/readyz" else 503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_200_is_healthy_and_anything_else_says_what_answered(answering: str) -> None:
    assert check_url(f"{answering}/readyz", 5.0) is None
    assert check_url(f"{answering}/other", 5.0) == f"{answering}/other answered 503"


def test_nothing_listening_is_unhealthy(answering: str) -> None:
    problem = check_url("http://127.0.0.1:9/readyz", 2.0)
    assert problem is not None and "did not answer" in problem


def test_an_ipv6_dashboard_address_is_bracketed() -> None:
    settings = Settings(adjutant=AdjutantSettings(dashboard_bind="::1", dashboard_port=8090))
    assert readyz_url(settings) == "http://[::1]:8090/readyz"


def test_the_command_prints_its_verdict_and_exits_0_or_1(
    answering: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    conf = tmp_path / "kojid.conf"
    conf.write_text(
        "[kojid]\nserver = https://hub.example.com/kojihub\n"
        "topurl = https://hub.example.com/kojifiles\n"
    )
    monkeypatch.setenv("KOJI_ADJUTANT_CONFIG", str(conf))
    healthy = argparse.Namespace(url=f"{answering}/readyz", timeout_s=5.0)
    assert healthcheck.run(healthy) == 0
    assert capsys.readouterr().out == f"healthy: {answering}/readyz\n"
    sick = argparse.Namespace(url=f"{answering}/other", timeout_s=5.0)
    assert healthcheck.run(sick) == 1
    assert capsys.readouterr().out == f"unhealthy: {answering}/other answered 503\n"
