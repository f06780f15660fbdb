"""A devhub running as its own process (`adjutant devhub serve`), as tests and the demo use it.

A separate process keeps the hub's threads out of processes that fork (koji's TaskManager
forks per task) and lets a test restart the hub. Ports are chosen once, so a restart serves
the same URLs; seeding goes through an in-process DevHub on the same home directory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from adjutant.devhub.app import ADMIN_USER, DevHub, DevHubOptions
from tests.support.processes import stop_process

START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DevHubProcess:
    def __init__(
        self,
        home: Path,
        repo_loop: bool = True,
        bind: str = "127.0.0.1",
        address: str = "127.0.0.1",
        keytab: Path | None = None,
    ) -> None:
        """``bind`` is what the hub listens on; ``address`` is how clients name it (the
        server certificate covers it); ``keytab`` turns on Kerberos logins."""
        self.keytab = keytab
        self.home = home
        self.bind, self.address = bind, address
        self.https_port = free_port()
        self.http_port = free_port()
        self.repo_loop = repo_loop
        self.proc: subprocess.Popen[str] | None = None
        self.log_path = home / "serve.log"
        self.admin = DevHub(DevHubOptions(home=home))
        self.admin.open_store()

    @property
    def server(self) -> str:
        return f"https://{self.address}:{self.https_port}/kojihub"

    @property
    def topurl(self) -> str:
        return f"http://{self.address}:{self.http_port}/kojifiles"

    @property
    def serverca(self) -> Path:
        return self.admin.ca.cert

    @property
    def admin_cert(self) -> Path:
        return self.admin.client_cert(ADMIN_USER)

    def start(self) -> DevHubProcess:
        argv = [
            sys.executable,
            "-m",
            "adjutant",
            "devhub",
            "--home",
            str(self.home),
            "serve",
            "--port",
            str(self.https_port),
            "--http-port",
            str(self.http_port),
            "--bind",
            self.bind,
            "--hostname",
            self.address,
        ]
        if not self.repo_loop:
            argv.append("--no-repo-loop")
        if self.keytab is not None:
            argv += ["--keytab", str(self.keytab)]
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"devhub exited at start:\n{self.log_path.read_text()}")
            if "devhub: serverca" in self.log_path.read_text():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"devhub did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_process(self.proc, timeout_s=15)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self.admin.stop()
