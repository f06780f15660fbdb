"""FakeHub: a koji hub session double for unit and podman tests of tasks and buildroots.

It records every hub call in order (uploads separately), answers from the data it was given,
and enforces the hub rules adjutant relies on, with the hub's own fault classes:

- ``host.*`` calls bind to the hub's signatures: an unknown keyword (``newBuildRoot(...,
  ctype=...)``) is a ``ParameterError``, as koji's argument check makes it;
- ``newBuildRoot`` needs a ``task_id`` of the OPEN task and one arch;
- ``setBuildRootList`` only in INIT, ``updateBuildRootList`` only in BUILDING, INIT is never set
  again, EXPIRED is terminal (expiring again is a no-op);
- every listed rpm must resolve (by ``id`` or NVRA among the repo's rpms) or be a well-formed
  external rpm: anything else is "No such rpm", which is what an image's own package gets;
- task uploads go under ``tasks/...`` of the OPEN task; non-log files may not be overwritten.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import koji
from koji.util import adler32_constructor

BR_STATES = {"INIT": 0, "WAITING": 1, "BUILDING": 2, "EXPIRED": 3}
_EXTERNAL_FIELDS = {"name": str, "version": str, "release": str, "arch": str,
                    "payloadhash": str, "size": int, "buildtime": int}  # fmt: skip


@dataclass(frozen=True)
class HubCall:
    method: str  # "repoInfo", "host.newBuildRoot", ...
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]


@dataclass
class FakeBuildroot:
    id: int
    repo_id: int
    arch: str
    task_id: int
    state: str = "INIT"
    listing: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)


def _bind(
    reference: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """The arguments by name, as the hub's signature binds them; a mismatch is koji's
    ParameterError (koji.util.call_with_argcheck)."""
    try:
        bound = inspect.signature(reference).bind(*args, **kwargs)
    except TypeError as exc:
        raise koji.ParameterError(f"{reference.__name__}: {exc}") from None
    bound.apply_defaults()
    return dict(bound.arguments)


# The hub's signatures (kojihub HostExports / RootExports) for the calls we check.
def newBuildRoot(repo: Any, arch: Any, task_id: Any = None) -> None: ...  # noqa: N802
def setBuildRootState(brootid: Any, state: Any, task_id: Any = None) -> None: ...  # noqa: N802
def setBuildRootList(brootid: Any, rpmlist: Any, task_id: Any = None) -> None: ...  # noqa: N802
def updateBuildRootList(brootid: Any, rpmlist: Any, task_id: Any = None) -> None: ...  # noqa: N802
def setTaskWeight(task_id: Any, weight: Any) -> None: ...  # noqa: N802


class FakeHost:
    """``session.host``: the host calls, checked as the hub checks them."""

    def __init__(self, hub: FakeHub) -> None:
        self._hub = hub

    def newBuildRoot(self, *args: Any, **kwargs: Any) -> int:  # noqa: N802
        self._hub.record("host.newBuildRoot", args, kwargs)
        bound = _bind(newBuildRoot, args, kwargs)
        repo, arch, task_id = bound["repo"], bound["arch"], bound["task_id"]
        if task_id is None:
            raise koji.GenericError("standard_buildroot.task_id may not be null")
        self._hub.assert_task_open(task_id)
        if not isinstance(arch, str) or len(arch.split()) != 1:
            raise koji.GenericError(f"invalid arch: {arch!r}")
        brootid = self._hub.next_buildroot_id
        self._hub.next_buildroot_id += 1
        self._hub.buildroots[brootid] = FakeBuildroot(brootid, repo, arch, task_id)
        return brootid

    def setBuildRootState(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self._hub.record("host.setBuildRootState", args, kwargs)
        bound = _bind(setBuildRootState, args, kwargs)
        brootid, state = bound["brootid"], bound["state"]
        buildroot = self._hub.buildroot(brootid)
        name = state if isinstance(state, str) else {v: k for k, v in BR_STATES.items()}[state]
        if name not in BR_STATES:
            raise koji.GenericError(f"no such state: {state}")
        if buildroot.state == "EXPIRED":
            if name == "EXPIRED":
                return
            raise koji.GenericError(f"buildroot {brootid} is expired")
        if name == "INIT":
            raise koji.GenericError("cannot set buildroot state to INIT")
        buildroot.state = name

    def setBuildRootList(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self._hub.record("host.setBuildRootList", args, kwargs)
        bound = _bind(setBuildRootList, args, kwargs)
        buildroot = self._hub.buildroot(bound["brootid"])
        if buildroot.state != "INIT":
            raise koji.GenericError(f"buildroot {buildroot.id} is {buildroot.state}, not INIT")
        buildroot.listing = self._hub.resolve(bound["rpmlist"])

    def updateBuildRootList(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self._hub.record("host.updateBuildRootList", args, kwargs)
        bound = _bind(updateBuildRootList, args, kwargs)
        buildroot = self._hub.buildroot(bound["brootid"])
        if buildroot.state != "BUILDING":
            raise koji.GenericError(f"buildroot {buildroot.id} is {buildroot.state}, not BUILDING")
        known = {self._hub.nvra(e) for e in buildroot.listing}
        resolved = self._hub.resolve(bound["rpmlist"])
        buildroot.updates = [e for e in resolved if self._hub.nvra(e) not in known]

    def setTaskWeight(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self._hub.record("host.setTaskWeight", args, kwargs)
        bound = _bind(setTaskWeight, args, kwargs)
        self._hub.assert_task_open(bound["task_id"])

    def getHost(self) -> dict[str, Any]:  # noqa: N802
        self._hub.record("host.getHost", (), {})
        return dict(self._hub.host_info)


class FakeHub:
    """A hub session: repo, tag config, rpms, task and host data in; recorded calls out."""

    def __init__(
        self,
        *,
        task_id: int,
        repo: Mapping[str, Any],
        build_config: Mapping[str, Any],
        rpms: Sequence[Mapping[str, Any]] = (),
        external_repos: Sequence[Mapping[str, Any]] = (),
        host_info: Mapping[str, Any] | None = None,
        task_arch: str = "x86_64",
        average_build_s: float | None = None,
        upload_dir: Path | None = None,
    ) -> None:
        self.task_id = task_id
        self.task_state = "OPEN"
        self.repo = dict(repo)
        self.build_config = dict(build_config)
        self.rpms = [dict(r) for r in rpms]
        self.external_repos = [dict(r) for r in external_repos]
        self.host_info = dict(host_info or {"id": 1, "name": "builder", "arches": "x86_64"})
        self.task_arch = task_arch
        self.average_build_s = average_build_s
        self.upload_dir = upload_dir
        self.calls: list[HubCall] = []
        self.uploads: dict[tuple[str, str], bytes] = {}
        self.buildroots: dict[int, FakeBuildroot] = {}
        self.next_buildroot_id = 501
        self.host = FakeHost(self)
        self.opts: dict[str, Any] = {"use_fast_upload": True}
        self._lock = threading.Lock()

    # -- inspection -----------------------------------------------------------------------

    def record(self, method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        with self._lock:
            self.calls.append(HubCall(method, tuple(args), dict(kwargs)))

    @property
    def methods(self) -> list[str]:
        """The hub methods called, in order (uploads not included)."""
        return [call.method for call in self.calls]

    def calls_to(self, method: str) -> list[HubCall]:
        return [call for call in self.calls if call.method == method]

    def uploaded(self, name: str) -> bytes:
        """The hub's copy of the task output file ``name``."""
        return self.uploads[(koji.pathinfo.taskrelpath(self.task_id), name)]

    @property
    def uploaded_names(self) -> list[str]:
        return sorted(name for _, name in self.uploads)

    # -- rules ----------------------------------------------------------------------------

    def assert_task_open(self, task_id: int) -> None:
        if task_id != self.task_id or self.task_state != "OPEN":
            raise koji.ActionNotAllowed(f"task {task_id} is not open on this host")

    def buildroot(self, brootid: int) -> FakeBuildroot:
        try:
            return self.buildroots[brootid]
        except KeyError:
            raise koji.GenericError(f"no such buildroot: {brootid}") from None

    @staticmethod
    def nvra(entry: Mapping[str, Any]) -> str:
        return "{name}-{version}-{release}.{arch}".format(**entry)

    def resolve(self, rpmlist: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        resolved = []
        for entry in rpmlist:
            if "location" in entry:
                for key, kind in _EXTERNAL_FIELDS.items():
                    if not isinstance(entry.get(key), kind):
                        raise koji.GenericError(f"external rpm {key} is not {kind.__name__}")
                if not isinstance(entry.get("external_repo"), Mapping):
                    raise koji.GenericError("external rpm without external_repo")
                resolved.append(dict(entry))
                continue
            known = None
            if "id" in entry:
                known = next((r for r in self.rpms if r["id"] == entry["id"]), None)
            else:
                known = next((r for r in self.rpms if self.nvra(r) == self.nvra(entry)), None)
            if known is None:
                raise koji.GenericError(f"No such rpm: {self.nvra(entry)}")
            resolved.append(dict(known))
        return resolved

    # -- root calls -----------------------------------------------------------------------

    def repoInfo(self, repo_id: int, strict: bool = False) -> dict[str, Any] | None:  # noqa: N802
        self.record("repoInfo", (repo_id,), {"strict": strict})
        if repo_id != self.repo["id"]:
            if strict:
                raise koji.GenericError(f"Repo {repo_id} does not exist")
            return None
        return dict(self.repo)

    def getBuildConfig(self, tag: Any, event: int | None = None) -> dict[str, Any]:  # noqa: N802
        self.record("getBuildConfig", (tag,), {"event": event})
        if tag not in (self.build_config["id"], self.build_config["name"]):
            raise koji.GenericError(f"No such tagInfo: {tag!r}")
        return dict(self.build_config)

    def getExternalRepoList(self, tag_info: Any, event: int | None = None) -> list[Any]:  # noqa: N802
        self.record("getExternalRepoList", (tag_info,), {"event": event})
        return [dict(r) for r in self.external_repos]

    def listTaggedRPMS(self, tag: Any, **kwargs: Any) -> list[Any]:  # noqa: N802
        self.record("listTaggedRPMS", (tag,), kwargs)
        return [[r for r in self.rpms if r.get("draft")], []]

    def getAverageBuildDuration(self, package: str, age: int | None = None) -> float | None:  # noqa: N802
        self.record("getAverageBuildDuration", (package,), {"age": age})
        return self.average_build_s

    def getTaskInfo(self, task_id: int, request: bool = False) -> dict[str, Any]:  # noqa: N802
        self.record("getTaskInfo", (task_id,), {"request": request})
        return {"id": task_id, "arch": self.task_arch, "state": 1, "method": "buildArch"}

    # -- uploads --------------------------------------------------------------------------

    def _store(self, path: str, name: str, data: bytes, offset: int, overwrite: bool) -> None:
        if "/" in name or name.startswith("."):
            raise koji.GenericError(f"invalid upload name: {name!r}")
        if path.startswith("tasks/"):
            self.assert_task_open(int(path.split("/")[2]))
        with self._lock:
            key = (path, name)
            if key in self.uploads and offset == 0 and not overwrite and not name.endswith(".log"):
                raise koji.GenericError(f"upload path exists: {path}/{name}")
            self.uploads[key] = self.uploads.get(key, b"")[:offset] + data
            content = self.uploads[key]
        if self.upload_dir is not None:
            target = self.upload_dir / path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    def rawUpload(  # noqa: N802
        self, chunk: bytes, offset: int, path: str, name: str, overwrite: bool = False,
        volume: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        self._store(path, name, chunk, offset, overwrite)
        digest = adler32_constructor(chunk).hexdigest()
        return {"size": len(chunk), "hexdigest": digest, "offset": offset}

    def uploadFile(  # noqa: N802
        self, path: str, name: str, size: int, checksum: Any, offset: int, data: str,
        volume: str | None = None,
    ) -> bool:  # fmt: skip
        chunk = base64.b64decode(data)
        if checksum != ("sha256", hashlib.sha256(chunk).hexdigest()):
            return False
        self._store(path, name, chunk, offset, True)
        return True

    def uploadWrapper(  # noqa: N802
        self, localfile: str, path: str, name: str | None = None, callback: Any = None,
        blocksize: int | None = None, overwrite: bool = True, volume: str | None = None,
    ) -> None:  # fmt: skip
        source = Path(localfile)
        self.record("uploadWrapper", (localfile, path), {"name": name})
        self._store(path, name or source.name, source.read_bytes(), 0, overwrite)


# -- a ready-made koji repo and buildroot, for unit tests ------------------------------------

TASK_ID = 1001234
REPO_ID = 7
TAG_ID = 12
TAG_NAME = "f40-build"
CREATE_EVENT = 4242
RPMS_DIR = Path(__file__).resolve().parents[1] / "data" / "buildroot" / "rpms"
SRPM_NAME = "adjutant-demo-1.0-1.fc40.src.rpm"
RPM_NAMES = ("adjutant-demo-1.0-1.fc40.x86_64.rpm", "adjutant-demo-data-1.0-1.fc40.noarch.rpm")


@dataclass(frozen=True)
class Pkg:
    """One package as the rpmdb lists it and, if it came from the koji repo, its rpm id."""

    name: str
    version: str
    release: str
    arch: str
    payloadhash: str
    rpm_id: int | None = None
    epoch: int | None = None

    @property
    def rpmdb_line(self) -> str:
        epoch = "(none)" if self.epoch is None else str(self.epoch)
        return "\t".join((self.name, self.version, self.release, epoch, self.arch, "1000",
                          "1700000000", self.payloadhash))  # fmt: skip

    @property
    def rpm_row(self) -> dict[str, Any]:
        return {
            "id": self.rpm_id, "name": self.name, "version": self.version,
            "release": self.release, "arch": self.arch, "epoch": self.epoch, "draft": False,
            "payloadhash": self.payloadhash, "size": 1000, "buildtime": 1700000000,
            "buildroot_id": 55, "build_id": 9000 + (self.rpm_id or 0), "metadata_only": False,
        }  # fmt: skip


IMAGE_PKGS = (
    Pkg("adjutant-image-provides", "1", "1", "noarch", "a1" * 16),
    Pkg("bash", "5.2.15", "2", "x86_64", "a2" * 16),
)
GROUP_PKGS = (
    Pkg("redhat-rpm-config", "300", "1.fc40", "noarch", "b1" * 16, rpm_id=2001),
    Pkg("fedora-release-common", "40", "39", "noarch", "b2" * 16, rpm_id=2002),
)
BUILDREQUIRES_PKGS = (
    Pkg("zlib-devel", "1.3", "1.fc40", "x86_64", "c1" * 16, rpm_id=2003, epoch=1),
)
UNUSED_REPO_PKGS = (Pkg("perl", "5.38", "1.fc40", "x86_64", "d1" * 16, rpm_id=2004),)
REPO_PKGS = GROUP_PKGS + BUILDREQUIRES_PKGS + UNUSED_REPO_PKGS


def repo_info(state: int = koji.REPO_READY) -> dict[str, Any]:
    return {"id": REPO_ID, "tag_id": TAG_ID, "tag_name": TAG_NAME, "state": state,
            "create_event": CREATE_EVENT, "dist": False}  # fmt: skip


def build_config(**extra: Any) -> dict[str, Any]:
    return {"id": TAG_ID, "name": TAG_NAME, "arches": "x86_64 aarch64", "locked": False,
            "extra": {"rpm.macro.dist": ".fc40", **extra}}  # fmt: skip


def make_hub(upload_dir: Path | None = None, **overrides: Any) -> FakeHub:
    values: dict[str, Any] = {
        "task_id": TASK_ID, "repo": repo_info(), "build_config": build_config(),
        "rpms": [p.rpm_row for p in REPO_PKGS], "upload_dir": upload_dir,
    }  # fmt: skip
    values.update(overrides)
    return FakeHub(**values)


def write_koji_repo(topdir: Path, pkgs: Sequence[Pkg] = REPO_PKGS, arch: str = "x86_64") -> Path:
    """``repos/<tag>/<repo>/<arch>/rpmlist.jsonl`` under ``topdir``; returns the arch dir."""
    arch_dir = topdir / "repos" / TAG_NAME / str(REPO_ID) / arch
    arch_dir.mkdir(parents=True, exist_ok=True)
    rows = "".join(json.dumps(p.rpm_row) + "\n" for p in pkgs)
    (arch_dir / "rpmlist.jsonl").write_text(rows)
    return arch_dir


def rpmdb(*pkgs: Pkg) -> bytes:
    return "".join(p.rpmdb_line + "\n" for p in pkgs).encode()


def script_buildroot(
    backend: Any,
    *,
    installed: Sequence[Pkg] = GROUP_PKGS,
    built: Sequence[Pkg] = GROUP_PKGS + BUILDREQUIRES_PKGS,
    srpm: Path = RPMS_DIR / SRPM_NAME,
) -> None:
    """Script a FakeBackend as a working buildroot: three rpmdb listings (image, after the
    group install, after the build), one spec, and rpmbuild writing the test packages."""
    from adjutant.buildroot.packages import RPMDB_QUERY_ARGV

    top = "/builddir/build"
    # Scripts added later match first; each listing is used once.
    backend.on_exec(RPMDB_QUERY_ARGV, output=rpmdb(*IMAGE_PKGS, *built), once=True)
    backend.on_exec(RPMDB_QUERY_ARGV, output=rpmdb(*IMAGE_PKGS, *installed), once=True)
    backend.on_exec(RPMDB_QUERY_ARGV, output=rpmdb(*IMAGE_PKGS), once=True)
    backend.on_exec(("find", f"{top}/SPECS"), output=f"{top}/SPECS/adjutant-demo.spec\0".encode())
    backend.on_exec(("find", f"{top}/SRPMS"), output=f"{top}/SRPMS/{SRPM_NAME}\0".encode())
    backend.on_exec(("dnf",), output=b"Complete!\n")
    backend.on_exec(("rpmbuild", "-bs"), output=f"Wrote: {top}/SRPMS/{SRPM_NAME}\n".encode(),
                    writes={f"{top}/SRPMS/{SRPM_NAME}": srpm.read_bytes()})  # fmt: skip
    backend.on_exec(
        ("rpmbuild", "-bb"),
        output=b"+ make\nWrote: RPMs\n",
        writes={f"{top}/RPMS/{name}": (RPMS_DIR / name).read_bytes() for name in RPM_NAMES},
    )
