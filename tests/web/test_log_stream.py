"""Following a log: lines as they are written, the rest from the hub's copy once koji removed
the work dir, then the end event; byte ranges end at a line end; names are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from adjutant.web import task_logs


def events_data(event: str) -> list[str]:
    return [line.removeprefix("data: ") for line in event.splitlines() if line.startswith("data")]


def test_follow_sends_lines_then_the_hub_copy_then_the_end(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_bytes(b"one\ntw")
    hub_copy = b"one\ntwo\nthree\n"
    state: list[str | None] = [None]
    asked: list[int] = []

    def read_hub_copy(position: int) -> bytes:
        asked.append(position)
        return hub_copy[position:]

    stream = task_logs.follow(log, 0, lambda: state[0], read_hub_copy)
    assert next(stream).startswith("retry:")
    first = next(stream)
    assert events_data(first) == ["one"] and first.startswith("id: 4\n")
    log.unlink()  # koji removed the work dir; the task then ended
    state[0] = "CLOSED"
    assert events_data(next(stream)) == ["two", "three"]
    assert next(stream) == 'event: end\ndata: {"state": "CLOSED"}\n\n'
    assert asked == [6, 14]
    with pytest.raises(StopIteration):
        next(stream)


def test_follow_resumes_from_an_offset_and_redacts(tmp_path: Path) -> None:
    log = tmp_path / "root.log"
    log.write_bytes(b"skipped\nurl https://u:pw123@host/x\n")
    stream = task_logs.follow(log, 8, lambda: "FAILED", lambda _position: b"")
    next(stream)
    (line,) = events_data(next(stream))
    assert "pw123" not in line and line.startswith("url https://u:")
    assert "FAILED" in next(stream)


def test_a_stream_ends_at_its_deadline_without_an_end_event(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_bytes(b"")
    events = list(task_logs.follow(log, 0, lambda: None, lambda _p: b"", max_s=0.0))
    assert not any("event: end" in event for event in events)


def test_a_local_range_ends_at_a_line_end(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_bytes(b"alpha\nbeta\ngamma")
    data, next_offset = task_logs.read_range(log, "", 1, "build.log", 0, limit=8)
    assert (data, next_offset) == (b"alpha\n", 6)
    data, next_offset = task_logs.read_range(log, "", 1, "build.log", 6, limit=100)
    assert (data, next_offset) == (b"beta\ngamma", 16)


def test_a_log_gone_without_a_topurl_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(task_logs.LogUnavailable, match="no topurl"):
        task_logs.read_range(tmp_path / "gone.log", "", 1, "gone.log", 0)


@pytest.mark.parametrize("name, valid", [
    ("build.log", True), ("noarch_rpmdiff.json", True), ("..", False), ("../x", False),
    ("/etc/passwd", False), (".hidden", False), ("a/b.log", False), ("", False),
])  # fmt: skip
def test_log_names(name: str, valid: bool) -> None:
    assert task_logs.is_valid_name(name) is valid
