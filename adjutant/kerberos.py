"""Kerberos client files: the principals a keytab holds, and a krb5.conf for one realm.

The login itself is koji's (``ClientSession.gssapi_login``); this module only prepares what
it reads. Keytabs are parsed here rather than with ``klist -k`` so the worker image needs no
Kerberos tools, only the GSSAPI library.
"""

from __future__ import annotations

import logging
import os
import struct
from pathlib import Path

from adjutant.errors import ConfigError

log = logging.getLogger(__name__)

_KEYTAB_V2 = b"\x05\x02"  # MIT keytab format version 2 (big-endian); the only one in use

KRB5_CONF_TEMPLATE = """\
# Written by adjutant from krb5_realm and krb5_kdc; an existing file is never replaced.
[libdefaults]
    default_realm = {realm}
    dns_lookup_realm = false
    dns_lookup_kdc = false
    # The hub's service principal is HTTP/<host in the server URL>, as the URL spells it.
    rdns = false
    dns_canonicalize_hostname = false
    # TCP first: KDC replies for keytab logins can exceed a UDP datagram.
    udp_preference_limit = 1

[realms]
    {realm} = {{
        kdc = {kdc}
    }}
"""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.offset + size > len(self.data):
            raise ValueError("truncated entry")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def uint16(self) -> int:
        value: int = struct.unpack(">H", self.take(2))[0]
        return value

    def counted(self) -> str:
        return self.take(self.uint16()).decode("utf-8", errors="replace")


def keytab_principals(data: bytes) -> list[str]:
    """The distinct principals in a keytab (MIT format 0x0502), in file order.

    Raises:
        ValueError: ``data`` is not a keytab (the caller names the file or URL).
    """
    if data[:2] != _KEYTAB_V2:
        raise ValueError("not a keytab (no 0x0502 version header)")
    principals: list[str] = []
    reader = _Reader(data)
    reader.take(2)
    while reader.offset + 4 <= len(reader.data):
        (size,) = struct.unpack(">i", reader.take(4))
        if size <= 0:
            reader.take(-size)  # a hole left by a removed entry
            continue
        entry = _Reader(reader.take(size))
        count = entry.uint16()
        realm = entry.counted()
        name = "/".join(entry.counted() for _ in range(count))
        principal = f"{name}@{realm}"
        if principal not in principals:
            principals.append(principal)
    if not principals:
        raise ValueError("the keytab holds no keys")
    return principals


def read_principal(path: Path) -> str:
    """The one principal of the keytab at ``path`` (the first, as ``klist -k | tail -1``).

    Raises:
        ConfigError: the file is missing, unreadable or not a keytab.
    """
    try:
        principals = keytab_principals(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"keytab {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"keytab {path}: {exc}") from exc
    return principals[0]


def use_krb5_conf(path: Path, realm: str | None, kdc: str | None) -> None:
    """Make ``path`` this process's krb5.conf, writing it for ``realm`` when it is absent.

    An operator's own file always wins; the realm and KDC only fill a gap (the worker image
    ships none). ``KRB5_CONFIG`` is set for libkrb5, which reads it at every context creation.
    """
    if realm is not None and kdc is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(KRB5_CONF_TEMPLATE.format(realm=realm, kdc=kdc))
        log.info("wrote %s for realm %s (KDC %s)", path, realm, kdc)
    elif realm is not None:
        log.info("krb5.conf %s exists: using it as it is", path)
    os.environ["KRB5_CONFIG"] = str(path)
