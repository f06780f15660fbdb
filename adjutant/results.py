"""Read and check the packages a build puts out, and the names of files we accept.

A build host must never upload what it did not mean to build: every RPM is opened and its
header checked against the SRPM it came from before anything leaves the buildroot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import koji
import rpm

from adjutant.errors import BuildFailed, TaskParamError

# Names we write into the work dir and hand to the hub: no paths, no hidden or odd characters.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9._+~^-]*$")
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class RpmIdentity:
    name: str
    version: str
    release: str
    epoch: int | None
    arch: str
    is_source: bool
    sourcerpm: str | None

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def file_name(self) -> str:
        return f"{self.nvr}.{'src' if self.is_source else self.arch}.rpm"


@dataclass(frozen=True)
class BuildOutputs:
    srpms: tuple[Path, ...]
    rpms: tuple[Path, ...]


def check_file_name(name: str, what: str = "file name") -> str:
    """Return ``name`` if it is a plain, safe file name.

    Raises:
        TaskParamError: it holds a path separator, starts with a dot, or has odd characters.
    """
    if len(name) > MAX_NAME_LENGTH or not _SAFE_NAME.match(name):
        raise TaskParamError(f"invalid {what} {name!r}: use letters, digits and ._+~^- only")
    return name


def _header_fields(path: Path, names: list[str]) -> dict[str, Any]:
    """``names`` from the RPM's header.

    Raises:
        TaskParamError: the file is missing or not an RPM.
    """
    try:
        header = koji.get_rpm_header(str(path))
    except (OSError, koji.GenericError, rpm.error) as exc:
        raise TaskParamError(f"{path.name}: not a readable RPM ({exc})") from exc
    fields: dict[str, Any] = koji.get_header_fields(header, names)
    return fields


def read_identity(path: Path) -> RpmIdentity:
    """Name, version, release, epoch and arch from an RPM's header.

    Raises:
        TaskParamError: the file is missing or not an RPM.
    """
    fields = _header_fields(
        path, ["name", "version", "release", "epoch", "arch", "sourcepackage", "sourcerpm"]
    )
    return RpmIdentity(
        name=fields["name"],
        version=fields["version"],
        release=fields["release"],
        epoch=fields["epoch"],
        arch=fields["arch"],
        is_source=bool(fields["sourcepackage"]),
        sourcerpm=fields["sourcerpm"],
    )


# rpm's RPMFILE_SPECFILE: the file an SRPM installs as its spec (rpm -i puts it in SPECS/).
_SPECFILE_FLAG = 1 << 5


def spec_names(path: Path) -> list[str]:
    """The file names an SRPM marks as its spec file (from its header, without unpacking).

    Raises:
        TaskParamError: the file is missing or not an RPM.
    """
    fields = _header_fields(path, ["basenames", "fileflags"])
    names, flags = fields["basenames"] or [], fields["fileflags"] or []
    return sorted(str(n) for n, f in zip(names, flags, strict=False) if int(f) & _SPECFILE_FLAG)


def read_srpm(path: Path) -> RpmIdentity:
    """The identity of a source RPM given as build input.

    Raises:
        TaskParamError: missing, badly named, not an RPM, a binary RPM, or named after
            another N-V-R than its header's (the hub would refuse that name at import).
    """
    check_file_name(path.name, "SRPM file name")
    if not path.name.endswith(".src.rpm"):
        raise TaskParamError(f"{path.name}: an SRPM's name must end in .src.rpm")
    if not path.is_file():
        raise TaskParamError(f"SRPM {path} does not exist")
    identity = read_identity(path)
    if not identity.is_source:
        raise TaskParamError(f"{path.name}: is a binary RPM ({identity.arch}), not a source RPM")
    if path.name != identity.file_name:
        raise TaskParamError(
            f"{path.name}: the SRPM's header is {identity.nvr}, so its file must be named "
            f"{identity.file_name}"
        )
    return identity


def collect_outputs(result_dir: Path, source: RpmIdentity) -> BuildOutputs:
    """The SRPM and RPMs rpmbuild wrote under ``result_dir``, checked against ``source``.

    Raises:
        BuildFailed: no SRPM or no RPM came out, one is unreadable, does not belong to
            ``source`` or is not named after its own header.
    """
    found = sorted(result_dir.rglob("*.rpm"))
    srpms = tuple(p for p in found if p.name.endswith(".src.rpm"))
    rpms = tuple(p for p in found if not p.name.endswith(".src.rpm"))
    if len(srpms) != 1:
        raise BuildFailed(f"expected one SRPM in the build results, found {len(srpms)}")
    if not rpms:
        raise BuildFailed("the build produced no binary RPMs; see build.log")
    rebuilt = _read_output(srpms[0])
    if (rebuilt.name, rebuilt.version) != (source.name, source.version):
        raise BuildFailed(f"rebuilt SRPM {rebuilt.nvr} does not match the input {source.nvr}")
    check_named_by_header(srpms[0], rebuilt)
    for rpm_path in rpms:
        check_file_name(rpm_path.name, "RPM file name")
        identity = _read_output(rpm_path)
        if identity.is_source or identity.sourcerpm != srpms[0].name:
            raise BuildFailed(
                f"{rpm_path.name} was not built from {srpms[0].name} "
                f"(its source RPM is {identity.sourcerpm})"
            )
        check_named_by_header(rpm_path, identity)
    return BuildOutputs(srpms=srpms, rpms=rpms)


def check_named_by_header(path: Path, identity: RpmIdentity) -> None:
    """Fail unless ``path`` is named name-version-release.arch.rpm of its own header.

    koji's hub refuses to import any other name ("bad filename"), and a wrong name is how a
    bad %_rpmfilename shows: every subpackage named after the main package, and a same-arch
    subpackage overwriting another, so one RPM silently goes missing.

    Raises:
        BuildFailed: the names differ; the message names both.
    """
    if path.name != identity.file_name:
        raise BuildFailed(
            f"the build wrote {path.name} holding the header of {identity.file_name}; "
            "check %_rpmfilename in the buildroot's rpm macros"
        )


def _read_output(path: Path) -> RpmIdentity:
    """An output package's identity; one rpm cannot read is the build's failure, not input's."""
    try:
        return read_identity(path)
    except TaskParamError as exc:
        raise BuildFailed(f"the build wrote an unreadable package: {exc}") from exc
