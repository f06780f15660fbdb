"""Live-hub tests: the devhub end-to-end scenarios against a real koji hub.

Set these to run them (they are skipped otherwise, since no real hub is reachable here):

    ADJUTANT_LIVE_SERVER      hub URL, e.g. https://koji.example.com/kojihub
    ADJUTANT_LIVE_TOPURL      files URL, e.g. https://koji.example.com/kojifiles
    ADJUTANT_LIVE_SERVERCA    CA bundle that signed the hub's certificate
    ADJUTANT_LIVE_ADMIN_CERT  client cert+key (PEM) of a user with the admin permission
    ADJUTANT_LIVE_HOST_CERT   client cert+key (PEM) of a registered build host
    ADJUTANT_LIVE_HOST_NAME   that host's name on the hub
    ADJUTANT_LIVE_TARGET      a build target
    ADJUTANT_LIVE_TAG         that target's build tag
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.hub_endpoint import HubEndpoint

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/live/" in str(item.fspath):
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def live_endpoint() -> HubEndpoint:
    missing = [var for var in VARIABLES.values() if not os.environ.get(var)]
    if missing:
        pytest.skip(f"no live koji hub configured (unset: {', '.join(missing)})")
    values: dict[str, object] = {key: os.environ[var] for key, var in VARIABLES.items()}
    for key in PATHS:
        values[key] = Path(str(values[key]))
    return HubEndpoint(**values)  # type: ignore[arg-type]
