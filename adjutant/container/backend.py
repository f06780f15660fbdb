"""The container interface buildroots program against, and its value types.

Only ``adjutant.container.podman`` talks to podman; everything else holds a
``ContainerBackend``. The interface stays small on purpose: add a method only when
a task family needs it. Labels are derived from explicit spec fields so that no
container can be created without the labels orphan sweeping relies on.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol

LABEL_PREFIX = "io.adjutant."
LABEL_TASK_ID = "io.adjutant.task-id"
LABEL_WORKER = "io.adjutant.worker"
LABEL_ROLE = "io.adjutant.role"
LABEL_BUILDROOT_ID = "io.adjutant.buildroot-id"

# Where exec output goes: an open binary file, or a callback fed each chunk as it arrives.
OutputSink = BinaryIO | Callable[[bytes], None]


def name_part(text: str) -> str:
    """``text`` in the characters podman allows in a container name ([a-zA-Z0-9_.-])."""
    return re.sub(r"[^a-zA-Z0-9_.-]", "_", text) or "_"


def emit(output: OutputSink | None, chunk: bytes) -> None:
    """Hand one chunk of output to ``output`` (flushed, so log tails see it at once)."""
    if output is None:
        return
    if callable(output):
        output(chunk)
    else:
        output.write(chunk)
        output.flush()


class NetworkMode(enum.StrEnum):
    NONE = "none"
    BRIDGE = "bridge"


class PullPolicy(enum.StrEnum):
    IF_NOT_PRESENT = "if-not-present"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True)
class Mount:
    """A bind mount. Read-only unless asked; no SELinux relabel unless asked."""

    source: Path
    target: str
    read_only: bool = True
    # "" leaves labels alone; "z" shares the relabelled content, "Z" makes it private.
    selinux_relabel: str = ""


@dataclass(frozen=True)
class VolumeMount:
    """A podman named volume, mounted whole (podman 4 cannot mount part of a volume)."""

    name: str
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class Tmpfs:
    target: str
    size_bytes: int | None = None
    mode: int = 0o1777


@dataclass(frozen=True)
class Ulimit:
    name: str  # e.g. "nofile", "nproc"
    soft: int
    hard: int


@dataclass(frozen=True)
class ResourceLimits:
    memory_bytes: int | None = None
    cpus: float | None = None
    pids: int | None = None

    # A build needs many processes (make -j, test suites) but not a fork bomb's.
    DEFAULT_PIDS: ClassVar[int] = 16384

    @classmethod
    def for_host(cls) -> ResourceLimits:
        """The default limits of a buildroot on this machine: 3/4 of its memory (the rest
        keeps the worker, podman and the dashboard alive when a build runs away), all its
        CPUs, DEFAULT_PIDS processes."""
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return cls(memory_bytes=memory * 3 // 4, cpus=float(os.cpu_count() or 1),
                   pids=cls.DEFAULT_PIDS)  # fmt: skip


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to create one container; translated to podman in one place."""

    image: str
    task_id: int
    worker: str
    role: str
    argv: tuple[str, ...] = ("sleep", "infinity")
    name: str | None = None  # default: adjutant-<worker>-<task_id>-<role>
    buildroot_id: int | None = None
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    volumes: tuple[VolumeMount, ...] = ()
    tmpfs: tuple[Tmpfs, ...] = ()
    user: str | None = None
    workdir: str | None = None
    network: NetworkMode = NetworkMode.NONE
    ulimits: tuple[Ulimit, ...] = ()
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    cap_drop: tuple[str, ...] = ("ALL",)
    cap_add: tuple[str, ...] = ()
    read_only_root: bool = False
    # A private user namespace (podman userns=auto, ranges from /etc/subuid for the user
    # "containers"): root and the build user inside are unused, unprivileged ids outside.
    private_users: bool = False
    # setuid/setgid binaries and file capabilities grant nothing (no_new_privs).
    no_new_privileges: bool = True
    # Seconds between SIGTERM and SIGKILL when the container is stopped.
    stop_timeout_s: int = 10
    # Run podman's init (catatonit) as PID 1: it passes SIGTERM on, so a stop takes as long
    # as the processes need, not always the whole stop timeout (a bare `sleep` as PID 1
    # ignores SIGTERM), and it reaps zombies left by exec'd build steps.
    init: bool = True
    # podman's --tz: "local" is the host's zone (mock copies the host's /etc/localtime).
    timezone: str | None = None
    # podman writes no /etc/hosts (or /etc/resolv.conf): the image's stays, or the one the
    # caller copies in, as mock writes its own into a root without network.
    image_hosts: bool = False
    image_resolv_conf: bool = False

    def __post_init__(self) -> None:
        # Specs are built by our own code, never from task input: a bad one is a programming
        # error, so ValueError (not a koji fault) is the right signal.
        for key in self.extra_labels:
            if key.startswith(LABEL_PREFIX):
                raise ValueError(f"label {key!r} is in the reserved {LABEL_PREFIX} namespace")
        names = {ulimit.name for ulimit in self.ulimits}
        if names and not {"nofile", "nproc"} <= names:
            # podman drops containers.conf's default_ulimits as soon as one ulimit is given and
            # sets nofile/nproc to 1048576, which runc cannot apply where the hard limit is lower.
            raise ValueError("ulimits must name both nofile and nproc when any is given")
        for mount in self.mounts:
            if mount.selinux_relabel not in ("", "z", "Z"):
                raise ValueError(f"mount {mount.target}: selinux_relabel must be '', 'z' or 'Z'")

    @property
    def container_name(self) -> str:
        # The worker is part of the name: two workers sharing one podman service (two hubs,
        # or the appliance on a shared host) see overlapping task ids.
        return self.name or f"adjutant-{name_part(self.worker)}-{self.task_id}-{self.role}"

    @property
    def labels(self) -> dict[str, str]:
        labels = {
            LABEL_TASK_ID: str(self.task_id),
            LABEL_WORKER: self.worker,
            LABEL_ROLE: self.role,
        }
        if self.buildroot_id is not None:
            labels[LABEL_BUILDROOT_ID] = str(self.buildroot_id)
        labels.update(self.extra_labels)
        return labels


@dataclass(frozen=True)
class ExecResult:
    argv: tuple[str, ...]
    exit_code: int
    duration_s: float


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    image: str
    status: str  # podman's state: "created", "running", "exited", ...
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ImageInfo:
    """What a task records about the image its buildroot ran (provenance)."""

    id: str
    digest: str
    tags: tuple[str, ...]
    labels: Mapping[str, str]
    size_bytes: int = 0


class ContainerBackend(Protocol):
    """What a buildroot may ask of a container engine. Errors are ContainerError subclasses.

    The smallest interface the buildroots, the worker's sweep and the image tools need;
    tests/integration/test_backend_contract.py holds every implementation to it.
    """

    def image_exists(self, image: str) -> bool: ...

    def ensure_image(self, image: str, policy: PullPolicy, timeout_s: float) -> str:
        """Make ``image`` present according to ``policy``; return its image id."""
        ...

    def inspect_image(self, image: str) -> ImageInfo:
        """Id, digest, tags and labels of a local image. Missing -> ImageMissing."""
        ...

    def build_image(
        self,
        context_dir: Path,
        containerfile: str,
        tag: str,
        *,
        labels: Mapping[str, str],
        build_args: Mapping[str, str],
        output: OutputSink | None,
        timeout_s: float,
    ) -> str:
        """Build ``containerfile`` (relative to ``context_dir``) as ``tag``; return the image id.

        Build output streams to ``output`` while the build runs.
        """
        ...

    def commit(self, container_id: str, image: str, labels: Mapping[str, str]) -> str:
        """Save the container's file system as the local image ``image``; return its id.
        (The buildroot cache.)"""
        ...

    def remove_image(self, image: str) -> None:
        """Remove a local image this worker made. Missing is fine; in use -> ContainerError."""
        ...

    def create(self, spec: ContainerSpec) -> str:
        """Create (not start) a container; return its id."""
        ...

    def start(self, container_id: str) -> None: ...

    def exec(
        self,
        container_id: str,
        argv: Sequence[str],
        *,
        output: OutputSink | None = None,
        user: str | None = None,
        workdir: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        network: bool = False,
    ) -> ExecResult:
        """Run argv in the container, streaming stdout+stderr to ``output``.

        A non-zero exit is a result, not an error; running past ``timeout_s`` raises
        ContainerTimeout after the command was killed. With a deadline the image must
        provide coreutils ``timeout``; ``None`` waits as long as the command runs.

        ``network`` says what the command needs: True, the network of a container created
        with ``NetworkMode.BRIDGE`` (asking it of any other container is a ContainerError);
        False, none at all. How the engine gives or takes it (podman attaches and detaches
        the bridge between commands) is the backend's business.
        """
        ...

    def copy_in(self, container_id: str, source: Path, target_dir: str) -> None:
        """Copy a host file or directory into ``target_dir`` in the container (created if missing).

        Copied entries are owned by root and keep their mode bits.
        """
        ...

    def copy_out(self, container_id: str, source: str, target_dir: Path) -> None:
        """Copy a file or directory from the container into host ``target_dir``.

        Entries with absolute or ``..`` names, links leaving ``target_dir`` and device
        files are refused (ContainerError); ownership is not restored.
        """
        ...

    def remove(self, container_id: str) -> None:
        """Remove the container, killing it first if it runs. Missing -> ContainerNotFound.

        There is no grace period: the buildroot is done with it, or the task was cancelled.
        """
        ...

    def list(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        """Containers (running or not) carrying all of ``labels``."""
        ...
