"""Keytab principals, the written krb5.conf, and the orch/krb5 options that go in pairs."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from adjutant import config
from adjutant.errors import ConfigError
from adjutant.kerberos import keytab_principals, read_principal, use_krb5_conf


def _counted(text: str) -> bytes:
    return struct.pack(">H", len(text)) + text.encode()


def _entry(realm: str, *components: str, kvno: int = 2) -> bytes:
    body = struct.pack(">H", len(components)) + _counted(realm)
    body += b"".join(_counted(part) for part in components)
    body += struct.pack(">IIB", 1, 1700000000, kvno)  # name type, timestamp, kvno8
    body += struct.pack(">H", 18) + struct.pack(">H", 32) + b"k" * 32  # aes256 key
    return struct.pack(">i", len(body)) + body


def test_a_keytab_names_each_principal_once_in_file_order() -> None:
    data = (b"\x05\x02" + _entry("KOJI.BOX", "worker", "adjutant-1")
            + struct.pack(">i", -12) + b"\0" * 12  # a hole left by a removed entry
            + _entry("KOJI.BOX", "worker", "adjutant-1", kvno=3)
            + _entry("KOJI.BOX", "other"))  # fmt: skip

    assert keytab_principals(data) == ["worker/adjutant-1@KOJI.BOX", "other@KOJI.BOX"]


@pytest.mark.parametrize(("data", "reason"), [
    (b'{"error": {"message": "boom"}}', "not a keytab"),
    (b"\x05\x02", "holds no keys"),
    (b"\x05\x02" + _entry("R", "a")[:-5], "truncated"),
])  # fmt: skip
def test_something_else_is_not_taken_for_a_keytab(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        keytab_principals(data)


def test_an_unreadable_keytab_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"keytab {tmp_path}/none"):
        read_principal(tmp_path / "none")


def test_krb5_conf_is_written_only_when_absent_and_becomes_krb5_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRB5_CONFIG", "/etc/krb5.conf")
    path = tmp_path / "etc" / "krb5.conf"

    use_krb5_conf(path, "KOJI.BOX", "kdc.koji.box")
    written = path.read_text()
    use_krb5_conf(path, "OTHER.REALM", "elsewhere")

    assert "default_realm = KOJI.BOX" in written and "kdc = kdc.koji.box" in written
    assert path.read_text() == written
    assert os.environ["KRB5_CONFIG"] == str(path)


def _problems(tmp_path: Path, **env: str) -> str:
    environ = {"KOJI_ADJUTANT_CONFIG": str(tmp_path / "none.d"),
               "KOJI_ADJUTANT_KOJID_SERVER": "https://hub.example/kojihub",
               "KOJI_ADJUTANT_KOJID_TOPURL": "https://hub.example/kojifiles", **env}  # fmt: skip
    (tmp_path / "none.d").mkdir(exist_ok=True)
    with pytest.raises(config.InvalidConfig) as caught:
        config.load(environ=environ, check_paths=False)
    return str(caught.value)


def test_orch_url_without_a_resource_names_the_missing_variable(tmp_path: Path) -> None:
    text = _problems(tmp_path, KOJI_ADJUTANT_ORCH_URL="http://orch.koji.box:5000")
    assert (
        "KOJI_ADJUTANT_ORCH_URL is set but [adjutant] orch_resource is not"
        " (set it or KOJI_ADJUTANT_ORCH_RESOURCE)"
    ) in text


def test_a_realm_without_a_kdc_and_a_bad_uuid_are_reported_together(tmp_path: Path) -> None:
    text = _problems(tmp_path, KOJI_ADJUTANT_KRB5_REALM="KOJI.BOX",
                     KOJI_ADJUTANT_ORCH_URL="http://orch.koji.box:5000",
                     KOJI_ADJUTANT_ORCH_RESOURCE="worker-1")  # fmt: skip
    assert "KOJI_ADJUTANT_ORCH_RESOURCE = 'worker-1': not a UUID" in text
    assert "KOJI_ADJUTANT_KRB5_REALM is set but [adjutant] krb5_kdc is not" in text
