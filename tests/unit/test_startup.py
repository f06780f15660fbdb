"""Start-up: everything local is checked before the hub is touched; each failure is one line
and exit status 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import koji
import pytest

from adjutant import config, startup
from adjutant.container.fake import FakeBackend
from adjutant.errors import ConfigError
from tests.support.worker_process import kojid_conf


class Listener:
    """A TCP port that counts connections: the hub must see none."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def _worker(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adjutant", "worker", "-c", str(conf), "--fg"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )  # fmt: skip


def _conf(tmp_path: Path, hub: Listener, **adjutant: str) -> Path:
    kojid = {"server": f"http://127.0.0.1:{hub.port}/kojihub", "workdir": str(tmp_path / "w"),
             "topdir": str(tmp_path), "topurl": "http://127.0.0.1:1/kojifiles",
             "user": "builder", "password": "pw"}  # fmt: skip
    return kojid_conf(tmp_path / "kojid.conf", kojid, {"worker_name": "w1", **adjutant})


def test_a_dead_podman_socket_exits_2_in_one_line_before_the_hub_is_touched(
    tmp_path: Path,
) -> None:
    hub = Listener()
    conf = _conf(tmp_path, hub, podman_url=f"unix://{tmp_path}/no-podman.sock",
                 podman_retry_attempts="1")  # fmt: skip
    result = _worker(conf)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "podman_url" in result.stderr and "no-podman.sock" in result.stderr
    assert hub.connections == 0


def test_a_garbage_certificate_exits_2_naming_it_before_the_hub_is_touched(
    tmp_path: Path,
) -> None:
    hub = Listener()
    cert = tmp_path / "client.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
    conf = _conf(tmp_path, hub)
    conf.write_text(conf.read_text().replace("[kojid]\n", f"[kojid]\ncert = {cert}\n"))
    result = _worker(conf)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"cert = {cert}" in result.stderr
    assert hub.connections == 0
    check = subprocess.run([sys.executable, "-m", "adjutant", "config", "check", "-c", str(conf)],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert check.returncode == 2 and f"cert = {cert}" in check.stderr


def test_a_held_session_lock_says_what_to_do() -> None:
    error = startup.login_failure(koji.AuthLockError("session is locked"), "https://hub", "w1")
    assert isinstance(error, ConfigError)
    assert "--force-lock" in str(error) and "w1" in str(error)
    assert "\n" not in str(error)


def test_podman_is_checked_with_one_real_call(tmp_path: Path) -> None:
    settings = config.load([_conf(tmp_path, Listener())], check_paths=False)
    startup.check_podman(FakeBackend(), settings)  # answers: no error

    class Down(FakeBackend):
        def list(self, labels):  # type: ignore[no-untyped-def]
            from adjutant.errors import ContainerUnavailable

            raise ContainerUnavailable("cannot reach the podman service")

    with pytest.raises(ConfigError, match="podman does not answer"):
        startup.check_podman(Down(), settings)


def test_an_unreachable_hub_is_retried_by_koji_then_one_line_and_exit_1(tmp_path: Path) -> None:
    hub = Listener()
    hub.sock.close()  # nothing listens there any more: every connection is refused
    conf = _conf(tmp_path, hub, podman_url="unix:///run/podman/podman.sock")
    conf.write_text(
        conf.read_text().replace("[kojid]\n", "[kojid]\nmax_retries = 2\nretry_interval = 1\n")
    )
    result = _worker(conf)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"cannot reach the hub at http://127.0.0.1:{hub.port}/kojihub after 2 retries" in (
        result.stderr
    )
