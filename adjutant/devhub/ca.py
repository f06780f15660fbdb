"""A throwaway certificate authority for devhub: the server certificate and client certs.

koji authenticates hosts and users by the CN of their client certificate; devhub needs the
same, so tests and the demo make a CA, a server certificate for the hub's host names and one
client certificate per user or host (key and certificate in one PEM file, as koji's `cert`
option expects). Keys are written mode 0600. Not for production.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class CAFiles:
    """Where the CA lives: its certificate (the `serverca` clients trust) and key."""

    directory: Path

    @property
    def cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_pem(self) -> Path:
        """Server certificate and key in one file."""
        return self.directory / "server.pem"

    def client_pem(self, name: str) -> Path:
        """Client certificate and key in one file, for user or host `name`."""
        return self.directory / f"{_safe_name(name)}.pem"


def _safe_name(name: str) -> str:
    if not name or "/" in name or name.startswith(".") or "\0" in name:
        raise ValueError(f"unusable certificate name: {name!r}")
    return name


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "adjutant devhub"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)


def ensure_ca(directory: Path) -> CAFiles:
    """Create the CA in `directory` unless it already exists; return its files."""
    files = CAFiles(directory)
    if files.cert.exists() and files.key.exists():
        return files
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name("adjutant devhub CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now())
        .not_valid_after(_now() + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_private(files.key, _key_pem(key))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files


def _load_ca(files: CAFiles) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{files.key}: not an EC key made by devhub")
    return cert, key


def _issue(
    files: CAFiles,
    common_name: str,
    usage: x509.ObjectIdentifier,
    alt_names: list[x509.GeneralName] | None = None,
) -> bytes:
    ca_cert, ca_key = _load_ca(files)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now())
        .not_valid_after(_now() + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM) + _key_pem(key)


def issue_server_cert(files: CAFiles, hostnames: list[str]) -> Path:
    """(Re)issue the hub's server certificate for these DNS names and IP addresses."""
    alt: list[x509.GeneralName] = []
    for name in hostnames:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    pem = _issue(files, hostnames[0], ExtendedKeyUsageOID.SERVER_AUTH, alt)
    _write_private(files.server_pem, pem)
    return files.server_pem


def issue_client_cert(files: CAFiles, name: str) -> Path:
    """Issue a client certificate whose CN is the koji user or host name; returns the PEM."""
    path = files.client_pem(name)
    _write_private(path, _issue(files, name, ExtendedKeyUsageOID.CLIENT_AUTH))
    return path
