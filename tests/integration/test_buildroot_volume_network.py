"""Buildroots of a worker that runs in a container: the hub's files from a named volume (as
koji-boxed's koji_storage), and network through a named podman network (a compose network)."""

from __future__ import annotations

import dataclasses
import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_container_podman import make_spec, run, running, unique_task_id

from adjutant.buildroot.container_steps import buildroot_spec
from adjutant.buildroot.repo_config import TOPDIR_MOUNT_TARGET, RepoLocation
from adjutant.config import AdjutantSettings, RepoAccess
from adjutant.config.kinds import VolumeMapping
from adjutant.container.backend import ContainerSpec, NetworkMode, VolumeMount
from adjutant.container.podman import PodmanBackend
from adjutant.errors import ConfigError

WORKER_TOPDIR = Path("/mnt/koji-in-the-worker")  # no such path on this host, on purpose


def podman(*argv: str) -> str:
    return subprocess.run(["podman", *argv], capture_output=True, text=True, check=True,
                          timeout=120).stdout  # fmt: skip


def in_base_image(spec: ContainerSpec) -> ContainerSpec:
    """The buildroot spec, run in the plain base image (it has no build home)."""
    return dataclasses.replace(spec, workdir="/")


@pytest.fixture
def volume(base_image: str) -> Iterator[str]:
    """A named volume holding /marker, removed afterwards."""
    name = f"adjutant-test-vol-{secrets.token_hex(4)}"
    podman("volume", "create", name)
    try:
        podman("run", "--rm", "--network", "none", "-v", f"{name}:/data", base_image,
               "sh", "-c", "echo from-the-volume > /data/marker")  # fmt: skip
        yield name
    finally:
        podman("volume", "rm", "--force", name)


@pytest.fixture
def network() -> Iterator[str]:
    name = f"adjutant-test-net-{secrets.token_hex(4)}"
    podman("network", "create", name)
    try:
        yield name
    finally:
        podman("network", "rm", "--force", name)


def test_the_topdir_comes_from_the_named_volume_read_only(
    podman_backend: PodmanBackend, base_image: str, worker_label: str, volume: str
) -> None:
    mapping = VolumeMapping(WORKER_TOPDIR, volume)
    settings = AdjutantSettings(worker_name=worker_label, host_volume_map=(mapping,))
    spec = buildroot_spec(
        settings, image=base_image, task_id=unique_task_id(), buildroot_id=1,
        location=RepoLocation(RepoAccess.MOUNT, topdir=WORKER_TOPDIR), environment={},
        network_enabled=False,
    )  # fmt: skip
    assert spec.volumes == (VolumeMount(volume, TOPDIR_MOUNT_TARGET, read_only=True),)
    assert all(mount.target != TOPDIR_MOUNT_TARGET for mount in spec.mounts)

    with running(podman_backend, in_base_image(spec)) as container_id:
        read, text = run(podman_backend, container_id, "cat", f"{TOPDIR_MOUNT_TARGET}/marker")
        write, error = run(podman_backend, container_id, "touch", f"{TOPDIR_MOUNT_TARGET}/new")
        mounts = json.loads(podman("inspect", "--format", "{{json .Mounts}}", container_id))

    assert (read.exit_code, text) == (0, "from-the-volume\n")
    assert write.exit_code != 0 and "Read-only file system" in error
    assert [
        (m["Type"], m["Name"], m["RW"]) for m in mounts if m["Destination"] == TOPDIR_MOUNT_TARGET
    ] == [("volume", volume, False)]


def test_a_path_inside_a_mapped_volume_is_refused_naming_the_volume(volume: str) -> None:
    settings = AdjutantSettings(host_volume_map=(VolumeMapping(WORKER_TOPDIR, volume),))
    with pytest.raises(ConfigError, match=f"lies inside volume {volume}"):
        buildroot_spec(
            settings, image="img", task_id=1, buildroot_id=1,
            location=RepoLocation(RepoAccess.MOUNT, topdir=WORKER_TOPDIR / "repos"),
            environment={}, network_enabled=False,
        )  # fmt: skip


def test_bridged_buildroots_join_the_named_network_and_leave_it(
    podman_url: str, base_image: str, worker_label: str, network: str
) -> None:
    backend = PodmanBackend(podman_url, retry_attempts=2, retry_delay_s=0.5, network=network)
    settings = AdjutantSettings(worker_name=worker_label, buildroot_network=network)
    spec = buildroot_spec(
        settings, image=base_image, task_id=unique_task_id(), buildroot_id=1,
        location=RepoLocation(RepoAccess.TOPURL, topurls=("http://koji-hub.koji.box/kojifiles",)),
        environment={}, network_enabled=False,
    )  # fmt: skip
    assert spec.network is NetworkMode.BRIDGE

    def networks(container_id: str) -> set[str]:
        text = podman("inspect", "--format", "{{json .NetworkSettings.Networks}}", container_id)
        return set(json.loads(text) or {})

    with running(backend, in_base_image(spec)) as container_id:
        joined = networks(container_id)
        # a command without network detaches the bridge; one that needs it attaches it again
        assert backend.exec(container_id, ("true",), timeout_s=60).exit_code == 0
        left = networks(container_id)
        _, devices = run(backend, container_id, "cat", "/proc/net/dev", network=True)
        rejoined = networks(container_id)

    assert (joined, left, rejoined) == ({network}, set(), {network})
    assert "eth0" in devices


def test_without_a_named_network_the_bridge_is_podmans_own(
    podman_backend: PodmanBackend, base_image: str, worker_label: str
) -> None:
    spec = make_spec(base_image, worker_label, role="net", network=NetworkMode.BRIDGE)
    with running(podman_backend, spec) as container_id:
        text = podman("inspect", "--format", "{{json .NetworkSettings.Networks}}", container_id)
    assert set(json.loads(text)) == {"podman"}
