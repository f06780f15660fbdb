"""Read a yum repo's metadata the way a client would: repomd.xml, then what it points at.

Tests use it to check what a repo task produced — the packages (with where each file is),
the comps groups and, for merged repos, the pkgorigins of each package — over the topurl or
the filesystem alike (``fetch`` takes a path relative to the repo and returns bytes).
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

REPO_NS = "{http://linux.duke.edu/metadata/repo}"
COMMON_NS = "{http://linux.duke.edu/metadata/common}"


@dataclass
class RepoContents:
    packages: dict[str, str] = field(default_factory=dict)  # "name.arch" -> location href
    location_bases: dict[str, str] = field(default_factory=dict)  # "name.arch" -> xml:base
    groups: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)  # nvra -> origin URL


def _unpacked(href: str, data: bytes) -> bytes:
    return gzip.decompress(data) if href.endswith(".gz") else data


def read_repo(fetch: Callable[[str], bytes]) -> RepoContents:
    contents = RepoContents()
    repomd = ET.fromstring(fetch("repodata/repomd.xml"))
    hrefs = {}
    for data in repomd.iter(f"{REPO_NS}data"):
        location = data.find(f"{REPO_NS}location")
        assert location is not None
        hrefs[data.get("type")] = location.get("href")
    primary = ET.fromstring(_unpacked(hrefs["primary"], fetch(hrefs["primary"])))
    for package in primary.iter(f"{COMMON_NS}package"):
        key = f"{package.findtext(f'{COMMON_NS}name')}.{package.findtext(f'{COMMON_NS}arch')}"
        location = package.find(f"{COMMON_NS}location")
        assert location is not None
        contents.packages[key] = location.get("href", "")
        base = location.get("{http://www.w3.org/XML/1998/namespace}base")
        if base:
            contents.location_bases[key] = base
    group_href = hrefs.get("group_gz") or hrefs.get("group")
    if group_href:
        comps = ET.fromstring(_unpacked(group_href, fetch(group_href)))
        contents.groups = sorted(g.findtext("id") or "" for g in comps.iter("group"))
    if "origin" in hrefs:
        for line in _unpacked(hrefs["origin"], fetch(hrefs["origin"])).decode().splitlines():
            parts = line.split(None, 2)
            if len(parts) >= 2:
                contents.origins[parts[0]] = parts[1]
    return contents
