"""What every task with a container buildroot shares: the host arch check, the podman
backend, and the task image (chosen by policy in the daemon, provided in the task process).

kojid's BaseBuildTask has the same role for mock buildroots; ``buildArch``, ``rebuildSRPM``
and (later) ``buildSRPMFromSCM`` derive from this class.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import koji
from koji.tasks import BaseTaskHandler, RefuseTask

from adjutant.config import Settings
from adjutant.container.backend import ContainerBackend
from adjutant.errors import BuildFailed, ContainerUnavailable, TaskParamError
from adjutant.policy.provision import provide_image
from adjutant.policy.resolver import ImageChoice, ImageResolver
from adjutant.results import RpmIdentity, read_identity
from adjutant.tasks.params import check_tag_ref


class ContainerTask(BaseTaskHandler):  # type: ignore[misc]
    """Base of the handlers that run a container buildroot; the build tag is params[1]."""

    def checkHost(self, hostdata: Mapping[str, Any]) -> bool:  # noqa: N802 (koji's hook)
        """kojid's checkHostArch: the build tag's arches must meet the host's."""
        tag = self.params[1]
        if isinstance(tag, dict):
            tag = tag.get("id") or tag.get("name")
        config = self.session.getBuildConfig(tag)
        if config and config["arches"]:
            tag_arches = {koji.canonArch(a) for a in config["arches"].split()}
            host_arches = set(hostdata["arches"].split())
            if not tag_arches & host_arches:
                self.logger.info(
                    "task %s (%s): tag arches (%s) and host arches (%s) are disjoint",
                    self.id, self.method, ", ".join(sorted(tag_arches)),
                    ", ".join(sorted(host_arches)),
                )  # fmt: skip
                return False
        # A tag without arches fails later, with a message, rather than being refused here.
        return True

    def make_backend(self, settings: Settings) -> ContainerBackend:
        """The task's container backend, made in the task process (koji forks per task)."""
        from adjutant.container.podman import PodmanBackend

        adjutant = settings.adjutant
        return PodmanBackend(
            adjutant.podman_url,
            retry_attempts=adjutant.podman_retry_attempts,
            retry_delay_s=adjutant.podman_retry_delay,
            api_timeout_s=adjutant.podman_api_timeout,
            network=adjutant.buildroot_network,
        )

    def image_key(self) -> tuple[int | str, str] | None:
        """(build tag, arch) the image policy is asked about; None when the parameters
        are bad (the handler then reports them as the task's fault)."""
        raise NotImplementedError

    def choose_image(self, resolver: ImageResolver) -> None:
        """Pick the task image by the build tag's policy (called by the worker, pre-fork)."""
        key = self.image_key()
        if key is None:
            return
        tag, arch = key
        arch = koji.canonArch(arch) if arch != "noarch" else "noarch"
        self.image_choice = resolver.resolve(tag, arch, self.method)

    def provide_image(self, backend: ContainerBackend, settings: Settings) -> ImageChoice:
        """Have the chosen image present before any buildroot record exists; the choice.

        Raises:
            RefuseTask: podman is unreachable; another host can take the task.
            BuildrootError: the image is missing and may not or cannot be built or pulled;
                the message names the image and the tag rule (or default) that chose it.
        """
        adjutant = settings.adjutant
        choice = getattr(self, "image_choice", None) or ImageChoice(
            adjutant.task_image_default, "task_image_default"
        )
        try:
            provide_image(
                backend, choice, pull_policy=adjutant.image_pull_policy,
                images_dir=adjutant.images_dir, timeout_s=float(adjutant.pull_timeout),
                attempts=adjutant.podman_retry_attempts,
                retry_delay_s=float(adjutant.podman_retry_delay),
            )  # fmt: skip
        except ContainerUnavailable as exc:
            raise RefuseTask(f"the podman service is unavailable: {exc}") from exc
        self.logger.info("task image %s (%s)", choice.image, choice.reason)
        choice_made: ImageChoice = choice
        return choice_made


class SrpmTask(ContainerTask):
    """Base of the tasks that make an SRPM (rebuildSRPM, buildSRPMFromSCM): a noarch
    buildroot of the build tag (params[1]), and exactly one well-named SRPM out of it."""

    def image_key(self) -> tuple[int | str, str] | None:
        try:
            return check_tag_ref(self.params[1], self.method), "noarch"
        except (TaskParamError, IndexError):
            return None

    def one_srpm(self, result_dir: Path) -> tuple[Path, RpmIdentity]:
        """The single SRPM in ``result_dir`` and its header identity.

        Raises:
            BuildFailed: none or several, or its file name is not N-V-R.src.rpm of its header.
        """
        made = sorted(result_dir.rglob("*.src.rpm"))
        if len(made) != 1:
            raise BuildFailed(f"{self.method}: expected one SRPM, found {len(made)}")
        identity = read_identity(made[0])
        if made[0].name != identity.file_name:
            raise BuildFailed(f"{self.method}: SRPM {made[0].name} is not named after its "
                              f"header ({identity.file_name})")
        return made[0], identity
