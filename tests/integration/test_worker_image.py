"""The worker appliance image: built from the Containerfile, it drives the host's podman
through a mounted API socket, and refuses to start without one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testcontainers.core.container import DockerContainer

from tests.support.worker_image import worker_image as shared_worker_image

pytestmark = pytest.mark.integration

EXIT_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def worker_image() -> str:
    return shared_worker_image()  # one build per test process, shared with tests/appliance


@pytest.fixture
def testcontainers_on_private_podman(
    podman_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point testcontainers at the suite's private podman service; yields its socket path."""
    monkeypatch.setenv("DOCKER_HOST", podman_url)
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")  # its image cannot be pulled
    yield Path(podman_url.removeprefix("unix://"))


def run_to_exit(container: DockerContainer) -> tuple[int, str]:
    """Start ``container``, wait for its command to end, return exit status and output."""
    container.start()
    try:
        status = container.get_wrapped_container().wait(timeout=EXIT_TIMEOUT_S)["StatusCode"]
        stdout, stderr = container.get_logs()
        return int(status), (stdout + stderr).decode(errors="replace")
    finally:
        container.stop()


def test_worker_container_starts_build_containers_through_the_mounted_socket(
    worker_image: str, task_image: str, testcontainers_on_private_podman: Path
) -> None:
    container = (
        DockerContainer(worker_image)
        .with_volume_mapping(str(testcontainers_on_private_podman), "/run/podman/podman.sock", "rw")
        .with_command("images verify debian-bookworm")
    )
    status, output = run_to_exit(container)
    assert status == 0, output
    assert f"{task_image}: meets the contract" in output


def test_worker_container_without_a_socket_says_what_to_mount(
    worker_image: str, testcontainers_on_private_podman: Path
) -> None:
    status, output = run_to_exit(DockerContainer(worker_image).with_command("worker --fg"))
    assert status == 2
    assert "no podman API socket at /run/podman/podman.sock" in output


def test_worker_container_refuses_a_bad_configuration_naming_each_problem(
    worker_image: str, testcontainers_on_private_podman: Path
) -> None:
    container = (
        DockerContainer(worker_image)
        .with_volume_mapping(str(testcontainers_on_private_podman), "/run/podman/podman.sock", "rw")
        .with_env("KOJI_ADJUTANT_KOJID_SERVER", "not-a-url")
        .with_env("KOJI_ADJUTANT_KOJID_MAXJOBS", "many")
        .with_command("worker --fg")
    )
    status, output = run_to_exit(container)
    assert status == 2
    assert "KOJI_ADJUTANT_KOJID_SERVER" in output and "not-a-url" in output
    assert "topurl is required" in output
