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
needs_worker = pytest.mark.skipif(not os.environ.get("ADJUTANT_LIVE_TASK_IMAGE"),
                                  reason="ADJUTANT_LIVE_TASK_IMAGE is not set")
