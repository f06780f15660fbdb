"""The one place a container backend is built, from the configured engine and its limits.

The worker, each task process, ``adjutant build`` and ``adjutant images`` all get their
backend here, so ``podman_url``, the retry limits and the API timeout mean the same thing
everywhere. Building a backend is cheap and connects to nothing: the engine's client is made
on first use, in the process that uses it (koji forks a process per task).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from adjutant import config
from adjutant.config import AdjutantSettings, Settings
from adjutant.container.backend import ContainerBackend

# Called in the process that will use the backend (a task process builds its own).
BackendFactory = Callable[[], ContainerBackend]


def make_backend(settings: AdjutantSettings) -> ContainerBackend:
    """A backend for the configured container engine (podman is the one there is)."""
    # Imported here: only the podman module imports podman, and commands that never touch
    # containers (config, devhub) should not pay for loading it.
    from adjutant.container.podman import PodmanBackend

    return PodmanBackend(
        settings.podman_url,
        retry_attempts=settings.podman_retry_attempts,
        retry_delay_s=settings.podman_retry_delay,
        api_timeout_s=settings.podman_api_timeout,
        network=settings.buildroot_network,
    )


def backend_factory(settings: AdjutantSettings) -> BackendFactory:
    """A factory that builds the configured backend each time it is called."""
    return lambda: make_backend(settings)


def add_command_options(parser: argparse.ArgumentParser) -> None:
    """The options of a command that uses a backend without a hub (build, images)."""
    parser.add_argument(
        "-c", "--config", action="append", type=Path, metavar="PATH",
        help="config file or directory, repeatable (default: /etc/kojid/kojid.conf + conf.d,"
        " when present)",
    )  # fmt: skip
    parser.add_argument(
        "--podman-url", default=None, help="podman API socket URL (default: [adjutant] podman_url)"
    )


def command_settings(args: argparse.Namespace) -> Settings:
    """The settings of such a command: kojid.conf when present, no hub needed.

    Raises:
        ConfigError: the configuration is invalid.
    """
    overrides = {} if args.podman_url is None else {"adjutant.podman_url": args.podman_url}
    return config.load(args.config or None, overrides=overrides, check_paths=False,
                       need_hub=False)  # fmt: skip
