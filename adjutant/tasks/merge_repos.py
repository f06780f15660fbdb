"""Merging a tag's external repos into its koji repo with mergerepo_c, as kojid's createrepo.

The koji repo made by createrepo_c is moved aside to ``repo_<id>_premerge`` and merged with
each external repo (in ``getExternalRepoList`` order, ``$arch`` expanded, repos limited to
other arches skipped) into the output dir. The merge mode decides how: ``koji`` (the first
repo to offer a package name wins; blocked packages dropped), ``simple`` (every package kept,
identical NEVRAs included; blocked dropped) or ``bare`` (plain mergerepo with all versions
and a pkgorigins file, for modular repos). pkgorigins records where each package came from;
buildroots read it to tell the hub which rpms were external. One merge mode per tag, as in
kojid.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import koji

MERGEREPOS_LOG = "mergerepos.log"
# mergerepo_c learnt --simple in 0.13.0 and --arch-expand in 0.15.11.
_SIMPLE_SINCE = (0, 13, 0)
_ARCH_EXPAND_SINCE = (0, 15, 11)


def mergerepo_version() -> tuple[int, int, int] | None:
    """mergerepo_c's version ('Version: 0.17.3 (Features: ...)'), None if unknown."""
    try:
        out = subprocess.run(
            ["mergerepo_c", "--version"], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(r"Version: (\d+)\.(\d+)\.(\d+)", out.stdout.strip())
    if out.returncode != 0 or not match:
        return None
    major, minor, patch = (int(x) for x in match.groups())
    return major, minor, patch


def merge_mode(external_repos: Sequence[Mapping[str, object]]) -> str:
    """The tag's single merge mode.

    Raises:
        koji.GenericError: the repos mix modes, or name one koji does not know.
    """
    modes = sorted({str(r.get("merge_mode") or "koji") for r in external_repos})
    if len(modes) > 1:
        raise koji.GenericError(f"Found multiple merge modes for external repos: {modes}")
    if modes[0] not in koji.REPO_MERGE_MODES:
        raise koji.GenericError(f"No such merge mode: {modes[0]}")
    return modes[0]


def repo_urls(
    local_dir: Path, external_repos: Sequence[Mapping[str, object]], arch: str
) -> list[str]:
    """The repos to merge: our premerge repo first, then each external repo for this arch."""
    urls = [f"file://{local_dir}/"]
    for repo in external_repos:
        arches = repo.get("arches")
        if arches and arch not in str(arches).split():
            continue
        urls.append(str(repo["url"]).replace("$arch", arch))
    return urls


def merge_argv(
    mode: str,
    urls: Sequence[str],
    arch: str,
    out_dir: Path,
    blocklist: Path,
    groups: Path | None,
    version: tuple[int, int, int] | None,
) -> list[str]:
    """mergerepo_c's argv for the mode (kojid's flags).

    Raises:
        koji.GenericError: simple mode with a mergerepo_c too old (or unknown) for it.
    """
    if mode == "simple":
        if version is None or version < _SIMPLE_SINCE:
            shown = ".".join(map(str, version)) if version else "unknown"
            raise koji.GenericError(
                f"mergerepo_c is not installed or has low version: {shown} "
                "(0.13.0 needed for --simple)"
            )
        argv = ["mergerepo_c", "--koji", "--simple"]
    elif mode == "bare":
        argv = ["mergerepo_c", "--pkgorigins", "--all"]
    else:
        argv = ["mergerepo_c", "--koji"]
    if mode != "bare":
        argv += ["-b", str(blocklist)]
    argv += ["-a", arch, "-o", str(out_dir)]
    if version is not None and version >= _ARCH_EXPAND_SINCE:
        argv.append("--arch-expand")
    if groups is not None:
        argv += ["-g", str(groups)]
    for url in urls:
        argv += ["-r", url]
    return argv


def run_merge(argv: Sequence[str], workdir: Path) -> int:
    """Run mergerepo_c with TMPDIR in the task's workdir; output to mergerepos.log."""
    env = dict(os.environ, TMPDIR=str(workdir))
    with (workdir / MERGEREPOS_LOG).open("wb") as log:
        return subprocess.run(
            list(argv), stdout=log, stderr=subprocess.STDOUT, env=env, check=False
        ).returncode
