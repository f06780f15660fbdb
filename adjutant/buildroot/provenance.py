"""Render ``image.log``: the record of what a buildroot's container image brought.

The hub's buildroot listing holds only packages that came from koji repos (see
``packages``), so the image itself (reference, id, digest, labels and every package it
had before anything was installed) is recorded in this log, uploaded with the task's other
logs and imported with the build's logs. Together they are the buildroot's full provenance.
Pure rendering; inspecting the image and listing its rpmdb are the buildroot's job.
"""

from __future__ import annotations

from collections.abc import Sequence

from adjutant.buildroot.packages import InstalledPackage, render_installed_pkgs
from adjutant.container.backend import ImageInfo

IMAGE_LOG = "image.log"


def render_image_log(
    reference: str, image: ImageInfo, manifest: Sequence[InstalledPackage], chosen_by: str = ""
) -> str:
    """The text of ``image.log`` for a buildroot started from ``reference``.

    ``chosen_by`` says why this image (the tag's policy rule, or the configured default), so a
    build can be reproduced with the same image.

    ``manifest`` is the image's rpmdb listing taken before the koji repo was used; it is
    written in ``installed_pkgs.log`` form, sorted by NEVRA so two logs diff cleanly.
    """
    lines = [
        "# The container image this buildroot started from. Its packages below are not in",
        "# the hub's buildroot listing, which holds only packages from koji repos.",
        f"image: {reference}",
        f"chosen by: {_one_line(chosen_by) or '(not recorded)'}",
        f"id: {image.id}",
        f"digest: {image.digest or '(none: a locally built image)'}",
        f"tags: {', '.join(image.tags) if image.tags else '(none)'}",
        "labels:",
        *(f"  {name}={_one_line(value)}" for name, value in sorted(image.labels.items())),
        f"packages ({len(manifest)}):",
    ]
    packages = render_installed_pkgs(sorted(manifest, key=lambda p: p.nevra))
    return "\n".join(lines) + "\n" + packages


def _one_line(value: str) -> str:
    # Labels are free text; keep one label per line so the log stays parseable.
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
