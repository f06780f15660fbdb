"""Fault injection for tests: what the hub should do wrong, and when.

Owns the plan only; the server consults it on each connection and request. Every rule is
explicit and counted, so a test states exactly which calls misbehave.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from koji.xmlrpcplus import Fault


@dataclass
class _CallFault:
    method: str
    nth: int
    fault: Fault
    seen: int = 0


class FaultPlan:
    """Thread-safe set of injected faults; empty by default."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refuse = False
        self._refuse_until: float | None = None
        self._delay_s = 0.0
        self._delay_until: float | None = None
        self._http: list[int] = []
        self._calls: list[_CallFault] = []

    def refuse_connections(self, refuse: bool = True, seconds: float | None = None) -> None:
        """Close every new connection before reading it, for `seconds` or until turned off."""
        with self._lock:
            self._refuse = refuse
            self._refuse_until = time.monotonic() + seconds if seconds else None

    def delay(self, seconds: float, for_s: float | None = None) -> None:
        """Hold every request this long before handling it (0 turns it off), for `for_s`
        seconds or until turned off: a bounded slow spell lets a client that times out
        and retries get through once it ends."""
        with self._lock:
            self._delay_s = seconds
            self._delay_until = time.monotonic() + for_s if for_s else None

    def http_errors(self, status: int, count: int = 1) -> None:
        """Answer the next `count` requests with this HTTP status (e.g. 500 or 502)."""
        with self._lock:
            self._http.extend([status] * count)

    def fail_call(self, method: str, nth: int, fault: Fault) -> None:
        """Answer the `nth` call (1-based, counted from now) of `method` with `fault`."""
        with self._lock:
            self._calls.append(_CallFault(method, nth, fault))

    def clear(self) -> None:
        """Drop every rule."""
        with self._lock:
            self._refuse = False
            self._delay_s = 0.0
            self._delay_until = None
            self._http.clear()
            self._calls.clear()

    def is_refusing(self) -> bool:
        with self._lock:
            if self._refuse and self._refuse_until is not None:
                if time.monotonic() >= self._refuse_until:
                    self._refuse = False
                    self._refuse_until = None
            return self._refuse

    def delay_s(self) -> float:
        with self._lock:
            if self._delay_until is not None and time.monotonic() >= self._delay_until:
                self._delay_s = 0.0
                self._delay_until = None
            return self._delay_s

    def next_http_error(self) -> int | None:
        """The status to answer this request with, consuming one rule; None for normal."""
        with self._lock:
            return self._http.pop(0) if self._http else None

    def fault_for(self, method: str) -> Fault | None:
        """The fault for this call of `method`, counting it; None for a normal call."""
        with self._lock:
            hit = None
            for rule in self._calls:
                if rule.method == method:
                    rule.seen += 1
                    if rule.seen == rule.nth and hit is None:
                        hit = rule
            if hit is not None:
                self._calls.remove(hit)
                return hit.fault
            return None
