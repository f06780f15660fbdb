"""Incremental, redacted upload of a task's log files to the hub."""

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import koji
import pytest
from koji.util import adler32_constructor

from adjutant.errors import BuildrootError
from adjutant.task_logs import LogUploader, redact, redact_line, uploading

UPLOAD_PATH = "tasks/1234/1001234"


@dataclass
class FakeSession:
    """Records uploads and keeps the hub's copies with the hub's overwrite semantics."""

    fast: bool = True
    bad_replies: int = 0  # this many next replies carry a wrong digest / False
    failures: int = 0  # this many next calls raise a koji fault
    refusal: koji.GenericError | None = None  # every call raises this, once set
    calls: list[tuple[str, str, int, bytes]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def opts(self) -> Mapping[str, object]:
        return {"use_fast_upload": self.fast}

    def _store(self, name: str, chunk: bytes, offset: int) -> None:
        self.files[name] = self.files.get(name, b"")[:offset] + chunk

    def _trouble(self) -> bool:
        if self.refusal is not None:
            raise self.refusal
        if self.failures:
            self.failures -= 1
            raise koji.GenericError("hub says no")
        if self.bad_replies:
            self.bad_replies -= 1
            return True
        return False

    def rawUpload(  # koji's name
        self, chunk: bytes, offset: int, path: str, name: str, overwrite: bool = False
    ) -> Mapping[str, object]:
        with self.lock:
            assert overwrite and path == UPLOAD_PATH
            self.calls.append(("rawUpload", name, offset, chunk))
            bad = self._trouble()
            self._store(name, chunk, offset)
            digest = "0" if bad else adler32_constructor(chunk).hexdigest()
            return {"size": len(chunk), "hexdigest": digest, "offset": offset}

    def uploadFile(  # koji's name
        self, path: str, name: str, size: int, checksum: tuple[str, str], offset: int, data: str
    ) -> bool:
        with self.lock:
            chunk = base64.b64decode(data)
            assert checksum == ("sha256", hashlib.sha256(chunk).hexdigest()) and size == len(chunk)
            self.calls.append(("uploadFile", name, offset, chunk))
            if self._trouble():
                return False
            self._store(name, chunk, offset)
            return True


def uploader(session: FakeSession, **kwargs: int) -> LogUploader:
    return LogUploader(session, UPLOAD_PATH, retry_delay_s=0, **kwargs)


def wait_for(condition: object, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("baseurl=https://koji:s3cret@kojipkgs/x", "baseurl=https://koji:***@kojipkgs/x"),
        ("proxy=http://u:p%40ss@proxy:3128", "proxy=http://u:***@proxy:3128"),
        ("password=hunter2 next", "password=*** next"),
        ("PASSWD = 'hunter2'", "PASSWD = '***'"),
        ("https://x/y?token=abc&user=me", "https://x/y?token=***&user=me"),
        ("secret=a;b", "secret=***;b"),
        ("Authorization: Bearer eyJabc.def", "Authorization: Bearer ***"),
        ("authorization: basic dXNlcjpwYXNz", "authorization: basic ***"),
    ],
)
def test_secrets_are_redacted(line: str, expected: str) -> None:
    assert redact_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "https://kojipkgs.example.org/repos/x",
        "user@host:path",
        "passwordless login",
        "ssh://git@host/r",
    ],
)
def test_lines_without_secrets_are_unchanged(line: str) -> None:
    assert redact_line(line) == line


def test_redaction_never_reaches_across_lines() -> None:
    assert redact(b"password\n=visible\n") == b"password\n=visible\n"


def test_growing_file_is_uploaded_in_appended_pieces(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"one\ntwo\n")
    with uploader(session) as up:
        assert up.watch(log_file) == "build.log"
        up.sync()
        with log_file.open("ab") as out:
            out.write(b"three\n")
        up.sync()
        up.sync()  # nothing new: no call
    assert [(c[0], c[2], c[3]) for c in session.calls] == [
        ("rawUpload", 0, b"one\ntwo\n"),
        ("rawUpload", 8, b"three\n"),
    ]
    assert session.files["build.log"] == b"one\ntwo\nthree\n"


def test_unfinished_last_line_waits_for_its_end_or_the_final_pass(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "root.log"
    log_file.write_bytes(b"done\nhalf")
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    assert session.files["root.log"] == b"done\n"
    up.sync(final=True)
    assert session.files["root.log"] == b"done\nhalf"


def test_secrets_are_redacted_even_when_written_in_pieces(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "root.log"
    log_file.write_bytes(b"url=https://u:pa")
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    with log_file.open("ab") as out:
        out.write(b"ss@host/\nafter\n")
    up.sync()
    assert session.files["root.log"] == b"url=https://u:***@host/\nafter\n"


def test_offsets_follow_the_redacted_copy(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "root.log"
    log_file.write_bytes(b"password=longlonglong\n")
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    with log_file.open("ab") as out:
        out.write(b"next\n")
    up.sync()
    assert session.calls[1][2] == len(b"password=***\n")
    assert session.files["root.log"] == b"password=***\nnext\n"


def test_large_output_goes_in_chunks_at_increasing_offsets(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"x" * 25 + b"\n")
    up = uploader(session, chunk_bytes=10)
    up.watch(log_file)
    up.sync()
    assert [c[2] for c in session.calls] == [0, 10, 20]
    assert session.files["build.log"] == b"x" * 25 + b"\n"


def test_truncated_file_is_sent_again_from_the_start(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "state.log"
    log_file.write_bytes(b"first version, long\n")
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    log_file.write_bytes(b"second\n")
    up.sync()
    assert session.calls[-1][2] == 0
    assert session.files["state.log"] == b"second\n"


def test_file_emptied_is_emptied_on_the_hub(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "state.log"
    log_file.write_bytes(b"something\n")
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    log_file.write_bytes(b"")
    up.sync()
    assert session.files["state.log"] == b""


def test_replaced_file_is_sent_again_from_the_start(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "hw_info.log"
    log_file.write_bytes(b"old\n")
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    replacement = tmp_path / "new"
    replacement.write_bytes(b"old\nand more\n")
    keep = log_file.with_suffix(".keep")
    log_file.rename(keep)  # keep the old inode alive so it cannot be reused
    replacement.rename(log_file)
    up.sync()
    assert session.calls[-1][2] == 0
    assert session.files["hw_info.log"] == b"old\nand more\n"


def test_missing_file_is_skipped_until_it_appears(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "mock_output.log"
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    assert session.calls == []
    log_file.write_bytes(b"now\n")
    up.sync()
    assert session.files["mock_output.log"] == b"now\n"


def test_legacy_hubs_get_upload_file_with_sha256(tmp_path: Path) -> None:
    session = FakeSession(fast=False)
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"a\n")
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    assert session.calls == [("uploadFile", "build.log", 0, b"a\n")]


@pytest.mark.parametrize("fast", [True, False])
def test_bad_replies_are_retried(tmp_path: Path, fast: bool) -> None:
    session = FakeSession(fast=fast, bad_replies=2)
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"a\n")
    up = uploader(session)
    up.watch(log_file)
    up.sync()
    assert len(session.calls) == 3
    assert session.files["build.log"] == b"a\n"


def test_a_chunk_is_given_up_after_the_retries_like_koji(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    session = FakeSession(bad_replies=100)
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"a\n")
    up = LogUploader(session, UPLOAD_PATH, retries=2, retry_delay_s=0)
    up.watch(log_file)
    with caplog.at_level(logging.ERROR, logger="adjutant.task_logs"):
        up.sync()
    assert len(session.calls) == 4  # first try, then retries + 1, as koji.daemon counts
    assert "error uploading build.log to tasks/1234/1001234 at offset 0" in caplog.text


def test_hub_faults_are_logged_and_the_data_sent_next_pass(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    session = FakeSession(failures=1)
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"a\n")
    up = uploader(session)
    up.watch(log_file)
    with caplog.at_level(logging.WARNING, logger="adjutant.task_logs"):
        up.sync()
    assert "hub refused upload of build.log" in caplog.text
    with log_file.open("ab") as out:
        out.write(b"b\n")
    up.sync()
    assert [c[2] for c in session.calls] == [0, 0]
    assert session.files["build.log"] == b"a\nb\n"


def test_duplicate_names_get_dup_suffixes_and_repeat_watches_are_ignored(tmp_path: Path) -> None:
    up = uploader(FakeSession())
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert up.watch(tmp_path / "a/root.log") == "root.log"
    assert up.watch(tmp_path / "b/root.log") == "root.DUP00.log"
    assert up.watch(tmp_path / "a/root.log") == "root.log"
    assert up.watch(tmp_path / "c.log", name="root.log") == "root.DUP01.log"


def test_names_list_only_logs_the_hub_has(tmp_path: Path) -> None:
    session = FakeSession()
    up = uploader(session)
    (tmp_path / "build.log").write_bytes(b"x\n")
    up.watch(tmp_path / "root.log")
    up.watch(tmp_path / "build.log")
    assert up.names == []
    up.sync()
    assert up.names == ["build.log"]


def test_final_pass_creates_empty_logs_on_the_hub(tmp_path: Path) -> None:
    session = FakeSession()
    up = uploader(session)
    (tmp_path / "hw_info.log").write_bytes(b"")
    up.watch(tmp_path / "hw_info.log")
    up.sync()
    assert session.calls == []
    up.sync(final=True)
    up.sync(final=True)
    assert session.calls == [("rawUpload", "hw_info.log", 0, b"")]
    assert session.files == {"hw_info.log": b""} and up.names == ["hw_info.log"]


def test_names_run_out_after_ninety_nine_duplicates(tmp_path: Path) -> None:
    up = uploader(FakeSession())
    for n in range(100):
        up.watch(tmp_path / f"{n}.log", name="x.log")
    with pytest.raises(BuildrootError, match="no free upload name"):
        up.watch(tmp_path / "last.log", name="x.log")


def test_pattern_picks_up_logs_that_appear_later(tmp_path: Path) -> None:
    session = FakeSession()
    up = uploader(session)
    up.watch_pattern(tmp_path, "dnf*.log")
    up.sync()
    (tmp_path / "dnf.log").write_bytes(b"x\n")
    (tmp_path / "other.txt").write_bytes(b"y\n")
    up.sync()
    assert up.names == ["dnf.log"]
    assert session.files == {"dnf.log": b"x\n"}


def test_background_thread_uploads_while_the_step_runs_then_flushes(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"")
    up = uploader(session)
    up.watch(log_file)
    with uploading(up, interval_s=0.01):
        with log_file.open("ab") as out:
            out.write(b"compiling\n")
        wait_for(lambda: session.files.get("build.log") == b"compiling\n")
        with log_file.open("ab") as out:
            out.write(b"no newline at the end")
    assert session.files["build.log"] == b"compiling\nno newline at the end"


def test_background_thread_stops_at_its_deadline_but_the_final_pass_runs(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"early\n")
    up = uploader(session)
    up.watch(log_file)
    with uploading(up, interval_s=0.01, deadline_s=0.0):
        wait_for(lambda: session.files.get("build.log") == b"early\n")
        wait_for(lambda: not any(t.name.startswith("log-upload") for t in threading.enumerate()))
        with log_file.open("ab") as out:
            out.write(b"late\n")
        assert session.files["build.log"] == b"early\n"
    assert session.files["build.log"] == b"early\nlate\n"


def test_a_pattern_match_without_a_free_name_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    up = uploader(FakeSession())
    for n in range(100):
        up.watch(tmp_path / f"{n}.txt", name="dnf.log")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs/dnf.log").write_bytes(b"x\n")
    up.watch_pattern(tmp_path / "logs", "*.log")
    with caplog.at_level(logging.WARNING, logger="adjutant.task_logs"):
        up.sync()
    assert "no free upload name" in caplog.text


def test_uploads_stop_once_the_hub_says_the_task_is_no_longer_ours(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the hub's answer to a canceled task's uploads (get_upload_path → Task.assertHost)
    session = FakeSession(refusal=koji.ActionNotAllowed("host 3 does not own task 1001"))
    logs = [tmp_path / "build.log", tmp_path / "root.log"]
    up = uploader(session)
    for path in logs:
        path.write_bytes(b"line\n")
        up.watch(path)
    with caplog.at_level(logging.INFO, logger="adjutant.task_logs"):
        up.sync()
        up.sync(final=True)
    assert len(session.calls) == 1  # the refused one: no retries, no other log, no final pass
    assert up.stopped
    assert "does not own task 1001" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_canceled_step_stops_uploading_without_a_final_pass(tmp_path: Path) -> None:
    session = FakeSession()
    log_file = tmp_path / "build.log"
    log_file.write_bytes(b"")
    up = uploader(session)
    up.watch(log_file)
    with pytest.raises(SystemExit), uploading(up, interval_s=0.01):
        with log_file.open("ab") as out:
            out.write(b"started\n")
        wait_for(lambda: session.files.get("build.log") == b"started\n")
        with log_file.open("ab") as out:
            out.write(b"canceled while writing this")
        raise SystemExit("task process stopped by signal 15")  # what SIGTERM raises
    calls = len(session.calls)
    up.sync(final=True)
    assert up.stopped and len(session.calls) == calls
    assert session.files["build.log"] == b"started\n"
