"""`adjutant build`: rebuild an SRPM in a container buildroot on this machine, without a hub.

Like `mock --rebuild`: handy to reproduce a koji build locally, and the README's demo.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from pathlib import Path

from adjutant.buildroot.rebuild import RebuildRequest, defines_from, rebuild
from adjutant.config import kinds
from adjutant.container.backend import PullPolicy, ResourceLimits
from adjutant.errors import ConfigError
from adjutant.images import TAG_PREFIX

log = logging.getLogger(__name__)

DEFAULT_IMAGE = f"{TAG_PREFIX}debian-bookworm:latest"
IMAGE_CHECK_TIMEOUT_S = 60.0


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("srpm", type=Path, metavar="SRPM", help="source RPM to rebuild")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help=f"task image ({DEFAULT_IMAGE})")
    parser.add_argument("--arch", default=None, help="target arch (rpmbuild --target)")
    parser.add_argument(
        "--repo", action="append", default=[], metavar="DIR|URL",
        help="rpm-md repo to install BuildRequires from (repeatable; a DIR is mounted read-only)",
    )  # fmt: skip
    parser.add_argument(
        "--define", action="append", default=[], metavar="'NAME VALUE'", help="rpm macro"
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=Path("out"), help="results go to OUTPUT/<nvr>-<time>/"
    )
    parser.add_argument("--podman-url", default="unix:///run/podman/podman.sock")
    parser.add_argument(
        "--memory", default=None, metavar="SIZE",
        help="memory limit of the buildroot, as [adjutant] container_memory (3/4 of the host's)",
    )  # fmt: skip
    parser.add_argument(
        "--pids", default=None, metavar="N",
        help=f"process limit, as [adjutant] container_pids ({ResourceLimits.DEFAULT_PIDS})",
    )  # fmt: skip


def limits_from(memory: str | None, pids: str | None) -> ResourceLimits:
    """The host's default limits with the command line's overrides.

    Raises:
        ConfigError: a value does not parse as container_memory / container_pids would.
    """
    limits = ResourceLimits.for_host()
    try:
        if memory is not None:
            limits = dataclasses.replace(limits, memory_bytes=kinds.SIZE.parse(memory))
        if pids is not None:
            limits = dataclasses.replace(limits, pids=kinds.integer(1).parse(pids))
    except ValueError as exc:
        raise ConfigError(f"--memory/--pids: {exc}") from exc
    return limits


def run(args: argparse.Namespace) -> int:
    from adjutant.container.podman import PodmanBackend

    backend = PodmanBackend(args.podman_url)
    # Local images are never pulled: a missing one should be built with `adjutant images build`.
    policy = PullPolicy.NEVER if args.image.startswith("localhost/") else PullPolicy.IF_NOT_PRESENT
    backend.ensure_image(args.image, policy, IMAGE_CHECK_TIMEOUT_S)
    result_dir = (
        args.output / f"{args.srpm.name.removesuffix('.src.rpm')}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    request = RebuildRequest(
        srpm=args.srpm,
        image=args.image,
        result_dir=result_dir,
        arch=args.arch,
        defines=defines_from(args.define),
        repos=tuple(args.repo),
        limits=limits_from(args.memory, args.pids),
    )
    try:
        result = rebuild(backend, request)
    finally:
        print(f"logs:    {result_dir}")
    for path in result.outputs.srpms + result.outputs.rpms:
        print(f"package: {path}")
    for step in result.steps:
        print(f"step:    {step.name} exit {step.exit_code} in {step.duration_s:.1f}s")
    return 0
