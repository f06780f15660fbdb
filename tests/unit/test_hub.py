"""Which login the worker uses, in kojid's order: certificate, password, keytab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adjutant.config import KojidSettings, Settings
from adjutant.errors import ConfigError
from adjutant.hub import _login


class RecordingSession:
    def __init__(self) -> None:
        self.logins: list[tuple[str, Any]] = []

    def ssl_login(self, cert: str, ca: None, serverca: str | None) -> None:
        self.logins.append(("ssl", (cert, serverca)))

    def login(self) -> None:
        self.logins.append(("password", None))

    def gssapi_login(self, **kwargs: str) -> None:
        self.logins.append(("gssapi", kwargs))


def settings(**kojid: Any) -> Settings:
    base = {"server": "https://hub.example.com/kojihub", "topurl": "https://hub.example.com/kojifiles",
            "keytab": Path("/nonexistent/kojid.keytab")}  # fmt: skip
    return Settings(kojid=KojidSettings(**(base | kojid)))


def test_certificate_wins_when_the_file_exists(tmp_path: Path) -> None:
    cert = tmp_path / "client.crt"
    cert.write_text("cert")
    session = RecordingSession()
    _login(session, settings(cert=cert, serverca=tmp_path / "ca.crt", user="builder"))
    assert session.logins == [("ssl", (str(cert), str(tmp_path / "ca.crt")))]


def test_password_login_when_no_certificate_file(tmp_path: Path) -> None:
    session = RecordingSession()
    _login(session, settings(cert=tmp_path / "missing.crt", user="builder", password="pw"))
    assert session.logins == [("password", None)]


def test_keytab_login_uses_the_principal_format_and_drops_an_empty_ccache(tmp_path: Path) -> None:
    keytab = tmp_path / "kojid.keytab"
    keytab.write_text("kt")
    ccache = tmp_path / "ccache"
    ccache.write_text("")
    session = RecordingSession()
    _login(session, settings(keytab=keytab, ccache=ccache, krb_principal="compile/b1@EXAMPLE.COM"))
    assert session.logins == [
        ("gssapi", {"principal": "compile/b1@EXAMPLE.COM", "keytab": str(keytab),
                    "ccache": str(ccache)})
    ]  # fmt: skip
    assert not ccache.exists()


def test_no_login_method_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no way to log in to the hub"):
        _login(RecordingSession(), settings())
