"""``tagBuild``: tag a finished build into a tag as the task owner, as kojid's TagBuildTask.

The hub (``host.tagBuild``) checks the tag policy and the package list; the notification
call follows either way, with the failure text when tagging failed.
"""

from __future__ import annotations

from typing import Any

from koji.tasks import BaseTaskHandler


class TagBuildTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["tagBuild"]
    _taskWeight = 0.1

    def handler(
        self,
        tag_id: Any,
        build_id: Any,
        force: bool = False,
        fromtag: Any = None,
        ignore_success: bool = False,
    ) -> None:
        user_id = self.session.getTaskInfo(self.id)["owner"]
        try:
            build = self.session.getBuild(build_id, strict=True)
            tag = self.session.getTag(tag_id, strict=True)
            self.session.host.tagBuild(self.id, tag_id, build_id, force=force, fromtag=fromtag)
            self.session.host.tagNotification(
                True, tag_id, fromtag, build_id, user_id, ignore_success
            )
            self.logger.info("tagged %s into %s", build["nvr"], tag["name"])
        except Exception as exc:
            self.session.host.tagNotification(
                False,
                tag_id,
                fromtag,
                build_id,
                user_id,
                ignore_success,
                f"{type(exc).__name__}: {exc}",
            )
            raise
