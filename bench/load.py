"""Scenario 7: N builds at once on this machine against the same N one after another; total
wall time against the ideal (the serial total spread over the cores, never below one build),
and the podman API's latency (GET /_ping) measured meanwhile, idle and under that load.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

SOCKET = "/run/podman/podman.sock"


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def ping_s(path: str = SOCKET) -> float:
    started = time.perf_counter()
    conn = _UnixHTTP(path)
    try:
        conn.request("GET", "/v4.0.0/libpod/_ping")
        conn.getresponse().read()
    finally:
        conn.close()
    return time.perf_counter() - started


class Pinger:
    """Pings the API every 0.2 s in a thread while running."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.samples.append(ping_s())

    def __enter__(self) -> Pinger:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def concurrent_vs_serial(build: Callable[[], float], count: int) -> dict[str, float]:
    """One serial pass and one concurrent pass of ``count`` builds, with API latency."""
    idle = [ping_s() for _ in range(5)]
    with Pinger() as serial_ping:
        started = time.perf_counter()
        singles = [build() for _ in range(count)]
        serial = time.perf_counter() - started
    with Pinger() as busy_ping, ThreadPoolExecutor(count) as pool:
        started = time.perf_counter()
        list(pool.map(lambda _: build(), range(count)))
        concurrent = time.perf_counter() - started
    cores = os.cpu_count() or 1
    ideal = max(serial / min(cores, count), max(singles))
    return {
        "serial": serial,
        "concurrent": concurrent,
        "ideal": ideal,
        "concurrent_over_ideal": concurrent / ideal,
        "ping_idle": statistics.median(idle),
        "ping_serial": statistics.median(serial_ping.samples or [0.0]),
        "ping_concurrent": statistics.median(busy_ping.samples or [0.0]),
        "ping_concurrent_p95": sorted(busy_ping.samples or [0.0])[
            max(0, int(0.95 * len(busy_ping.samples or [0.0])) - 1)
        ],
    }
