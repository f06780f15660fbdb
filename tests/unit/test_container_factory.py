"""Every backend is built in one place, from the configured engine URL and limits."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from adjutant.config import AdjutantSettings
from adjutant.container.factory import (
    add_command_options,
    backend_factory,
    command_settings,
    make_backend,
)
from adjutant.container.podman import PodmanBackend

CONF = """\
[adjutant]
podman_url = unix:///run/adjutant-test/podman.sock
podman_retry_attempts = 5
podman_retry_delay = 0.5
podman_api_timeout = 33
"""


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_command_options(parser)
    return parser.parse_args(argv)


def test_the_backend_carries_the_configured_url_retries_and_timeout() -> None:
    settings = AdjutantSettings(podman_url="tcp://podman.example:8888", podman_retry_attempts=4,
                                podman_retry_delay=1.5, podman_api_timeout=45.0)  # fmt: skip
    backend = make_backend(settings)
    assert isinstance(backend, PodmanBackend)
    assert (backend.url, backend.retry_attempts, backend.retry_delay_s, backend.api_timeout_s) == (
        "tcp://podman.example:8888", 4, 1.5, 45.0,
    )  # fmt: skip


def test_a_factory_builds_a_new_backend_per_call() -> None:
    factory = backend_factory(AdjutantSettings())
    assert factory() is not factory()


def test_commands_read_the_config_file_without_hub_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KOJI_ADJUTANT_CONFIG", raising=False)
    conf = tmp_path / "kojid.conf"
    conf.write_text(CONF)
    backend = make_backend(command_settings(parse("-c", str(conf))).adjutant)
    assert isinstance(backend, PodmanBackend)
    assert (backend.url, backend.retry_attempts, backend.api_timeout_s) == (
        "unix:///run/adjutant-test/podman.sock", 5, 33.0,
    )  # fmt: skip
    flagged = command_settings(parse("-c", str(conf), "--podman-url", "unix:///tmp/x.sock"))
    assert flagged.adjutant.podman_url == "unix:///tmp/x.sock"
