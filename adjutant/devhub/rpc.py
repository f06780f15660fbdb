"""XML-RPC method registry and dispatch of the development hub.

Owns the mapping from hub method names to handler functions, the per-call context handed to
handlers, argument checking and the fault encoding, all as koji's hub does them (unknown
method: GenericError "Invalid method"; signature mismatch: ParameterError; any non-koji
exception: fault code 1). It does not own HTTP, TLS or sessions.
"""

from __future__ import annotations

import datetime
import functools
import logging
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import koji
import koji.util
from koji.xmlrpcplus import ExtendedMarshaller, Fault, dumps

from adjutant.devhub.db import Cursor

log = logging.getLogger(__name__)

Handler = Callable[..., Any]


@dataclass
class HubConfig:
    """Settings the handlers read; fixed for the life of one server."""

    topdir: Path
    # Scheduler timings mirror hub.conf (ReadyTimeout, AssignTimeout, HostTimeout, RunInterval).
    ready_timeout_s: float = 180.0
    assign_timeout_s: float = 300.0
    host_timeout_s: float = 900.0
    run_interval_s: float = 0.0
    soft_refusal_timeout_s: float = 900.0
    max_jobs: int = 15
    capacity_overcommit: float = 5.0
    # The user who owns newRepo tasks made from repo requests (kojira's role).
    repo_user: str = "kojira"
    # Mail addresses are <user>@email_domain (hub.conf EmailDomain); the link in build
    # notifications points at web_url (KojiWebURL).
    email_domain: str = "devhub.invalid"
    web_url: str = "http://localhost/koji"
    # hub.conf HostPrincipalFormat: addHost without krb_principal gives the host this one.
    host_principal_format: str | None = None


@dataclass
class Call:
    """What one handler invocation may use: the transaction, the caller and the hub settings."""

    db: Cursor
    config: HubConfig
    session: Any  # sessions.Session | None; typed loosely to avoid an import cycle
    method: str = ""
    peer_cn: str | None = None
    # The client's Kerberos principal when it authenticated with HTTP Negotiate (ssllogin).
    gss_principal: str | None = None
    faults: Any = None  # faults.FaultPlan of the serving hub (None in-process)
    extra: dict[str, Any] = field(default_factory=dict)


class Registry:
    """Hub methods by name; modules register their exports at import time."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def export(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator: publish the function under hub method `name` (e.g. `host.openTask`)."""

        def register(func: Handler) -> Handler:
            if name in self._handlers:
                raise RuntimeError(f"hub method {name} registered twice")
            self._handlers[name] = func
            return func

        return register

    def get(self, name: str) -> Handler:
        """Return the handler, raising the fault the real hub gives for an unknown method."""
        try:
            return self._handlers[name]
        except KeyError:
            raise koji.GenericError(f"Invalid method: {name}") from None

    def names(self) -> list[str]:
        """All registered method names, sorted."""
        return sorted(self._handlers)


API = Registry()


class Marshaller(ExtendedMarshaller):  # type: ignore[misc]
    """koji's marshaller, with datetimes sent as strings as the hub does."""

    dispatch = ExtendedMarshaller.dispatch.copy()

    def dump_datetime(self, value: datetime.datetime, write: Callable[[str], None]) -> None:
        self.dump_unicode(value.isoformat(" "), write)

    dispatch[datetime.datetime] = dump_datetime


def dispatch(call: Call, method: str, params: tuple[Any, ...]) -> Any:
    """Run one hub method with koji's argument decoding and checking."""
    if method in ("multiCall", "system.multicall"):
        args, opts = koji.decode_args(*params)
        return koji.util.call_with_argcheck(functools.partial(_multicall, call), args, opts)
    handler = API.get(method)
    call.method = method
    args, opts = koji.decode_args(*params)
    return koji.util.call_with_argcheck(functools.partial(handler, call), args, opts)


def _multicall(call: Call, calls: list[dict[str, Any]]) -> list[Any]:
    results: list[Any] = []
    for entry in calls:
        try:
            with call.db.savepoint():
                result = dispatch(call, entry["methodName"], tuple(entry["params"]))
        except Fault as fault:
            results.append({"faultCode": fault.faultCode, "faultString": fault.faultString})
        except Exception as exc:
            code, text = fault_of(exc)
            results.append(
                {"faultCode": code, "faultString": text, "traceback": traceback.format_exc()}
            )
        else:
            results.append([result])
    return results


def fault_of(exc: BaseException) -> tuple[int, str]:
    """The fault code and text the real hub reports for an exception."""
    code = int(getattr(exc, "faultCode", 1))
    if isinstance(exc, koji.GenericError):
        return code, str(exc)
    return code, f"{type(exc)}: {exc}"


def encode_result(value: Any) -> str:
    """Encode a successful result as a methodResponse."""
    text: str = dumps((value,), methodresponse=1, marshaller=Marshaller)
    return text


def encode_fault(code: int, text: str) -> str:
    """Encode a fault response."""
    out: str = dumps(Fault(code, text), marshaller=Marshaller)
    return out


def current_exception_fault() -> str:
    """Encode the exception being handled as the real hub would, logging its traceback."""
    exc = sys.exc_info()[1]
    assert exc is not None
    log.debug("fault", exc_info=True)
    if isinstance(exc, Fault):
        return encode_fault(exc.faultCode, exc.faultString)
    return encode_fault(*fault_of(exc))
