"""RPM signatures: cached signature headers per (rpm, key) and the signed copies made from them.

As on the hub, every imported rpm gets the signature header it arrived with (key '' when
unsigned); `koji import-sig` adds others (`addRPMSig`, 'sign' permission) and
`writeSignedRPM` splices one into a copy under the build's data/signed/<key>/ — the files a
dist repo links. Headers live under data/sigcache/<key>/, as koji.pathinfo lays them out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import Any

import koji

from adjutant.devhub.builds import find_rpm, rpm_build_dir
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.hosts import require_host
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import require_perm

_KEY_TAGS = (koji.RPM_SIGTAG_GPG, koji.RPM_SIGTAG_PGP, koji.RPM_SIGTAG_DSA, koji.RPM_SIGTAG_RSA)


def _internal(db: Cursor, an_rpm: Any) -> Row:
    row = find_rpm(db, an_rpm, strict=True)
    assert row is not None
    if row["external_repo_id"]:
        raise koji.GenericError(f"Not an internal rpm: {an_rpm}")
    return row


def _nvra(rpm: Row) -> str:
    return f"{rpm['name']}-{rpm['version']}-{rpm['release']}.{rpm['arch']}"


def sighdr_key(sighdr: bytes, rpm: Row) -> str:
    """The key id the header was made with ('' if none), after checking it belongs to `rpm`.

    Raises:
        koji.GenericError: the header is unreadable or its MD5 is not the rpm's.
    """
    try:
        raw = koji.RawHeader(sighdr)
        sigmd5 = raw.get(koji.RPM_SIGTAG_MD5)
    except Exception as exc:  # the koji library raises bare errors on garbage
        raise koji.GenericError(f"not a signature header for {_nvra(rpm)}: {exc}") from None
    if sigmd5 is None or koji.hex_string(sigmd5) != rpm["payloadhash"]:
        got = koji.hex_string(sigmd5) if sigmd5 is not None else None
        raise koji.GenericError(f"wrong md5 for {_nvra(rpm)}: {got}")
    for tag in _KEY_TAGS:
        packet = raw.get(tag)
        if packet:
            return str(koji.get_sigpacket_key_id(packet))
    return ""


def add_rpm_sig(db: Cursor, topdir: Path, rpm: Row, sighdr: bytes) -> str:
    """Record and cache a signature header for the rpm; returns its key."""
    builddir = rpm_build_dir(db, topdir, rpm)
    if not builddir.is_dir():
        raise koji.GenericError(f"No such directory: {builddir}")
    sigkey = sighdr_key(sighdr, rpm)
    if db.one("SELECT 1 FROM rpm_sigs WHERE rpm_id = ? AND sigkey = ?", (rpm["id"], sigkey)):
        raise koji.GenericError(f"Signature already exists for package {_nvra(rpm)}, key {sigkey}")
    db.run(
        "INSERT INTO rpm_sigs (rpm_id, sigkey, sighash) VALUES (?, ?, ?)",
        (rpm["id"], sigkey, hashlib.md5(sighdr, usedforsecurity=False).hexdigest()),
    )
    path = builddir / koji.pathinfo.sighdr(dict(rpm), sigkey)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sighdr)
    return sigkey


def record_imported_sig(db: Cursor, topdir: Path, rpm_id: int, rpm_path: Path) -> None:
    """Cache the header an rpm was imported with, as the hub's import does."""
    rpm = find_rpm(db, rpm_id, strict=True)
    assert rpm is not None
    add_rpm_sig(db, topdir, rpm, koji.rip_rpm_sighdr(str(rpm_path)))


def rpm_sigkeys(db: Cursor, rpm_id: int) -> list[str]:
    """The keys the rpm has cached headers for ('' first if unsigned copies are known)."""
    rows = db.rows("SELECT sigkey FROM rpm_sigs WHERE rpm_id = ? ORDER BY sigkey", (rpm_id,))
    return [r["sigkey"] for r in rows] or [""]


@API.export("addRPMSig")
def add_rpm_sig_call(call: Call, an_rpm: Any, data: Any) -> None:
    require_perm(call, "sign")
    try:
        sighdr = base64.b64decode(data, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise koji.ParameterError("addRPMSig: data must be a base64 signature header") from None
    add_rpm_sig(call.db, call.config.topdir, _internal(call.db, an_rpm), sighdr)


@API.export("queryRPMSigs")
def query_rpm_sigs(
    call: Call, rpm_id: Any = None, sigkey: Any = None, queryOpts: Any = None
) -> list[dict[str, Any]]:
    if rpm_id is not None and not isinstance(rpm_id, int):
        row = find_rpm(call.db, rpm_id)
        if row is None:
            return []
        rpm_id = row["id"]
    rows = call.db.rows(
        "SELECT * FROM rpm_sigs WHERE (? IS NULL OR rpm_id = ?) AND (? IS NULL OR sigkey = ?) "
        "ORDER BY rpm_id, sigkey",
        (rpm_id, rpm_id, sigkey, sigkey.lower() if isinstance(sigkey, str) else sigkey),
    )
    return [{"rpm_id": r["rpm_id"], "sigkey": r["sigkey"], "sighash": r["sighash"]} for r in rows]


def write_signed_rpm(
    db: Cursor, topdir: Path, an_rpm: Any, sigkey: str, force: bool = False
) -> None:
    """Splice the cached header for `sigkey` into a signed copy of the rpm."""
    if not isinstance(sigkey, str):
        raise koji.ParameterError(f"sigkey must be a string: {sigkey!r}")
    sigkey = sigkey.lower()
    rpm = _internal(db, an_rpm)
    builddir = rpm_build_dir(db, topdir, rpm)
    rpm_path = builddir / koji.pathinfo.rpm(dict(rpm))
    if not rpm_path.is_file():
        raise koji.GenericError(f"No such path: {rpm_path}")
    if not db.one("SELECT 1 FROM rpm_sigs WHERE rpm_id = ? AND sigkey = ?", (rpm["id"], sigkey)):
        raise koji.GenericError(f"No cached signature for package {_nvra(rpm)}, key {sigkey}")
    signed = builddir / koji.pathinfo.signed(dict(rpm), sigkey)
    if signed.exists():
        if not force:
            return
        signed.unlink()
    sighdr = (builddir / koji.pathinfo.sighdr(dict(rpm), sigkey)).read_bytes()
    signed.parent.mkdir(parents=True, exist_ok=True)
    koji.splice_rpm_sighdr(sighdr, str(rpm_path), dst=str(signed))


@API.export("writeSignedRPM")
def write_signed_rpm_call(call: Call, an_rpm: Any, sigkey: str, force: bool = False) -> None:
    require_perm(call, "sign")
    write_signed_rpm(call.db, call.config.topdir, an_rpm, sigkey, force)


@API.export("host.writeSignedRPM")
def host_write_signed_rpm(call: Call, an_rpm: Any, sigkey: str, force: bool = False) -> None:
    require_host(call)
    write_signed_rpm(call.db, call.config.topdir, an_rpm, sigkey, force)
