"""Upload a task's growing log files to the hub while its steps run, with secrets redacted.

The wire semantics are koji.daemon's ``incremental_upload`` (with 1 MiB chunks, as koji's
``fastUpload``, where kojid sends 64 KiB): ``rawUpload`` with ``overwrite=True`` at the
chunk's offset (the hub truncates there, so the remote copy is always a prefix of ours) when
``use_fast_upload`` is on, else ``uploadFile`` with a sha256; a bad reply is retried, then
logged and skipped; a rewritten or truncated file is sent again from offset 0; one last pass
runs after the step. koji's functions cannot be reused as they are: they take offsets from
the local file, and redaction changes lengths, so the remote offset is tracked here and only
whole lines are sent until the final pass. A canceled task uploads nothing more: kojid's
task process is killed, and the hub refuses a task's uploads once it is no longer the host's
open task ("host N does not own task M").
Writing the files is the buildroot's job; this module only reads them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import koji
from koji.util import adler32_constructor, base64encode

from adjutant.errors import BuildrootError

log = logging.getLogger(__name__)

# koji.daemon sends 64 KiB; koji's own fastUpload sends 1 MiB, which the hub takes as well:
# 16 times fewer hub calls per log (bench/log_upload.py; numbers in docs/reliability.md).
CHUNK_BYTES = 1 << 20
REDACTED = b"***"
# scheme://user:password@host: keep the user, hide the password.
_AUTH_HEADER = re.compile(rb"(?i)(\bauthorization:[ \t]*(?:basic|bearer|negotiate)[ \t]+)\S+")
_URL_PASSWORD = re.compile(rb"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@")
# password=..., passwd=..., token=... as in config dumps, URLs' query strings and argv.
# Not "pwd": the shell's PWD=/builddir/... is a path, and hiding it only hurts debugging.
_KEY_VALUE = re.compile(
    rb"(?i)(\b(?:password|passwd|secret|token|api_?key)[ \t]*=[ \t]*[\"']?)[^\s\"'&;,]+"
)


def redact(data: bytes) -> bytes:
    """``data`` with URL passwords, ``password=``-style values and Authorization header
    credentials replaced by ``***``.

    Works line by line (no pattern crosses a newline), so a block of whole lines redacts
    the same as each of its lines.
    """
    data = _URL_PASSWORD.sub(rb"\1" + REDACTED + b"@", data)
    data = _AUTH_HEADER.sub(rb"\1" + REDACTED, data)
    return _KEY_VALUE.sub(rb"\1" + REDACTED, data)


def redact_line(line: str) -> str:
    """``redact`` for text."""
    return redact(line.encode("utf-8", errors="surrogateescape")).decode(
        "utf-8", errors="surrogateescape"
    )


class UploadSession(Protocol):
    """The part of koji's ClientSession the uploader uses."""

    @property
    def opts(self) -> Mapping[str, object]: ...

    def rawUpload(  # koji's name
        self, chunk: bytes, offset: int, path: str, name: str, overwrite: bool = False
    ) -> Mapping[str, object]: ...

    def uploadFile(  # koji's name
        self,
        path: str,
        name: str,
        size: int,
        checksum: tuple[str, str],
        offset: int,
        data: str,
    ) -> bool: ...


@dataclass
class _Watched:
    path: Path
    name: str
    fd: BinaryIO | None = None
    inode: int | None = None
    local_size: int = 0
    remote_offset: int = 0
    pending: bytes = b""  # read, not yet redacted: an unfinished last line
    outbox: bytes = b""  # redacted, not yet accepted by the hub
    missing: bool = False
    on_hub: bool = False  # the hub has a copy (possibly still empty)


class LogUploader:
    """Keeps the hub's copies of a task's log files up to date; ``sync`` does one pass.

    Thread-safe for one background thread plus the owner. The session must not be used by
    another thread while a pass runs: give it its own (``ClientSession.subsession()``) or
    make no hub calls while ``uploading`` is active.
    """

    def __init__(
        self,
        session: UploadSession,
        upload_path: str,
        *,
        retries: int = 5,
        retry_delay_s: float = 10.0,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.session = session
        self.upload_path = upload_path
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self.chunk_bytes = chunk_bytes
        self._logs: dict[Path, _Watched] = {}
        self._patterns: list[tuple[Path, str]] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Upload nothing more (the task was canceled); a pass under way ends after its
        current chunk."""
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    @property
    def names(self) -> list[str]:
        """The names of the logs the hub has a copy of, in the order they were watched: what
        a task result's ``logs`` may list."""
        with self._lock:
            return [w.name for w in self._logs.values() if w.on_hub]

    def watch(self, path: Path, name: str | None = None) -> str:
        """Upload ``path`` (as ``name``, default its basename) from now on; returns the name used.

        A name already taken by another file gets ``.DUP00``..``.DUP98`` before its
        extension, as kojid does.

        Raises:
            BuildrootError: all 99 alternative names are taken.
        """
        with self._lock:
            return self._watch(path, name)

    def watch_pattern(self, directory: Path, pattern: str) -> None:
        """Also watch files matching ``pattern`` in ``directory`` that appear later."""
        with self._lock:
            self._patterns.append((directory, pattern))

    def sync(self, *, final: bool = False) -> None:
        """Send what the files gained since the last pass; ``final`` also sends unfinished
        last lines. Upload trouble is logged and retried on the next pass, never raised."""
        with self._lock:
            if self.stopped:
                return
            for directory, pattern in self._patterns:
                for path in sorted(directory.glob(pattern)):
                    if path.is_file() and path not in self._logs:
                        try:
                            self._watch(path, None)
                        except BuildrootError as exc:
                            log.warning("not uploading %s: %s", path, exc)
            for watched in self._logs.values():
                if self.stopped:
                    return
                try:
                    self._sync_one(watched, final)
                except OSError as exc:
                    log.warning("cannot upload log %s: %s", watched.path, exc)
                except koji.ActionNotAllowed as exc:
                    # The task is no longer this host's open task: canceled or reassigned.
                    log.info("log upload to %s stopped: %s", self.upload_path, exc)
                    self.stop()
                except koji.GenericError as exc:
                    log.warning("hub refused upload of %s: %s", watched.name, exc)

    def close(self) -> None:
        """Close the files; the uploader must not be used afterwards."""
        with self._lock:
            for watched in self._logs.values():
                if watched.fd is not None:
                    watched.fd.close()
                    watched.fd = None

    def __enter__(self) -> LogUploader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _watch(self, path: Path, name: str | None) -> str:
        if path in self._logs:
            return self._logs[path].name
        wanted = name or path.name
        taken = {w.name for w in self._logs.values()}
        chosen = wanted
        if wanted in taken:
            base, ext = os.path.splitext(wanted)
            free = (f"{base}.DUP{n:02d}{ext}" for n in range(99))
            chosen = next((c for c in free if c not in taken), "")
            if not chosen:
                raise BuildrootError(f"no free upload name for {path}: {wanted} is taken 100 times")
        self._logs[path] = _Watched(path, chosen)
        return chosen

    def _sync_one(self, watched: _Watched, final: bool) -> None:
        try:
            stat = watched.path.stat()
        except FileNotFoundError:
            if not watched.missing:
                log.warning("log %s disappeared", watched.path)
                watched.missing = True
            return
        watched.missing = False
        rewritten = watched.inode is not None and (
            stat.st_ino != watched.inode or stat.st_size < watched.local_size
        )
        if watched.fd is None or rewritten:
            if watched.fd is not None:
                log.info("log %s was rewritten; sending it again from the start", watched.path)
                watched.fd.close()
            watched.fd = watched.path.open("rb")
            watched.remote_offset = 0
            watched.pending = watched.outbox = b""
            if watched.on_hub:
                # Truncate the hub's copy now: the new content may be empty or unfinished.
                self._upload(watched.name, b"", 0)
        watched.inode = stat.st_ino
        watched.local_size = stat.st_size
        while chunk := watched.fd.read(self.chunk_bytes):
            watched.pending += chunk
            self._send_ready(watched, final=False)
        self._send_ready(watched, final)
        if final and not watched.on_hub:
            # koji.daemon sends nothing for an empty file, yet lists its name; the hub then
            # cannot import it. An empty chunk makes the hub create the file.
            self._upload(watched.name, b"", 0)
            watched.on_hub = True

    def _send_ready(self, watched: _Watched, final: bool) -> None:
        # Whole lines only, so a secret is never split across two redaction passes; a
        # line longer than a chunk goes out anyway rather than waiting for its end.
        end = len(watched.pending)
        if not final and end < self.chunk_bytes:
            end = watched.pending.rfind(b"\n") + 1
        if end:
            watched.outbox += redact(watched.pending[:end])
            watched.pending = watched.pending[end:]
        # Redacted bytes wait in the outbox until sent, so a pass that fails half way
        # resumes at the right remote offset on the next one.
        while watched.outbox and not self.stopped:
            piece = watched.outbox[: self.chunk_bytes]
            self._upload(watched.name, piece, watched.remote_offset)
            watched.remote_offset += len(piece)
            watched.on_hub = True
            watched.outbox = watched.outbox[len(piece) :]

    def _upload(self, name: str, chunk: bytes, offset: int) -> None:
        fast = bool(self.session.opts.get("use_fast_upload"))
        path = self.upload_path
        for attempt in range(self.retries + 2):
            if attempt and self._stopped.wait(self.retry_delay_s):
                return
            if fast:
                reply = self.session.rawUpload(chunk, offset, path, name, overwrite=True)
                if reply.get("hexdigest") == adler32_constructor(chunk).hexdigest():
                    return
            else:
                digest = ("sha256", hashlib.sha256(chunk).hexdigest())
                data = base64encode(chunk)
                if self.session.uploadFile(path, name, len(chunk), digest, offset, data):
                    return
        # koji.daemon gives up on the chunk the same way and goes on with the next one.
        log.error("error uploading %s to %s at offset %d", name, self.upload_path, offset)


@contextlib.contextmanager
def uploading(
    uploader: LogUploader,
    *,
    interval_s: float = 1.0,
    deadline_s: float | None = None,
    join_timeout_s: float = 30.0,
) -> Iterator[LogUploader]:
    """Run ``uploader.sync`` every ``interval_s`` in a background thread for the ``with``
    body, then stop it and do the final pass.

    ``deadline_s`` bounds how long the thread keeps uploading if the body runs long (set it
    past the step's own timeout); the final pass runs regardless, unless the body was
    interrupted (SIGINT, or the SystemExit of SIGTERM: koji canceling the task), which stops
    the uploader instead.
    """
    stop = threading.Event()
    started = time.monotonic()

    def run() -> None:
        while not stop.wait(interval_s):
            uploader.sync()
            if deadline_s is not None and time.monotonic() - started >= deadline_s:
                log.warning("log upload stopped after its %.0fs deadline", deadline_s)
                return

    thread = threading.Thread(target=run, name=f"log-upload {uploader.upload_path}", daemon=True)
    thread.start()
    try:
        yield uploader
    except (KeyboardInterrupt, SystemExit):
        uploader.stop()
        raise
    finally:
        stop.set()
        thread.join(join_timeout_s)
        if thread.is_alive():
            log.warning("log upload thread still busy after %.0fs", join_timeout_s)
        uploader.sync(final=True)  # nothing once stopped
