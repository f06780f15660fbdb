"""Repos for a local rebuild (`adjutant build --repo`): directories mounted read-only, or URLs.

The local counterpart of repo_config: instead of one koji repo, any number of plain rpm-md
repos. A directory needs no network (it is bind-mounted read-only); a URL needs the bridge
network while dependencies install, after which the buildroot detaches it for rpmbuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from adjutant.buildroot.repo_config import (
    DNF_CONF_PATH,
    FIXED_MAIN_SETTINGS,
    MOCK_DNF_OPTIONS,
    is_loopback_host,
)
from adjutant.container.backend import Mount
from adjutant.errors import TaskParamError

MOUNT_ROOT = "/mnt/repos"


@dataclass(frozen=True)
class LocalRepos:
    baseurls: tuple[str, ...]
    mounts: tuple[Mount, ...]
    needs_network: bool
    dnf_conf: str
    dnf_options: tuple[str, ...] = (f"--config={DNF_CONF_PATH}", *MOCK_DNF_OPTIONS)


def local_repos(specs: Sequence[str]) -> LocalRepos:
    """Turn ``--repo`` arguments (directories or http(s) URLs) into mounts and a dnf config.

    Raises:
        TaskParamError: a directory without repodata, or a URL that is not plain http(s) or
            that points at this host's loopback (unreachable from a container: use the
            directory instead).
    """
    baseurls: list[str] = []
    mounts: list[Mount] = []
    for index, spec in enumerate(specs):
        if "://" in spec:
            baseurls.append(_check_url(spec))
            continue
        directory = Path(spec).resolve()
        if not (directory / "repodata" / "repomd.xml").is_file():
            raise TaskParamError(
                f"--repo {spec}: no repodata/repomd.xml there (run createrepo_c on it first)"
            )
        target = f"{MOUNT_ROOT}/{index}"
        mounts.append(Mount(source=directory, target=target, read_only=True))
        baseurls.append(f"file://{target}")
    lines = ["# written by adjutant for a local rebuild", "[main]"]
    lines += [f"{key}={value}" for key, value in FIXED_MAIN_SETTINGS.items()]
    for index, url in enumerate(baseurls):
        lines += ["", f"[local-{index}]", f"name=local-{index}", f"baseurl={url}",
                  "skip_if_unavailable=0"]  # fmt: skip
    return LocalRepos(
        baseurls=tuple(baseurls),
        mounts=tuple(mounts),
        needs_network=len(mounts) < len(baseurls),
        dnf_conf="\n".join(lines) + "\n",
    )


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise TaskParamError(f"--repo {url!r}: expected a directory or an http(s) URL")
    if is_loopback_host(parts.hostname):
        raise TaskParamError(
            f"--repo {url}: {parts.hostname} inside the container is the container itself; "
            "give the repo's directory instead"
        )
    return url
