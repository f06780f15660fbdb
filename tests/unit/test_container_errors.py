"""podman-py, requests and socket failures become our ContainerError tree; retries stay bounded."""

from __future__ import annotations

import io
import logging
import tarfile
from pathlib import Path

import pytest
import requests
import urllib3.exceptions
from podman.errors import APIError, BuildError, ImageNotFound, NotFound

from adjutant.container.backend import ContainerSpec
from adjutant.container.podman import PodmanBackend, extract_archive, podman_errors
from adjutant.errors import (
    ContainerError,
    ContainerNotFound,
    ContainerTimeout,
    ContainerUnavailable,
    ImageMissing,
)


def response(status: int, reason: str) -> requests.Response:
    wire = requests.Response()
    wire.status_code = status
    wire.reason = reason
    return wire


def mapped(error: BaseException, cause: BaseException | None = None) -> ContainerError:
    """What ``podman_errors`` turns ``error`` (raised from ``cause``) into."""
    with pytest.raises(ContainerError) as raised:
        with podman_errors("remove container 1a2b"):
            if cause is not None:
                raise error from cause
            raise error
    assert raised.value.__cause__ is error
    return raised.value


def test_missing_container_becomes_not_found_with_podmans_message() -> None:
    error = NotFound(
        "no such container",
        response=response(404, "Not Found"),
        explanation='no container with name or ID "x" found: no such container',
    )
    result = mapped(error)
    assert type(result) is ContainerNotFound
    assert str(result) == (
        'remove container 1a2b: no container with name or ID "x" found: no such container'
    )


def test_missing_image_becomes_image_missing() -> None:
    assert type(mapped(ImageNotFound("image not known", response(404, "Not Found")))) is (
        ImageMissing
    )
    # podman 4 answers create-from-a-missing-image with a 500.
    error = APIError(
        "image not known", response(500, "Server Error"), "localhost/x:1: image not known"
    )
    result = mapped(error)
    assert type(result) is ImageMissing and "localhost/x:1" in str(result)


def test_other_not_found_is_a_plain_container_error() -> None:
    error = NotFound("no such file or directory", response(404, "Not Found"), "no such file")
    assert type(mapped(error)) is ContainerError


def test_podmans_500_is_a_container_error_not_unavailable() -> None:
    error = APIError(
        "that name is already in use",
        response(500, "Internal Server Error"),
        'the container name "a" is already in use',
    )
    result = mapped(error)
    assert type(result) is ContainerError and "already in use" in str(result)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_unavailable(status: int) -> None:
    assert type(mapped(APIError("busy", response(status, "Busy")))) is ContainerUnavailable


def test_unreachable_socket_is_unavailable() -> None:
    # podman-py wraps transport errors in a response-less APIError chained to the cause.
    cause = requests.exceptions.ConnectionError("[Errno 2] No such file or directory")
    result = mapped(APIError("http://x/v5/libpod/_ping", explanation="GET operation failed"), cause)
    assert type(result) is ContainerUnavailable and "No such file or directory" in str(result)
    assert type(mapped(ConnectionRefusedError(111, "refused"))) is ContainerUnavailable
    assert type(mapped(urllib3.exceptions.ProtocolError("reset"))) is ContainerUnavailable


def test_read_timeouts_are_timeouts() -> None:
    cause = requests.exceptions.ReadTimeout("read timed out")
    assert type(mapped(APIError("http://x", explanation="GET operation failed"), cause)) is (
        ContainerTimeout
    )
    assert type(mapped(requests.exceptions.ReadTimeout("slow"))) is ContainerTimeout
    assert type(mapped(TimeoutError("timed out"))) is ContainerTimeout


def test_a_streamed_read_timeout_wrapped_by_requests_is_a_timeout() -> None:
    inner = urllib3.exceptions.ReadTimeoutError(None, "/build", "read timed out")
    assert type(mapped(requests.exceptions.ConnectionError(inner))) is ContainerTimeout


def test_connect_timeouts_are_unavailable() -> None:
    cause = requests.exceptions.ConnectTimeout("connect timed out")
    assert type(mapped(APIError("http://x"), cause)) is ContainerUnavailable


def test_podman_py_own_errors_are_container_errors() -> None:
    assert type(mapped(BuildError("build failed", []))) is ContainerError


def test_our_own_errors_pass_through_unchanged() -> None:
    original = ContainerTimeout("ran too long")
    with pytest.raises(ContainerTimeout) as raised:
        with podman_errors("exec"):
            raise original
    assert raised.value is original


def test_idempotent_calls_retry_only_while_unavailable_with_one_warning_per_sleep(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backend = PodmanBackend(f"unix://{tmp_path}/absent.sock", retry_attempts=3, retry_delay_s=0)
    with caplog.at_level(logging.WARNING), pytest.raises(ContainerUnavailable):
        backend.image_exists("localhost/x:1")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "attempt 1 of 3" in warnings[0].getMessage()


def test_create_is_not_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    backend = PodmanBackend(f"unix://{tmp_path}/absent.sock", retry_attempts=3, retry_delay_s=0)
    spec = ContainerSpec(image="i", task_id=1, worker="w", role="r")
    with caplog.at_level(logging.WARNING), pytest.raises(ContainerUnavailable):
        backend.create(spec)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def tar_stream(*members: tuple[tarfile.TarInfo, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, content in members:
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content) if content else None)
    buffer.seek(0)
    return buffer


def entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o4755  # setuid must not survive
    info.uid = 1234
    return info


def test_extract_archive_writes_files_and_directories_without_special_bits(tmp_path: Path) -> None:
    stream = tar_stream(
        (entry("RPMS", tarfile.DIRTYPE), b""),
        (entry("RPMS/x.rpm"), b"payload"),
        (entry("RPMS/link", tarfile.SYMTYPE, "x.rpm"), b""),
    )
    extract_archive(stream, tmp_path)
    assert (tmp_path / "RPMS" / "x.rpm").read_bytes() == b"payload"
    assert (tmp_path / "RPMS" / "x.rpm").stat().st_mode & 0o7000 == 0
    assert (tmp_path / "RPMS" / "link").resolve() == (tmp_path / "RPMS" / "x.rpm").resolve()


@pytest.mark.parametrize(
    "member",
    [
        entry("/etc/passwd"),
        entry("../escape"),
        entry("RPMS/../../escape"),
        entry("RPMS/evil", tarfile.SYMTYPE, "/etc/passwd"),
        entry("RPMS/evil", tarfile.SYMTYPE, "../../etc/passwd"),
        entry("RPMS/evil", tarfile.LNKTYPE, "../outside"),
        entry("RPMS/dev", tarfile.CHRTYPE),
    ],
    ids=[
        "absolute",
        "dotdot",
        "nested-dotdot",
        "abs-symlink",
        "escaping-symlink",
        "hardlink",
        "device",
    ],
)
def test_extract_archive_refuses_unsafe_members(tmp_path: Path, member: tarfile.TarInfo) -> None:
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(ContainerError, match="refusing archive member"):
        extract_archive(tar_stream((member, b"")), target)
    assert not (tmp_path / "escape").exists()
