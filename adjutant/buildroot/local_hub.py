"""LocalHub: the stand-in for the koji hub that ``adjutant build`` puts behind a KojiBuildroot.

A local rebuild runs the buildroot code buildArch runs, so the reproduction is faithful; only
where things are reported differs. This stand-in answers the calls a buildroot makes: the
repo and build config of one synthetic tag (its ``rpm.macro.*`` extras carry ``--define``), a
buildroot record kept in memory, and uploads written into the result dir. It is not devhub
(no XML-RPC, no database) and checks nothing a real hub would refuse.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import koji
from koji.util import adler32_constructor

from adjutant.buildroot.build_config import MACRO_PREFIX
from adjutant.errors import TaskParamError

LOCAL_TAG = "adjutant-local"
LOCAL_TAG_ID = 1
LOCAL_REPO_ID = 1
LOCAL_EVENT = 1
# Local task ids: random per process (a worker's containers on this host never match them),
# then counted up, so several rebuilds in one process never share an id (container names
# and labels are made from it).
_TASK_IDS = itertools.count(secrets.randbelow(1 << 30) + (1 << 30))
_TASK_IDS_LOCK = threading.Lock()


def new_task_id() -> int:
    """A task id for one local rebuild: unique in this process, random across processes."""
    with _TASK_IDS_LOCK:
        return next(_TASK_IDS)


@dataclass
class BuildrootRecord:
    """What the hub would hold about a buildroot: its state and package lists."""

    repo_id: int
    arch: str
    task_id: int | None
    states: list[str] = field(default_factory=list)
    packages: list[dict[str, object]] = field(default_factory=list)


class LocalHost:
    """The ``host.*`` calls a buildroot makes; records them in memory."""

    def __init__(self) -> None:
        self.buildroots: dict[int, BuildrootRecord] = {}

    def newBuildRoot(self, repo: int, arch: str, task_id: int | None = None) -> int:  # noqa: N802
        brootid = len(self.buildroots) + 1
        self.buildroots[brootid] = BuildrootRecord(repo, arch, task_id, ["INIT"])
        return brootid

    def setBuildRootState(self, brootid: int, state: str) -> None:  # noqa: N802
        self.buildroots[brootid].states.append(state)

    def setBuildRootList(self, brootid: int, rpmlist: list[dict[str, object]]) -> None:  # noqa: N802
        self.buildroots[brootid].packages = list(rpmlist)

    def updateBuildRootList(  # noqa: N802
        self, brootid: int, rpmlist: list[dict[str, object]]
    ) -> None:
        self.buildroots[brootid].packages.extend(rpmlist)


class LocalHub:
    """The hub session a KojiBuildroot uses, for one local rebuild into ``upload_dir``."""

    def __init__(
        self, upload_dir: Path, *, arch: str, defines: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.upload_dir = upload_dir
        self.arch = arch
        self.defines = tuple(defines)
        self.host = LocalHost()
        self.uploaded: list[str] = []  # names, in the order they first arrived

    @property
    def opts(self) -> Mapping[str, object]:
        return {"use_fast_upload": True}

    def repoInfo(  # noqa: N802 (koji's name)
        self, repo_info: int, strict: bool = False
    ) -> Mapping[str, object] | None:
        return {
            "id": repo_info, "tag_id": LOCAL_TAG_ID, "tag_name": LOCAL_TAG,
            "state": koji.REPO_READY, "create_event": LOCAL_EVENT, "dist": False,
        }  # fmt: skip

    def getBuildConfig(  # noqa: N802 (koji's name)
        self, tag: int | str, event: int | None = None
    ) -> Mapping[str, object] | None:
        # --define travels as the tag's rpm macros do, so it lands in the same macros file.
        extra = {f"{MACRO_PREFIX}{name}": value for name, value in self.defines}
        return {"id": LOCAL_TAG_ID, "name": LOCAL_TAG, "arches": self.arch, "extra": extra}

    def getExternalRepoList(  # noqa: N802 (koji's name)
        self, tag_info: int, event: int | None = None
    ) -> Sequence[Mapping[str, object]]:
        return []

    def listTaggedRPMS(  # noqa: N802 (koji's name)
        self, tag: int, event: int | None = None, latest: bool = False, draft: bool = False
    ) -> Sequence[Sequence[Mapping[str, object]]]:
        return [[], []]

    def rawUpload(  # noqa: N802 (koji's name)
        self, chunk: bytes, offset: int, path: str, name: str, overwrite: bool = False
    ) -> Mapping[str, object]:
        self._write(name, chunk, offset)
        return {"size": len(chunk), "hexdigest": adler32_constructor(chunk).hexdigest()}

    def uploadFile(  # noqa: N802 (koji's name)
        self, path: str, name: str, size: int, checksum: tuple[str, str], offset: int, data: str
    ) -> bool:
        self._write(name, base64.b64decode(data), offset)
        return True

    def _write(self, name: str, chunk: bytes, offset: int) -> None:
        if "/" in name or name in ("", ".", ".."):
            raise TaskParamError(f"upload name {name!r} is not a plain file name")
        target = self.upload_dir / name
        if name not in self.uploaded:
            self.uploaded.append(name)
            target.write_bytes(b"")
        with target.open("r+b") as out:
            out.seek(offset)
            out.write(chunk)
            if offset == 0:
                out.truncate(len(chunk))
