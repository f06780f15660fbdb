"""Time as the hub reports it: epoch seconds stored, ISO strings and `_ts` floats returned."""

from __future__ import annotations

import datetime
import time


def now() -> float:
    """Seconds since the epoch (what the store keeps)."""
    return time.time()


def iso(ts: float | None) -> str | None:
    """The hub's text form of a timestamp (UTC, with offset), or None."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat(" ")
