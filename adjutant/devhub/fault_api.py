"""Admin-only `devhub.*` calls that drive the fault plan of a running hub (tests only).

Not part of koji's API: a test talking to a devhub in another process uses these to make
the hub refuse connections, answer slowly or with HTTP errors, or fail the N-th call of a
method with a given fault.
"""

from __future__ import annotations

import koji
from koji.xmlrpcplus import Fault

from adjutant.devhub.faults import FaultPlan
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import require_perm


def _plan(call: Call) -> FaultPlan:
    require_perm(call, "admin")
    if not isinstance(call.faults, FaultPlan):
        raise koji.GenericError("this hub has no fault plan")
    return call.faults


@API.export("devhub.refuseConnections")
def refuse_connections(call: Call, seconds: float) -> None:
    """Close new connections unread for `seconds` (it must end on its own)."""
    if not 0 < float(seconds) <= 600:
        raise koji.ParameterError("seconds must be in (0, 600]")
    _plan(call).refuse_connections(True, float(seconds))


@API.export("devhub.delay")
def delay(call: Call, seconds: float, duration: float = 0) -> None:
    """Hold every request `seconds` before handling it; for `duration` seconds if given."""
    if not 0 <= float(seconds) <= 600 or not 0 <= float(duration) <= 600:
        raise koji.ParameterError("seconds and duration must be in [0, 600]")
    _plan(call).delay(float(seconds), float(duration) or None)


@API.export("devhub.httpErrors")
def http_errors(call: Call, status: int, count: int = 1) -> None:
    if not 400 <= int(status) <= 599:
        raise koji.ParameterError(f"not an HTTP error status: {status}")
    _plan(call).http_errors(int(status), int(count))


@API.export("devhub.failCall")
def fail_call(
    call: Call, method: str, nth: int, faultCode: int = 1000, faultString: str = "injected fault"
) -> None:
    _plan(call).fail_call(method, int(nth), Fault(int(faultCode), str(faultString)))


@API.export("devhub.clearFaults")
def clear_faults(call: Call) -> None:
    _plan(call).clear()
