"""Reading a task's log for the dashboard: byte ranges and a Server-Sent Events follower.

While the task runs its logs are files in its work dir (the path the recorder noted); koji
removes the work dir when the task ends, so a finished task's log is read from the hub's
copy under topurl (the worker uploaded it there). Names are checked against the task's own
recorded logs, so no path from a request ever reaches the file system. The worker's files
are not yet redacted (the uploader redacts what it sends), so whole lines are read and
redacted here, as the uploader does.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import koji
import requests

from adjutant.task_logs import redact, redact_line

LOG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}$")
MAX_RANGE_BYTES = 1 << 20
POLL_S = 0.5
KEEP_ALIVE_S = 15.0
MAX_STREAM_S = 600.0  # the browser's EventSource reconnects with Last-Event-ID after this
HUB_TIMEOUT_S = 10.0


class LogUnavailable(Exception):
    """The log is neither on this worker nor readable from the hub."""


def is_valid_name(name: str) -> bool:
    return bool(LOG_NAME.match(name)) and ".." not in name


def read_range(path: Path | None, topurl: str, task_id: int, name: str, offset: int,
               limit: int = MAX_RANGE_BYTES) -> tuple[bytes, int]:  # fmt: skip
    """Up to ``limit`` bytes of the log from ``offset`` (the local file, else the hub's
    copy) and the offset to continue from. A local range ends at a line end when it has one,
    so redaction never sees half a secret.

    Raises:
        LogUnavailable: neither can be read.
    """
    if path is not None and path.is_file():
        with path.open("rb") as log_file:
            log_file.seek(offset)
            data = log_file.read(limit)
        if len(data) == limit and b"\n" in data:
            data = data[: data.rfind(b"\n") + 1]
        return redact(data), offset + len(data)
    if not topurl:
        raise LogUnavailable(f"{name} is no longer on this worker and no topurl is known")
    url = f"{topurl.rstrip('/')}/{koji.pathinfo.taskrelpath(task_id)}/{name}"
    headers = {"Range": f"bytes={offset}-{offset + limit - 1}"}
    try:
        reply = requests.get(url, headers=headers, timeout=HUB_TIMEOUT_S)
    except requests.RequestException as exc:
        raise LogUnavailable(f"{name}: the hub's copy cannot be read: {exc}") from exc
    if reply.status_code == 416:
        return b"", offset
    if reply.status_code not in (200, 206):
        raise LogUnavailable(f"{name}: the hub's copy answered HTTP {reply.status_code}")
    data = reply.content
    if reply.status_code == 200:  # a server that ignores Range sends it all
        data = data[offset : offset + limit]
    return data, offset + len(data)  # the hub's copy was redacted when uploaded


def follow(
    path: Path | None,
    offset: int,
    is_running: Callable[[], str | None],
    read_hub_copy: Callable[[int], bytes],
    *,
    max_s: float = MAX_STREAM_S,
) -> Iterator[str]:
    """Server-Sent Events of the log's complete lines from ``offset`` while the task runs.

    ``is_running`` returns None while the task is open, else its final state; then the
    rest is sent and an ``end`` event carrying the state closes the stream. koji removes the
    work dir before the task ends, so once the file is gone the rest comes from the hub's
    copy (``read_hub_copy(offset)``; empty when there is no more). Each event's id is the
    byte offset after it, which EventSource sends back on reconnect.
    """
    deadline = time.monotonic() + max_s
    pending = b""
    quiet_since = time.monotonic()
    yield "retry: 2000\n\n"
    while True:
        final = is_running()
        position = offset + len(pending)
        if path is not None and path.is_file():
            with path.open("rb") as log_file:
                log_file.seek(position)
                chunk = log_file.read(MAX_RANGE_BYTES)
        elif final is not None:
            chunk = read_hub_copy(position)
        else:
            chunk = b""
        pending += chunk
        cut = pending.rfind(b"\n") + 1
        if final is not None and not chunk:
            cut = len(pending)  # the task ended and nothing more is to come
        if cut:
            text = pending[:cut].decode(errors="replace")
            lines = [redact_line(line) for line in text.splitlines()]
            offset += cut
            pending = pending[cut:]
            yield f"id: {offset}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"
            quiet_since = time.monotonic()
        if final is not None and not chunk:
            yield f"event: end\ndata: {json.dumps({'state': final})}\n\n"
            return
        if time.monotonic() > deadline:
            return
        if not chunk:
            if time.monotonic() - quiet_since > KEEP_ALIVE_S:  # proxies close silent streams
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            time.sleep(POLL_S)
