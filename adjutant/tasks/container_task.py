"""What every task with a container buildroot shares: the host arch check, the task context
the worker hands it before the fork (settings, backend factory, image choice, recorder), and
providing the chosen image in the task process.

kojid's BaseBuildTask has the same role for mock buildroots; ``buildArch``, ``rebuildSRPM``
and (later) ``buildSRPMFromSCM`` derive from this class.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import koji
from koji.tasks import BaseTaskHandler, RefuseTask

from adjutant.container.backend import ContainerBackend
from adjutant.errors import BuildFailed, ContainerUnavailable, TaskParamError
from adjutant.policy.provision import our_image_folder, provide_configured
from adjutant.policy.resolver import ImageChoice
from adjutant.results import RpmIdentity, read_identity
from adjutant.state import Recorder, TaskRecorder
from adjutant.state.recorder import IMAGE_PROVISIONS
from adjutant.tasks.context import TaskContext
from adjutant.tasks.params import check_tag_ref


class ContainerTask(BaseTaskHandler):  # type: ignore[misc]
    """Base of the handlers that run a container buildroot; the build tag is params[1]."""

    _context: TaskContext | None = None

    @property
    def recorder(self) -> Recorder:
        """The worker's state recorder, from the context (a disabled one without it)."""
        return self._context.recorder if self._context is not None else Recorder.disabled()

    @property
    def task_recorder(self) -> TaskRecorder:
        return self.recorder.for_task(self.id)

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

    def bind(self, context: TaskContext) -> None:
        """Hand the task its context (the worker does, before koji forks the task process)."""
        self._context = context

    @property
    def context(self) -> TaskContext:
        """The context the worker handed this task."""
        if self._context is None:
            raise RuntimeError(f"task {self.id} ({self.method}) was run without a TaskContext")
        return self._context

    def image_key(self) -> tuple[int | str, str] | None:
        """(build tag, arch) the image policy is asked about; None when the parameters
        are bad (the handler then reports them as the task's fault)."""
        raise NotImplementedError

    def provide_image(self, backend: ContainerBackend) -> ImageChoice:
        """Have the chosen image present before any buildroot record exists; the choice.

        Raises:
            RefuseTask: podman is unreachable; another host can take the task.
            BuildrootError: the image is missing and may not or cannot be built or pulled;
                the message names the image and the tag rule (or default) that chose it.
        """
        choice = self.context.image
        adjutant = self.context.settings.adjutant
        try:
            with self.task_recorder.phase("provide-image"):
                present = backend.image_exists(choice.image)
                provide_configured(backend, choice, adjutant)
        except ContainerUnavailable as exc:
            raise RefuseTask(f"the podman service is unavailable: {exc}") from exc
        self.logger.info("task image %s (%s)", choice.image, choice.reason)
        self.task_recorder.image(choice.image, reason=choice.reason)
        if not present:  # built from images/ or pulled: the dashboard counts provisions
            source = "build" if our_image_folder(choice.image, adjutant.images_dir) else "pull"
            self.recorder.count(IMAGE_PROVISIONS, {"source": source})
        return choice


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
            raise BuildFailed(
                f"{self.method}: SRPM {made[0].name} is not named after its "
                f"header ({identity.file_name})"
            )
        return made[0], identity
