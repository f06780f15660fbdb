"""What the live tests need from the environment, and the skip marks that say so."""

from __future__ import annotations

import os

import pytest

VARIABLES = {
    "server": "ADJUTANT_LIVE_SERVER",
    "topurl": "ADJUTANT_LIVE_TOPURL",
    "serverca": "ADJUTANT_LIVE_SERVERCA",
    "admin_cert": "ADJUTANT_LIVE_ADMIN_CERT",
    "host_cert": "ADJUTANT_LIVE_HOST_CERT",
    "host_name": "ADJUTANT_LIVE_HOST_NAME",
    "target": "ADJUTANT_LIVE_TARGET",
    "build_tag": "ADJUTANT_LIVE_TAG",
}
PATHS = ("serverca", "admin_cert", "host_cert")


MISSING = [var for var in VARIABLES.values() if not os.environ.get(var)]
# Marks for the tests that need more than a hub (see the module docstrings).
needs_worker = pytest.mark.skipif(
    not os.environ.get("ADJUTANT_LIVE_TASK_IMAGE"), reason="ADJUTANT_LIVE_TASK_IMAGE is not set"
)
# Repo tasks read and write the hub's topdir, as kojid's do: it must be mounted here.
needs_topdir = pytest.mark.skipif(
    not os.environ.get("ADJUTANT_LIVE_TOPDIR"),
    reason="ADJUTANT_LIVE_TOPDIR (the hub's topdir) is not set",
)
needs_external_repo = pytest.mark.skipif(
    not (
        os.environ.get("ADJUTANT_LIVE_EXTERNAL_REPO_URL")
        and os.environ.get("ADJUTANT_LIVE_EXTERNAL_PACKAGE")
    ),
    reason="ADJUTANT_LIVE_EXTERNAL_REPO_URL / ADJUTANT_LIVE_EXTERNAL_PACKAGE are not set",
)
