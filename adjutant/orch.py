"""Credentials from koji-boxed's orch service: the worker's keytab and the hub's CA.

koji-boxed gives build hosts no client certificate: each checks out a keytab resource from
orch (``POST /api/v2/resource/<uuid>``), whose principal orch has registered with the hub.
This module does that checkout at start and returns the settings koji's GSSAPI login reads.

The resource is not released at shutdown, as koji-boxed's own worker does not release it:
orch frees a checkout as soon as its container is no longer running (the next checkout
cleans it up), and answers 409 only to the same, still running container asking again,
which a restarted worker process handles by releasing and checking out once more.
Every checkout re-keys the principal (orch runs ``ktadd``), so an old keytab stops working.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import requests

from adjutant import kerberos
from adjutant.config import Settings
from adjutant.errors import ConfigError

log = logging.getLogger(__name__)

RESOURCE_PATH = "/api/v2/resource/"
CA_PATH = "/api/v2/ca/certificate"
# Beside the keytab when serverca is unset.
CA_FILE_NAME = "orch-ca.crt"
TIMEOUT_S = 30.0


class OrchError(ConfigError):
    """orch refused or failed a request: the worker cannot log in (exit status 2)."""


def _error_text(response: requests.Response) -> str:
    """orch's error message (JSON ``{"error": {"message": ...}}``), else the body's start."""
    try:
        body = response.json()
        message = body["error"]["message"]
        code = body["error"].get("code")
        return f"{code}: {message}" if code else str(message)
    except (ValueError, KeyError, TypeError, AttributeError):
        text = response.text.strip().splitlines()
        return text[0][:200] if text else response.reason or "no message"


def _request(method: str, url: str) -> requests.Response:
    try:
        return requests.request(method, url, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise OrchError(f"orch {method} {url} failed: {exc}") from exc


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only, replacing ``path`` in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(partial, 0o600)
    partial.replace(path)


def checkout_keytab(orch_url: str, resource: str, keytab: Path) -> str:
    """Check out ``resource`` into ``keytab`` (mode 0600); returns its principal.

    Only a 200 answer is a keytab. A 409 (this container holds it already, e.g. after a
    restart of the worker process) is answered by releasing it and checking out once more.

    Raises:
        OrchError: any other answer, naming the URL, status and orch's message; nothing is
            written then, so an error body never becomes a keytab.
    """
    url = orch_url.rstrip("/") + RESOURCE_PATH + resource
    response = _request("POST", url)
    if response.status_code == 409:
        log.warning("orch: %s is checked out already: releasing it and checking out again", url)
        release = _request("DELETE", url)
        if release.status_code != 200:
            raise OrchError(
                f"orch DELETE {url} answered {release.status_code}: {_error_text(release)}"
            )
        response = _request("POST", url)
    if response.status_code != 200:
        raise OrchError(f"orch POST {url} answered {response.status_code}: "
                        f"{_error_text(response)}")  # fmt: skip
    try:
        principal = kerberos.keytab_principals(response.content)[0]
    except ValueError as exc:
        raise OrchError(f"orch POST {url} answered 200 but not with a keytab: {exc}") from exc
    _write_private(keytab, response.content)
    log.info("orch: checked out the keytab of %s into %s", principal, keytab)
    return principal


def fetch_ca(orch_url: str, dest: Path) -> None:
    """Save orch's CA certificate (the one that signed the hub's) at ``dest``.

    Raises:
        OrchError: orch did not answer 200 with a PEM certificate.
    """
    url = orch_url.rstrip("/") + CA_PATH
    response = _request("GET", url)
    if response.status_code != 200:
        raise OrchError(f"orch GET {url} answered {response.status_code}: "
                        f"{_error_text(response)}")  # fmt: skip
    if b"-----BEGIN CERTIFICATE-----" not in response.content:
        raise OrchError(f"orch GET {url} answered 200 but not with a PEM certificate")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(response.content)
    log.info("orch: saved the hub CA at %s", dest)


def provision(settings: Settings) -> Settings:
    """The settings to log in with, after the orch checkout when ``orch_url`` is set.

    Also makes ``krb5_conf`` the process's Kerberos configuration (written from
    ``krb5_realm``/``krb5_kdc`` when absent). Without ``orch_url`` the keytab, principal and
    CA stay as configured.

    Raises:
        OrchError: the checkout or the CA download failed.
    """
    adjutant = settings.adjutant
    if adjutant.krb5_realm is not None or adjutant.orch_url is not None:
        kerberos.use_krb5_conf(adjutant.krb5_conf, adjutant.krb5_realm, adjutant.krb5_kdc)
    if adjutant.orch_url is None or adjutant.orch_resource is None:
        return settings
    kojid = settings.kojid
    keytab = Path(kojid.keytab)
    principal = checkout_keytab(adjutant.orch_url, adjutant.orch_resource, keytab)
    serverca = kojid.serverca
    if serverca is None:
        serverca = keytab.parent / CA_FILE_NAME
        fetch_ca(adjutant.orch_url, serverca)
    # The certificate login would win over the keytab in kojid's order: orch hosts have none.
    kojid = dataclasses.replace(kojid, krb_principal=principal, serverca=serverca, cert=None)
    return dataclasses.replace(settings, kojid=kojid)
