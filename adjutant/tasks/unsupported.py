"""Task methods kojid runs and adjutant does not: they fail at once with a clear koji fault.

Maven, image, live media and wrapper builds need tools (Oz/ImageFactory with KVM, livecd and
appliance creators, lorax, maven) that a container buildroot host does not provide. Keep
adjutant hosts out of the channels that carry these methods (see docs/channels.md); a task
that still reaches one fails with a fault that says so, instead of hanging or being retried.
"""

from __future__ import annotations

from typing import Any

import koji
from koji.tasks import BaseTaskHandler

UNSUPPORTED_METHODS = (
    "maven", "buildMaven", "wrapperRPM", "chainmaven",
    "image", "createImage", "indirectionimage",
    "livecd", "createLiveCD", "appliance", "createAppliance", "livemedia", "createLiveMedia",
    "runroot", "saveFailedTree", "kiwiBuild", "createKiwiImage", "dudBuild", "createDudIso",
    "vmExec", "winbuild",
)  # fmt: skip


class UnsupportedTask(BaseTaskHandler):  # type: ignore[misc]
    """Fails every method in UNSUPPORTED_METHODS with a fault naming the method."""

    Methods = list(UNSUPPORTED_METHODS)
    _taskWeight = 0.1

    def handler(self, *args: Any, **kwargs: Any) -> None:
        raise koji.GenericError(
            f"adjutant does not run {self.method} tasks: this build host runs rpm builds and "
            "repo tasks in podman containers; give this host only the channels for those"
        )
