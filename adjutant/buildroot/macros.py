"""Render the RPM macros file a buildroot's build user gets, as kojid's mock config sets them.

Pure text rendering; which values apply (options, tag extra, task) is decided by the caller.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping

from adjutant.errors import TaskParamError

# mock writes config_opts['macros'] into the build user's ~/.rpmmacros (not /etc/rpm): they
# apply to what the build user runs, rpmbuild and rpm --eval alike, and not to root's dnf.
MACROS_FILE = "/builddir/.rpmmacros"
# koji imports need flat file names; the build user's tree lives under its home.
# %_rpmfilename is macro-expanded first, then used as a header query format per package.
# While parsing a spec rpm defines %{NAME}, %{VERSION} and %{RELEASE} as macros holding the
# main package's values, so the tags are written %%{...} (as kojid's mock config does):
# expansion turns them into header tags, and each subpackage gets its own name.
FIXED_MACROS = {
    "_rpmfilename": "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
    "_topdir": "/builddir/build",
}
# An rpm macro name (also the shape of an environment variable name).
MACRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def buildhost() -> str:
    """The %_buildhost a build records: this host's FQDN, as mock sets it (its default
    use_container_host_hostname), not the container's random hostname."""
    return socket.getfqdn()


def render_macros(macros: Mapping[str, str]) -> str:
    """One '%name value' line per macro, fixed macros last so nothing overrides them.

    Raises:
        TaskParamError: a name is not an identifier or a value spans lines.
    """
    merged = {**macros, **FIXED_MACROS}
    lines = ["# written by adjutant for this buildroot"]
    for name, value in merged.items():
        if not MACRO_NAME.fullmatch(name):
            raise TaskParamError(f"invalid rpm macro name {name!r}")
        if "\n" in value or "\r" in value:
            raise TaskParamError(f"rpm macro %{name} has a multi-line value")
        lines.append(f"%{name} {value}")
    return "\n".join(lines) + "\n"
