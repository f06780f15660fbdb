"""ContainerSpec rules and their translation into podman-py create arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
from podman.domain.containers_create import CreateMixin

from adjutant.container.backend import (
    LABEL_BUILDROOT_ID,
    LABEL_ROLE,
    LABEL_TASK_ID,
    LABEL_WORKER,
    ContainerSpec,
    Mount,
    NetworkMode,
    ResourceLimits,
    Tmpfs,
    Ulimit,
    VolumeMount,
)
from adjutant.container.podman import EXEC_KILL_AFTER_S, create_kwargs, exec_argv


def full_spec() -> ContainerSpec:
    return ContainerSpec(
        image="localhost/adjutant/fedora:41",
        task_id=123,
        worker="builder-1",
        role="build",
        argv=("sleep", "infinity"),
        buildroot_id=7,
        extra_labels={"org.example": "yes"},
        env={"LANG": "C.UTF-8"},
        mounts=(
            Mount(Path("/srv/in"), "/in"),
            Mount(Path("/srv/work"), "/work", read_only=False, selinux_relabel="Z"),
        ),
        tmpfs=(Tmpfs("/tmp", size_bytes=1 << 20), Tmpfs("/run", mode=0o755)),
        user="kojibuilder",
        workdir="/builddir",
        network=NetworkMode.BRIDGE,
        volumes=(
            VolumeMount("koji-boxed_koji_storage", "/mnt/koji"),
            VolumeMount("cache", "/var/cache/dnf", read_only=False),
        ),
        ulimits=(Ulimit("nofile", 1024, 2048), Ulimit("nproc", 4096, 4096)),
        limits=ResourceLimits(memory_bytes=512 << 20, cpus=1.5, pids=256),
        cap_drop=("ALL",),
        cap_add=("CHOWN",),
        read_only_root=True,
        stop_timeout_s=30,
        timezone="local",
        image_hosts=True,
        image_resolv_conf=True,
        private_users=True,
    )


def test_every_spec_field_reaches_the_create_arguments() -> None:
    assert create_kwargs(full_spec()) == {
        "image": "localhost/adjutant/fedora:41",
        "command": ["sleep", "infinity"],
        "entrypoint": [],
        "name": "adjutant-builder-1-123-build",
        "labels": {
            LABEL_TASK_ID: "123",
            LABEL_WORKER: "builder-1",
            LABEL_ROLE: "build",
            LABEL_BUILDROOT_ID: "7",
            "org.example": "yes",
        },
        "environment": {"LANG": "C.UTF-8"},
        "mounts": [
            {"type": "bind", "source": "/srv/in", "target": "/in", "read_only": True},
            {
                "type": "bind",
                "source": "/srv/work",
                "target": "/work",
                "read_only": False,
                "relabel": "Z",
            },
            {
                "type": "tmpfs",
                "source": "tmpfs",
                "target": "/tmp",
                "mode": "1777",
                "size": "1048576",
            },
            {"type": "tmpfs", "source": "tmpfs", "target": "/run", "mode": "755"},
            {"type": "tmpfs", "source": "tmpfs", "target": "/dev/shm", "mode": "1777"},
        ],
        "network_mode": "bridge",
        "networks": {"podman": {}},
        "volumes": {
            "koji-boxed_koji_storage": {"bind": "/mnt/koji", "mode": "ro"},
            "cache": {"bind": "/var/cache/dnf", "mode": "rw"},
        },
        "ulimits": [
            {"Name": "nofile", "Soft": 1024, "Hard": 2048},
            {"Name": "nproc", "Soft": 4096, "Hard": 4096},
        ],
        "cap_drop": ["ALL"],
        "cap_add": ["CHOWN"],
        "privileged": False,
        "read_only": True,
        "no_new_privileges": True,
        "stop_timeout": 30,
        "init": True,
        "timezone": "local",
        "use_image_hosts": True,
        "use_image_resolve_conf": True,
        "user": "kojibuilder",
        "working_dir": "/builddir",
        "mem_limit": 512 << 20,
        "memswap_limit": 512 << 20,
        "cpu_period": 100_000,
        "cpu_quota": 150_000,
        "pids_limit": 256,
        "userns_mode": "auto",
        "idmappings": {"AutoUserNs": True},
        "ipc_mode": "none",
    }


def test_minimal_spec_is_least_privilege() -> None:
    kwargs = create_kwargs(ContainerSpec(image="img", task_id=5, worker="w", role="srpm"))
    assert kwargs["network_mode"] == "none"
    assert kwargs["cap_drop"] == ["ALL"] and kwargs["cap_add"] == []
    assert kwargs["privileged"] is False
    assert kwargs["mounts"] == [] and kwargs["ulimits"] == [] and kwargs["volumes"] == {}
    assert kwargs["no_new_privileges"] is True
    assert "networks" not in kwargs
    for absent in ("user", "working_dir", "mem_limit", "cpu_quota", "pids_limit", "userns_mode"):
        assert absent not in kwargs


def test_a_bridged_container_joins_the_backends_named_network() -> None:
    spec = ContainerSpec(image="img", task_id=5, worker="w", role="build",
                         network=NetworkMode.BRIDGE)  # fmt: skip
    kwargs = create_kwargs(spec, network="koji-boxed_koji-network")
    assert kwargs["network_mode"] == "bridge"
    assert kwargs["networks"] == {"koji-boxed_koji-network": {}}
    for absent in ("user", "working_dir", "mem_limit", "cpu_quota", "pids_limit"):
        assert absent not in kwargs


def test_podman_py_accepts_the_arguments_and_renders_the_payload_we_mean() -> None:
    # podman-py's own renderer (what containers.create sends) must take every key we pass.
    payload = CreateMixin._render_payload(create_kwargs(full_spec()))
    assert payload["netns"] == {"nsmode": "bridge"}
    assert payload["mounts"][0]["options"] == ["ro"]
    assert payload["mounts"][1]["options"] == ["Z"]
    assert payload["mounts"][2]["options"] == ["mode=1777", "size=1048576"]
    assert payload["r_limits"][0] == {"type": "nofile", "soft": 1024, "hard": 2048}
    assert payload["resource_limits"]["memory"]["limit"] == 512 << 20
    assert payload["resource_limits"]["pids"] == {"limit": 256}
    assert payload["resource_limits"]["cpu"]["quota"] == 150_000
    assert payload["read_only_filesystem"] is True
    assert payload["work_dir"] == "/builddir"
    assert payload["userns"] == {"nsmode": "auto"}
    assert payload["idmappings"] == {"AutoUserNs": True}
    assert payload["no_new_privileges"] is True


def test_default_name_is_adjutant_worker_task_role_unless_named() -> None:
    assert ContainerSpec(image="i", task_id=9, worker="w", role="srpm").container_name == (
        "adjutant-w-9-srpm"
    )
    # a worker name podman would refuse in a container name is made safe, not rejected
    odd = ContainerSpec(image="i", task_id=9, worker="host/1 a", role="srpm")
    assert odd.container_name == "adjutant-host_1_a-9-srpm"
    named = ContainerSpec(image="i", task_id=9, worker="w", role="srpm", name="custom")
    assert named.container_name == "custom"


def test_labels_carry_task_worker_role_and_only_then_buildroot() -> None:
    spec = ContainerSpec(image="i", task_id=9, worker="w", role="srpm")
    assert spec.labels == {LABEL_TASK_ID: "9", LABEL_WORKER: "w", LABEL_ROLE: "srpm"}


def test_extra_labels_in_the_reserved_namespace_are_refused() -> None:
    with pytest.raises(ValueError, match="reserved"):
        ContainerSpec(
            image="i", task_id=1, worker="w", role="r", extra_labels={LABEL_WORKER: "spoof"}
        )


def test_a_lone_ulimit_is_refused_because_podman_would_reset_the_others() -> None:
    with pytest.raises(ValueError, match="nofile and nproc"):
        ContainerSpec(image="i", task_id=1, worker="w", role="r", ulimits=(Ulimit("nofile", 1, 2),))


def test_unknown_selinux_relabel_is_refused() -> None:
    with pytest.raises(ValueError, match="selinux_relabel"):
        ContainerSpec(
            image="i", task_id=1, worker="w", role="r", mounts=(Mount(Path("/a"), "/b", True, "x"),)
        )


def test_exec_argv_wraps_in_coreutils_timeout_only_with_a_deadline() -> None:
    assert exec_argv(("rpmbuild", "-bb", "x.spec"), None) == ("rpmbuild", "-bb", "x.spec")
    assert exec_argv(("rpmbuild", "--version"), 90) == (
        "timeout",
        f"--kill-after={EXEC_KILL_AFTER_S}s",
        "90.000s",
        "rpmbuild",
        "--version",
    )
