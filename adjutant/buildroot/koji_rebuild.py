"""The build phase of a koji buildroot: mock's ``--rebuild``, step by step, in the container.

The SRPM is unpacked and regenerated with ``rpmbuild -bs`` (so the buildroot's macros, such
as ``%dist``, apply), its BuildRequires are installed from the koji repo as root, then
``rpmbuild -bb --target`` runs as the build user without network, and the packages are
copied out to the result dir. ``adjutant build`` runs these same steps (behind a local
stand-in hub); the hub record, container and logs belong to ``koji_buildroot``, checking the
results to the task handler.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from adjutant.buildroot.container_steps import (
    BUILD_HOME,
    BUILD_LOG,
    ROOT_LOG,
    TOPDIR,
    ContainerSteps,
)
from adjutant.buildroot.steps import find_files, missing_dependencies
from adjutant.errors import BuildFailed, BuildrootError, ContainerTimeout
from adjutant.results import spec_names

DNF_TIMEOUT_S = 3600.0
# rpmbuild's report of each package it wrote.
_WROTE_SRPM = re.compile(rf"^Wrote: ({re.escape(TOPDIR)}/SRPMS/[^/\s]+\.src\.rpm)$", re.M)


@dataclass(frozen=True)
class RebuildOptions:
    build_user: str
    rpmbuild_timeout_s: float
    dnf_options: tuple[str, ...]  # what every dnf call in the buildroot takes
    result_dir: Path


def rebuild_srpm(site: ContainerSteps, options: RebuildOptions, srpm: Path, arch: str) -> None:
    """Rebuild ``srpm`` for ``arch``; the SRPM and RPMs land in ``options.result_dir``.

    Raises:
        BuildFailed: unpacking, ``rpmbuild -bs`` or ``rpmbuild -bb`` failed or ran past the
            rpmbuild timeout, or the SRPM does not hold exactly one spec; see build.log.
        BuildrootError: the BuildRequires could not be installed; see root.log.
        ContainerError: the backend failed (the buildroot maps it).
    """
    failed = f"error building package (arch {arch})"
    spec, regenerated = _regenerate(site, options, srpm, arch, failed)
    builddep = ("dnf", *options.dnf_options, "builddep", "-y", regenerated)
    record = site.run("builddep", builddep, ROOT_LOG, timeout_s=DNF_TIMEOUT_S, fetches=True)
    if record.exit_code != 0:
        _raise_if_out_of_memory(site, failed, "dnf builddep", ROOT_LOG)
        missing = missing_dependencies(site.log_dir / ROOT_LOG)
        detail = f": missing {', '.join(missing)}" if missing else ""
        raise BuildrootError(
            f"{failed}, BuildRequires not satisfied{detail}; see root.log for more information"
        )
    with _rpmbuild_time_limit(options, failed):
        _rpmbuild(site, options, "-bb", arch, spec, failed)
    for sub in ("SRPMS", "RPMS"):
        site.copy_out(f"{TOPDIR}/{sub}", options.result_dir)


def regenerate_srpm(site: ContainerSteps, options: RebuildOptions, srpm: Path) -> None:
    """kojid's rebuildSRPM: unpack ``srpm`` and ``rpmbuild -bs`` it in this buildroot (so its
    macros, e.g. %dist, apply); the new SRPM lands in ``options.result_dir``.

    Raises:
        BuildFailed: unpacking or ``rpmbuild -bs`` failed, or not exactly one spec; see
            build.log.
    """
    _regenerate(site, options, srpm, "noarch", "error building srpm")
    site.copy_out(f"{TOPDIR}/SRPMS", options.result_dir)


def _regenerate(
    site: ContainerSteps, options: RebuildOptions, srpm: Path, arch: str, failed: str
) -> tuple[str, str]:
    """Unpack and ``rpmbuild -bs``; returns the spec and the regenerated SRPM (in-container).

    Two execs fewer than listing SPECS/ and SRPMS/: the spec's name comes from the SRPM's
    header (its spec-file flag), the new SRPM from rpmbuild's ``Wrote:`` line in build.log;
    each directory is listed only when that source says nothing usable.
    """
    flagged = spec_names(srpm)
    site.copy_in(srpm, BUILD_HOME)
    argv = ("rpm", "-i", "--nodeps", f"{BUILD_HOME}/{srpm.name}")
    record = site.run("unpack-srpm", argv, BUILD_LOG, user=options.build_user)
    if record.exit_code != 0:
        raise BuildFailed(
            f"{failed}, unpacking {srpm.name} exited with status {record.exit_code}; "
            "see build.log for more information"
        )
    # An SRPM whose header flags no spec (made by an old rpm) is listed after unpacking.
    specs = [f"{TOPDIR}/SPECS/{name}" for name in flagged] or find_files(
        site.backend, site.container_id, f"{TOPDIR}/SPECS", "*.spec"
    )
    if len(specs) != 1:
        found = "No spec file found" if not specs else f"Multiple spec files found: {specs}"
        raise BuildFailed(f"{failed}, {found} in {srpm.name}")
    spec = specs[0]
    build_log = site.log_dir / BUILD_LOG
    offset = build_log.stat().st_size
    with _rpmbuild_time_limit(options, failed):
        _rpmbuild(site, options, "-bs", arch, spec, failed)
    with build_log.open("rb") as output:
        output.seek(offset)
        wrote = _WROTE_SRPM.findall(output.read().decode(errors="replace"))
    regenerated = (
        wrote
        if len(wrote) == 1
        else find_files(site.backend, site.container_id, f"{TOPDIR}/SRPMS", "*.src.rpm")
    )
    if len(regenerated) != 1:
        raise BuildFailed(f"{failed}, rpmbuild -bs wrote {len(regenerated)} SRPMs; see build.log")
    return spec, regenerated[0]


def _rpmbuild(
    site: ContainerSteps, options: RebuildOptions, mode: str, arch: str, spec: str, failed: str
) -> None:
    argv = ("rpmbuild", mode, "--nodeps", "--target", arch, spec)
    record = site.run(f"rpmbuild{mode}", argv, BUILD_LOG, user=options.build_user,
                      timeout_s=options.rpmbuild_timeout_s)  # fmt: skip
    if record.exit_code != 0:
        _raise_if_out_of_memory(site, failed, f"rpmbuild {mode}", BUILD_LOG)
        raise BuildFailed(
            f"{failed}, rpmbuild {mode} exited with status {record.exit_code}; "
            "see build.log for more information"
        )


def _raise_if_out_of_memory(site: ContainerSteps, failed: str, step: str, log_name: str) -> None:
    """Name the memory limit when it, not the package, made ``step`` fail.

    Raises:
        BuildFailed: the buildroot's memory limit killed a process of the failed step.
    """
    limit = site.memory_limit_hit()
    if limit is not None:
        raise BuildFailed(
            f"{failed}, {step} ran out of memory: a process was killed at the buildroot's "
            f"memory limit of {limit} ([adjutant] container_memory); see {log_name}"
        )


@contextlib.contextmanager
def _rpmbuild_time_limit(options: RebuildOptions, failed: str) -> Iterator[None]:
    try:
        yield
    except ContainerTimeout as exc:
        raise BuildFailed(
            f"{failed}, rpmbuild ran past its {options.rpmbuild_timeout_s:.0f}s limit "
            "(rpmbuild_timeout); see build.log for more information"
        ) from exc
