"""`adjutant build`: rebuild an SRPM in a container buildroot on this machine, without a hub.

Like `mock --rebuild`: handy to reproduce a koji build locally, and the README's demo.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from adjutant.buildroot.rebuild import RebuildRequest, defines_from, rebuild
from adjutant.container.backend import PullPolicy
from adjutant.container.factory import add_command_options, command_settings, make_backend
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
    add_command_options(parser)


def run(args: argparse.Namespace) -> int:
    backend = make_backend(command_settings(args).adjutant)
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
