"""Benchmark: dashboard latency with 1,000 tasks of history, and the recorder's write cost.

What it measures: p50/p95 of GET /api/v1/status, /api/v1/tasks and /metrics served by
`adjutant web` (gunicorn, gthread, as deployed) on loopback from a bounded request loop, with
/livez (no store access) as the baseline in the same run; and the mean time of one recorder
write (a step start + end) against the same store. The history is written through the
recorder, as the worker writes it: each task has 10 steps and one container.

    .venv/bin/python bench/dashboard_api.py --tasks 1000 --requests 300
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from adjutant.state import Recorder

STEPS = ("provide-image", "hw-info-lscpu", "hw-info-cat", "hw-info-df", "install-group", "uname",
         "unpack-srpm", "builddep", "rpmbuild-bb", "upload-outputs")  # fmt: skip
ENDPOINTS = ("/livez", "/api/v1/status", "/api/v1/tasks", "/metrics")


def fill(recorder: Recorder, tasks: int, work: Path) -> None:
    methods = ("buildArch", "rebuildSRPM", "newRepo", "createrepo")
    for task_id in range(1, tasks + 1):
        task = recorder.for_task(task_id)
        task.started(methods[task_id % 4], arch="x86_64", tag="f40-build", parent=None,
                     work_dir=work)  # fmt: skip
        task.image("localhost/adjutant/debian-bookworm:latest", reason="bench", digest="sha256:0")
        task.buildroot(task_id)
        cid = f"{task_id:064x}"
        task.container_created(cid, name=f"adjutant-{task_id}-buildroot", role="buildroot",
                               image="localhost/adjutant/debian-bookworm:latest",
                               seconds=0.05)  # fmt: skip
        task.container_started(cid, seconds=0.1)
        for name in STEPS:
            task.step_ended(task.step_started(name, ("true",), user="root", log_name="root.log"),
                            exit_code=0)  # fmt: skip
        task.log_file("build.log", work / "build.log")
        task.container_removed(cid, seconds=0.1)
        task.ended("CLOSED" if task_id % 10 else "FAILED", result={"brootid": task_id},
                   fault=None if task_id % 10 else "see build.log")  # fmt: skip
    recorder.heartbeat(started_at=time.time(), hub_ok=1, podman_ok=1, maxjobs=4, running=0)


def write_cost(recorder: Recorder, rounds: int) -> float:
    task = recorder.for_task(10**9)
    task.started("buildArch", arch=None, tag=None, parent=None, work_dir=Path("/"))
    started = time.perf_counter()
    for _ in range(rounds):
        task.step_ended(task.step_started("bench", ("true",)), exit_code=0)
    return (time.perf_counter() - started) / (2 * rounds)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300, help="per endpoint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="adjutant-bench-") as tmp:
        base = Path(tmp)
        recorder = Recorder(base / "state.db", worker="bench")
        started = time.perf_counter()
        fill(recorder, args.tasks, base)
        print(f"history: {args.tasks} tasks written in {time.perf_counter() - started:.1f}s")
        per_write = write_cost(recorder, 500)
        port = free_port()
        conf = base / "kojid.conf"
        conf.write_text(f"[kojid]\nserver = https://hub.invalid/kojihub\n"
                        f"topurl = https://hub.invalid/kojifiles\nworkdir = {base}\n"
                        f"minspace = 1\n\n[adjutant]\n"
                        f"worker_name = bench\nstate_db = {base / 'state.db'}\n"
                        f"dashboard_port = {port}\n")  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "adjutant", "web", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            session = requests.Session()
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if session.get(url + "/livez", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("adjutant web did not start within 30s")
                time.sleep(0.2)
            timings: dict[str, list[float]] = {path: [] for path in ENDPOINTS}
            for _ in range(5):  # warm both gunicorn workers
                for path in ENDPOINTS:
                    session.get(url + path, timeout=10).raise_for_status()
            for _ in range(args.requests):  # interleaved, so load drifts hit all alike
                for path in ENDPOINTS:
                    begun = time.perf_counter()
                    session.get(url + path, timeout=10).raise_for_status()
                    timings[path].append(time.perf_counter() - begun)
        finally:
            server.terminate()
            server.wait(timeout=30)
    base_p50 = statistics.median(timings["/livez"])
    print(f"{'endpoint':<16} {'p50 ms':>8} {'p95 ms':>8} {'p50 / livez':>12}")
    for path, values in timings.items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        print(f"{path:<16} {p50 * 1000:8.2f} {p95 * 1000:8.2f} {p50 / base_p50:12.2f}")
    print(f"recorder: {per_write * 1000:.3f} ms per write (step start or end)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
