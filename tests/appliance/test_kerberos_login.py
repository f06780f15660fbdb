"""The koji-boxed login for real: keytab from orch (double), MIT KDC, devhub's Negotiate login."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import koji
import pytest

from adjutant import config, hub, orch
from tests.support.kerberos_site import KerberosSite
from tests.support.orch_double import OrchDouble, error_body
from tests.support.processes import stop_process

LOGIN_DEADLINE_S = 90.0


def worker_env(site: KerberosSite, double: OrchDouble, tmp_path: Path) -> dict[str, str]:
    """Env-only configuration of a worker in a koji-boxed deployment (no serverca, no cert)."""
    (resource,) = double.resources
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    return {
        "KOJI_ADJUTANT_CONFIG": str(tmp_path / "empty.d"),
        "KOJI_ADJUTANT_KOJID_SERVER": site.server,
        "KOJI_ADJUTANT_KOJID_TOPURL": site.hub.topurl,
        "KOJI_ADJUTANT_KOJID_WORKDIR": str(workdir),
        "KOJI_ADJUTANT_KOJID_MOCKDIR": str(tmp_path / "mock"),
        "KOJI_ADJUTANT_KOJID_KEYTAB": str(tmp_path / "creds" / "kojid.keytab"),
        "KOJI_ADJUTANT_KOJID_CCACHE": str(tmp_path / "ccache"),
        "KOJI_ADJUTANT_KOJID_MAX_RETRIES": "2",
        "KOJI_ADJUTANT_KOJID_RETRY_INTERVAL": "1",
        "KOJI_ADJUTANT_KOJID_SLEEPTIME": "1",
        "KOJI_ADJUTANT_ORCH_URL": double.url,
        "KOJI_ADJUTANT_ORCH_RESOURCE": resource,
        "KOJI_ADJUTANT_KRB5_REALM": site.kdc.realm,
        "KOJI_ADJUTANT_KRB5_KDC": site.kdc.address,
        "KOJI_ADJUTANT_KRB5_CONF": str(tmp_path / "krb5.conf"),
        "KOJI_ADJUTANT_STATE_DB": str(tmp_path / "state.db"),
        "KOJI_ADJUTANT_WORKER_NAME": f"kerberos-test-{resource[:8]}",
    }


@pytest.fixture
def env(kerberos_site: KerberosSite, orch_service: OrchDouble, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:  # fmt: skip
    (tmp_path / "empty.d").mkdir()
    # provision() points KRB5_CONFIG at the written file; undo that after the test
    monkeypatch.setenv("KRB5_CONFIG", "/nonexistent/krb5.conf")
    return worker_env(kerberos_site, orch_service, tmp_path)


def keytab_of(env: dict[str, str]) -> Path:
    return Path(env["KOJI_ADJUTANT_KOJID_KEYTAB"])


def resource_path(double: OrchDouble) -> str:
    (resource,) = double.resources
    return f"/api/v2/resource/{resource}"


def test_worker_logs_in_to_devhub_with_the_keytab_orch_hands_out(
    kerberos_site: KerberosSite, orch_service: OrchDouble, env: dict[str, str]
) -> None:
    settings = orch.provision(config.load(environ=env))

    keytab = keytab_of(env)
    assert stat.S_IMODE(keytab.stat().st_mode) == 0o600
    assert settings.kojid.serverca == keytab.parent / orch.CA_FILE_NAME
    assert settings.kojid.serverca.read_bytes() == kerberos_site.hub.serverca.read_bytes()
    (name,) = orch_service.resources.values()
    assert settings.kojid.krb_principal == f"{name}@{kerberos_site.kdc.realm}"
    # no krb5.conf existed: the worker wrote one, and libkrb5 reads it
    assert os.environ["KRB5_CONFIG"] == env["KOJI_ADJUTANT_KRB5_CONF"]
    assert kerberos_site.kdc.address in Path(env["KOJI_ADJUTANT_KRB5_CONF"]).read_text()

    session = hub.connect(settings)
    try:
        user = session.getLoggedInUser()
        assert user["name"] == name.split("/")[1]
        assert user["krb_principals"] == [settings.kojid.krb_principal]
        assert session.getSessionInfo()["authtype"] == koji.AUTHTYPES["GSSAPI"]
        assert session.host.getID() == kerberos_site.admin.getHost(user["name"])["id"]
    finally:
        session.logout()
    assert orch_service.requests == [("POST", resource_path(orch_service)),
                                     ("GET", "/api/v2/ca/certificate")]  # fmt: skip


def test_a_held_keytab_is_released_and_checked_out_once_more(
    kerberos_site: KerberosSite, orch_service: OrchDouble, env: dict[str, str]
) -> None:
    settings = config.load(environ=env)
    orch.provision(settings)  # a first worker process checked it out ...
    orch_service.requests.clear()
    settings = orch.provision(settings)  # ... and its restart finds it held (409)

    path = resource_path(orch_service)
    assert orch_service.requests == [("POST", path), ("DELETE", path), ("POST", path),
                                     ("GET", "/api/v2/ca/certificate")]  # fmt: skip
    # every checkout re-keys the principal: only the new keytab logs in
    session = hub.connect(settings)
    session.logout()


def test_a_second_conflict_stops_with_the_url_status_and_message(
    orch_service: OrchDouble, env: dict[str, str]
) -> None:
    conflict = error_body("RESOURCE_ALREADY_CHECKED_OUT", "Resource is already checked out")
    orch_service.script = [(409, conflict), (200, b'{"message": "released"}'), (409, conflict)]

    with pytest.raises(orch.OrchError) as caught:
        orch.provision(config.load(environ=env))

    url = orch_service.url + resource_path(orch_service)
    assert str(caught.value) == (
        f"orch POST {url} answered 409: RESOURCE_ALREADY_CHECKED_OUT: "
        "Resource is already checked out"
    )
    assert not keytab_of(env).exists()


@pytest.mark.parametrize(("status", "body", "shown"), [
    (404, error_body("RESOURCE_NOT_FOUND", "resource not found"),
     "404: RESOURCE_NOT_FOUND: resource not found"),
    (500, b"<html><body>Internal Server Error</body></html>\n",
     "500: <html><body>Internal Server Error</body></html>"),
    (200, b'{"error": "not a keytab"}', "200 but not with a keytab"),
])  # fmt: skip
def test_an_error_answer_is_never_written_as_the_keytab(
    orch_service: OrchDouble, env: dict[str, str], status: int, body: bytes, shown: str
) -> None:
    keytab = keytab_of(env)
    keytab.parent.mkdir(parents=True)
    keytab.write_bytes(b"the keytab from before")
    orch_service.script = [(status, body)]

    with pytest.raises(orch.OrchError, match=shown):
        orch.provision(config.load(environ=env))

    assert keytab.read_bytes() == b"the keytab from before"


def test_the_worker_exits_2_naming_orch_url_status_and_message(
    orch_service: OrchDouble, env: dict[str, str], tmp_path: Path
) -> None:
    env = dict(env, KOJI_ADJUTANT_ORCH_RESOURCE="00000000-0000-0000-0000-000000000000")

    result = subprocess.run(
        [sys.executable, "-m", "adjutant", "worker", "--fg"],
        env=dict(os.environ, **env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 2, result.stderr
    assert (
        f"orch POST {orch_service.url}/api/v2/resource/00000000-0000-0000-0000-000000000000"
        " answered 404: RESOURCE_NOT_FOUND: resource not found"
    ) in result.stderr
    assert not keytab_of(env).exists()


def test_the_worker_daemon_logs_in_with_gssapi_and_stops_on_sigterm(
    kerberos_site: KerberosSite, orch_service: OrchDouble, env: dict[str, str], tmp_path: Path
) -> None:
    log_path = tmp_path / "worker.log"
    (name,) = orch_service.resources.values()
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "adjutant", "worker", "--fg"],
            env=dict(os.environ, PYTHONUNBUFFERED="1", **env), stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        # ready: the host's own session reported its load, i.e. its task loop runs
        deadline = time.monotonic() + LOGIN_DEADLINE_S
        host_name = name.split("/")[1]
        while time.monotonic() < deadline:
            assert worker.poll() is None, log_path.read_text()
            host = kerberos_site.admin.getHost(host_name)
            if host is not None and host["ready"]:
                break
            time.sleep(0.2)
        assert f"logged in to {kerberos_site.server} as {host_name}" in log_path.read_text()
        assert host is not None and host["ready"], log_path.read_text()
        assert kerberos_site.admin.getUser(host["user_id"])["krb_principals"] == [
            f"{name}@{kerberos_site.kdc.realm}"
        ]
    finally:
        stop_process(worker, timeout_s=30)
    assert worker.returncode == 0, log_path.read_text()
