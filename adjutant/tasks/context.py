"""TaskContext: what the worker hands a container task before koji forks its process.

A container task needs the settings, a way to reach the container engine, the task image the
worker chose for it and somewhere to record its progress for the dashboard. The worker builds
one context from the configuration at start-up (``from_settings``, the only place that reads
``task_image_default``) and gives each task a copy carrying that task's image choice
(``for_task``), before the fork, so the image policy's cache lives as long as the worker. The
backend itself is built in the task process (``make_backend``): engine clients do not survive
a fork. What the context deliberately does not hold: the hub session (koji gives the handler
its own) and anything task-specific besides the image.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from adjutant.config import Settings
from adjutant.container.backend import ContainerBackend
from adjutant.container.factory import BackendFactory, backend_factory
from adjutant.policy.resolver import ImageChoice
from adjutant.state import Recorder

DEFAULT_IMAGE_REASON = "task_image_default"


@dataclass(frozen=True)
class TaskContext:
    """Settings, backend factory, image choice and state recorder of one task (or the worker)."""

    settings: Settings
    backend_factory: BackendFactory
    image: ImageChoice  # the worker's default until ``for_task`` sets the task's own choice
    # the dashboard's state store; a disabled one records nothing (tools, tests)
    recorder: Recorder = field(default_factory=Recorder.disabled)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        factory: BackendFactory | None = None,
        recorder: Recorder | None = None,
    ) -> TaskContext:
        """The worker's context: the configured backend and ``task_image_default``."""
        return cls(
            settings=settings,
            backend_factory=factory or backend_factory(settings.adjutant),
            image=ImageChoice(settings.adjutant.task_image_default, DEFAULT_IMAGE_REASON),
            recorder=recorder or Recorder.disabled(),
        )

    def for_task(self, image: ImageChoice) -> TaskContext:
        """This context for one task, whose image the worker chose."""
        return dataclasses.replace(self, image=image)

    def make_backend(self) -> ContainerBackend:
        """A backend for this process (call it in the task process, after the fork)."""
        return self.backend_factory()
