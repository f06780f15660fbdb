"""The worker's status row in the state store, written once per loop (at most every few seconds).

It says what /api/v1/status and /readyz report: the hub session's health as the last loop saw
it, whether podman answers, capacity, load and free disk. It also carries the image policy's
cache counters (kept by the resolver in the daemon) into the store's totals. It never raises:
the recorder swallows store trouble, and the probes return their errors as text.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from adjutant import __version__
from adjutant.config.settings import redact_url
from adjutant.container.probe import probe_podman
from adjutant.policy.resolver import ImageResolver
from adjutant.state import Recorder
from adjutant.state.recorder import POLICY_LOOKUPS
from adjutant.task_logs import redact_line

MIN_INTERVAL_S = 5.0


def free_mb(path: Path) -> int | None:
    """Free space for unprivileged users at ``path`` in MiB (None when it cannot be read)."""
    try:
        stat = os.statvfs(path)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize // (1024 * 1024)


class WorkerStatus:
    """Writes the status row; call ``report`` from the worker loop."""

    def __init__(self, recorder: Recorder, *, podman_url: str, hub_url: str, topurl: str,
                 workdir: Path, maxjobs: int, minspace_mb: int,
                 resolver: ImageResolver | None = None) -> None:  # fmt: skip
        self.recorder = recorder
        self.podman_url = podman_url
        self.hub_url = redact_url(hub_url)  # shown on the dashboard
        self.topurl = topurl
        self.workdir = workdir
        self.maxjobs = maxjobs
        self.minspace_mb = minspace_mb
        self.resolver = resolver
        self.started_at = time.time()
        self._last = 0.0
        self._policy_seen = {"hit": 0, "miss": 0, "fallback": 0}

    def report(self, manager: Any, *, hub_ok: bool, hub_error: str = "",
               force: bool = False) -> None:  # fmt: skip
        """Write the row unless one was written less than MIN_INTERVAL_S ago."""
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL_S:
            return
        self._last = now
        podman = probe_podman(self.podman_url)
        hostdata = getattr(manager, "hostdata", None) or {}
        self.recorder.heartbeat(
            pid=os.getpid(), version=__version__, started_at=self.started_at,
            hub_url=self.hub_url, hub_ok=int(hub_ok), hub_error=redact_line(hub_error),
            podman_ok=int(podman.ok), podman_version=podman.version, podman_error=podman.error,
            maxjobs=self.maxjobs, running=len(getattr(manager, "pids", {})),
            load=os.getloadavg()[0], capacity=hostdata.get("capacity"),
            free_mb=free_mb(self.workdir), minspace_mb=self.minspace_mb,
            workdir=str(self.workdir), topurl=self.topurl,
        )  # fmt: skip
        self._count_policy_lookups()

    def _count_policy_lookups(self) -> None:
        if self.resolver is None:
            return
        counters = self.resolver.counters
        for result, value in (("hit", counters.hits), ("miss", counters.misses),
                              ("fallback", counters.fallbacks)):  # fmt: skip
            delta = value - self._policy_seen[result]
            if delta > 0:
                self.recorder.count(POLICY_LOOKUPS, {"result": result}, delta)
                self._policy_seen[result] = value
