"""The container side of a koji buildroot: its spec, and the steps, queries and files run in it.

``buildroot_spec`` says how a buildroot container is made (labels, mounts, network, caps,
limits); ``ContainerSteps`` runs recorded steps in the started container with the task's logs
uploading meanwhile, runs queries whose output is data, switches the bridge for the steps that
fetch from the koji repo, and copies files in and out. Hub records and the order of steps are
``koji_buildroot``'s and ``koji_rebuild``'s.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath

from adjutant.buildroot.packages import (
    INSTALLED_PKGS_LOG,
    RPMDB_QUERY_ARGV,
    InstalledPackage,
    parse_rpmdb_listing,
)
from adjutant.buildroot.provenance import IMAGE_LOG
from adjutant.buildroot.rebuild import BUILD_HOME
from adjutant.buildroot.repo_config import RepoLocation, topdir_mount
from adjutant.buildroot.steps import StepRecord, StepRunner
from adjutant.config import AdjutantSettings, RepoAccess
from adjutant.container.backend import ContainerBackend, ContainerSpec, Mount, NetworkMode
from adjutant.errors import BuildrootError
from adjutant.task_logs import LogUploader, uploading

ROLE = "buildroot"
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
    location: RepoLocation,
    environment: Mapping[str, str],
    network_enabled: bool,
    needs_network: bool = False,
    extra_mounts: tuple[Mount, ...] = (),
) -> ContainerSpec:
    """The spec of a task's buildroot container.

    Network: a bridge only when packages come from topurl (attached just for the steps that
    fetch) or when build steps are to have network (``network_enabled``, the config value or
    the tag's override); in mount mode the topdir is bind-mounted read-only instead and no
    network exists at all.
    """
    mounts = list(settings.container_mounts)
    if location.access is RepoAccess.MOUNT:
        # The whole topdir: repo package hrefs go through the repo's toplink to packages/.
        # Its source as the container host sees it, for a worker that runs in a container.
        mount = topdir_mount(location)
        mounts.append(Mount(settings.host_path(mount.source), mount.target, read_only=True))
    mounts += extra_mounts
    bridge = location.access is RepoAccess.TOPURL or network_enabled or needs_network
    return ContainerSpec(
        image=image,
        task_id=task_id,
        worker=settings.worker_name,
        role=ROLE,
        buildroot_id=buildroot_id,
        env=dict(environment),
        mounts=tuple(mounts),
        workdir=BUILD_HOME,
        network=NetworkMode.BRIDGE if bridge else NetworkMode.NONE,
        ulimits=settings.container_ulimits,
        limits=settings.resource_limits,
        cap_add=INSTALL_CAPS,
        stop_timeout_s=settings.stop_grace,
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
    ) -> None:
        self.backend = backend
        self.container_id = container_id
        self.log_dir = log_dir
        self.uploader = uploader
        self.staging_dir = staging_dir
        self.bridge = bridge
        self.keep_network = keep_network  # network_enabled: build steps keep the bridge
        self.runner = StepRunner(backend, container_id, log_dir / STATE_LOG)

    def run(
        self,
        name: str,
        argv: Sequence[str],
        log_name: str,
        *,
        user: str = "root",
        timeout_s: float | None = None,
        workdir: str = BUILD_HOME,
    ) -> StepRecord:
        """Run one recorded step, its output appended to ``log_name``; logs upload meanwhile.

        No other hub call may run during a step: the upload thread uses the task's session.

        Raises:
            ContainerError: the backend failed, or ContainerTimeout past ``timeout_s``.
        """
        deadline = None if timeout_s is None else timeout_s + UPLOAD_GRACE_S
        with uploading(self.uploader, deadline_s=deadline):
            return self.runner.run(name, tuple(argv), log_path=self.log_dir / log_name,
                                   user=user, workdir=workdir, timeout_s=timeout_s)  # fmt: skip

    def query(self, argv: Sequence[str], user: str | None = None) -> str:
        """The output of a command (root's unless ``user``) whose output is data, not a log.

        Raises:
            BuildrootError: it exited non-zero (its output is appended to root.log).
            ContainerError: the backend failed.
        """
        output = io.BytesIO()
        result = self.backend.exec(self.container_id, argv, output=output, user=user,
                                   timeout_s=QUERY_TIMEOUT_S)  # fmt: skip
        text = output.getvalue().decode(errors="replace")
        if result.exit_code != 0:
            with (self.log_dir / ROOT_LOG).open("a", encoding="utf-8") as root_log:
                root_log.write(f"{shlex.join(argv)} exited {result.exit_code}:\n{text}\n")
            raise BuildrootError(
                f"{argv[0]} exited with status {result.exit_code} in the buildroot; see root.log"
            )
        return text

    def rpmdb(self) -> tuple[InstalledPackage, ...]:
        """Every package in the container's rpm database.

        Raises:
            BuildrootError: rpm failed or printed something unparsable.
        """
        return parse_rpmdb_listing(self.query(RPMDB_QUERY_ARGV))

    def set_network(self, enabled: bool) -> None:
        """Attach or detach the bridge (if there is one; kept with ``keep_network``)."""
        if self.bridge and (enabled or not self.keep_network):
            self.backend.set_network(self.container_id, enabled)

    @contextlib.contextmanager
    def network(self) -> Iterator[None]:
        """The bridge attached for the ``with`` body: the steps that fetch from the repo."""
        self.set_network(True)
        yield
        self.set_network(False)

    def install_text(self, text: str, target: str) -> None:
        """Write ``text`` as the file ``target`` in the container (owned by root)."""
        self.install_files({target: text})

    def install_files(self, files: Mapping[str, str]) -> None:
        """Write small text files (absolute path → text), owned by root: one copy per top
        directory (an API round trip costs ~0.1 s), staged as a tree and unpacked at /."""
        tops: dict[str, Path] = {}
        with tempfile.TemporaryDirectory(dir=self.staging_dir) as tree:
            for target, text in files.items():
                path = PurePosixPath(target)
                if not path.is_absolute() or ".." in path.parts or len(path.parts) < 3:
                    raise ValueError(f"not a file path under a top directory: {target!r}")
                staged = Path(tree).joinpath(*path.parts[1:])
                staged.parent.mkdir(parents=True, exist_ok=True)
                staged.write_text(text)
                tops[path.parts[1]] = Path(tree) / path.parts[1]
            for top in tops.values():
                self.backend.copy_in(self.container_id, top, "/")

    def copy_in(self, source: Path, target_dir: str) -> None:
        self.backend.copy_in(self.container_id, source, target_dir)

    def copy_out(self, source: str, target_dir: Path) -> None:
        self.backend.copy_out(self.container_id, source, target_dir)


def note(log_dir: Path, message: str) -> None:
    """Append a time-stamped lifecycle line to mock_output.log."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with (log_dir / MOCK_OUTPUT_LOG).open("a", encoding="utf-8") as output:
        output.write(f"{stamp} {message}\n")
