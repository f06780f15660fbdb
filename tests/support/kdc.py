"""A throwaway MIT Kerberos KDC: its realm, database and logs in a temp dir, on loopback only.

Needs Debian's krb5-kdc and krb5-admin-server (scripts/setup-host installs them). The KDC runs
in the foreground as our child and is killed when the block ends; principals are made and
keytabs exported with ``kadmin.local`` on the same database, as koji-boxed's orch does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from adjutant.kerberos import KRB5_CONF_TEMPLATE
from tests.support.processes import stop_process

REALM = "ADJUTANT.TEST"
START_DEADLINE_S = 30.0
TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local")


@dataclass
class Kdc:
    """A running KDC: where clients find it and how to make principals."""

    realm: str
    address: str  # host:port for krb5.conf's kdc line
    directory: Path
    krb5_conf: Path
    env: dict[str, str]

    def kadmin(self, query: str) -> str:
        """Run one kadmin.local query on the realm's database; its output."""
        result = subprocess.run(
            ["kadmin.local", "-r", self.realm, "-q", query], env=self.env,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if result.returncode != 0 or "error" in result.stderr.lower():
            raise RuntimeError(f"kadmin.local {query!r} failed: {result.stderr.strip()}")
        return result.stdout

    def add_principal(self, name: str) -> str:
        """Create ``name@realm`` with a random key if it is not there; the full principal."""
        principal = f"{name}@{self.realm}"
        if principal not in self.kadmin("listprincs"):
            self.kadmin(f"addprinc -randkey {principal}")
        return principal

    def export_keytab(self, principal: str, keytab: Path) -> Path:
        """Re-key ``principal`` and write its keys to ``keytab`` (kadmin's ktadd)."""
        keytab.unlink(missing_ok=True)
        self.kadmin(f"ktadd -k {keytab} {principal}")
        return keytab


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool, path="/usr/sbin:/usr/bin") is None]
    if missing:
        raise RuntimeError(
            f"the Kerberos tests need {', '.join(missing)}: install krb5-kdc and "
            "krb5-admin-server (bash scripts/setup-host does)"
        )


def _wait_listening(port: int, kdc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if kdc.poll() is not None:
            raise RuntimeError(f"krb5kdc exited with {kdc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"krb5kdc did not listen on 127.0.0.1:{port} in {START_DEADLINE_S}s")


@contextmanager
def running_kdc(directory: Path, realm: str = REALM) -> Iterator[Kdc]:
    """Create a realm under ``directory`` and serve it until the block ends."""
    _require_tools()
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    address = f"127.0.0.1:{port}"
    krb5_conf = directory / "krb5.conf"
    krb5_conf.write_text(KRB5_CONF_TEMPLATE.format(realm=realm, kdc=address))
    kdc_conf = directory / "kdc.conf"
    kdc_conf.write_text(
        "[kdcdefaults]\n"
        f"    kdc_listen = 127.0.0.1:{port}\n"
        f"    kdc_tcp_listen = 127.0.0.1:{port}\n"
        "[realms]\n"
        f"    {realm} = {{\n"
        f"        database_name = {directory}/principal\n"
        f"        key_stash_file = {directory}/stash\n"
        f"        acl_file = {directory}/kadm5.acl\n"
        "        supported_enctypes = aes256-cts-hmac-sha1-96:normal\n"
        "    }\n"
        "[logging]\n"
        f"    kdc = FILE:{directory}/kdc.log\n"
    )
    (directory / "kadm5.acl").write_text("")
    path = "/usr/sbin:/usr/bin:" + os.environ.get("PATH", "")
    env = dict(os.environ, KRB5_CONFIG=str(krb5_conf), KRB5_KDC_PROFILE=str(kdc_conf),
               PATH=path)  # fmt: skip
    subprocess.run(
        ["kdb5_util", "-r", realm, "create", "-s", "-P", "throwaway-master-key"],
        env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    log = directory / "krb5kdc.out"
    with log.open("wb") as out:
        kdc = subprocess.Popen(["krb5kdc", "-n", "-r", realm], env=env, stdout=out,
                               stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _wait_listening(port, kdc, log)
        yield Kdc(realm, address, directory, krb5_conf, env)
    finally:
        stop_process(kdc, timeout_s=10)
