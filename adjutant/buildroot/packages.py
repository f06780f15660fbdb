"""The buildroot's installed packages: the rpmdb listing and what of it is reported to the hub.

kojid reports every package in its mock root; our root starts from an image, and the hub
refuses packages it does not know ("No such rpm"). So the report is the difference between
the rpmdb after installing from the koji repo and the image's own baseline listing, marked
as kojid marks it: ``id`` from the repo's ``rpmlist.jsonl`` (internal), ``external_repo`` and
``location`` from the merged repo's pkgorigins (external). What the image brought goes to the
provenance log instead. Pure: running rpm, fetching repo files and hub calls are the caller's.
"""

from __future__ import annotations

import gzip
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import koji

from adjutant.errors import BuildFailed, BuildrootError

log = logging.getLogger(__name__)

# One tab-separated line per package. LONGSIZE falls back to SIZE in rpm, as koji's header
# reader does; SIGMD5 prints as hex (the hub's payloadhash); absent values print "(none)".
RPMDB_QUERY_TAGS = (
    "NAME",
    "VERSION",
    "RELEASE",
    "EPOCH",
    "ARCH",
    "LONGSIZE",
    "BUILDTIME",
    "SIGMD5",
)
RPMDB_QUERY_FORMAT = "\\t".join(f"%{{{tag}}}" for tag in RPMDB_QUERY_TAGS) + "\\n"
RPMDB_QUERY_ARGV = ("rpm", "-qa", "--qf", RPMDB_QUERY_FORMAT)
# kojid never reports these: keys imported into the rpmdb and mock's fake group package.
SKIPPED_NAMES = frozenset({"gpg-pubkey", "buildsys-build"})
INSTALLED_PKGS_LOG = "installed_pkgs.log"
_NONE = "(none)"
_RPM_FIELDS = ("name", "version", "release", "arch", "id", "payloadhash")
_REPOMD_NS = "{http://linux.duke.edu/metadata/repo}"


@dataclass(frozen=True)
class InstalledPackage:
    """One rpmdb entry, in the fields the hub's buildroot listing takes."""

    name: str
    version: str
    release: str
    epoch: int | None
    arch: str | None  # None only for gpg-pubkey-like entries
    size: int
    buildtime: int
    payloadhash: str | None  # hex SIGMD5; None if the header has none

    @property
    def nvra(self) -> str:
        return f"{self.name}-{self.version}-{self.release}.{self.arch}"

    @property
    def nevra(self) -> str:
        """rpm's %{NEVRA}: the epoch only if set, the arch only if known."""
        epoch = f"{self.epoch}:" if self.epoch is not None else ""
        arch = f".{self.arch}" if self.arch is not None else ""
        return f"{self.name}-{epoch}{self.version}-{self.release}{arch}"


def parse_rpmdb_listing(text: str) -> tuple[InstalledPackage, ...]:
    """Parse the output of ``RPMDB_QUERY_ARGV``, in rpmdb order.

    Raises:
        BuildrootError: a line does not have the eight fields or a number is not a number.
    """
    packages = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 8:
            raise BuildrootError(
                f"rpmdb listing line {number}: expected 8 tab-separated fields, got {line!r}"
            )
        name, version, release, epoch, arch, size, buildtime, sigmd5 = fields
        try:
            packages.append(
                InstalledPackage(
                    name=name,
                    version=version,
                    release=release,
                    epoch=None if epoch == _NONE else int(epoch),
                    arch=None if arch == _NONE else arch,
                    size=0 if size == _NONE else int(size),
                    buildtime=0 if buildtime == _NONE else int(buildtime),
                    payloadhash=None if sigmd5 == _NONE else sigmd5.lower(),
                )
            )
        except ValueError as exc:
            raise BuildrootError(f"rpmdb listing line {number}: {exc}: {line!r}") from exc
    return tuple(packages)


def added_packages(
    installed: Sequence[InstalledPackage], baseline: Sequence[InstalledPackage]
) -> tuple[InstalledPackage, ...]:
    """The packages in ``installed`` that the image's ``baseline`` listing does not hold.

    An entry counts as the image's only if it is identical (NEVRA and payload hash), so a
    package the koji repo upgraded or replaced is reported. gpg-pubkey and buildsys-build
    are dropped, as kojid drops them.
    """
    brought = set(baseline)
    return tuple(p for p in installed if p not in brought and p.name not in SKIPPED_NAMES)


def parse_rpmlist(text: str, repo_id: int) -> dict[str, Mapping[str, object]]:
    """Index a repo's ``rpmlist.jsonl`` (one koji rpm dict per line) by NVRA.

    Raises:
        BuildrootError: a line is not a JSON object with name, version, release, arch, id
            and payloadhash.
    """
    rpms = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            raise BuildrootError(
                f"repo {repo_id} rpmlist.jsonl line {number}: not JSON ({exc})"
            ) from exc
        if not isinstance(entry, dict) or any(f not in entry for f in _RPM_FIELDS):
            raise BuildrootError(
                f"repo {repo_id} rpmlist.jsonl line {number}: expected an rpm with "
                f"{', '.join(_RPM_FIELDS)}"
            )
        rpms.append(entry)
    return index_rpms(rpms)


def index_rpms(rpms: Iterable[Mapping[str, object]]) -> dict[str, Mapping[str, object]]:
    """Index koji rpm dicts by NVRA: for ``listTaggedRPMS`` results, kojid's fallback for
    repos without ``rpmlist.jsonl``."""
    return {"{name}-{version}-{release}.{arch}".format(**rpm): rpm for rpm in rpms}


def origin_location(repomd_xml: str) -> str:
    """The pkgorigins file's href from a merged repo's ``repodata/repomd.xml``.

    Raises:
        BuildrootError: the XML is malformed or has no ``origin`` entry (kojid needs it
            whenever the tag has external repos).
    """
    try:
        root = ET.fromstring(repomd_xml)
    except ET.ParseError as exc:
        raise BuildrootError(f"cannot parse the repo's repomd.xml: {exc}") from exc
    for data in root.iter(f"{_REPOMD_NS}data"):
        if data.get("type") == "origin":
            location = data.find(f"{_REPOMD_NS}location")
            href = location.get("href") if location is not None else None
            if href:
                return href
    raise BuildrootError("the repo's repomd.xml has no 'origin' entry for its pkgorigins")


def parse_pkgorigins(data: bytes) -> dict[str, str]:
    """Map NVRA → origin URL from a pkgorigins file (gzipped or plain).

    Each line is ``[e:]n-v-r.a <origin url>``; short lines are skipped, as kojid does.

    Raises:
        BuildrootError: the data is not gzip-readable, or a package field is not an NVRA.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise BuildrootError(f"cannot read the repo's pkgorigins: {exc}") from exc
    origins = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        parts = line.split(None, 2)
        if len(parts) < 2:
            continue
        try:
            info = koji.parse_NVRA(parts[0])
        except koji.GenericError as exc:
            raise BuildrootError(f"pkgorigins: bad package {parts[0]!r}: {exc}") from exc
        origins["{name}-{version}-{release}.{arch}".format(**info)] = parts[1]
    return origins


def buildroot_listing(
    packages: Sequence[InstalledPackage],
    *,
    repo_id: int,
    br_arch: str,
    repo_rpms: Mapping[str, Mapping[str, object]],
    rpmlist_complete: bool = True,
    external_repos: Sequence[Mapping[str, object]] = (),
    origins: Mapping[str, str] | None = None,
) -> list[dict[str, object]]:
    """The list ``setBuildRootList``/``updateBuildRootList`` take, built as kojid builds it.

    ``packages`` are those to report (see ``added_packages``). External marking comes first
    (only when the tag had external repos at the repo's event): an origin ending in
    ``/repo_<repo_id>_premerge/`` is internal; a known external repo URL (``$arch``
    expanded to ``br_arch``) sets ``external_repo`` and ``location``. Then every other
    package gets ``id`` from ``repo_rpms`` (the indexed ``rpmlist.jsonl``).

    ``rpmlist_complete=False`` is kojid's compatibility mode for repos without
    ``rpmlist.jsonl``: ``repo_rpms`` then holds only the tag's draft rpms
    (``listTaggedRPMS(..., draft=True)``) and every other entry is left for the hub to
    resolve by NVRA. With a complete list, a package that is in neither is an error here,
    where kojid would only warn and the hub then fail with 'No such rpm': we name them.

    Raises:
        BuildrootError: a payload hash differs from the repo's, a package has no payload
            hash, or packages are unknown to the repo.
        BuildFailed: a package has no origin, or an unknown one (kojid's BuildError).
    """
    entries = [_entry(p) for p in packages]
    if external_repos:
        _mark_external(entries, repo_id, br_arch, external_repos, origins or {})
    unknown = []
    for entry in entries:
        if "external_repo" in entry:
            continue
        nvra = "{name}-{version}-{release}.{arch}".format(**entry)
        known = repo_rpms.get(nvra)
        if known is None:
            if rpmlist_complete:
                unknown.append(nvra)
        elif known["payloadhash"] != entry["payloadhash"]:
            raise BuildrootError(
                f"RPM {nvra}: payloadhash {entry['payloadhash']} does not match "
                f"{known['payloadhash']} in repo {repo_id} rpmlist.jsonl"
            )
        else:
            entry["id"] = known["id"]
    if unknown:
        raise BuildrootError(
            f"{len(unknown)} installed package(s) are not in repo {repo_id} "
            f"(rpmlist.jsonl) nor from an external repo, so the hub would refuse them: "
            f"{', '.join(sorted(unknown))}; see root.log"
        )
    return entries


def _entry(package: InstalledPackage) -> dict[str, object]:
    if package.payloadhash is None:
        raise BuildrootError(f"RPM {package.nvra} has no SIGMD5 header; koji cannot record it")
    return {
        "name": package.name,
        "version": package.version,
        "release": package.release,
        "epoch": package.epoch,
        "arch": package.arch,
        "size": package.size,
        "buildtime": package.buildtime,
        "payloadhash": package.payloadhash,
    }


def _mark_external(
    entries: list[dict[str, object]],
    repo_id: int,
    br_arch: str,
    external_repos: Sequence[Mapping[str, object]],
    origins: Mapping[str, str],
) -> None:
    by_url = {str(r["url"]).replace("$arch", br_arch): r for r in external_repos}
    # mergerepos starts from a local copy of the koji repo, hence this odd origin for ours.
    internal_tail = f"/repo_{repo_id}_premerge/"
    for entry in entries:
        nvra = "{name}-{version}-{release}.{arch}".format(**entry)
        url = origins.get(nvra)
        if not url:
            raise BuildFailed(f"No origin for {nvra}")
        repo = by_url.get(url)
        if repo is None:
            if url.startswith("file://") and url.endswith(internal_tail):
                continue
            raise BuildFailed(f"Unknown origin for {nvra}: {url}")
        entry["external_repo"] = dict(repo)
        entry["location"] = repo["external_repo_id"]


def render_installed_pkgs(installed: Sequence[InstalledPackage]) -> str:
    """``installed_pkgs.log`` as mock's package_state plugin writes it: every package in the
    root (the image's too), ``<nevra> <buildtime> <size> installed``, in rpmdb order."""
    return "".join(f"{p.nevra} {p.buildtime} {p.size} installed\n" for p in installed)
