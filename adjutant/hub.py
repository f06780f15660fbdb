"""The worker's hub session: create it, log in the way kojid does, make it exclusive.

koji's ClientSession retries failed calls itself (max_retries, retry_interval, offline_retry),
so nothing here wraps hub calls in a second retry loop. ``Any`` stays in this module: koji has
no type information.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import koji

from adjutant.config import Settings
from adjutant.errors import ConfigError

log = logging.getLogger(__name__)


def connect(settings: Settings, *, force_lock: bool = False, debug: bool = False) -> Any:
    """A logged-in, exclusive host session on the hub named by ``[kojid] server``.

    Login follows kojid's order: an SSL client certificate when ``cert`` exists, else
    ``user``/``password``, else GSSAPI with ``keytab``.

    Raises:
        ConfigError: no login method is configured.
        koji.AuthError, koji.AuthLockError: the hub refused the login or the exclusive lock.
    """
    options = settings.kojid_options(debug=debug)
    session = koji.ClientSession(options.server, koji.grab_session_options(options))
    _login(session, settings)
    # Every host.* call requires an exclusive session (hub: Host.verify).
    session.exclusiveSession(force=force_lock)
    if session.echo("OK") != ["OK"]:
        raise koji.GenericError("the hub did not echo OK after login")
    log.info("logged in to %s as %s", options.server, session.getLoggedInUser()["name"])
    return session


def _login(session: Any, settings: Settings) -> None:
    kojid = settings.kojid
    if kojid.cert is not None and Path(kojid.cert).is_file():
        serverca = str(kojid.serverca) if kojid.serverca else None
        session.ssl_login(str(kojid.cert), None, serverca)
        return
    if kojid.user:
        session.login()
        return
    if Path(kojid.keytab).is_file():
        principal = kojid.krb_principal or kojid.host_principal_format % socket.getfqdn()
        ccache = Path(kojid.ccache)
        if ccache.exists() and ccache.stat().st_size == 0:
            ccache.unlink()  # kojid does the same: an empty ccache makes gssapi fail
        session.gssapi_login(principal=principal, keytab=str(kojid.keytab), ccache=str(ccache))
        return
    raise ConfigError(
        "no way to log in to the hub: set [kojid] cert (SSL client certificate), "
        "user and password, or keytab"
    )
