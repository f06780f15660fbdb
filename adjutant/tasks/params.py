"""Checks of the parameters the hub passes to buildroot tasks (paths, tags, repo ids).

Task parameters are input from the hub (and, through it, from users): each check names the
method and the bad value in a TaskParamError, which becomes the task's fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from adjutant.errors import TaskParamError
from adjutant.results import check_file_name

# The hub's tag names (hub: verify_name_internal).
_TAG_NAME = re.compile(r"^[A-Za-z0-9/_.+-]+$")


def check_srpm_path(pkg: object, method: str) -> str:
    """An SRPM path under work/ as a task parameter: relative, safe names, *.src.rpm.

    Raises:
        TaskParamError: it is not; the message names the method and the value.
    """
    if not isinstance(pkg, str) or not pkg:
        raise TaskParamError(f"{method}: the SRPM must be a path under work/, got {pkg!r}")
    parts = pkg.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise TaskParamError(f"{method}: unsafe SRPM path {pkg!r}")
    for part in parts:
        check_file_name(part, "SRPM path component")
    if not pkg.endswith(".src.rpm"):
        raise TaskParamError(f"{method}: {pkg!r} is not an SRPM (*.src.rpm)")
    return pkg


def check_tag_ref(tag: object, method: str) -> int | str:
    """A build tag given by id or name.

    Raises:
        TaskParamError: neither a positive id nor a valid tag name.
    """
    if isinstance(tag, bool) or not (
        (isinstance(tag, int) and tag > 0) or (isinstance(tag, str) and _TAG_NAME.match(tag))
    ):
        raise TaskParamError(f"{method}: invalid build tag {tag!r}")
    return tag


def check_repo_opt(opts: object, method: str) -> int:
    """The required ``repo_id`` of a buildroot task's opts.

    Raises:
        TaskParamError: opts is not a mapping or has no positive integer repo_id.
    """
    if opts is None:
        opts = {}
    if not isinstance(opts, Mapping):
        raise TaskParamError(f"{method}: opts must be a mapping, got {opts!r}")
    repo_id = opts.get("repo_id")
    if repo_id is None:
        raise TaskParamError(f"{method}: missing repo_id in opts (a repo id must be provided)")
    if isinstance(repo_id, bool) or not isinstance(repo_id, int) or repo_id <= 0:
        raise TaskParamError(f"{method}: repo_id must be a positive integer, got {repo_id!r}")
    return repo_id
