"""`adjutant build`: rebuild an SRPM on this machine, without a hub, the way buildArch does.

Like `mock --rebuild`: it reproduces a koji build locally (and is the README's demo). It runs
the buildroot buildArch runs (``KojiBuildroot`` and ``koji_rebuild``: same container spec,
limits, steps and fault texts); a ``LocalHub`` stands in for the hub, keeping the buildroot
record in memory and writing the uploads (the logs) into the result dir, where the packages
are copied too. BuildRequires install from ``--repo`` directories or URLs, or must be in the
image. The local and the koji results differ only in where they are reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import koji

from adjutant.buildroot.koji_buildroot import BuildrootRequest, KojiBuildroot
from adjutant.buildroot.local_hub import (
    LOCAL_REPO_ID,
    LOCAL_TAG,
    BuildrootRecord,
    LocalHub,
    new_task_id,
)
from adjutant.buildroot.local_repos import local_repos
from adjutant.buildroot.macros import MACRO_NAME
from adjutant.buildroot.steps import StepRecord
from adjutant.container.factory import add_command_options, command_settings
from adjutant.errors import TaskParamError
from adjutant.policy.provision import provide_configured
from adjutant.policy.resolver import ImageChoice
from adjutant.results import BuildOutputs, collect_outputs, read_srpm
from adjutant.tasks.context import TaskContext

log = logging.getLogger(__name__)

# The worker label of local rebuilds: a worker on the same host sweeps only its own label.
LOCAL_WORKER = "adjutant-local"


@dataclass(frozen=True)
class LocalRebuild:
    srpm: Path
    result_dir: Path  # packages and logs end up here
    arch: str  # the buildroot's arch, and rpmbuild's --target
    defines: tuple[tuple[str, str], ...] = ()
    repos: tuple[str, ...] = ()  # directories or http(s) URLs BuildRequires install from


@dataclass(frozen=True)
class LocalResult:
    outputs: BuildOutputs
    logs: tuple[Path, ...]
    steps: tuple[StepRecord, ...]
    buildroot: BuildrootRecord  # what the hub would have recorded


def rebuild(context: TaskContext, request: LocalRebuild) -> LocalResult:
    """Rebuild ``request.srpm`` in a buildroot from ``context.image``.

    Raises:
        TaskParamError: the SRPM, arch, a repo or a macro definition is invalid.
        BuildrootError: the image is missing, the container failed or the BuildRequires are
            not satisfied; see root.log.
        BuildFailed: rpmbuild failed or ran past rpmbuild_timeout; see build.log.
    """
    source = read_srpm(request.srpm)
    repos = local_repos(request.repos)
    request.result_dir.mkdir(parents=True, exist_ok=True)
    hub = LocalHub(request.result_dir, arch=request.arch, defines=request.defines)
    backend = context.make_backend()
    settings = context.settings
    provide_configured(backend, context.image, settings.adjutant)
    with tempfile.TemporaryDirectory(prefix="adjutant-build-") as work:
        buildroot_request = BuildrootRequest(
            task_id=new_task_id(), tag=LOCAL_TAG, arch=request.arch, repo_id=LOCAL_REPO_ID,
            image=context.image.image, work_dir=Path(work), install_group=None,
            image_reason=context.image.reason, local_repos=repos,
        )  # fmt: skip
        with KojiBuildroot(hub, backend, settings, buildroot_request) as buildroot:
            outputs = collect_outputs(buildroot.build(request.srpm, request.arch), source)
            copied = BuildOutputs(
                srpms=tuple(_copy(path, request.result_dir) for path in outputs.srpms),
                rpms=tuple(_copy(path, request.result_dir) for path in outputs.rpms),
            )
    assert buildroot.id is not None
    return LocalResult(
        outputs=copied,
        logs=tuple(request.result_dir / name for name in buildroot.log_names),
        steps=buildroot.steps,
        buildroot=hub.host.buildroots[buildroot.id],
    )


def _copy(path: Path, target_dir: Path) -> Path:
    return Path(shutil.copy2(path, target_dir / path.name))


def parse_define(text: str) -> tuple[str, str]:
    """'NAME VALUE' (as rpmbuild's --define takes it) into a checked pair.

    Raises:
        TaskParamError: no value, or the macro name is not a plain identifier.
    """
    name, _, value = text.strip().partition(" ")
    if not MACRO_NAME.fullmatch(name) or not value.strip() or "\n" in value or "\r" in value:
        raise TaskParamError(f"invalid macro definition {text!r}: expected 'NAME VALUE'")
    return name, value.strip()


def defines_from(texts: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Parse every --define argument.

    Raises:
        TaskParamError: one is malformed.
    """
    return tuple(parse_define(text) for text in texts)


def local_context(settings_context: TaskContext, image: str | None) -> TaskContext:
    """The context of a local rebuild: its own worker label, and ``--image`` if given."""
    settings = settings_context.settings
    adjutant = dataclasses.replace(settings.adjutant, worker_name=LOCAL_WORKER)
    context = dataclasses.replace(
        settings_context, settings=dataclasses.replace(settings, adjutant=adjutant)
    )
    return context if image is None else context.for_task(ImageChoice(image, "--image"))


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("srpm", type=Path, metavar="SRPM", help="source RPM to rebuild")
    parser.add_argument("--image", default=None,
                        help="task image (default: [adjutant] task_image_default)")  # fmt: skip
    parser.add_argument(
        "--arch", default=None, help="target arch (rpmbuild --target; default: this host's)"
    )
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
    context = local_context(TaskContext.from_settings(command_settings(args)), args.image)
    result_dir = (
        args.output / f"{args.srpm.name.removesuffix('.src.rpm')}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    request = LocalRebuild(
        srpm=args.srpm,
        result_dir=result_dir,
        arch=args.arch or koji.canonArch(os.uname().machine),
        defines=defines_from(args.define),
        repos=tuple(args.repo),
    )
    try:
        result = rebuild(context, request)
    finally:
        print(f"logs:    {result_dir}")
    for path in result.outputs.srpms + result.outputs.rpms:
        print(f"package: {path}")
    for step in result.steps:
        print(f"step:    {step.name} exit {step.exit_code} in {step.duration_s:.1f}s")
    return 0
