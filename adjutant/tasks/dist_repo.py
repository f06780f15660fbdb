"""``distRepo``: a tag's dist repo, one ``createdistrepo`` subtask per arch, as kojid's
NewDistRepoTask: wait for them all, ``host.distRepoMove`` each arch's uploads into the repo
the hub laid out, then ``host.repoDone``.

Multilib dist repos (kojid resolves them with dnf and the multilib library on the host) are
not made here: such a task fails at once with a fault saying so.
"""

from __future__ import annotations

from typing import Any

import koji
from koji.tasks import BaseTaskHandler

from adjutant.errors import TaskParamError


class NewDistRepoTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["distRepo"]
    _taskWeight = 0.1

    def handler(self, tag: Any, repo_id: Any, keys: Any, task_opts: Any) -> str:
        if (
            not isinstance(repo_id, int)
            or not isinstance(keys, list)
            or not isinstance(task_opts, dict)
        ):
            raise TaskParamError(
                f"distRepo: expected (tag, repo id, key list, options dict), got "
                f"{repo_id!r}, {keys!r}, {type(task_opts).__name__}"
            )
        if task_opts.get("multilib"):
            raise koji.GenericError(
                "adjutant does not make multilib dist repos (kojid resolves them with dnf's "
                "multilib library); run this distRepo on a kojid host or drop --multilib"
            )
        tag_info = self.session.getTag(tag, strict=True, event=task_opts.get("event"))
        arches = task_opts.get("arch") or (tag_info["arches"] or "").split()
        if not arches:
            raise koji.GenericError("No arches specified nor for the tag!")
        task_opts["arch"] = arches
        subtasks: dict[str, int] = {}
        for arch in sorted({koji.canonArch(a) for a in arches}):
            subtasks[arch] = self.session.host.subtask(
                method="createdistrepo",
                arglist=[tag, repo_id, arch, keys, task_opts],
                label=arch,
                parent=self.id,
                arch="noarch",
            )
        self.wait(list(subtasks.values()), all=True, failany=True)
        for arch, task_id in subtasks.items():
            self.session.host.distRepoMove(repo_id, koji.pathinfo.taskrelpath(task_id), arch)
        self.session.host.repoDone(repo_id, {})
        return f"Dist repository #{repo_id} successfully generated"
