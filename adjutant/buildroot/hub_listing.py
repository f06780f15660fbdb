"""The package list a koji buildroot reports to the hub, marked the way kojid marks it.

kojid's ``getPackageList`` reads the repo's ``rpmlist.jsonl`` (falling back to the tag's draft
rpms from ``listTaggedRPMS`` when a repo predates the file) and, when the tag had external
repos at the repo's event, the merged repo's pkgorigins found through ``repomd.xml``. This
module fetches those files (from topurl, or from the local topdir in mount mode, as
``koji.openRemoteFile`` does) and makes those read-only hub queries; parsing and marking are
``packages``' job, and deciding which packages to report is the buildroot's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import koji
import requests

from adjutant.buildroot.packages import (
    InstalledPackage,
    buildroot_listing,
    index_rpms,
    origin_location,
    parse_pkgorigins,
    parse_rpmlist,
)
from adjutant.errors import BuildrootError

log = logging.getLogger(__name__)

HTTP_NOT_FOUND = 404


class ListingHub(Protocol):
    """The read-only hub calls a listing needs (koji's ClientSession has them)."""

    def getExternalRepoList(  # koji's name
        self, tag_info: int, event: int | None = None
    ) -> Sequence[Mapping[str, object]]: ...

    def listTaggedRPMS(  # koji's name
        self, tag: int, event: int | None = None, latest: bool = False, draft: bool = False
    ) -> Sequence[Sequence[Mapping[str, object]]]: ...


@dataclass(frozen=True)
class RepoFiles:
    """One arch dir of a koji repo, ``repos/<tag>/<repo_id>/<br_arch>``, read from topurl or
    (without one) from the local ``topdir``."""

    tag_name: str
    repo_id: int
    br_arch: str
    topurl: str | None
    topdir: Path | None
    tempdir: Path | None = None  # where downloads are spooled

    @property
    def relpath(self) -> str:
        return f"repos/{self.tag_name}/{self.repo_id}/{self.br_arch}"

    def where(self, name: str) -> str:
        """The URL or path ``name`` is read from, for messages."""
        base = self.topurl if self.topurl else str(self.topdir)
        return f"{base}/{self.relpath}/{name}"

    def read(self, name: str) -> bytes | None:
        """The content of ``<relpath>/<name>``, or None if the file does not exist.

        Raises:
            BuildrootError: the file exists but cannot be read (HTTP or I/O error).
        """
        relpath = f"{self.relpath}/{name}"
        try:
            with koji.openRemoteFile(
                relpath, topurl=self.topurl, topdir=str(self.topdir) if self.topdir else None,
                tempdir=str(self.tempdir) if self.tempdir else None,
            ) as remote:  # fmt: skip
                data: bytes = remote.read()
                return data
        except FileNotFoundError:
            return None
        except requests.HTTPError as exc:
            if exc.response is not None and exc.response.status_code == HTTP_NOT_FOUND:
                return None
            raise BuildrootError(f"cannot read {self.where(name)}: {exc}") from exc
        except (OSError, requests.RequestException, koji.GenericError) as exc:
            raise BuildrootError(f"cannot read {self.where(name)}: {exc}") from exc


def report(
    hub: ListingHub,
    files: RepoFiles,
    repo_info: Mapping[str, object],
    packages: Sequence[InstalledPackage],
) -> list[dict[str, object]]:
    """``packages`` as ``setBuildRootList``/``updateBuildRootList`` take them.

    Like kojid, external repos are looked up at the repo's event on every call, so a listing
    after the build is marked exactly as the one before it.

    Raises:
        BuildrootError: a repo file is unreadable or malformed, a package is unknown to the
            repo or its payload hash differs.
        BuildFailed: a package has no origin, or an unknown one (kojid's BuildError).
    """
    tag_id = _int(repo_info, "tag_id")
    event = _int(repo_info, "create_event")
    external_repos = hub.getExternalRepoList(tag_id, event=event)
    origins = _origins(files) if external_repos else None
    rpmlist = files.read("rpmlist.jsonl")
    if rpmlist is not None:
        repo_rpms = parse_rpmlist(rpmlist.decode("utf-8", errors="replace"), files.repo_id)
        complete = True
    else:
        # kojid's compatibility mode for repos made before rpmlist.jsonl existed.
        log.warning("repo %s has no rpmlist.jsonl; asking the hub for draft rpms", files.repo_id)
        drafts = hub.listTaggedRPMS(tag_id, event=event, latest=True, draft=True)
        repo_rpms = index_rpms(drafts[0] if drafts else ())
        complete = False
    return buildroot_listing(
        packages,
        repo_id=files.repo_id,
        br_arch=files.br_arch,
        repo_rpms=repo_rpms,
        rpmlist_complete=complete,
        external_repos=external_repos,
        origins=origins,
    )


def is_merged(files: RepoFiles) -> bool:
    """Whether the repo was merged with external repos (its repomd.xml lists pkgorigins).

    Read from the repo rather than asked of the hub, so the hub sees kojid's calls only. A
    repo without repomd.xml is left for dnf to report.
    """
    repomd = files.read("repodata/repomd.xml")
    if repomd is None:
        return False
    try:
        origin_location(repomd.decode("utf-8", errors="replace"))
    except BuildrootError as exc:
        if "no 'origin' entry" in str(exc):
            return False
        raise
    return True


def _origins(files: RepoFiles) -> dict[str, str]:
    repomd = files.read("repodata/repomd.xml")
    if repomd is None:
        raise BuildrootError(f"{files.where('repodata/repomd.xml')} does not exist")
    href = origin_location(repomd.decode("utf-8", errors="replace"))
    if href.startswith("/") or ".." in href.split("/"):
        raise BuildrootError(f"the repo's repomd.xml names pkgorigins outside the repo: {href!r}")
    data = files.read(href)
    if data is None:
        raise BuildrootError(f"the repo's pkgorigins {files.where(href)} does not exist")
    return parse_pkgorigins(data)


def _int(info: Mapping[str, object], key: str) -> int:
    value = info.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BuildrootError(f"the hub's repo info has no integer {key!r}: {value!r}")
    return value
