"""Fixtures for devhub end-to-end tests: a devhub process seeded like a small koji site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adjutant.devhub import groups, hosts, tags, targets
from tests.support.devhub_process import DevHubProcess
from tests.support.hub_endpoint import HubEndpoint

HOST = "builder-test.example.com"
TARGET = "dh-target"
BUILD_TAG = "dh-build"
DEST_TAG = "dh-dest"


def seed(proc: DevHubProcess) -> None:
    """A build tag inheriting arches and macros from a base tag, a target and a host."""
    with proc.admin.admin_call() as call:
        hosts.add_host(call.db, HOST, ["x86_64"])
        tags.create_tag(call.db, "dh-base", "x86_64", {"rpm.macro.dist": ".dh1"})
        tags.create_tag(call.db, BUILD_TAG, "x86_64", {}, ["dh-base"])
        tags.create_tag(call.db, DEST_TAG, "x86_64", {}, ["dh-base"])
        targets.create_target(call.db, TARGET, BUILD_TAG, DEST_TAG)
        groups.add_group(call.db, BUILD_TAG, "build", ["bash", "rpm-build"])
        groups.add_group(call.db, BUILD_TAG, "srpm-build", ["bash", "rpm-build"])


@pytest.fixture
def devhub_proc(tmp_path: Path) -> Iterator[DevHubProcess]:
    proc = DevHubProcess(tmp_path / "devhub")
    seed(proc)
    proc.start()
    try:
        yield proc
    finally:
        proc.close()


@pytest.fixture
def endpoint(devhub_proc: DevHubProcess) -> HubEndpoint:
    return HubEndpoint(
        server=devhub_proc.server,
        topurl=devhub_proc.topurl,
        serverca=devhub_proc.serverca,
        admin_cert=devhub_proc.admin_cert,
        host_cert=devhub_proc.admin.client_cert(HOST),
        host_name=HOST,
        target=TARGET,
        build_tag=BUILD_TAG,
    )
