"""devhub's host and channel administration as a koji client sees it: listHosts filters,
editHost, enable/disable, channels and memberships, and a host's last update."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from tests.support.devhub import HubHarness

HOST, ARM = "b1.example.com", "arm1.example.com"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    harness.add_host(ARM, arches=("aarch64",))
    harness.add_user("alice")
    harness.add_user("hostadmin", "host")
    try:
        yield harness
    finally:
        harness.close()


def _names(hosts: list[dict[str, Any]]) -> list[str]:
    return [h["name"] for h in hosts]


def test_list_hosts_filters_by_arch_ready_enabled_user_and_channel(hub: HubHarness) -> None:
    assert _names(hub.admin("listHosts")) == [HOST, ARM]
    assert _names(hub.admin("listHosts", arches=["aarch64"])) == [ARM]
    assert _names(hub.admin("listHosts", arches="x86_64")) == [HOST]
    hub.call(HOST, "host.updateHost", 0.0, True)
    assert _names(hub.admin("listHosts", ready=True)) == [HOST]
    assert _names(hub.admin("listHosts", ready=False)) == [ARM]
    hub.call("hostadmin", "disableHost", ARM, exclusive=False)
    assert _names(hub.admin("listHosts", enabled=True)) == [HOST]
    assert hub.admin("getHost", ARM)["enabled"] is False
    hub.call("hostadmin", "enableHost", ARM, exclusive=False)
    assert _names(hub.admin("listHosts", enabled=True)) == [HOST, ARM]
    assert _names(hub.admin("listHosts", userID=ARM)) == [ARM]
    assert hub.admin("listHosts", userID="nobody") == []
    assert _names(hub.admin("listHosts", channelID="default")) == [HOST, ARM]
    with pytest.raises(koji.GenericError):
        hub.admin("listHosts", channelID="no-such-channel")
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "disableHost", HOST, exclusive=False)


def test_edit_host_changes_only_what_differs_and_needs_the_host_permission(
    hub: HubHarness,
) -> None:
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "editHost", HOST, capacity=4, exclusive=False)
    assert hub.call("hostadmin", "editHost", HOST, capacity="4", exclusive=False) is True
    assert hub.admin("editHost", HOST, capacity=4.0) is False  # nothing changed
    assert hub.admin("editHost", HOST, arches="x86_64 i686", comment="racked") is True
    info = hub.admin("getHost", HOST)
    assert (info["capacity"], info["arches"], info["comment"]) == (4.0, "x86_64 i686", "racked")
    with pytest.raises(koji.GenericError):
        hub.admin("editHost", "no-such-host", capacity=1)


def test_channels_are_created_by_admins_and_hosts_join_and_leave_them(hub: HubHarness) -> None:
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("hostadmin", "addChannel", "image", exclusive=False)
    channel_id = hub.admin("addChannel", "image", "image builds")
    with pytest.raises(koji.GenericError, match="already exists"):
        hub.admin("addChannel", "image")
    assert hub.admin("getChannel", "image") == {
        "id": channel_id,
        "name": "image",
        "enabled": True,
        "description": "image builds",
        "comment": None,
    }
    assert hub.admin("getChannel", channel_id)["name"] == "image"
    assert hub.admin("getChannel", "nope") is None
    with pytest.raises(koji.GenericError):
        hub.admin("addHostToChannel", HOST, "nope")
    hub.call("hostadmin", "addHostToChannel", HOST, "image", exclusive=False)
    with pytest.raises(koji.GenericError, match="already subscribed"):
        hub.admin("addHostToChannel", HOST, "image")
    hub.admin("addHostToChannel", ARM, "livemedia", create=True)
    assert [c["name"] for c in hub.admin("listChannels", HOST)] == ["default", "image"]
    assert [c["name"] for c in hub.admin("listChannels", ARM)] == ["default", "livemedia"]
    assert "image" in [c["name"] for c in hub.admin("listChannels", enabled=True)]
    assert _names(hub.admin("listHosts", channelID="image")) == [HOST]
    hub.call("hostadmin", "removeHostFromChannel", HOST, "image", exclusive=False)
    assert hub.admin("listHosts", channelID="image") == []
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("alice", "addHostToChannel", HOST, "image", exclusive=False)


def test_a_host_sees_itself_and_stores_its_data(hub: HubHarness) -> None:
    host_id = hub.call(HOST, "host.getID")
    assert hub.call(HOST, "host.getHost")["id"] == host_id == hub.admin("getHost", HOST)["id"]
    hub.call(HOST, "host.setHostData", {"methods": ["build"]})
    data = hub.admin("scheduler.getHostData", host_id)
    assert [row["data"] for row in data] == [{"methods": ["build"]}]
    with pytest.raises(koji.AuthError, match="not a host"):
        hub.call("alice", "host.getID", exclusive=False)


def test_last_host_update_is_when_the_host_last_called(hub: HubHarness) -> None:
    arm_id = hub.admin("getHost", ARM)["id"]
    assert hub.admin("getLastHostUpdate", arm_id) is None  # never called
    assert hub.admin("getLastHostUpdate", 999) is None
    hub.call(ARM, "host.updateHost", 0.0, True)
    stamp = hub.admin("getLastHostUpdate", arm_id, ts=True)
    assert isinstance(stamp, float)
    assert isinstance(hub.admin("getLastHostUpdate", arm_id), str)


def test_host_data_must_be_a_json_object(hub: HubHarness) -> None:
    hub.call(HOST, "host.setHostData", '{"maxjobs": 4}')
    assert hub.admin("scheduler.getHostData") == [
        {"host_id": hub.admin("getHost", HOST)["id"], "data": {"maxjobs": 4}}
    ]
    with pytest.raises(koji.ParameterError, match="not valid JSON"):
        hub.call(HOST, "host.setHostData", "{nope")
    with pytest.raises(koji.ParameterError, match="must be a dict, not list"):
        hub.call(HOST, "host.setHostData", [1])
