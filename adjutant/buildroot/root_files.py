"""The files mock writes into every root that a container would otherwise get from podman.

mock gives a root without network its own /etc/hosts (localhost only) and an empty
/etc/resolv.conf, so lookups fail at once, and a fresh /etc/machine-id. Pure: which files,
with what text; copying them in is the buildroot's job, and the container spec tells podman
to leave /etc/hosts (and, without network, /etc/resolv.conf) alone.
"""

from __future__ import annotations

import uuid

HOSTS_PATH = "/etc/hosts"
RESOLV_CONF_PATH = "/etc/resolv.conf"
MACHINE_ID_PATH = "/etc/machine-id"
# mock's /etc/hosts for a root that does not copy the host's (use_host_resolv off).
MOCK_HOSTS = (
    "127.0.0.1 localhost localhost.localdomain\n"
    "::1       localhost localhost.localdomain localhost6 localhost6.localdomain6\n"
)


def root_files(*, has_network: bool) -> dict[str, str]:
    """Path → text of the files to write as root before the first step.

    With a network (the bridge a topurl repo needs while packages install) podman's
    resolv.conf stays: dnf in the container resolves the repo's host, which mock's dnf,
    running outside the root, does not need.
    """
    files = {HOSTS_PATH: MOCK_HOSTS, MACHINE_ID_PATH: f"{uuid.uuid4().hex}\n"}
    if not has_network:
        files[RESOLV_CONF_PATH] = ""
    return files
