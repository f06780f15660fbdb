"""devhub's build and tag notifications as koji's hub makes them: who may subscribe whom,
who hears of what (package, tag, success_only), and the notification tasks created."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.devhub.builds import BS, new_build
from adjutant.devhub.notifications import notify_build
from adjutant.devhub.tasks import make_task
from tests.support.devhub import HubHarness

HOST = "b1.example.com"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    harness.add_user("alice")
    harness.add_user("bob")
    harness.admin("createTag", "f40-build", arches="x86_64")
    harness.admin("createTag", "f40")
    harness.admin("createTag", "f39")
    harness.admin("createBuildTarget", "f40", "f40-build", "f40")
    harness.admin("packageListAdd", "f40", "fish", "alice")
    try:
        yield harness
    finally:
        harness.close()


def _build(hub: HubHarness, state: str) -> int:
    with hub.db.transaction() as cur:
        data = {"name": "fish", "version": "1", "release": state.lower(), "epoch": None,
                "owner": 1, "state": BS[state]}  # fmt: skip
        return new_build(cur, data)


def _as(hub: HubHarness, user: str, method: str, *args: Any) -> Any:
    return hub.call(user, method, *args, exclusive=False)


def test_users_subscribe_themselves_and_admins_anyone(hub: HubHarness) -> None:
    with pytest.raises(koji.GenericError, match="Not logged-in"):
        hub.call(None, "createNotification", "alice", None, None, False)
    with pytest.raises(koji.GenericError, match="cannot create notifications for user bob"):
        _as(hub, "alice", "createNotification", "bob", None, None, False)
    with pytest.raises(koji.GenericError, match="No such user"):
        hub.admin("createNotification", "nobody", None, None, False)
    with pytest.raises(koji.GenericError):
        _as(hub, "alice", "createNotification", "alice", "no-such-package", None, False)
    assert _as(hub, "alice", "createNotification", "alice", "fish", "f40", True) > 0
    assert hub.admin("createNotification", "bob", None, None, False) > 0


def test_a_build_notification_goes_to_matching_subscribers(hub: HubHarness) -> None:
    _as(hub, "alice", "createNotification", "alice", "fish", "f40", True)  # successes only
    _as(hub, "bob", "createNotification", "bob", None, "f39", False)  # another tag
    with hub.db.transaction() as cur:
        task_id = make_task(cur, "build", ["fish.src.rpm", "f40", {}], owner=1)
    done, failed = _build(hub, "COMPLETE"), _build(hub, "FAILED")
    with hub.db.transaction() as cur:
        note = notify_build(cur, hub.hub.config, task_id, done)
        assert notify_build(cur, hub.hub.config, task_id, failed) is None  # nobody to tell
    assert note is not None
    to, build, target, _web = hub.admin("getTaskRequest", note)
    assert to == [f"alice@{hub.hub.config.email_domain}"]
    assert build["id"] == done and target["name"] == "f40"
    assert hub.admin("getTaskInfo", note)["method"] == "buildNotification"


def test_tag_notifications_reach_both_tags_subscribers_unless_success_is_ignored(
    hub: HubHarness,
) -> None:
    _as(hub, "alice", "createNotification", "alice", None, "f40", False)
    _as(hub, "bob", "createNotification", "bob", None, "f39", False)
    done = _build(hub, "COMPLETE")
    alice = hub.admin("getUser", "alice")["id"]
    f40, f39 = hub.admin("getTagID", "f40"), hub.admin("getTagID", "f39")
    task_id = hub.call(HOST, "host.tagNotification", True, f40, f39, done, alice)
    request = hub.admin("getTaskRequest", task_id)
    domain = hub.hub.config.email_domain
    assert request == [[f"alice@{domain}", f"bob@{domain}"], True, f40, f39, done, alice, False, ""]
    assert hub.admin("getTaskInfo", task_id)["owner"] == alice
    assert hub.call(HOST, "host.tagNotification", True, f40, None, done, alice, True) is None
    failure = hub.call(HOST, "host.tagNotification", False, f40, None, done, None, True, "no")
    assert hub.admin("getTaskRequest", failure)[-1] == "no"
    with pytest.raises(koji.AuthError):
        _as(hub, "alice", "host.tagNotification", True, f40, None, done, alice)
