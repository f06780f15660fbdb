"""Scenario 1: one container's lifecycle (create → start → one exec → remove) through
adjutant's podman backend against the same steps through the podman CLI.

The backend has no separate stop: a buildroot is removed with force (SIGKILL, then remove),
so both sides end with one forced remove (`podman rm -f`). Cold is the first container of an
image just built (its layers not yet mounted); warm is a later one. Start (create + start) and
cleanup (the forced remove) are reported on their own.
"""

from __future__ import annotations

import secrets
import subprocess
import tempfile
import time
from pathlib import Path

from adjutant.container.backend import ContainerSpec
from adjutant.container.podman import PodmanBackend

WORKER = "adjutant-bench"


def backend_lifecycle(backend: PodmanBackend, image: str) -> dict[str, float]:
    spec = ContainerSpec(image=image, task_id=0, worker=WORKER, role="bench",
                         name=f"adjutant-bench-{secrets.token_hex(4)}")  # fmt: skip
    started = time.perf_counter()
    container_id = backend.create(spec)
    try:
        backend.start(container_id)
        running = time.perf_counter()
        backend.exec(container_id, ("true",), timeout_s=60)
        execd = time.perf_counter()
    finally:
        backend.remove(container_id)
    done = time.perf_counter()
    return {"wall": done - started, "start": running - started, "cleanup": done - execd}


def cli_lifecycle(image: str) -> dict[str, float]:
    def podman(*args: str) -> str:
        return subprocess.run(["podman", *args], check=True, capture_output=True,
                              text=True).stdout.strip()  # fmt: skip

    started = time.perf_counter()
    container_id = podman("create", "--network", "none", "--init", "--cap-drop", "ALL",
                          "--label", f"io.adjutant.worker={WORKER}",
                          "--name", f"adjutant-bench-{secrets.token_hex(4)}", image,
                          "sleep", "infinity")  # fmt: skip
    try:
        podman("start", container_id)
        running = time.perf_counter()
        podman("exec", container_id, "true")
        execd = time.perf_counter()
    finally:
        podman("rm", "-f", "-t", "0", container_id)
    done = time.perf_counter()
    return {"wall": done - started, "start": running - started, "cleanup": done - execd}


def fresh_image(base: str) -> str:
    """A new image (one extra layer) no container has used yet; removed by the caller."""
    tag = f"localhost/adjutant-bench/cold-{secrets.token_hex(4)}:latest"
    with tempfile.TemporaryDirectory() as ctx:
        (Path(ctx) / "Containerfile").write_text(
            f"FROM {base}\nRUN echo {secrets.token_hex(8)} > /bench-token\n"
        )
        subprocess.run(["podman", "build", "-q", "-t", tag, ctx], check=True, capture_output=True)
    return tag


def remove_image(tag: str) -> None:
    subprocess.run(["podman", "rmi", "-f", tag], capture_output=True, check=False)
