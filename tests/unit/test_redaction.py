"""Secrets never reach a task's fault (getTaskResult) or the worker log; paths are not secrets."""

from __future__ import annotations

import logging
import subprocess
import types
import xmlrpc.client
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.config import AdjutantSettings, KojidSettings, Settings
from adjutant.container.fake import FakeBackend
from adjutant.redaction import RedactingFilter, redact_exception
from adjutant.task_logs import redact, redact_line
from adjutant.tasks.context import TaskContext
from adjutant.worker import AdjutantTaskManager

URL = "https://alice:S3cr3tPw@git.example.org/repo.git"


class FailingHandler:
    id = 41
    method = "buildSRPMFromSCM"
    workdir = "/nonexistent/tasks/41"

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def run(self) -> Any:
        raise self.exc


def _run_task(handler: FailingHandler, workdir: Path = Path("/nonexistent")) -> str:
    """Run ``handler`` through koji's runner in this process; returns the failTask fault text."""
    failed: list[Any] = []
    host = types.SimpleNamespace(getID=lambda: 1, failTask=lambda tid, resp: failed.append(resp))
    session = types.SimpleNamespace(host=host, getSessionInfo=lambda: {"start_ts": 0.0})
    backend = FakeBackend()
    context = TaskContext.from_settings(Settings(KojidSettings(), AdjutantSettings()),
                                        factory=lambda: backend)  # fmt: skip
    manager = AdjutantTaskManager(types.SimpleNamespace(workdir=str(workdir)), session,
                                  worker_name="w", backend=backend, context=context)  # fmt: skip
    manager.runTask(handler)
    assert len(failed) == 1
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(failed[0])
    return str(fault.value.faultString)


def test_a_build_error_fault_does_not_carry_the_scm_password() -> None:
    error = koji.BuildError(f'Error running GIT command "git clone {URL}"')
    text = _run_task(FailingHandler(error))
    assert "S3cr3tPw" not in text
    assert "alice:***@git.example.org" in text


def test_a_traceback_fault_hides_passwords_in_chained_causes_and_process_errors() -> None:
    try:
        try:
            subprocess.run(["false", URL], check=True)
        except subprocess.CalledProcessError as inner:
            raise RuntimeError(f"checkout of {URL} failed") from inner
    except RuntimeError as exc:
        outer = exc
    text = _run_task(FailingHandler(outer))
    assert "S3cr3tPw" not in text
    assert "CalledProcessError" in text  # the cause is still there, only its secret is gone


def test_an_os_error_naming_a_credentialed_url_is_redacted() -> None:
    exc = OSError(2, "No such file", f"/srv/token=abc123/{URL}")
    redact_exception(exc)
    assert "S3cr3tPw" not in str(exc) and "abc123" not in str(exc)


def test_worker_log_records_and_their_tracebacks_are_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = caplog.handler
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("adjutant.test")
    try:
        raise ValueError(f"cannot clone {URL}")
    except ValueError:
        log.exception("task %s: clone of %s failed", 7, URL)
    text = caplog.text
    assert "S3cr3tPw" not in text
    assert text.count("alice:***@") == 2  # message and traceback


def test_pwd_is_a_path_not_a_password() -> None:
    assert redact(b"PWD=/builddir/build/BUILD\n") == b"PWD=/builddir/build/BUILD\n"
    assert redact_line("OLDPWD=/root password=hunter2") == "OLDPWD=/root password=***"


def test_a_full_disk_is_a_buildroot_fault_naming_the_file_system(tmp_path: Path) -> None:
    import errno

    from adjutant.task_faults import mount_point

    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "build.log"))
    text = _run_task(FailingHandler(full), workdir=tmp_path)
    assert text.startswith(f"no space left on the file system mounted at {mount_point(tmp_path)}")
    assert "Traceback" not in text
    assert f"holding {tmp_path / 'build.log'}" in text


def test_bytes_lists_and_dicts_in_exception_attributes_are_redacted_too() -> None:
    exc = RuntimeError("clone failed")
    exc.output = f"fatal: {URL}".encode()  # type: ignore[attr-defined]
    exc.details = {"url": URL, "argv": ["git", "clone", URL]}  # type: ignore[attr-defined]
    redact_exception(exc)
    assert b"S3cr3tPw" not in exc.output  # type: ignore[attr-defined]
    assert "S3cr3tPw" not in repr(exc.details)  # type: ignore[attr-defined]


def test_a_quota_is_named_as_such(tmp_path: Path) -> None:
    import errno

    from adjutant.task_faults import disk_full_fault

    fault = disk_full_fault(OSError(errno.EDQUOT, "Disk quota exceeded"), tmp_path / "gone")
    assert str(fault).startswith("quota exceeded on the file system mounted at ")
    assert f"holding {tmp_path / 'gone'}" in str(fault)
