"""One koji buildroot in a podman container, as the hub sees kojid's mock buildroots.

``KojiBuildroot`` owns the hub's buildroot record (``newBuildRoot`` → INIT → BUILDING →
EXPIRED, with the package lists), the container's lifetime and the buildroot's log files in
the task's work dir, uploaded while steps run. Entering it prepares the buildroot up to
``setBuildRootList``; ``build`` rebuilds an SRPM (``koji_rebuild``); leaving it removes the
container and expires the record, on success and failure. On cancellation (SIGINT, or the
SystemExit of SIGTERM) only local cleanup runs: the worker loop expires buildroots whose task
is gone. The container side is ``container_steps``; choosing the image and checking and
uploading results are the task handler's job. It runs a little past 400 lines on purpose: the
hub record, the container and the logs share one ExitStack, whose order is the point.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import koji

from adjutant.buildroot import hub_listing
from adjutant.buildroot.build_config import (
    BuildHostOptions,
    BuildSettings,
    build_settings,
    login_environment,
    target_arch_for,
)
from adjutant.buildroot.cache import BuildrootCache, CachedBuildroot, CacheKey
from adjutant.buildroot.container_steps import (
    BUILD_HOME,
    CONFIG_LOG,
    HW_INFO_LOG,
    LOG_NAMES,
    QUERY_TIMEOUT_S,
    ROOT_LOG,
    TOPDIR,
    ContainerSteps,
    buildroot_spec,
    note,
)
from adjutant.buildroot.koji_rebuild import RebuildOptions, rebuild_srpm, regenerate_srpm
from adjutant.buildroot.local_repos import LocalRepos
from adjutant.buildroot.macros import MACROS_FILE, buildhost, render_macros
from adjutant.buildroot.network_policy import build_network
from adjutant.buildroot.packages import (
    INSTALLED_PKGS_LOG,
    InstalledPackage,
    added_packages,
    buildroot_listing,
    render_installed_pkgs,
)
from adjutant.buildroot.provenance import IMAGE_LOG, render_image_log
from adjutant.buildroot.repo_config import DNF_CONF_PATH, RepoConfig, RepoLocation, repo_config
from adjutant.buildroot.root_files import root_files
from adjutant.buildroot.scm_checkout import (
    CHECKOUT_LOG,
    SCM,
    build_srpm,
    check_out,
    check_spec,
    checkout_of,
    find_spec,
)
from adjutant.buildroot.steps import StepRecord
from adjutant.config import RepoAccess, Settings
from adjutant.container.backend import ContainerBackend, ImageInfo, Mount, NetworkMode
from adjutant.errors import BuildrootError, ContainerError
from adjutant.state import Recorder, TaskRecorder
from adjutant.task_logs import LogUploader, UploadSession

log = logging.getLogger(__name__)

INIT, BUILDING, EXPIRED = "INIT", "BUILDING", "EXPIRED"
DNF_TIMEOUT_S = 3600.0
# mock's hw_info plugin records the machine the build ran on; these read it from inside.
# One step, not three (each exec is an API round trip): the script is constant, the build
# home its argument.
HW_INFO_ARGV = ("sh", "-c", 'lscpu; cat /proc/meminfo; df -h "$1"', "hw-info", BUILD_HOME)


class BuildrootHost(Protocol):
    """The ``host.*`` calls of a buildroot (koji's names and signatures)."""

    def newBuildRoot(self, repo: int, arch: str, task_id: int | None = None) -> int: ...

    def setBuildRootState(self, brootid: int, state: str) -> None: ...

    def setBuildRootList(self, brootid: int, rpmlist: list[dict[str, object]]) -> None: ...

    def updateBuildRootList(self, brootid: int, rpmlist: list[dict[str, object]]) -> None: ...


class BuildrootHub(hub_listing.ListingHub, UploadSession, Protocol):
    """The hub session a buildroot uses: koji's ClientSession, or a fake in tests."""

    @property
    def host(self) -> BuildrootHost: ...

    def repoInfo(  # koji's name
        self, repo_info: int, strict: bool = False
    ) -> Mapping[str, object] | None: ...

    def getBuildConfig(  # koji's name
        self, tag: int | str, event: int | None = None
    ) -> Mapping[str, object] | None: ...


@dataclass(frozen=True)
class BuildrootRequest:
    task_id: int
    tag: int | str  # the build tag, by id or name, as the task gives it
    arch: str  # the buildroot's arch: the task's, or the one chosen for a noarch task
    repo_id: int
    image: str
    work_dir: Path  # the task's work dir; logs/ and result/ are made in it
    # "srpm-build" for SRPM tasks; None installs no group (plain local repos have no comps).
    install_group: str | None = "build"
    image_reason: str = ""  # why this image: the tag's policy rule or the default
    # SCM checkouts: a bridge to attach for the fetching steps, and read-only mounts
    # (a git+file:// repository at its own path).
    needs_network: bool = False
    extra_mounts: tuple[Mount, ...] = ()
    # ``adjutant build``: install from these plain repos (none: the image's packages only)
    # instead of the koji repo; listings then leave every package for the hub to resolve by
    # NVRA, as kojid does for repos without rpmlist.jsonl.
    local_repos: LocalRepos | None = None


class KojiBuildroot:
    """A context manager: entering prepares the buildroot, leaving removes and expires it."""

    def __init__(
        self,
        hub: BuildrootHub,
        backend: ContainerBackend,
        settings: Settings,
        request: BuildrootRequest,
        *,
        recorder: TaskRecorder | None = None,
    ) -> None:
        self.hub = hub
        # What the dashboard shows of this buildroot: id, image, container, steps, logs.
        self.recorder = recorder or Recorder.disabled().for_task(request.task_id)
        self.backend = backend
        self.settings = settings
        self.request = request
        self.id: int | None = None
        self.name = ""
        self.state: str | None = None
        self.br_arch = ""
        self.upload_path: str = koji.pathinfo.taskrelpath(request.task_id)
        self.log_dir = request.work_dir / "logs"
        self.result_dir = request.work_dir / "result"
        self.repo_info: Mapping[str, object] = {}
        self.build_config: Mapping[str, object] = {}
        self.baseline: tuple[InstalledPackage, ...] = ()  # the image's own packages
        self._prefix = {"where": f"task {request.task_id}"}
        self.log = _PrefixedLog(log, self._prefix)
        self._stack: contextlib.ExitStack | None = None
        self._uploader = LogUploader(hub, self.upload_path)
        self._steps: ContainerSteps | None = None
        self._files: hub_listing.RepoFiles | None = None
        self._repo: RepoConfig | None = None
        self._build: BuildSettings | None = None
        adjutant = settings.adjutant
        self._cache = (BuildrootCache(backend, adjutant.buildroot_cache_dir,
                                      adjutant.buildroot_cache_max_size)
                       if adjutant.buildroot_cache else None)  # fmt: skip
        self._cache_key: CacheKey | None = None
        self._cached: CachedBuildroot | None = None
        self._image: ImageInfo | None = None

    @property
    def steps(self) -> tuple[StepRecord, ...]:
        """The steps run in the container so far, in order."""
        return tuple(self._steps.runner.records) if self._steps is not None else ()

    @property
    def log_names(self) -> list[str]:
        """Names of the logs uploaded for this buildroot (complete once it was left)."""
        return self._uploader.names

    def __enter__(self) -> KojiBuildroot:
        """Create the hub record and the container, install the group, report the list.

        Raises:
            TaskParamError: the arch or the tag's build config is unusable.
            ConfigError: the repo access settings are unusable.
            BuildrootError: the repo is not usable, the container failed or the group could
                not be installed; see root.log.
        """
        stack = contextlib.ExitStack()
        try:
            self._open(stack)
        except BaseException as exc:
            stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._stack = stack
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.__exit__(exc_type, exc, tb)

    def build(self, srpm: Path, arch: str) -> Path:
        """Rebuild ``srpm`` for ``arch`` (rpmbuild --target); returns the result dir.

        The state goes to BUILDING first; the package list is updated afterwards even when
        the build failed, as kojid does.

        Raises:
            TaskParamError: bad arch.
            BuildrootError: BuildRequires could not be installed (see root.log) or the
                container failed.
            BuildFailed: the SRPM could not be unpacked, or rpmbuild failed or ran past
                rpmbuild_timeout (see build.log).
        """
        target = target_arch_for(arch)
        return self._run_build(
            f"build of {srpm.name} for {target}",
            lambda options: rebuild_srpm(self._ready(), options, srpm, target),
        )

    def build_srpm(self, srpm: Path) -> Path:
        """kojid's rebuildSRPM: regenerate ``srpm`` here (``rpmbuild -bs``, so this
        buildroot's macros apply); returns the result dir holding the new SRPM.

        Raises:
            BuildFailed: unpacking or rpmbuild -bs failed (see build.log).
            BuildrootError: the container failed.
        """
        return self._run_build(
            f"srpm rebuild of {srpm.name}",
            lambda options: regenerate_srpm(self._ready(), options, srpm),
        )

    def build_srpm_from_scm(self, scm: SCM) -> tuple[Path, str]:
        """kojid's buildSRPMFromSCM in this buildroot: check out, source command,
        ``rpmbuild -bs``; returns the result dir holding the SRPM and the commit built.

        Raises:
            koji.BuildError: checkout, spec or source command trouble (see checkout.log or
                build.log); BuildFailed: rpmbuild -bs failed.
        """
        checkout = checkout_of(scm)
        user = self.settings.adjutant.build_user
        commit = ""

        checkout_log = self.log_dir / CHECKOUT_LOG
        checkout_log.touch()
        self._uploader.watch(checkout_log)  # uploaded, and (as kojid) not in the result
        self.recorder.log_file(CHECKOUT_LOG, checkout_log)

        def work(options: RebuildOptions) -> None:
            nonlocal commit
            site = self._ready()
            commit = check_out(site, checkout, user)
            spec, sources = find_spec(site, checkout)
            check_spec(site.query(("cat", spec), user=user), spec)
            build_srpm(site, checkout, spec, sources, user, options.rpmbuild_timeout_s)
            site.copy_out(f"{TOPDIR}/SRPMS", options.result_dir)

        result = self._run_build(f"srpm build from {scm.url}", work)
        return result, commit

    def _ready(self) -> ContainerSteps:
        assert self._steps is not None
        return self._steps

    def _run_build(self, what: str, work: Callable[[RebuildOptions], None]) -> Path:
        """BUILDING, the work, the package list update (also after a failure), as kojid."""
        if self.state != INIT or self.id is None or self._steps is None or self._repo is None:
            raise BuildrootError(f"buildroot {self.name or '?'} is not ready to build")
        options = RebuildOptions(
            build_user=self.settings.adjutant.build_user,
            rpmbuild_timeout_s=float(self.settings.kojid.rpmbuild_timeout),
            dnf_options=self._repo.dnf_options,
            result_dir=self.result_dir,
        )
        self.hub.host.setBuildRootState(self.id, BUILDING)
        self.state = BUILDING
        note(self.log_dir, f"Start: {what}")
        try:
            with self._container_trouble("building"):
                work(options)
        except Exception:
            self._update_list(after_failure=True)
            raise
        self._update_list(after_failure=False)
        note(self.log_dir, f"Finish: {what}")
        self.log.info("finished %s", what)
        return self.result_dir

    # -- preparation ----------------------------------------------------------------------

    def _open(self, stack: contextlib.ExitStack) -> None:
        request, kojid = self.request, self.settings.kojid
        target_arch_for(request.arch)  # refuses a bad arch before anything exists
        self.br_arch = koji.canonArch(request.arch)
        location = self._location() if request.local_repos is None else None
        self.repo_info = self._repo_info()
        create_event = self.repo_info["create_event"]
        assert isinstance(create_event, int)
        self.build_config = self._build_config(create_event)
        tag_name = str(self.build_config["name"])
        # Everything the tag config decides is checked before the hub record exists.
        options = BuildHostOptions(kojid.vendor, kojid.packager, kojid.distribution,
                                   kojid.mockhost, buildhost())  # fmt: skip
        self._build = build_settings(self.build_config, options, request.arch)
        extra = self.build_config.get("extra") or {}
        if location is not None:
            self._repo = repo_config(
                location, tag_name=tag_name, repo_id=request.repo_id, br_arch=self.br_arch,
                extra=extra if isinstance(extra, Mapping) else {}, yum_proxy=kojid.yum_proxy,
            )  # fmt: skip
            self._files = hub_listing.RepoFiles(
                tag_name, request.repo_id, self.br_arch,
                topurl=kojid.topurls[0] if location.access is RepoAccess.TOPURL else None,
                topdir=kojid.topdir, tempdir=request.work_dir,
            )  # fmt: skip
        else:
            local = request.local_repos
            assert local is not None
            self._repo = RepoConfig(local.baseurls, local.dnf_conf, local.dnf_options)
        staging = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="adjutant-")))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.result_dir.mkdir(parents=True, exist_ok=True)
        for name in LOG_NAMES:
            (self.log_dir / name).write_bytes(b"")
            self._uploader.watch(self.log_dir / name)
            self.recorder.log_file(name, self.log_dir / name)
        # Leaving runs these last-pushed first: container removal, log upload, expiry.
        stack.push(self._expire)
        stack.push(self._upload_logs)
        self.id = self._new_buildroot()
        self.recorder.buildroot(self.id, tag=tag_name)
        self.name = f"{tag_name}-{self.id}-{request.repo_id}"
        note(self.log_dir, f"INFO: buildroot {self.name} (id {self.id}) from {request.image}")
        self._write_config_log(location)
        try:
            self._image = self.backend.inspect_image(request.image)
        except ContainerError as exc:
            raise BuildrootError(
                f"cannot start a buildroot container from {request.image}: {exc}"
            ) from exc
        if self._cache is not None and request.install_group is not None:
            self._cache_key = CacheKey(self._image.id, request.repo_id, self.br_arch,
                                       request.install_group, self._repo.dnf_conf)  # fmt: skip
            self._cached = self._cache.lookup(self._cache_key)
        self._steps = self._start_container(stack, location, staging)
        with self._container_trouble("preparing it"):
            self._prepare(self._steps)
        note(self.log_dir, f"Finish: buildroot {self.name} ready")
        self.log.info("buildroot %s ready", self.name)

    def _location(self) -> RepoLocation:
        kojid = self.settings.kojid
        if self.settings.adjutant.repo_access is RepoAccess.MOUNT:
            return RepoLocation(RepoAccess.MOUNT, topdir=kojid.topdir)
        return RepoLocation(RepoAccess.TOPURL, topurls=kojid.topurls)

    def _repo_info(self) -> Mapping[str, object]:
        repo_id = self.request.repo_id
        info = self.hub.repoInfo(repo_id, strict=True)
        if not info:
            raise BuildrootError(f"repo {repo_id} does not exist")
        state = info.get("state")
        name = koji.REPO_STATES.get(state) if isinstance(state, int) else None
        if name == "EXPIRED":
            # Expired repos are intact, just not current; kojid builds from them too.
            self.log.info("repo %s is no longer current (EXPIRED); using it anyway", repo_id)
        elif name != "READY":
            raise BuildrootError(f"Requested repo ({repo_id}) is {name or state}")
        if not isinstance(info.get("create_event"), int):
            raise BuildrootError(f"repo {repo_id} has no create event: {info!r}")
        return info

    def _build_config(self, event: int) -> Mapping[str, object]:
        tag = self.request.tag
        config = self.hub.getBuildConfig(tag, event=event)
        if not config:
            raise BuildrootError(f"Could not get config info for tag: {tag}")
        if config.get("id") != self.repo_info.get("tag_id"):
            raise BuildrootError(
                f"tag/repo mismatch: {config.get('name')} vs {self.repo_info.get('tag_name')}"
            )
        if not isinstance(config.get("name"), str):
            raise BuildrootError(f"tag {tag} has no name in its build config")
        return config

    def _new_buildroot(self) -> int:
        # Exactly kojid's call: the host API takes no container type (the hub records
        # 'chroot' for every buildroot made through it, kojid's included).
        brootid = self.hub.host.newBuildRoot(
            self.request.repo_id, self.br_arch, task_id=self.request.task_id
        )
        if not isinstance(brootid, int) or isinstance(brootid, bool):
            raise BuildrootError(f"the hub gave no buildroot id: {brootid!r}")
        self.state = INIT
        self._prefix["where"] = f"task {self.request.task_id} buildroot {brootid}"
        return brootid

    def _start_container(
        self, stack: contextlib.ExitStack, location: RepoLocation | None, staging: Path
    ) -> ContainerSteps:
        assert self._build is not None and self.id is not None
        adjutant = self.settings.adjutant
        extra = self.build_config.get("extra") or {}
        network = build_network(
            extra if isinstance(extra, Mapping) else {},
            adjutant.network_enabled,
            str(self.build_config.get("name")),
        )
        local = self.request.local_repos
        spec = buildroot_spec(
            adjutant, image=self._cached.image if self._cached else self.request.image,
            task_id=self.request.task_id, buildroot_id=self.id, location=location,
            environment={**self._build.environment,
                         **login_environment(self.settings.adjutant.build_user)},
            network_enabled=network,
            needs_network=self.request.needs_network or (
                local.needs_network if local is not None else
                location is not None and location.access is RepoAccess.MOUNT
                and self._has_external_repos()),
            extra_mounts=self.request.extra_mounts + (local.mounts if local else ()),
        )  # fmt: skip
        if self._cache is not None and spec.private_users:
            # podman 4.3 commits a container of its own user namespace with the host's ids,
            # and then refuses to start the image with userns=auto ("needs a user namespace
            # with size ... bigger than the maximum"): with the cache, buildroots share the
            # host's user namespace (docs/reliability.md says what that gives up).
            spec = dataclasses.replace(spec, private_users=False)
        try:
            with self.recorder.phase("start-container"):
                started = time.monotonic()
                container_id = self.backend.create(spec)
                stack.callback(self._remove_container, container_id)
                self.recorder.container_created(
                    container_id, name=spec.container_name, image=self.request.image,
                    role=spec.role, seconds=time.monotonic() - started,
                )  # fmt: skip
                started = time.monotonic()
                self.backend.start(container_id)
                self.recorder.container_started(container_id, seconds=time.monotonic() - started)
        except ContainerError as exc:
            raise BuildrootError(
                f"cannot start a buildroot container from {self.request.image}: {exc}"
            ) from exc
        self._prefix["where"] += f" [{container_id[:12]}]"
        self.log.info("container %s started from %s", spec.container_name, self.request.image)
        return ContainerSteps(
            self.backend, container_id, log_dir=self.log_dir, uploader=self._uploader,
            staging_dir=staging, bridge=spec.network is NetworkMode.BRIDGE,
            keep_network=network, recorder=self.recorder,
        )  # fmt: skip

    def _has_external_repos(self) -> bool:
        """Whether the repo merges external repos: their packages are fetched from their own
        URLs, so installing needs the network even when the koji repo is mounted (with a
        topurl the bridge is there anyway)."""
        return self._files is not None and hub_listing.is_merged(self._files)

    def _prepare(self, steps: ContainerSteps) -> None:
        assert self._repo is not None and self._build is not None and self.id is not None
        assert self._image is not None
        cached = self._cached
        self.baseline = cached.baseline if cached else steps.rpmdb()
        image = self._image
        self.recorder.image(self.request.image, reason=self.request.image_reason,
                            digest=image.digest)  # fmt: skip
        self.recorder.container_image_digest(steps.container_id, image.digest)
        image_log = render_image_log(self.request.image, image, self.baseline,
                                     self.request.image_reason)  # fmt: skip
        if cached:
            image_log += (
                f"buildroot cache: started from {cached.image}, this image with the "
                f"group {self.request.install_group} from repo {self.request.repo_id} "
                "already installed\n"
            )
        (self.log_dir / IMAGE_LOG).write_text(image_log)
        steps.install_files({DNF_CONF_PATH: self._repo.dnf_conf,
                             MACROS_FILE: render_macros(self._build.macros),
                             **root_files(has_network=steps.bridge)})  # fmt: skip
        steps.run("hw-info", HW_INFO_ARGV, HW_INFO_LOG, timeout_s=QUERY_TIMEOUT_S)
        group = self.request.install_group
        if cached:
            note(
                self.log_dir,
                f"INFO: group {group} installed from the buildroot cache ({cached.image})",
            )
            installed = cached.installed
        elif group is not None:
            note(self.log_dir, f"Start: installing group {group}")
            install = ("dnf", *self._repo.dnf_options, "install", "-y", f"@{group}")
            record = steps.run("install-group", install, ROOT_LOG, timeout_s=DNF_TIMEOUT_S,
                               fetches=True)  # fmt: skip
            if record.exit_code != 0:
                raise BuildrootError(
                    f"could not init the buildroot: installing group {group} from repo "
                    f"{self.request.repo_id} exited with status {record.exit_code}; see root.log"
                )
            installed = steps.rpmdb()
        else:  # a local rebuild without a group: the image is the buildroot
            installed = self.baseline
        # mock logs the kernel in root.log; a container runs on the worker's own kernel, so
        # this is `uname -r` in the buildroot without an exec.
        with (self.log_dir / ROOT_LOG).open("a", encoding="utf-8") as root_log:
            root_log.write(f"{os.uname().release}\n")
        self.hub.host.setBuildRootList(self.id, self._listing(installed))
        if self._cache is not None and self._cache_key is not None and not cached:
            self._cache.store(self._cache_key, steps.container_id, self.baseline, installed)

    # -- package lists, logs, cleanup --------------------------------------------------------

    def _listing(self, installed: tuple[InstalledPackage, ...]) -> list[dict[str, object]]:
        """The rpmdb now (written to installed_pkgs.log) less the image's: what the hub gets."""
        (self.log_dir / INSTALLED_PKGS_LOG).write_text(render_installed_pkgs(installed))
        added = added_packages(installed, self.baseline)
        if self._files is None:  # local repos: nothing to check the packages against
            return buildroot_listing(added, repo_id=self.request.repo_id, br_arch=self.br_arch,
                                     repo_rpms={}, rpmlist_complete=False)  # fmt: skip
        return hub_listing.report(self.hub, self._files, self.repo_info, added)

    def _update_list(self, *, after_failure: bool) -> None:
        assert self.id is not None and self._steps is not None
        try:
            with self._container_trouble("listing its packages"):
                listing = self._listing(self._steps.rpmdb())
            self.hub.host.updateBuildRootList(self.id, listing)
        except koji.GenericError as exc:
            if not after_failure:
                raise
            # The build's own error is the one to report; this one only goes to the log.
            self.log.warning("cannot update the package list after the failure: %s", exc)

    def _write_config_log(self, location: RepoLocation | None) -> None:
        assert self._repo is not None and self._build is not None
        lines = [
            f"# adjutant buildroot {self.name}: buildroot id {self.id}, repo id "
            f"{self.request.repo_id}, tag {self._build.tag_name}, arch {self.br_arch}",
            f"# image: {self.request.image}; repo access: "
            f"{location.access if location else 'local repos'}",
            f"## {DNF_CONF_PATH}",
            self._repo.dnf_conf,
            f"## {MACROS_FILE}",
            render_macros(self._build.macros),
            "## environment",
            *(f"{key}={value}" for key, value in self._build.environment.items()),
        ]
        (self.log_dir / CONFIG_LOG).write_text("\n".join(lines) + "\n")

    @contextlib.contextmanager
    def _container_trouble(self, what: str) -> Iterator[None]:
        try:
            yield
        except ContainerError as exc:
            raise BuildrootError(
                f"buildroot {self.name}: the container failed while {what}: {exc}; see root.log"
            ) from exc

    def _remove_container(self, container_id: str) -> None:
        try:
            with self.recorder.phase("remove-container"):
                started = time.monotonic()
                self.backend.remove(container_id)
            self.recorder.container_removed(container_id, seconds=time.monotonic() - started)
        except ContainerError as exc:
            # It carries this worker's label: the worker's sweep removes it later.
            self.log.warning("cannot remove container %s: %s", container_id[:12], exc)

    def _upload_logs(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if not _is_interrupt(exc_type):
            if exc is not None:
                note(self.log_dir, f"ERROR: {exc}")
            with self.recorder.phase("upload-logs"):
                self._uploader.sync(final=True)
        self._uploader.close()

    def _expire(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if self.id is None or self.state == EXPIRED:
            return
        if _is_interrupt(exc_type):
            self.log.warning("interrupted: the worker loop expires buildroot %s", self.id)
            return
        try:
            self.hub.host.setBuildRootState(self.id, EXPIRED)
            self.state = EXPIRED
        except koji.GenericError as error:
            if exc_type is None:
                raise
            self.log.warning("cannot expire buildroot %s: %s", self.id, error)


def _is_interrupt(exc_type: type[BaseException] | None) -> bool:
    """KeyboardInterrupt (koji's SIGINT) and SystemExit (SIGTERM): no hub calls then."""
    return exc_type is not None and not issubclass(exc_type, Exception)


class _PrefixedLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes messages with the task, buildroot and container they concern."""

    def __init__(self, logger: logging.Logger, prefix: Mapping[str, str]) -> None:
        super().__init__(logger, {})
        self.prefix = prefix

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        return f"{self.prefix['where']}: {msg}", kwargs
