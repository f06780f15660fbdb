"""What goes into one arch of a dist repo: the rpms, and which copy of each (kojid's choices).

The hub lists every tagged rpm once per cached signature. For each rpm the copy signed with
the earliest key in the requested list wins; an rpm with none of those keys falls back to
its primary (unsigned) copy, which the task accepts only with ``allow_missing_signatures``
and drops with ``skip_missing_signatures``. The chosen rpms become ``kojipkgs`` (the hub
checks every entry before linking the file) and the ``pkglist`` createrepo_c reads, with
debuginfo in a ``debug`` subrepo when ``split_debuginfo`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import koji

# The rpm arches each repo arch takes (kojid's table; noarch rides along except for src).
COMPAT_ARCHES: Mapping[str, tuple[str, ...]] = {
    "i386": ("athlon", "i686", "i586", "i486", "i386", "noarch"),
    "x86_64": ("amd64", "ia32e", "x86_64", "noarch"),
    "ia64": ("ia64", "noarch"),
    "ppc": ("ppc", "noarch"),
    "ppc64": ("ppc64p7", "ppc64pseries", "ppc64iseries", "ppc64", "noarch"),
    "ppc64le": ("ppc64le", "noarch"),
    "s390": ("s390", "noarch"),
    "s390x": ("s390x", "noarch"),
    "sparc": ("sparcv9v", "sparcv9", "sparcv8", "sparc", "noarch"),
    "sparc64": ("sparc64v", "sparc64", "noarch"),
    "alpha": ("alphaev6", "alphaev56", "alphaev5", "alpha", "noarch"),
    "arm": ("arm", "armv4l", "armv4tl", "armv5tel", "armv5tejl", "armv6l", "armv7l", "noarch"),
    "armhfp": ("armv7hl", "armv7hnl", "noarch"),
    "aarch64": ("aarch64", "noarch"),
    "riscv64": ("riscv64", "noarch"),
    "sw_64": ("sw_64", "noarch"),
    "loongarch64": ("loongarch64", "noarch"),
    "src": ("src",),
}


def compat_arches(arch: str) -> tuple[str, ...]:
    try:
        return COMPAT_ARCHES[arch]
    except KeyError:
        raise koji.GenericError(f"dist repo: unknown repo arch {arch!r}") from None


def pick_key(wanted: Sequence[str], available: Iterable[str]) -> str | None:
    """The available key that comes first in `wanted`, or None."""
    ranked = [(wanted.index(k), k) for k in available if k in wanted]
    return min(ranked)[1] if ranked else None


@dataclass
class Selection:
    """The chosen copy per rpm id, and the rpm ids that lacked every wanted key."""

    chosen: dict[int, dict[str, Any]] = field(default_factory=dict)
    unsigned: list[int] = field(default_factory=list)
    available: dict[int, list[str]] = field(default_factory=dict)


def select_copies(rpms: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> Selection:
    """Choose each rpm's copy from listTaggedRPMS(rpmsigs=True) entries (see module doc).

    A chosen entry carries ``sigkey`` (None for the primary copy) and, when signed,
    ``best_key``.
    """
    wanted = [k.lower() for k in keys]
    by_rpm: dict[int, dict[str, Mapping[str, Any]]] = {}
    for entry in rpms:
        by_rpm.setdefault(int(entry["id"]), {})[str(entry.get("sigkey") or "").lower()] = entry
    selection = Selection()
    for rpm_id, copies in by_rpm.items():
        selection.available[rpm_id] = list(copies)
        best = pick_key(wanted, copies)
        if best is None:
            chosen = dict(next(iter(copies.values())))
            chosen["sigkey"] = None
            selection.unsigned.append(rpm_id)
        else:
            chosen = dict(copies[best])
            chosen["sigkey"] = best
            chosen["best_key"] = best
        selection.chosen[rpm_id] = chosen
    return selection


def nvra(rpm: Mapping[str, Any]) -> str:
    return "{name}-{version}-{release}.{arch}".format(**rpm)


def missing_signatures_log(selection: Selection, keys: Sequence[str], skipped: bool) -> str:
    """missing_signatures.log: the rpms that lacked the keys and the keys they have."""
    lines = ["Some rpms were missing requested signatures.\n"]
    if skipped:
        lines.append(
            "The skip_missing_signatures option was specified, so these files were excluded.\n"
        )
    lines.append(f"Requested keys: {list(keys)!r}\n\n# RPM name: available keys\n")
    names = sorted((nvra(selection.chosen[r]), r) for r in selection.unsigned)
    lines += [f"{name}: {selection.available.get(r, [])!r}\n" for name, r in names]
    return "".join(lines)


def package_path(rpm: Mapping[str, Any], build_dir: str) -> str:
    """Where the chosen copy lives under the build's dir (signed copy or primary)."""
    if rpm.get("sigkey"):
        return f"{build_dir}/{koji.pathinfo.signed(rpm, rpm['sigkey'])}"
    return f"{build_dir}/{koji.pathinfo.rpm(rpm)}"


def pkglists(
    kojipkgs: Mapping[str, Mapping[str, Any]], split_debuginfo: bool
) -> dict[str, list[str]]:
    """pkglist lines per subrepo ('' is the arch's own repo), paths as the repo lays them out."""
    lists: dict[str, list[str]] = {"": []}
    for bnp, rpm in kojipkgs.items():
        path = f"Packages/{bnp[0].lower()}/{bnp}"
        if split_debuginfo and koji.is_debuginfo(str(rpm["name"])):
            lists.setdefault("debug", []).append(f"../{path}")
        else:
            lists[""].append(path)
    return lists
