"""Find a row by id or name, the way hub calls take "info" arguments (an id, a name, or a
dict with either), with the hub's faults for a wrong type and for a missing row."""

from __future__ import annotations

from typing import Any

import koji

from adjutant.devhub.db import Cursor, Row

_TABLES = frozenset({"hosts", "channels", "tags", "packages", "external_repos"})


def by_id_or_name(db: Cursor, table: str, info: Any, strict: bool, missing: str) -> Row | None:
    """The row of ``table`` whose id (int) or name (str) is ``info``.

    Raises:
        koji.ParameterError: ``info`` is neither; koji.GenericError ``missing`` (formatted with
            ``info``) when ``strict`` and there is no such row.
    """
    assert table in _TABLES  # table names are ours, never from a caller
    if isinstance(info, dict):
        info = info.get("id") or info.get("name")
    if isinstance(info, bool) or not isinstance(info, int | str):
        raise koji.ParameterError(f"Invalid type for {table} lookup: {type(info).__name__}")
    column = "id" if isinstance(info, int) else "name"
    row = db.one(f"SELECT * FROM {table} WHERE {column} = ?", (info,))
    if row is None and strict:
        raise koji.GenericError(missing.format(info=info))
    return row
