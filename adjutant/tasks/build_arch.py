"""``buildArch``: build one SRPM for one arch in a container buildroot, as kojid's BuildArchTask.

The handler stays thin: check the parameters, fetch the SRPM, adjust the task weight, pick
the buildroot arch (``find_arch``) and the image, run a ``KojiBuildroot``, check the packages
it made, upload them and return kojid's result ``{rpms, srpms, logs, brootid}``. Buildroot
mechanics live in ``adjutant.buildroot``; the image comes from the tag's image policy,
resolved by the worker before the task process forks (it arrives in the task's
``TaskContext``), and is built or pulled here (``adjutant.policy.provision``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import koji
import koji.rpmdiff
import requests

from adjutant.buildroot.koji_buildroot import BuildrootRequest, KojiBuildroot
from adjutant.errors import (
    BuildFailed,
    TaskParamError,
)
from adjutant.results import BuildOutputs, collect_outputs, read_srpm
from adjutant.tasks.container_task import ContainerTask
from adjutant.tasks.params import check_repo_opt, check_srpm_path, check_tag_ref

NOARCH_RPMDIFF = "noarch_rpmdiff.json"
BASE_WEIGHT = 1.5
# kojid adds 0.75 per hour of the package's average build time, at most 18 (24 hours).
WEIGHT_SECONDS_PER_UNIT = 4800.0
MAX_WEIGHT_ADJUSTMENT = 18.0
# koji's arch names.
_ARCH = re.compile(r"^[A-Za-z0-9_]+$")
# Header tags kojid requires of an SRPM it keeps (kojid: srpm_sanity_checks).
SRPM_REQUIRED_TAGS = ("packager", "vendor", "distribution")


@dataclass(frozen=True)
class BuildArchParams:
    """``buildArch``'s parameters, checked."""

    pkg: str  # the SRPM's path under work/
    root: int | str  # the build tag
    arch: str
    keep_srpm: bool
    repo_id: int


def parse_params(
    pkg: object, root: object, arch: object, keep_srpm: object, opts: object
) -> BuildArchParams:
    """Check ``buildArch``'s parameters as the hub passed them.

    Raises:
        TaskParamError: a parameter is missing, of the wrong type or unsafe; the message
            names it.
    """
    pkg = check_srpm_path(pkg, "buildArch")
    root = check_tag_ref(root, "buildArch")
    if not isinstance(arch, str) or not _ARCH.match(arch):
        raise TaskParamError(f"buildArch: invalid arch {arch!r}")
    if not isinstance(keep_srpm, bool | int):
        raise TaskParamError(f"buildArch: keep_srpm must be a boolean, got {keep_srpm!r}")
    repo_id = check_repo_opt(opts, "buildArch")
    return BuildArchParams(pkg, root, arch, bool(keep_srpm), repo_id)


class BuildArchTask(ContainerTask):
    """Builds one SRPM for one arch; the result is what kojid's BuildArchTask returns."""

    Methods = ["buildArch"]
    _taskWeight = BASE_WEIGHT

    def image_key(self) -> tuple[int | str, str] | None:
        try:
            params = parse_params(*self.params[:4], *self.params[4:5])
        except (TaskParamError, TypeError):
            return None  # the handler reports bad parameters as the task's fault
        return params.root, params.arch

    def handler(
        self, pkg: object, root: object, arch: object, keep_srpm: object, opts: object = None
    ) -> dict[str, object]:
        params = parse_params(pkg, root, arch, keep_srpm, opts)
        settings = self.context.settings
        repo_info = self.session.repoInfo(params.repo_id, strict=True)
        event_id = repo_info["create_event"]
        try:
            srpm = Path(self.localPath(f"work/{params.pkg}"))
        except requests.RequestException as exc:
            raise TaskParamError(f"buildArch: cannot fetch work/{params.pkg}: {exc}") from exc
        source = read_srpm(srpm)
        self.update_weight(source.name)
        preferred = self.session.getTaskInfo(self.id)["arch"] if params.arch == "noarch" else None
        br_arch = self.find_arch(
            params.arch,
            self.session.host.getHost(),
            self.session.getBuildConfig(params.root, event=event_id),
            preferred_arch=preferred,
        )
        backend = self.context.make_backend()
        choice = self.provide_image(backend)
        request = BuildrootRequest(
            task_id=self.id, tag=params.root, arch=br_arch, repo_id=params.repo_id,
            image=choice.image, work_dir=Path(self.workdir), image_reason=choice.reason,
        )  # fmt: skip
        with KojiBuildroot(self.session, backend, settings, request,
                          recorder=self.task_recorder) as buildroot:  # fmt: skip
            result_dir = buildroot.build(srpm, params.arch)
            outputs = collect_outputs(result_dir, source)
            with self.task_recorder.phase("upload-outputs"):
                extra_logs = self.upload_outputs(outputs, params.keep_srpm)
        upload_path = self.getUploadDir()
        kept = outputs.srpms if params.keep_srpm else ()
        return {
            "rpms": [f"{upload_path}/{path.name}" for path in outputs.rpms],
            "srpms": [f"{upload_path}/{path.name}" for path in kept],
            "logs": [f"{upload_path}/{name}" for name in buildroot.log_names + extra_logs],
            "brootid": buildroot.id,
        }

    def update_weight(self, name: str) -> None:
        """kojid's weight for a package: 1.5 plus its average build time's share."""
        try:
            average = self.session.getAverageBuildDuration(name, age=6)
        except koji.ParameterError:
            average = self.session.getAverageBuildDuration(name)  # hubs before 1.23
        if not average:
            return
        if average < 0:
            self.logger.warning("negative average build duration for %s: %s", name, average)
            return
        adjustment = min(MAX_WEIGHT_ADJUSTMENT, average / WEIGHT_SECONDS_PER_UNIT)
        self.session.host.setTaskWeight(self.id, self.weight() + adjustment)

    def upload_outputs(self, outputs: BuildOutputs, keep_srpm: bool) -> list[str]:
        """Upload the noarch hashes, the RPMs and (kept) the SRPM, in kojid's order; returns
        the names of extra logs uploaded.

        Raises:
            BuildFailed: ``keep_srpm`` and the SRPM lacks packager, vendor or distribution.
        """
        extra_logs = []
        hashes = {
            path.name: koji.rpmdiff.Rpmdiff(str(path), str(path), ignore="S5TN").kojihash()
            for path in outputs.rpms
            if path.name.endswith(".noarch.rpm")
        }
        if hashes:
            # The hub compares noarch packages built on several arches by these hashes.
            noarch = Path(self.workdir) / NOARCH_RPMDIFF
            noarch.write_text(json.dumps({str(self.id): hashes}, indent=2, sort_keys=True))
            self.uploadFile(str(noarch))
            extra_logs.append(NOARCH_RPMDIFF)
        for path in outputs.rpms:
            self.uploadFile(str(path))
        if keep_srpm:
            (srpm,) = outputs.srpms  # collect_outputs found exactly one
            fields = koji.get_header_fields(str(srpm), list(SRPM_REQUIRED_TAGS))
            for tag in SRPM_REQUIRED_TAGS:
                if not fields[tag]:
                    raise BuildFailed(f"The build system failed to set the {tag} tag")
            self.uploadFile(str(srpm))
        return extra_logs
