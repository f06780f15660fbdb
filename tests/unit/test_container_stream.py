"""Reading podman's multiplexed streams within a deadline, whatever the server does."""

import threading
import time

import pytest

from adjutant.container.podman import frames_until
from adjutant.errors import ContainerTimeout


def frame(payload: bytes) -> bytes:
    return b"\x01\x00\x00\x00" + len(payload).to_bytes(4, "big") + payload


class StalledResponse:
    """Sends its frames, then blocks in read() until closed, like a stream left open."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.closed = threading.Event()
        self.raw = self

    def read(self, size: int) -> bytes:
        if self.data:
            piece, self.data = self.data[:size], self.data[size:]
            return piece
        self.closed.wait(timeout=30)
        return b""

    def close(self) -> None:
        self.closed.set()


def test_all_frames_arrive_when_the_stream_ends() -> None:
    response = StalledResponse(frame(b"one\n") + frame(b"two\n"))
    response.close()
    assert list(frames_until(response, time.monotonic() + 5, "logs")) == [b"one\n", b"two\n"]


def test_a_stalled_stream_times_out_at_the_deadline_and_is_closed() -> None:
    response = StalledResponse(frame(b"started\n"))
    chunks = frames_until(response, time.monotonic() + 0.3, "logs of container abc")
    assert next(chunks) == b"started\n"
    with pytest.raises(ContainerTimeout, match="logs of container abc: the stream had not ended"):
        next(chunks)
    assert response.closed.is_set()
