"""/metrics: a prometheus_client collector that reads the state store at scrape time.

Why a collector over the store rather than prometheus_client's own counters: the numbers are
made in the daemon and in forked task processes, and served by several gunicorn workers.
In-process metrics would need prometheus_client's multiprocess mode (a shared directory of
mmap files, cleaned by hand when processes die); the store already holds every total
(``counters``, written in the same transaction as the event) and the worker's status, and it
survives restarts. So each scrape renders what the store says, in whichever web process.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from adjutant.state import recorder as names
from adjutant.state import store

COUNTERS = {
    names.TASKS_TOTAL: ("Tasks ended, by method and outcome.", ("method", "outcome")),
    names.IMAGE_PROVISIONS: ("Task images built or pulled because they were missing.",
                             ("source",)),
    names.POLICY_LOOKUPS: ("Image policy lookups: cache hits, hub lookups, fallbacks.",
                           ("result",)),
    names.HUB_CALL_ERRORS: ("Errors of hub calls in the worker loop.", ("error",)),
}  # fmt: skip
HISTOGRAMS = {
    names.TASK_DURATION: ("Task run time, by method.", ("method",)),
    names.STEP_DURATION: ("Buildroot step run time, by step.", ("step",)),
    names.CONTAINER_OP: ("Container create/start/remove latency.", ("operation",)),
}


class StoreCollector(Collector):
    """Renders the store's totals and the worker's status as Prometheus metrics."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self.connect = connect

    def collect(self) -> Iterator[Metric]:
        conn = self.connect()
        try:
            rows = store.counters(conn)
            workers = store.workers(conn)
            counts = store.task_counts(conn)
        finally:
            conn.close()
        yield from _counters(rows)
        yield from _histograms(rows)
        yield from _status(workers, counts)


def _counters(rows: list[tuple[str, dict[str, str], float]]) -> Iterator[Metric]:
    for metric, (help_text, label_names) in COUNTERS.items():
        family = CounterMetricFamily(metric.removesuffix("_total"), help_text,
                                     labels=list(label_names))  # fmt: skip
        for name, labels, value in rows:
            if name == metric:
                family.add_metric([labels.get(k, "") for k in label_names], value)
        yield family


def _histograms(rows: list[tuple[str, dict[str, str], float]]) -> Iterator[Metric]:
    for metric, (help_text, label_names) in HISTOGRAMS.items():
        buckets: dict[tuple[str, ...], list[tuple[str, float]]] = defaultdict(list)
        sums: dict[tuple[str, ...], float] = {}
        for name, labels, value in rows:
            key = tuple(labels.get(k, "") for k in label_names)
            if name == f"{metric}_bucket":
                buckets[key].append((labels["le"], value))
            elif name == f"{metric}_sum":
                sums[key] = value
        family = HistogramMetricFamily(metric, help_text, labels=list(label_names))
        for key, series in buckets.items():
            series.sort(key=lambda item: float(item[0]))
            family.add_metric(list(key), series, sums.get(key, 0.0))
        yield family


def _status(workers: list[dict[str, object]], counts: dict[str, int]) -> Iterator[Metric]:
    gauges = {
        "free_disk_bytes": ("Free space in the work dir.", "free_mb", 1024 * 1024),
        "max_jobs": ("Most tasks the worker runs at once (maxjobs).", "maxjobs", 1),
        "running_tasks": ("Tasks the worker runs now.", "running", 1),
        "load1": ("The machine's one-minute load average.", "load", 1),
        "capacity": ("The host capacity the hub knows.", "capacity", 1),
        "hub_session_up": ("1 when the last loop reached the hub.", "hub_ok", 1),
        "podman_up": ("1 when the podman service answered.", "podman_ok", 1),
        "last_heartbeat_timestamp_seconds": ("When the worker last wrote its status.",
                                             "heartbeat_at", 1),
    }  # fmt: skip
    for suffix, (help_text, column, scale) in gauges.items():
        family = GaugeMetricFamily(f"adjutant_worker_{suffix}", help_text, labels=["worker"])
        for row in workers:
            value = row.get(column)
            if isinstance(value, int | float):
                family.add_metric([str(row["name"])], float(value) * scale)
        yield family
    states = GaugeMetricFamily("adjutant_tasks_recorded", "Tasks in the store's history, by "
                               "state.", labels=["state"])  # fmt: skip
    for state, count in counts.items():
        states.add_metric([state], count)
    yield states
