"""The container side of a koji buildroot: its spec, and the steps, queries and files run in it.

``buildroot_spec`` says how a buildroot container is made (labels, mounts, network, caps,
limits); ``ContainerSteps`` runs recorded steps in the started container with the task's logs
uploading meanwhile, runs queries whose output is data, says which commands need the network
(the steps that fetch from the koji repo or an SCM), and copies files in and out. Hub records
and the order of steps are ``koji_buildroot``'s and ``koji_rebuild``'s.
"""

from __future__ import annotations

import io
import shlex
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from adjutant.buildroot.packages import (
    INSTALLED_PKGS_LOG,
    RPMDB_QUERY_ARGV,
    InstalledPackage,
    parse_rpmdb_listing,
)
from adjutant.buildroot.provenance import IMAGE_LOG
from adjutant.buildroot.repo_config import RepoLocation, topdir_mount
from adjutant.buildroot.steps import StepRecord, StepRunner
from adjutant.config import AdjutantSettings, RepoAccess
from adjutant.container.backend import (
    ContainerBackend,
    ContainerSpec,
    Mount,
    NetworkMode,
    VolumeMount,
)
from adjutant.errors import BuildrootError, ContainerError
from adjutant.state import TaskRecorder
from adjutant.task_logs import LogUploader, uploading

ROLE = "buildroot"
# The build user's home, and rpmbuild's %_topdir in it (the task images' layout, as mock's).
BUILD_HOME = "/builddir"
TOPDIR = f"{BUILD_HOME}/build"
# kojid names its result logs after mock's; users, `koji watch-logs` and kojid's error hints
# look for these. mock_config.log holds our buildroot config (there is no mock).
MOCK_OUTPUT_LOG, CONFIG_LOG, STATE_LOG = "mock_output.log", "mock_config.log", "state.log"
ROOT_LOG, BUILD_LOG, HW_INFO_LOG = "root.log", "build.log", "hw_info.log"
LOG_NAMES = (MOCK_OUTPUT_LOG, CONFIG_LOG, STATE_LOG, ROOT_LOG, HW_INFO_LOG, BUILD_LOG,
             INSTALLED_PKGS_LOG, IMAGE_LOG)  # fmt: skip
# What dnf needs as root to install packages: set owners (CHOWN, FOWNER), write where file
# modes say no (DAC_OVERRIDE), keep setuid/setgid bits (FSETID), set file capabilities
# (SETFCAP). Everything else stays dropped; podman gives a non-root exec user none of them.
INSTALL_CAPS = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETFCAP")
QUERY_TIMEOUT_S = 300.0
# Seconds the log upload thread keeps going past a step's own deadline.
UPLOAD_GRACE_S = 60.0


def buildroot_spec(
    settings: AdjutantSettings,
    *,
    image: str,
    task_id: int,
    buildroot_id: int,
    location: RepoLocation | None,
    environment: Mapping[str, str],
    network_enabled: bool,
    needs_network: bool = False,
    extra_mounts: tuple[Mount, ...] = (),
) -> ContainerSpec:
    """The spec of a task's buildroot container.

    Network: a bridge only when packages come from topurl (attached just for the steps that
    fetch) or when build steps are to have network (``network_enabled``, the config value or
    the tag's override); in mount mode the topdir is bind-mounted read-only instead and no
    network exists at all. Without a ``location`` (a local rebuild's plain repos) no koji
    tree is reached: ``needs_network`` and ``extra_mounts`` say how the repos are.
    """
    mounts = list(settings.container_mounts)
    volumes: list[VolumeMount] = []
    if location is not None and location.access is RepoAccess.MOUNT:
        # The whole topdir: repo package hrefs go through the repo's toplink to packages/.
        # Its source as the container host sees it, for a worker that runs in a container:
        # a host path, or the named volume the worker has it from (koji-boxed's koji_storage).
        mount = settings.host_mount(topdir_mount(location))
        if isinstance(mount, VolumeMount):
            volumes.append(mount)
        else:
            mounts.append(mount)
    mounts += extra_mounts
    topurl = location is not None and location.access is RepoAccess.TOPURL
    bridge = topurl or network_enabled or needs_network
    return ContainerSpec(
        image=image,
        task_id=task_id,
        worker=settings.worker_name,
        role=ROLE,
        buildroot_id=buildroot_id,
        env=dict(environment),
        mounts=tuple(mounts),
        volumes=tuple(volumes),
        workdir=BUILD_HOME,
        network=NetworkMode.BRIDGE if bridge else NetworkMode.NONE,
        ulimits=settings.container_ulimits,
        limits=settings.resource_limits,
        cap_add=INSTALL_CAPS,
        stop_timeout_s=settings.stop_grace,
        # mock's root: the host's timezone, its own /etc/hosts and, without network, an
        # empty resolv.conf (root_files writes them)
        timezone="local",
        image_hosts=True,
        image_resolv_conf=not bridge,
        private_users=settings.container_userns,
    )


class ContainerSteps:
    """Steps, queries and file copies in one started buildroot container."""

    def __init__(
        self,
        backend: ContainerBackend,
        container_id: str,
        *,
        log_dir: Path,
        uploader: LogUploader,
        staging_dir: Path,
        bridge: bool,
        keep_network: bool,
        recorder: TaskRecorder | None = None,
    ) -> None:
        self.backend = backend
        self.container_id = container_id
        self.log_dir = log_dir
        self.uploader = uploader
        self.staging_dir = staging_dir
        self.bridge = bridge
        self.keep_network = keep_network  # network_enabled: build steps keep the bridge
        self.recorder = recorder
        self.runner = StepRunner(backend, container_id, log_dir / STATE_LOG, recorder)

    def run(
        self,
        name: str,
        argv: Sequence[str],
        log_name: str,
        *,
        user: str = "root",
        timeout_s: float | None = None,
        workdir: str = BUILD_HOME,
        fetches: bool = False,
    ) -> StepRecord:
        """Run one recorded step, its output appended to ``log_name``; logs upload meanwhile.

        A step that ``fetches`` (from the koji repo, an SCM) gets the network when the
        buildroot reaches those over one; other steps only with ``keep_network``.
        No other hub call may run during a step: the upload thread uses the task's session.

        Raises:
            ContainerError: the backend failed, or ContainerTimeout past ``timeout_s``.
        """
        deadline = None if timeout_s is None else timeout_s + UPLOAD_GRACE_S
        with uploading(self.uploader, deadline_s=deadline):
            return self.runner.run(name, tuple(argv), log_path=self.log_dir / log_name,
                                   user=user, workdir=workdir, timeout_s=timeout_s,
                                   network=self.network_for(fetches))  # fmt: skip

    def query(self, argv: Sequence[str], user: str | None = None) -> str:
        """The output of a command (root's unless ``user``) whose output is data, not a log.

        Raises:
            BuildrootError: it exited non-zero (its output is appended to root.log).
            ContainerError: the backend failed.
        """
        output = io.BytesIO()
        result = self.backend.exec(self.container_id, argv, output=output, user=user,
                                   timeout_s=QUERY_TIMEOUT_S,
                                   network=self.network_for(False))  # fmt: skip
        text = output.getvalue().decode(errors="replace")
        if result.exit_code != 0:
            with (self.log_dir / ROOT_LOG).open("a", encoding="utf-8") as root_log:
                root_log.write(f"{shlex.join(argv)} exited {result.exit_code}:\n{text}\n")
            raise BuildrootError(
                f"{argv[0]} exited with status {result.exit_code} in the buildroot; see root.log"
            )
        return text

    def memory_limit_hit(self) -> str | None:
        """The container's memory limit as text if its OOM killer ended a process, else None.

        Asked only after a step failed: the killed process is often a compiler under make,
        so the step's own exit status does not say it.
        """
        try:
            text = self.query(MEMORY_EVENTS_ARGV)
        except (BuildrootError, ContainerError):
            return None  # no cgroup view in the container: nothing to tell
        return memory_limit_text(text)

    def rpmdb(self) -> tuple[InstalledPackage, ...]:
        """Every package in the container's rpm database.

        Raises:
            BuildrootError: rpm failed or printed something unparsable.
        """
        return parse_rpmdb_listing(self.query(RPMDB_QUERY_ARGV))

    def network_for(self, fetches: bool) -> bool:
        """Whether a command gets the network: a fetching one when the buildroot has a
        bridge, every one with ``keep_network``."""
        return self.bridge and (fetches or self.keep_network)

    def install_files(self, files: Mapping[str, str]) -> None:
        """Write small text files (absolute path → text), owned by root, in few copies (an
        API round trip costs ~0.1 s): everything under /etc as one tree unpacked at / (its
        directories are root's anyway), any other file alone into its directory, whose owner
        and mode an unpacked directory entry would otherwise replace (/builddir is the build
        user's home)."""
        with tempfile.TemporaryDirectory(dir=self.staging_dir) as staging:
            tree = Path(staging) / "tree"
            for number, (target, text) in enumerate(files.items()):
                path = PurePosixPath(target)
                if not path.is_absolute() or ".." in path.parts or len(path.parts) < 3:
                    raise ValueError(f"not a file path under a top directory: {target!r}")
                if path.parts[1] == "etc":
                    staged = tree.joinpath(*path.parts[1:])
                    staged.parent.mkdir(parents=True, exist_ok=True)
                    staged.write_text(text)
                    continue
                alone = Path(staging) / str(number) / path.name
                alone.parent.mkdir()
                alone.write_text(text)
                self.backend.copy_in(self.container_id, alone, str(path.parent))
            if tree.is_dir():
                self.backend.copy_in(self.container_id, tree / "etc", "/")

    def copy_in(self, source: Path, target_dir: str) -> None:
        self.backend.copy_in(self.container_id, source, target_dir)

    def copy_out(self, source: str, target_dir: Path) -> None:
        """Copy ``source`` out of the container (results: a step on the dashboard's timeline)."""
        if self.recorder is None:
            self.backend.copy_out(self.container_id, source, target_dir)
            return
        with self.recorder.phase("copy-out"):
            self.backend.copy_out(self.container_id, source, target_dir)


# The container's OOM kill count and memory limit: cgroup v2 files, else v1's (runc hosts).
MEMORY_EVENTS_ARGV = (
    "sh", "-c",
    "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory.max 2>/dev/null"
    " || cat /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory/memory.limit_in_bytes",
)  # fmt: skip


def memory_limit_text(cgroup_files: str) -> str | None:
    """From the counters then the limit (v2: memory.events, memory.max; v1: memory.oom_control,
    memory.limit_in_bytes): the limit ("2048 MiB") if oom_kill is non-zero."""
    kills = 0
    limit = "none"
    for line in cgroup_files.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == "oom_kill" and fields[1].isdigit():
            kills = int(fields[1])
        elif len(fields) == 1:
            limit = fields[0]
    if kills == 0:
        return None
    if limit.isdigit():
        return f"{int(limit) >> 20} MiB"
    return limit


def note(log_dir: Path, message: str) -> None:
    """Append a time-stamped lifecycle line to mock_output.log."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with (log_dir / MOCK_OUTPUT_LOG).open("a", encoding="utf-8") as output:
        output.write(f"{stamp} {message}\n")
