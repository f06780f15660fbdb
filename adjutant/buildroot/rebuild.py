"""Rebuild one SRPM in a fresh task container: copy in, check deps, rpmbuild, copy out.

This is the local-mode buildroot (`adjutant build`, the demo): no hub, no koji repo. It owns
the container's lifetime: the container is removed on success, failure and interruption.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from adjutant.buildroot.build_config import MOCK_ENVIRONMENT, login_environment
from adjutant.buildroot.local_repos import LocalRepos, local_repos
from adjutant.buildroot.macros import MACRO_NAME, MACROS_FILE, buildhost, render_macros
from adjutant.buildroot.repo_config import DNF_CONF_PATH
from adjutant.buildroot.root_files import root_files
from adjutant.buildroot.steps import StepRecord, StepRunner, find_files, missing_dependencies
from adjutant.container.backend import ContainerBackend, ContainerSpec, NetworkMode
from adjutant.errors import (
    BuildFailed,
    BuildrootError,
    ContainerError,
    ContainerTimeout,
    TaskParamError,
)
from adjutant.results import BuildOutputs, collect_outputs, read_srpm

log = logging.getLogger(__name__)

BUILD_HOME = "/builddir"
TOPDIR = f"{BUILD_HOME}/build"
_ARCH = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class RebuildRequest:
    srpm: Path
    image: str
    result_dir: Path
    worker: str = "adjutant-local"
    build_user: str = "kojibuilder"
    arch: str | None = None
    defines: tuple[tuple[str, str], ...] = ()
    rpmbuild_timeout_s: float = 86400.0
    repos: tuple[str, ...] = ()  # directories or http(s) URLs BuildRequires install from


@dataclass(frozen=True)
class RebuildResult:
    outputs: BuildOutputs
    logs: tuple[Path, ...]
    steps: tuple[StepRecord, ...]


def parse_define(text: str) -> tuple[str, str]:
    """'NAME VALUE' (as rpmbuild's --define takes it) into a checked pair.

    Raises:
        TaskParamError: no value, or the macro name is not a plain identifier.
    """
    name, _, value = text.strip().partition(" ")
    if not MACRO_NAME.fullmatch(name) or not value.strip() or "\n" in value or "\r" in value:
        raise TaskParamError(f"invalid macro definition {text!r}: expected 'NAME VALUE'")
    return name, value.strip()


def rebuild(backend: ContainerBackend, request: RebuildRequest) -> RebuildResult:
    """Rebuild ``request.srpm``; RPMs and logs end up in ``request.result_dir``.

    Raises:
        TaskParamError: the SRPM, arch or a macro definition is invalid.
        BuildrootError: the container could not be run or the BuildRequires are missing.
        BuildFailed: rpmbuild failed or produced unexpected output; see build.log.
    """
    source = read_srpm(request.srpm)
    repos = local_repos(request.repos) if request.repos else None
    if request.arch is not None and not _ARCH.fullmatch(request.arch):
        raise TaskParamError(f"invalid arch {request.arch!r}")
    request.result_dir.mkdir(parents=True, exist_ok=True)
    logs = {name: request.result_dir / name for name in ("state.log", "root.log", "build.log")}
    for path in logs.values():
        path.write_bytes(b"")
    spec = ContainerSpec(
        image=request.image,
        task_id=0,
        worker=request.worker,
        role="localbuild",
        name=f"adjutant-local-{secrets.token_hex(4)}",
        # A URL repo needs the bridge while BuildRequires install; it is detached before
        # rpmbuild. Directory repos are mounted read-only and need no network at all.
        network=NetworkMode.BRIDGE if repos and repos.needs_network else NetworkMode.NONE,
        mounts=repos.mounts if repos else (),
        workdir=BUILD_HOME,
        env={**MOCK_ENVIRONMENT, **login_environment(request.build_user)},
        timezone="local",
        image_hosts=True,
        image_resolv_conf=not (repos and repos.needs_network),
    )
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="adjutant-")))
        try:
            container_id = backend.create(spec)
            stack.callback(backend.remove, container_id)
            backend.start(container_id)
        except ContainerError as exc:
            raise BuildrootError(f"cannot start a container from {request.image}: {exc}") from exc
        log.info("rebuilding %s in container %s", source.nvr, container_id[:12])
        runner = StepRunner(backend, container_id, logs["state.log"])
        try:
            _install_macros(
                backend, container_id, scratch, has_network=spec.network is NetworkMode.BRIDGE
            )
            if repos:
                dnf_conf = PurePath(DNF_CONF_PATH)
                _install_file(backend, container_id, scratch / dnf_conf.name, repos.dnf_conf,
                              dnf_conf.parent)  # fmt: skip
            backend.copy_in(container_id, request.srpm, BUILD_HOME)
            spec_file = _unpack_srpm(runner, request, f"{BUILD_HOME}/{request.srpm.name}", logs)
            _rpmbuild(runner, request, ("-bs", "--nodeps"), spec_file, logs)
            regenerated = find_files(
                runner.backend, runner.container_id, f"{TOPDIR}/SRPMS", "*.src.rpm"
            )
            if len(regenerated) != 1:
                raise BuildFailed(f"rpmbuild -bs wrote {len(regenerated)} SRPMs; see build.log")
            _check_build_requires(runner, regenerated[0], logs["root.log"], repos)
            if repos and repos.needs_network:
                backend.set_network(container_id, enabled=False)
            _rpmbuild(runner, request, ("-bb", "--nodeps"), spec_file, logs)
            for sub in ("SRPMS", "RPMS"):
                backend.copy_out(container_id, f"{TOPDIR}/{sub}", scratch)
        except ContainerError as exc:
            raise BuildrootError(f"buildroot container failed: {exc}; see state.log") from exc
        outputs = collect_outputs(scratch, source)
        moved = BuildOutputs(
            srpms=tuple(_move(p, request.result_dir) for p in outputs.srpms),
            rpms=tuple(_move(p, request.result_dir) for p in outputs.rpms),
        )
    return RebuildResult(moved, tuple(logs.values()), tuple(runner.records))


def _install_macros(
    backend: ContainerBackend, container_id: str, scratch: Path, *, has_network: bool
) -> None:
    """The build user's macros and mock's root files, as the koji buildroot has them."""
    macros = Path(MACROS_FILE)
    text = render_macros({"_buildhost": buildhost()})
    _install_file(backend, container_id, scratch / macros.name, text, macros.parent)
    for path, body in root_files(has_network=has_network).items():
        target = PurePath(path)
        _install_file(backend, container_id, scratch / target.name, body, target.parent)


def _install_file(
    backend: ContainerBackend, container_id: str, staged: Path, text: str, target: PurePath
) -> None:
    """Write ``text`` as ``target/<staged.name>`` in the container, through a staged copy."""
    staged.write_text(text)
    backend.copy_in(container_id, staged, str(target))
    staged.unlink()


def _unpack_srpm(
    runner: StepRunner, request: RebuildRequest, srpm: str, logs: dict[str, Path]
) -> str:
    """Install the SRPM into the build user's tree; returns the path of its one spec file."""
    argv = ("rpm", "-i", "--nodeps", srpm)
    if runner.run("unpack-srpm", argv, log_path=logs["build.log"],
                  user=request.build_user).exit_code != 0:  # fmt: skip
        raise BuildFailed(f"cannot unpack {request.srpm.name}; see build.log")
    specs = find_files(runner.backend, runner.container_id, f"{TOPDIR}/SPECS", "*.spec")
    if len(specs) != 1:
        raise TaskParamError(f"{request.srpm.name} must hold exactly one spec file, found {specs}")
    return specs[0]


def _check_build_requires(
    runner: StepRunner, srpm: str, root_log: Path, repos: LocalRepos | None
) -> None:
    # Without repos builddep only checks the image's rpmdb; with them it installs what the
    # SRPM needs. Either way it names what is missing.
    if repos:
        argv: tuple[str, ...] = ("dnf", *repos.dnf_options, "builddep", "-y", srpm)
    else:
        argv = ("dnf", "--disablerepo=*", "--assumeno", "builddep", srpm)
    record = runner.run("builddep", argv, log_path=root_log, timeout_s=3600)
    if record.exit_code != 0:
        missing = missing_dependencies(root_log)
        detail = f": missing {', '.join(missing)}" if missing else ""
        raise BuildrootError(f"BuildRequires not satisfied{detail}; see root.log")


def _rpmbuild(
    runner: StepRunner,
    request: RebuildRequest,
    mode: tuple[str, ...],
    spec_file: str,
    logs: dict[str, Path],
) -> None:
    """Run rpmbuild in ``mode`` (-bs or -bb) on the spec as the build user."""
    argv: list[str] = ["rpmbuild", *mode]
    for name, value in request.defines:
        argv += ["--define", f"{name} {value}"]
    if request.arch:
        argv += ["--target", request.arch]
    argv.append(spec_file)
    try:
        record = runner.run(
            f"rpmbuild{mode[0]}", tuple(argv), log_path=logs["build.log"],
            user=request.build_user, workdir=BUILD_HOME, timeout_s=request.rpmbuild_timeout_s,
        )  # fmt: skip
    except ContainerTimeout as exc:
        raise BuildFailed(
            f"rpmbuild ran past its {request.rpmbuild_timeout_s:.0f}s timeout; see build.log"
        ) from exc
    if record.exit_code != 0:
        raise BuildFailed(f"rpmbuild {mode[0]} exited {record.exit_code}; see build.log")


def _move(path: Path, target_dir: Path) -> Path:
    target = target_dir / path.name
    shutil.move(path, target)
    return target


def defines_from(texts: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Parse every --define argument.

    Raises:
        TaskParamError: one is malformed.
    """
    return tuple(parse_define(text) for text in texts)
