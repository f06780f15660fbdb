"""Make the chosen task image present: build it when it is one of ours, else pull by policy.

A missing or unbuildable image becomes a BuildrootError that names the tag, the rule that
chose the image and the image, so the operator knows which policy entry to fix.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from adjutant import images
from adjutant.config import AdjutantSettings
from adjutant.container.backend import ContainerBackend, ImageInfo, PullPolicy
from adjutant.errors import BuildrootError, ConfigError, ContainerError, ContainerUnavailable
from adjutant.policy.resolver import ImageChoice

log = logging.getLogger(__name__)


def our_image_folder(reference: str, images_dir: Path) -> images.ImageFolder | None:
    """The images/ folder that builds ``reference`` (localhost/adjutant/<folder>[:tag])."""
    repository = reference.split("@", 1)[0].rsplit(":", 1)[0]
    if not repository.startswith(images.TAG_PREFIX) or not images_dir.is_dir():
        return None
    name = repository.removeprefix(images.TAG_PREFIX)
    return next((f for f in images.discover(images_dir) if f.name == name), None)


def provide_image(
    backend: ContainerBackend,
    choice: ImageChoice,
    *,
    pull_policy: PullPolicy,
    images_dir: Path,
    timeout_s: float,
    attempts: int = 3,
    retry_delay_s: float = 2.0,
) -> ImageInfo:
    """Make ``choice.image`` present and return what it is (id, digest) for provenance.

    Our own images are built from images/ when missing (never pulled: no registry has them);
    with pull policy ``never`` nothing is built or pulled. Transient podman trouble is retried.

    Raises:
        BuildrootError: the image is missing and may not, or could not, be built or pulled.
        ContainerUnavailable: the podman service could not be reached (after retries).
    """
    folder = our_image_folder(choice.image, images_dir)
    try:
        if folder is not None and pull_policy is not PullPolicy.NEVER:
            if not backend.image_exists(choice.image) or pull_policy is PullPolicy.ALWAYS:
                for attempt in Retrying(
                    retry=retry_if_exception_type(ContainerUnavailable),
                    stop=stop_after_attempt(attempts),
                    wait=wait_fixed(retry_delay_s),
                    before_sleep=lambda state: log.warning(
                        "building %s failed (attempt %d), retrying", choice.image,
                        state.attempt_number,
                    ),
                    reraise=True,
                ):  # fmt: skip
                    with attempt:
                        log.info("building task image %s from %s", choice.image, folder.path)
                        images.build(backend, folder, timeout_s=timeout_s)
        else:
            backend.ensure_image(choice.image, pull_policy, timeout_s)
        return backend.inspect_image(choice.image)
    except ContainerUnavailable:
        raise  # the caller decides (a task refuses, so another host can take it)
    except (ContainerError, ConfigError) as exc:
        raise BuildrootError(
            f"task image {choice.image} ({choice.reason}) is not available: {exc}"
        ) from exc


def provide_configured(
    backend: ContainerBackend, choice: ImageChoice, settings: AdjutantSettings
) -> ImageInfo:
    """``provide_image`` with the pull policy, images dir and podman limits of ``settings``.

    Raises:
        BuildrootError: as ``provide_image``.
        ContainerUnavailable: as ``provide_image``.
    """
    return provide_image(
        backend, choice, pull_policy=settings.image_pull_policy, images_dir=settings.images_dir,
        timeout_s=float(settings.pull_timeout), attempts=settings.podman_retry_attempts,
        retry_delay_s=float(settings.podman_retry_delay),
    )  # fmt: skip
