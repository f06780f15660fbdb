"""The hub-side task scheduler: which FREE task goes to which ready host.

Follows koji's TaskScheduler: hosts are binned by channel and arch, a host takes a task only
while ready, under its maxjobs and with room for the task's weight (allowing the configured
overcommit), never a task it refused; hosts are ranked by load + task count + demand. It
also applies the timeouts: silent hosts are marked not ready, unopened assignments and
OPEN tasks of hosts that stopped heartbeating are freed.
"""

from __future__ import annotations

import json
from typing import Any

import koji

from adjutant.devhub import clock
from adjutant.devhub.db import Cursor, Row
from adjutant.devhub.rpc import HubConfig

ST = koji.TASK_STATES
_MAX_PER_RUN = 1000


def set_refusal(db: Cursor, host_id: int, task_id: int, soft: bool, msg: str) -> None:
    """Record that a host will not (hard) or not now (soft) run a task."""
    db.run(
        "INSERT OR REPLACE INTO task_refusals (task_id, host_id, soft, msg, time) "
        "VALUES (?, ?, ?, ?, ?)",
        (task_id, host_id, int(soft), msg, clock.now()),
    )


def free_task(db: Cursor, task_id: int) -> None:
    """Back to FREE with no host (the hub's Task.free)."""
    state = db.value("SELECT state FROM tasks WHERE id = ?", (task_id,))
    if state is None:
        raise koji.GenericError(f"No such task: {task_id}")
    if state in (ST["CLOSED"], ST["CANCELED"], ST["FAILED"]):
        raise koji.GenericError(f"Cannot free task {task_id}, state is {ST[state]}")
    db.run(
        "UPDATE tasks SET state = ?, host_id = NULL, assign_time = NULL WHERE id = ?",
        (ST["FREE"], task_id),
    )


def assigned_tasks(db: Cursor, host_id: int) -> list[dict[str, Any]]:
    """This host's ASSIGNED tasks as host.getTasks returns them."""
    rows = db.rows(
        "SELECT id, state, channel_id, host_id, arch, method, priority, create_time "
        "FROM tasks WHERE host_id = ? AND state = ? ORDER BY priority, create_time",
        (host_id, ST["ASSIGNED"]),
    )
    for row in rows:
        row["create_ts"] = row.pop("create_time")
    return rows


def due(db: Cursor, config: HubConfig) -> bool:
    """Whether RunInterval has passed since the last run (records this run if so)."""
    last = db.value("SELECT value FROM scheduler_state WHERE key = 'last_run'")
    now = clock.now()
    if last is not None and now - last < config.run_interval_s:
        return False
    db.run("INSERT OR REPLACE INTO scheduler_state (key, value) VALUES ('last_run', ?)", (now,))
    return True


def run(db: Cursor, config: HubConfig) -> int:
    """One scheduler pass; returns how many tasks it assigned."""
    _check_hosts(db, config)
    _check_active_tasks(db, config)
    hosts = _hosts(db, config)
    free = db.rows(
        "SELECT id, arch, channel_id, weight FROM tasks WHERE state = ? "
        "ORDER BY priority, create_time LIMIT ?",
        (ST["FREE"], _MAX_PER_RUN),
    )
    refused = _refusals(db, config)
    candidates: dict[int, list[dict[str, Any]]] = {}
    for task in free:
        need = max(0.0, task["weight"] - config.capacity_overcommit)
        options = [
            h
            for h in hosts.values()
            if (task["channel_id"], task["arch"]) in h["_bins"]
            and h["ready"]
            and h["_ntasks"] < h["_maxjobs"]
            and h["capacity"] - h["_load"] > need
            and h["id"] not in refused.get(task["id"], set())
        ]
        candidates[task["id"]] = options
        for host in options:
            host["_demand"] += task["weight"] / len(options)
    total_demand = sum(h["_demand"] for h in hosts.values())
    for host in hosts.values():
        if total_demand > 0:
            host["_demand"] /= total_demand
    assigned = 0
    for task in free:
        need = max(0.0, task["weight"] - config.capacity_overcommit)
        for host in sorted(candidates[task["id"]], key=_rank):
            if host["capacity"] - host["_load"] > need and host["_ntasks"] < host["_maxjobs"]:
                db.run(
                    "UPDATE tasks SET state = ?, host_id = ?, assign_time = ? WHERE id = ?",
                    (ST["ASSIGNED"], host["id"], clock.now(), task["id"]),
                )
                host["_load"] += task["weight"]
                host["_ntasks"] += 1
                assigned += 1
                break
    return assigned


def _rank(host: dict[str, Any]) -> float:
    return float(host["_load"] + host["_ntasks"] + host["_demand"])


def _hosts(db: Cursor, config: HubConfig) -> dict[int, dict[str, Any]]:
    hosts: dict[int, dict[str, Any]] = {}
    for row in db.rows("SELECT * FROM hosts WHERE enabled = 1"):
        data = json.loads(row["data"]) if row["data"] else {}
        channels = [
            r["channel_id"]
            for r in db.rows(
                "SELECT hc.channel_id FROM host_channels hc JOIN channels c "
                "ON c.id = hc.channel_id WHERE hc.host_id = ? AND c.enabled = 1",
                (row["id"],),
            )
        ]
        arches = row["arches"].split() + ["noarch"]
        hosts[row["id"]] = dict(
            row,
            _bins={(c, a) for c in channels for a in arches},
            _load=0.0,
            _ntasks=0,
            _demand=0.0,
            _maxjobs=data.get("maxjobs") or config.max_jobs,
        )
    for task in db.rows(
        "SELECT host_id, weight, waiting FROM tasks WHERE state IN (?, ?)",
        (ST["ASSIGNED"], ST["OPEN"]),
    ):
        host = hosts.get(task["host_id"])
        if host is None:
            continue
        if not task["waiting"]:
            host["_load"] += task["weight"]
        host["_ntasks"] += 1
    return hosts


def _refusals(db: Cursor, config: HubConfig) -> dict[int, set[int]]:
    cutoff = clock.now() - config.soft_refusal_timeout_s
    out: dict[int, set[int]] = {}
    for row in db.rows("SELECT task_id, host_id, soft, time FROM task_refusals"):
        if row["soft"] and row["time"] < cutoff:
            continue
        out.setdefault(row["task_id"], set()).add(row["host_id"])
    return out


def _check_hosts(db: Cursor, config: HubConfig) -> None:
    cutoff = clock.now() - config.ready_timeout_s
    db.run(
        "UPDATE hosts SET ready = 0 WHERE ready = 1 AND (update_time IS NULL OR update_time < ?)",
        (cutoff,),
    )


def _check_active_tasks(db: Cursor, config: HubConfig) -> None:
    now = clock.now()
    for task in db.rows(
        "SELECT t.id, t.state, t.assign_time, h.id AS hid, h.update_time "
        "FROM tasks t JOIN hosts h ON h.id = t.host_id WHERE t.state IN (?, ?)",
        (ST["ASSIGNED"], ST["OPEN"]),
    ):
        _check_active(db, config, task, now)


def _check_active(db: Cursor, config: HubConfig, task: Row, now: float) -> None:
    if task["state"] == ST["ASSIGNED"]:
        if task["assign_time"] is None:
            return  # an explicit assignment (override) is left alone
        if now - task["assign_time"] > config.assign_timeout_s:
            if task["update_time"] and task["update_time"] > task["assign_time"]:
                set_refusal(db, task["hid"], task["id"], True, "assignment timeout")
            free_task(db, task["id"])
    elif task["update_time"] is not None and now - task["update_time"] > config.host_timeout_s:
        free_task(db, task["id"])
