"""Integration fixtures: a private podman API service, a backend on it, and a leak check.

Every container a test creates must carry ``worker_label`` as its ``io.adjutant.worker``
label (``ContainerSpec(worker=worker_label, ...)``); the autouse leak check fails any test
that leaves such a container behind, after removing it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from adjutant import images
from adjutant.container.backend import LABEL_WORKER
from adjutant.container.podman import PodmanBackend
from tests.support.images import TASK_IMAGE_NAME

BASE_IMAGE = os.environ.get("ADJUTANT_BASE_IMAGE", "localhost/adjutant/debian-base:bookworm")
SERVICE_START_TIMEOUT_S = 30.0
SERVICE_STOP_TIMEOUT_S = 15.0

SETUP_HINT = "run scripts/setup-host (as root) to set this machine up"


def _ping(socket_path: Path) -> bool:
    """True once the podman service on ``socket_path`` answers ``GET /_ping``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2.0)
            conn.connect(str(socket_path))
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: podman\r\n\r\n")
            reply = conn.recv(4096)
    except OSError:
        return False
    status_line = reply.split(b"\r\n", 1)[0]
    return status_line.startswith(b"HTTP/1.") and b" 200" in status_line


@pytest.fixture(scope="session")
def base_image() -> str:
    """The local image integration containers run (env ADJUTANT_BASE_IMAGE overrides)."""
    return BASE_IMAGE


@pytest.fixture(scope="session")
def podman_url(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Iterator[str]:
    """URL of a private ``podman system service`` on a temp socket, stopped at session end."""
    podman = shutil.which("podman")
    if podman is None:
        pytest.fail(f"the podman binary is not on PATH: {SETUP_HINT}", pytrace=False)
    exists = subprocess.run(
        [podman, "image", "exists", base_image], capture_output=True, timeout=60, check=False
    )
    if exists.returncode != 0:
        reason = exists.stderr.decode(errors="replace").strip() or "podman image exists said no"
        pytest.fail(f"base image {base_image} is missing ({reason}): {SETUP_HINT}", pytrace=False)
    directory = tmp_path_factory.mktemp("podman")
    socket_path = directory / "podman.sock"
    log_path = directory / "service.log"
    with log_path.open("wb") as service_log:
        service = subprocess.Popen(
            [podman, "system", "service", "--time=0", f"unix://{socket_path}"],
            stdout=service_log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + SERVICE_START_TIMEOUT_S
        while not _ping(socket_path):
            if service.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"private podman service on {socket_path} did not answer _ping within "
                    f"{SERVICE_START_TIMEOUT_S:g}s (exit {service.poll()}); its log:\n"
                    f"{log_path.read_text(errors='replace')[-2000:]}\n{SETUP_HINT}",
                    pytrace=False,
                )
            time.sleep(0.1)  # polling interval against the deadline above
        yield f"unix://{socket_path}"
    finally:
        service.terminate()
        try:
            service.wait(timeout=SERVICE_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait(timeout=SERVICE_STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def worker_label() -> str:
    """This run's ``io.adjutant.worker`` value: use it as ``ContainerSpec.worker``."""
    return f"pytest-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def podman_backend(podman_url: str) -> PodmanBackend:
    """A PodmanBackend on the private service, with short retries."""
    return PodmanBackend(podman_url, retry_attempts=2, retry_delay_s=0.5)


@pytest.fixture(autouse=True)
def no_leftover_containers(
    request: pytest.FixtureRequest, podman_url: str, worker_label: str
) -> Iterator[None]:
    """Fail the test if a container labelled with this run's worker remains; remove it."""
    yield
    backend = PodmanBackend(podman_url, retry_attempts=2, retry_delay_s=0.5)
    leftovers = backend.list({LABEL_WORKER: worker_label})
    for info in leftovers:
        backend.remove(info.id)
    if leftovers:
        names = ", ".join(f"{info.name} ({info.status})" for info in leftovers)
        pytest.fail(f"{request.node.nodeid} left containers behind: {names}", pytrace=False)


@pytest.fixture(scope="session")
def task_image(podman_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Debian task image, built through the backend unless already up to date."""
    backend = PodmanBackend(podman_url)
    build_log = tmp_path_factory.mktemp("image") / "build.log"
    folder = images.find(images.default_images_dir(), TASK_IMAGE_NAME)
    with build_log.open("wb") as output:
        return images.build(backend, folder, output=output)
