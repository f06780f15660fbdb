"""Small hub calls every client uses: echo, versions, events and method listing."""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub.rpc import API, Call

# The hub version devhub answers with: the koji library it is built on.
HUB_VERSION: str = koji.__version__


@API.export("echo")
def echo(call: Call, *args: Any) -> list[Any]:
    return list(args)


@API.export("getKojiVersion")
def get_koji_version(call: Call) -> str:
    return str(HUB_VERSION)


@API.export("getAPIVersion")
def get_api_version(call: Call) -> int:
    return int(koji.API_VERSION)


def _event(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {"id": row["id"], "ts": row["ts"]}


@API.export("getLastEvent")
def get_last_event(call: Call, before: Any = None, strict: bool = True) -> Any:
    if before is None:
        return _event(call.db.last_event())
    row = call.db.one(
        "SELECT id, time AS ts FROM events WHERE time < ? ORDER BY id DESC LIMIT 1",
        (float(before),),
    )
    if row is None and strict:
        raise koji.GenericError(f"There are no events before {before}")
    return _event(row)


@API.export("getEvent")
def get_event(call: Call, id: int, strict: bool = True) -> Any:
    row = call.db.one("SELECT id, time AS ts FROM events WHERE id = ?", (int(id),))
    if row is None and strict:
        raise koji.GenericError(f"No such event: {id}")
    return _event(row)


@API.export("system.listMethods")
def list_methods(call: Call) -> list[str]:
    return API.names() + ["multiCall", "system.multicall"]


@API.export("getAllPerms")
def get_all_perms(call: Call) -> list[dict[str, Any]]:
    names = [
        "admin",
        "appliance",
        "build",
        "dist-repo",
        "host",
        "image",
        "livecd",
        "maven",
        "repo",
        "sign",
        "tag",
        "target",
        "win-admin",
    ]
    return [{"id": i + 1, "name": n, "description": None} for i, n in enumerate(names)]


@API.export("hello")
def hello(call: Call, *args: Any) -> str:
    return "Hello World"


@API.export("mavenEnabled")
def maven_enabled(call: Call) -> bool:
    """devhub has no maven support (`koji taginfo` asks before showing maven options)."""
    return False


@API.export("winEnabled")
def win_enabled(call: Call) -> bool:
    return False
