"""Appliance fixtures: a real MIT KDC on loopback, devhub taking Kerberos logins, orch's double.

The KDC and devhub are shared by a module (each costs about a second to start); every test
gets its own orch double, resource and keytab paths, so tests do not see each other's state.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from tests.support.devhub_process import DevHubProcess
from tests.support.kdc import Kdc, running_kdc
from tests.support.kerberos_site import HUB_HOST, KerberosSite
from tests.support.orch_double import OrchDouble, running_orch


@pytest.fixture(scope="module")
def kdc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kdc]:
    with running_kdc(tmp_path_factory.mktemp("kdc")) as running:
        yield running


@pytest.fixture(scope="module")
def kerberos_site(kdc: Kdc, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KerberosSite]:
    home = tmp_path_factory.mktemp("devhub")
    service = kdc.add_principal(f"HTTP/{HUB_HOST}")
    keytab = kdc.export_keytab(service, home / "http.keytab")
    hub = DevHubProcess(home / "hub", address=HUB_HOST, keytab=keytab)
    hub.start()
    try:
        admin = koji.ClientSession(hub.server, {"serverca": str(hub.serverca)})
        admin.ssl_login(cert=str(hub.admin_cert), serverca=str(hub.serverca))
        yield KerberosSite(kdc, hub, admin)
        admin.logout()
    finally:
        hub.close()


@pytest.fixture
def orch_service(kerberos_site: KerberosSite, tmp_path: Path) -> Iterator[OrchDouble]:
    """An orch double with one resource, a worker principal unique to the test."""
    resource = str(uuid.uuid4())
    name = f"worker/adjutant-{resource[:8]}"
    double = OrchDouble(
        kdc=kerberos_site.kdc, directory=tmp_path, ca_cert=kerberos_site.hub.serverca,
        resources={resource: name}, on_first_checkout=kerberos_site.add_host,
    )  # fmt: skip
    with running_orch(double) as running:
        yield running
