"""What the worker checks before it touches the hub, and how start-up failures are worded.

Everything local comes first (client certificate and CA readable by OpenSSL, the podman
service answering), so a broken host never takes the hub's exclusive session or a lock it
would then hold; each failure is one line naming the problem (ConfigError: exit status 2).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import koji
import requests

from adjutant.config import Settings
from adjutant.container.backend import LABEL_WORKER, ContainerBackend
from adjutant.errors import AdjutantError, ConfigError, ContainerError


def check_certificates(settings: Settings) -> None:
    """Load the SSL client certificate (with its key) and the hub's CA as koji would.

    Raises:
        ConfigError: a file is not a certificate/key OpenSSL can load.
    """
    kojid = settings.kojid
    context = ssl.create_default_context()
    if kojid.cert is not None and Path(kojid.cert).is_file():
        try:
            context.load_cert_chain(str(kojid.cert))
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"[kojid] cert = {kojid.cert}: not a PEM certificate with its private key ({exc})"
            ) from exc
    if kojid.serverca is not None and Path(kojid.serverca).is_file():
        try:
            context.load_verify_locations(cafile=str(kojid.serverca))
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"[kojid] serverca = {kojid.serverca}: not a PEM CA certificate ({exc})"
            ) from exc


def check_podman(backend: ContainerBackend, settings: Settings) -> None:
    """One real call to the podman service (listing this worker's containers).

    Raises:
        ConfigError: the service cannot be reached or answers with an error.
    """
    try:
        backend.list({LABEL_WORKER: settings.adjutant.worker_name})
    except ContainerError as exc:
        url = settings.adjutant.podman_url
        raise ConfigError(f"[adjutant] podman_url = {url}: podman does not answer ({exc})") from exc


def check_hub_reachable(options: Any) -> None:
    """One anonymous call (getAPIVersion), retried by koji's ClientSession itself with the
    ``max_retries``/``retry_interval``/``offline_retry`` kojid configures: a hub that is down
    at start is waited for, then reported in one line (not a login traceback).

    Raises:
        AdjutantError: the hub did not answer within koji's retries (exit status 1: a
            supervisor may start the worker again later).
    """
    # Anonymous calls are retried only with anon_retry (koji's compatibility default).
    session = koji.ClientSession(options.server, {**koji.grab_session_options(options),
                                                  "anon_retry": True})  # fmt: skip
    try:
        session.getAPIVersion()
    except (requests.exceptions.RequestException, koji.ServerOffline, OSError) as exc:
        raise AdjutantError(
            f"cannot reach the hub at {options.server} after {options.max_retries} retries "
            f"{options.retry_interval}s apart: {exc}"
        ) from exc
    finally:
        session.logout()


def login_failure(exc: koji.GenericError, server: str, worker: str) -> ConfigError:
    """The one line an operator reads when the hub refuses this host's session."""
    if isinstance(exc, koji.AuthLockError):
        return ConfigError(
            f"the hub {server} holds an exclusive session for this host ({worker}): another "
            "worker is running, or a killed one left it; stop the other worker, or start this "
            "one with --force-lock to take the session over"
        )
    return ConfigError(f"the hub {server} refused the login of {worker}: {exc}")
