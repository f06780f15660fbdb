"""``chainbuild``: build levels of packages in order, as kojid's ChainBuildTask.

Each level's SCM URLs become ``build`` subtasks; an NVR in a level names an existing build.
Before a level starts, a ``waitrepo`` subtask waits until every build of the previous level
is in the build tag's repo, so a later level can BuildRequire an earlier one.
"""

from __future__ import annotations

from typing import Any

import koji
from koji.tasks import BaseTaskHandler

from adjutant.buildroot.scm_checkout import SCM


def check_levels(srcs: object) -> list[list[str]]:
    """The build levels: a list of lists of SCM URLs or NVRs.

    Raises:
        koji.BuildError: anything else, naming what is wrong.
    """
    if not isinstance(srcs, list) or not srcs:
        raise koji.BuildError(f"chainbuild: expected a list of build levels, got {srcs!r}")
    for level in srcs:
        if (
            not isinstance(level, list)
            or not level
            or not all(isinstance(src, str) and src for src in level)
        ):
            raise koji.BuildError(
                f"chainbuild: a level must be a non-empty list of SCM URLs or NVRs, got {level!r}"
            )
    return srcs


class ChainBuildTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["chainbuild"]
    _taskWeight = 0.1

    def handler(self, srcs: object, target: object, opts: Any = None) -> None:
        opts = opts or {}
        if not isinstance(opts, dict):
            raise koji.BuildError(f"chainbuild: opts must be a mapping, got {opts!r}")
        if opts.get("scratch"):
            raise koji.BuildError("--scratch is not allowed with chain-builds")
        levels = check_levels(srcs)
        target_info = self.session.getBuildTarget(target)
        if not target_info:
            raise koji.GenericError(f"unknown build target: {target}")
        nvrs: list[str] = []
        for n_level, level in enumerate(levels):
            if nvrs:
                task_id = self.session.host.subtask(
                    method="waitrepo",
                    arglist=[target_info["build_tag_name"], None, nvrs],
                    label=f"wait {n_level}",
                    parent=self.id,
                )
                self.wait(task_id, all=True, failany=True)
            nvrs = []
            build_tasks = []
            for n_src, src in enumerate(level):
                if SCM.is_scm_url(src):
                    build_tasks.append(
                        self.session.host.subtask(
                            method="build",
                            arglist=[src, target, opts],
                            label=f"build {n_level},{n_src}",
                            parent=self.id,
                        )
                    )
                else:
                    nvrs.append(src)  # an existing build the next level waits for
            if build_tasks:
                self.wait(build_tasks, all=True, failany=True)
            for task_id in build_tasks:
                builds = self.session.listBuilds(taskID=task_id)
                if builds:
                    nvrs.append(builds[0]["nvr"])
