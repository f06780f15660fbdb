"""`adjutant web` for real: gunicorn on the --bind/--port given, token enforced, SIGTERM stops
it (what the worker does when it stops)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

START_TIMEOUT_S = 30.0
TOKEN = "t0ken-9f3a-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_adjutant_web_serves_on_the_flags_address_and_stops_on_sigterm(tmp_path: Path) -> None:
    conf = tmp_path / "kojid.conf"
    conf.write_text(
        "[kojid]\nserver = https://hub.example.com/kojihub\n"
        "topurl = https://hub.example.com/kojifiles\n"
        f"workdir = {tmp_path}\n\n[adjutant]\nworker_name = serve-test\n"
        f"state_db = {tmp_path / 'state.db'}\ndashboard_port = 1\ndashboard_token = {TOKEN}\n"
    )
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "adjutant", "web", "-c", str(conf), "--bind", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if requests.get(url + "/livez", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert web.poll() is None, "adjutant web exited"
            assert time.monotonic() < deadline, "adjutant web did not answer /livez"
            time.sleep(0.2)
        assert requests.get(url + "/api/v1/status", timeout=5).status_code == 401
        reply = requests.get(url + "/api/v1/status", timeout=5,
                             headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert reply.status_code == 200 and reply.json()["worker"] == "serve-test"
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=30) == 0
    finally:
        if web.poll() is None:
            web.kill()
            web.wait(timeout=10)
    output = web.stdout.read().decode() if web.stdout else ""
    assert TOKEN not in output  # the token never reaches the log
