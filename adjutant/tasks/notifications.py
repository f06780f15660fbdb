"""``buildNotification`` and ``tagNotification``: mail about finished builds and tag
operations through the configured ``smtphost``, as kojid's notification tasks.

The hub decides who hears of what (and makes these tasks only then); the host only writes
and sends the message: ``from_addr`` as sender, ``smtp_user``/``smtp_pass`` when both are set,
koji's ``X-Koji-*`` headers so mail filters keep working. ``smtphost`` may be ``host:port``.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import koji
from koji.tasks import BaseTaskHandler


def send_mail(
    options: Any, recipients: list[str], subject: str, body: str, headers: dict[str, str]
) -> None:
    """Send one plain-text message to every recipient.

    Raises:
        OSError / smtplib.SMTPException: the mail server refused or is unreachable (the
            task fails with that error, as kojid's does).
    """
    message = EmailMessage()
    message["From"] = options.from_addr
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    with smtplib.SMTP(options.smtphost, timeout=60) as server:
        if options.smtp_user is not None and options.smtp_pass is not None:
            server.login(options.smtp_user, options.smtp_pass)
        server.send_message(message, from_addr=options.from_addr, to_addrs=recipients)


class TagNotificationTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["tagNotification"]
    _taskWeight = 0.1

    def handler(
        self,
        recipients: list[str],
        is_successful: bool,
        tag_info: Any,
        from_info: Any,
        build_info: Any,
        user_info: Any,
        ignore_success: bool | None = None,
        failure_msg: str = "",
    ) -> str | None:
        if not recipients or (ignore_success and is_successful):
            self.logger.debug("task %i: no tag notification to send", self.id)
            return None
        build = self.session.getBuild(build_info, strict=True)
        user = self.session.getUser(user_info)
        tag = self.session.getTag(tag_info)["name"] if tag_info else None
        from_tag = self.session.getTag(from_info)["name"] if from_info else None
        action = "moved" if tag and from_tag else "tagged" if tag else "untagged"
        where = "".join(
            f" {word} {name}" for word, name in (("from", from_tag), ("into", tag)) if name
        )
        status = "complete" if is_successful else "failed"
        nvr = koji.buildLabel(build)
        lines = [f"Package: {nvr}", f"Tag Operation: {action}"]
        lines += [f"From Tag: {from_tag}"] if from_tag else []
        lines += [f"Into Tag: {tag}"] if tag else []
        lines.append(
            f"Operation {'succeeded' if is_successful else 'failed'}: {nvr} "
            f"{action}{where} by {user['name'] if user else user_info}"
        )
        if not is_successful:
            lines.append(f"Operation failed with the error:\n    {failure_msg}")
        headers = {
            "X-Koji-Package": build["package_name"],
            "X-Koji-NVR": build["nvr"],
            "X-Koji-Status": status,
        }
        if tag or from_tag:
            headers["X-Koji-Tag"] = tag or str(from_tag)
        send_mail(
            self.options,
            recipients,
            f"{nvr} {action}{where} ({status})",
            "\n".join(lines) + "\n",
            headers,
        )
        return f"sent notification of tag operation {self.id} to: {', '.join(recipients)}"


class BuildNotificationTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["buildNotification"]
    _taskWeight = 0.1

    def handler(
        self, recipients: list[str], build: dict[str, Any], target: Any, weburl: str
    ) -> str | None:
        if not recipients:
            return None
        state = koji.BUILD_STATES[build["state"]].lower()
        nvr = koji.buildLabel(build)
        task_id = build.get("task_id")
        lines = [f"Package: {nvr}", f"Status: {state}", f"Built by: {build.get('owner_name')}"]
        if target:
            lines.append(f"Target: {target['name']} (tag {target['dest_tag_name']})")
        if task_id:
            lines.append(f"Task: {weburl}/taskinfo?taskID={task_id}")
            lines += self._task_lines(int(task_id), weburl)
        headers = {
            "X-Koji-Package": build["package_name"],
            "X-Koji-NVR": build["nvr"],
            "X-Koji-Status": state,
        }
        if target:
            headers["X-Koji-Tag"] = target["dest_tag_name"]
        send_mail(
            self.options,
            recipients,
            f"Package: {nvr} Status: {state}",
            "\n".join(lines) + "\n",
            headers,
        )
        return f"sent notification of build {build['id']} to: {', '.join(recipients)}"

    def _task_lines(self, task_id: int, weburl: str) -> list[str]:
        """One line per child task, and the failure of the first failed one."""
        lines = []
        for child in self.session.getTaskChildren(task_id):
            state = koji.TASK_STATES[child["state"]].lower()
            lines.append(
                f"  {child['method']} ({child['arch']}): {state} "
                f"{weburl}/taskinfo?taskID={child['id']}"
            )
            if state == "failed" and not any(line.startswith("Failure") for line in lines):
                result = self.session.getTaskResult(child["id"], raise_fault=False)
                lines.append(
                    f"Failure in task {child['id']}: "
                    f"{result.get('faultString') if isinstance(result, dict) else result}"
                )
        return lines
