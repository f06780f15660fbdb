"""Serve a host directory over plain HTTP from a container on podman's default bridge.

Buildroot containers (on that bridge while they install or check out) and the host both
reach it at the container's address; the host's loopback is not reachable from containers.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def served_over_http(directory: Path, image: str) -> Iterator[str]:
    """``http://<address>:8000`` serving ``directory`` read-only until the block ends."""
    name = f"adjutant-test-http-{uuid.uuid4().hex[:10]}"
    subprocess.run(
        [
            "podman",
            "run",
            "-d",
            "--rm",
            "--name",
            name,
            "-v",
            f"{directory}:/srv:ro",
            "-w",
            "/srv",
            image,
            "python3",
            "-m",
            "http.server",
            "8000",
        ],
        check=True,
        capture_output=True,
    )
    try:
        address = subprocess.run(
            ["podman", "inspect", name, "--format", "{{.NetworkSettings.IPAddress}}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        yield f"http://{address}:8000"
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)
