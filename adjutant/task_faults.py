"""Host-side failures a task cannot explain itself, as koji faults an operator can act on.

koji's runner sends a raw traceback (fault code 1) for anything that is not a koji error; a
full disk under the work dir is the one host failure a build commonly hits. It becomes a
BuildrootError naming the file system, its mount point and what is free now. Secrets are
redaction.py's job; the task's own errors are the handlers'.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from adjutant.errors import BuildrootError

T = TypeVar("T")

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path`` (or its nearest existing parent)."""
    path = path.resolve()
    while not path.exists():
        path = path.parent
    while not os.path.ismount(path):
        path = path.parent
    return path


def disk_full_fault(exc: OSError, workdir: Path) -> BuildrootError:
    """The fault for ``exc`` (no space or quota left) while writing under ``workdir``."""
    where = Path(exc.filename) if isinstance(exc.filename, str) else workdir
    mount = mount_point(where)
    stat = os.statvfs(mount)
    free_mib = stat.f_bavail * stat.f_frsize // (1 << 20)
    reason = "quota exceeded" if exc.errno == errno.EDQUOT else "no space left"
    return BuildrootError(
        f"{reason} on the file system mounted at {mount} (holding {where}; {free_mib} MiB "
        f"free now): the task's files were removed; free space there or raise minspace"
    )


def run_with_host_faults(run: Callable[[], T], workdir: Path) -> T:
    """``run()``, with a full disk turned into a BuildrootError naming the disk.

    Raises:
        BuildrootError: an OSError for a full disk or quota left ``run``.
    """
    try:
        return run()
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise disk_full_fault(exc, workdir) from exc
        raise
