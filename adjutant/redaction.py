"""Secrets out of task faults and the worker's own log.

Uploaded task logs are redacted as they are sent (task_logs.py); this module covers the two
other ways text leaves a task: the fault koji's runner builds from an exception (its message,
or the whole traceback with chained causes, readable by anyone through getTaskResult) and the
worker's log records. Both use task_logs' patterns, so all three hide the same things.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from adjutant.task_logs import redact_line

T = TypeVar("T")


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_line(value)
    if isinstance(value, bytes):
        return redact_line(value.decode("utf-8", errors="surrogateescape")).encode(
            "utf-8", errors="surrogateescape"
        )
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(item) for item in value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    return value


def redact_exception(exc: BaseException) -> None:
    """Rewrite ``exc`` and every exception chained to it so their texts carry no secret.

    Rewrites in place (``args`` and string attributes such as CalledProcessError's ``cmd`` or
    OSError's ``filename``), because koji's runner formats the exception object it catches.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.args = _redact_value(current.args)
        for name, value in list(vars(current).items()):
            if isinstance(value, str | bytes | list | tuple | dict):
                try:
                    setattr(current, name, _redact_value(value))
                except AttributeError:
                    continue  # a read-only attribute: its text comes from args anyway
        if isinstance(current, OSError):
            # OSError's text comes from these, which vars() does not show.
            if current.filename is not None:
                current.filename = _redact_value(current.filename)
            if current.filename2 is not None:
                current.filename2 = _redact_value(current.filename2)
            if current.strerror is not None:
                current.strerror = _redact_value(current.strerror)
        todo.extend((current.__cause__, current.__context__))


def run_redacted(run: Callable[[], T]) -> T:
    """``run()``; whatever it raises leaves with its secrets (and its causes') redacted."""
    try:
        return run()
    except BaseException as exc:
        redact_exception(exc)
        raise


class RedactingFilter(logging.Filter):
    """A handler filter: the record's message, traceback and stack with secrets redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_line(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact_line(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_line(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_line(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add a RedactingFilter to every handler of ``logger`` (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
