"""Which arches a build runs on, and which arch a noarch subtask is scheduled by (kojid's
getArchList and choose_taskarch), from the build tag's config and the SRPM's header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import koji


def _header_list(header: Any, field: str) -> list[str]:
    if header is None:
        return []
    return [str(a) for a in koji.get_header_field(header, field) or []]


def build_arches(
    config: Mapping[str, Any], header: Any, extra_arches: str | None, override: str | None
) -> list[str]:
    """The arches to build, in order.

    Tag arches plus the package's extra arches; the SRPM's BuildArchs replaces them;
    ExclusiveArch then ExcludeArch filter; noarch joins when BuildArchs or ExclusiveArch name
    it (and ExcludeArch does not); a scratch override replaces the list; only noarch and arches
    whose canonical arch is a tag arch remain.

    Raises:
        koji.BuildError: the tag has no arches, or no arch remains.
    """
    if not config.get("arches"):
        raise koji.BuildError(f"No arches for tag {config.get('name')} [{config.get('id')}]")
    tag_arches = [koji.canonArch(a) for a in config["arches"].split()]
    arches = config["arches"].split() + (extra_arches.split() if extra_arches else [])
    buildarchs = _header_list(header, "buildarchs")
    exclusive = _header_list(header, "exclusivearch")
    exclude = _header_list(header, "excludearch")
    if buildarchs:
        arches = buildarchs
    if exclusive:
        arches = [a for a in arches if a in exclusive]
    if exclude:
        arches = [a for a in arches if a not in exclude]
    if "noarch" not in exclude and ("noarch" in buildarchs or "noarch" in exclusive):
        arches.append("noarch")
    if override:
        arches = override.split()
    chosen = [a for a in dict.fromkeys(arches) if a == "noarch" or koji.canonArch(a) in tag_arches]
    if not chosen:
        raise koji.BuildError("No matching arches were found")
    return chosen


def noarch_task_arch(config: Mapping[str, Any], header: Any) -> list[str]:
    """The arches a noarch subtask may be scheduled by; [] means plain ``noarch``.

    Only when ExclusiveArch, ExcludeArch or the tag's ``noarch_arches`` narrow the tag's
    arches does the subtask get a concrete arch (the caller picks one at random).

    Raises:
        koji.BuildError: the narrowing leaves no arch.
    """
    exclusive = [koji.canonArch(a) for a in _header_list(header, "exclusivearch")]
    exclude = [koji.canonArch(a) for a in _header_list(header, "excludearch")]
    noarch_arches = (config.get("extra") or {}).get("noarch_arches")
    if not (exclusive or exclude or noarch_arches):
        return []
    tag_arches = [koji.canonArch(a) for a in (config.get("arches") or "").split()]
    if noarch_arches:
        arches = [
            a for a in (koji.canonArch(x) for x in str(noarch_arches).split()) if a in tag_arches
        ]
    else:
        arches = list(tag_arches)
    if exclusive:
        arches = [a for a in arches if a in exclusive]
    if exclude:
        arches = [a for a in arches if a not in exclude]
    if not arches:
        raise koji.BuildError(
            f"No valid arches were found. tag {tag_arches!r}, extra {noarch_arches!r}, "
            f"exclusive {exclusive!r}, exclude {exclude!r}"
        )
    return [] if set(arches) == set(tag_arches) else arches
