"""A Kerberos site for tests: the KDC, a devhub taking Negotiate logins, its admin session."""

from __future__ import annotations

from dataclasses import dataclass

import koji

from tests.support.devhub_process import DevHubProcess
from tests.support.kdc import Kdc

# The hub's service principal is HTTP/<host of the server URL>: devhub is named localhost.
HUB_HOST = "localhost"


@dataclass
class KerberosSite:
    kdc: Kdc
    hub: DevHubProcess
    admin: koji.ClientSession

    @property
    def server(self) -> str:
        return self.hub.server

    def add_host(self, principal: str) -> None:
        """What orch does on a first checkout: koji add-host with the worker's principal."""
        name = principal.split("@")[0].split("/")[-1]
        self.admin.addHost(name, ["x86_64"], krb_principal=principal)
