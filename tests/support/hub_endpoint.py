"""Where a hub is and who may talk to it: one description for devhub and for a real hub.

End-to-end scenarios take a HubEndpoint, so the same scenario runs against devhub (tests/
devhub) and against a real koji hub named by environment variables (tests/live).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import koji

# The stock `koji` script the koji package installs next to this interpreter.
KOJI_CLI = [sys.executable, str(Path(sys.executable).parent / "koji")]


@dataclass(frozen=True)
class HubEndpoint:
    server: str
    topurl: str
    serverca: Path
    admin_cert: Path  # a user with the admin permission
    host_cert: Path  # a registered build host (CN = host name)
    host_name: str
    target: str
    build_tag: str

    def session(self, cert: Path | None = None) -> koji.ClientSession:
        """A logged-in client session (anonymous when cert is None)."""
        session = koji.ClientSession(
            self.server, {"serverca": str(self.serverca), "max_retries": 3, "retry_interval": 1}
        )
        if cert is not None:
            session.ssl_login(cert=str(cert), serverca=str(self.serverca))
        return session

    def write_koji_config(self, directory: Path) -> Path:
        """A koji CLI config file for the admin user."""
        path = directory / "koji.conf"
        path.write_text(
            f"[koji]\nserver = {self.server}\ntopurl = {self.topurl}\nauthtype = ssl\n"
            f"cert = {self.admin_cert}\nserverca = {self.serverca}\n"
        )
        return path

    def koji_cli(self, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the stock koji CLI from the PyPI package against this hub."""
        env = dict(os.environ, KOJI_CONFIG_DIR="/nonexistent")
        return subprocess.run(
            [*KOJI_CLI, "-c", str(config), "-p", "koji", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
