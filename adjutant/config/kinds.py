"""Value kinds of configuration options: how text from a file or variable becomes a value.

A ``Kind`` parses the text of one option and renders a value back to the text an operator
would write, so files, environment variables and flags share one parser per type. Parsers
raise ``ValueError`` with a short reason; naming the option and its source is the caller's job.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import re
import resource
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from adjutant.container.backend import Mount, PullPolicy, Ulimit

T = TypeVar("T")
E = TypeVar("E", bound=enum.StrEnum)

# The words configparser's getboolean accepts, which kojid uses for its boolean keys.
_TRUE_WORDS = frozenset({"1", "yes", "true", "on"})
_FALSE_WORDS = frozenset({"0", "no", "false", "off"})

_SIZE_RE = re.compile(r"(\d+)\s*([KMGT]?)(?:I?B)?", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_IMAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*")
_HOSTNAME_RE = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
# Resource names podman accepts for --ulimit.
ULIMIT_NAMES = frozenset(
    {"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
     "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}
)  # fmt: skip
# Schemes whose URLs must name a host.
# podman's rule for volume and network names
_NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NETWORK_SCHEMES = frozenset({"http", "https", "tcp", "ssh", "socks4", "socks5", "socks5h"})


@dataclass(frozen=True)
class Kind(Generic[T]):
    """How the text of an option becomes a value of type T, and back."""

    name: str  # the type as the documentation names it
    parse: Callable[[str], T]  # raises ValueError with a reason
    render: Callable[[T], str] = str
    # The text may carry credentials (user:password@, tokens) that redaction must hide.
    holds_urls: bool = False


class RepoAccess(enum.StrEnum):
    """How a buildroot reaches the hub's repos."""

    MOUNT = "mount"  # bind-mount the local topdir read-only
    TOPURL = "topurl"  # download over HTTP from topurl


@dataclass(frozen=True)
class PathMapping:
    """One directory as the worker sees it and as the container host sees it."""

    inside: Path
    outside: Path


@dataclass(frozen=True)
class VolumeMapping:
    """A directory of the worker container that is the mount of a podman named volume."""

    inside: Path
    volume: str


# -- building blocks ----------------------------------------------------------------------


def optional(kind: Kind[T]) -> Kind[T | None]:
    """The same kind, where empty text means "not set" (None)."""

    def parse(text: str) -> T | None:
        return None if not text.strip() else kind.parse(text)

    def render(value: T | None) -> str:
        return "" if value is None else kind.render(value)

    return Kind(f"{kind.name}, optional", parse, render, kind.holds_urls)


def _parse_text(text: str) -> str:
    return text.strip()


def _parse_non_empty(text: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError("not a boolean (use true/false, yes/no, on/off or 1/0)")


def _render_bool(value: bool) -> str:
    return "true" if value else "false"


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" {minimum:g}..{maximum:g}"
    if minimum is not None:
        return f" >= {minimum:g}"
    return ""


def _check_range(value: float, minimum: float | None, maximum: float | None) -> None:
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"out of range (allowed:{_bounds(minimum, maximum)})")


def integer(minimum: int | None = None, maximum: int | None = None) -> Kind[int]:
    """A whole number within [minimum, maximum]."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError("not an integer") from None
        _check_range(value, minimum, maximum)
        return value

    return Kind(f"integer{_bounds(minimum, maximum)}", parse)


def number(minimum: float | None = None) -> Kind[float]:
    """A decimal number of at least ``minimum``."""

    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError("not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        _check_range(value, minimum, None)
        return value

    return Kind(f"number{_bounds(minimum, None)}", parse, lambda value: f"{value:g}")


def _absolute_path(text: str) -> Path:
    value = text.strip()
    if not value.startswith("/"):
        raise ValueError("not an absolute path")
    return Path(value)


def choice(enum_type: type[E]) -> Kind[E]:
    """One of the values of a string enum."""
    allowed = ", ".join(member.value for member in enum_type)

    def parse(text: str) -> E:
        try:
            return enum_type(text.strip())
        except ValueError:
            raise ValueError(f"must be one of {allowed}") from None

    return Kind(f"one of: {allowed}", parse)


def _check_url(text: str, schemes: frozenset[str]) -> str:
    if not text or any(char.isspace() for char in text):
        raise ValueError("not a URL")
    parts = urlsplit(text)
    if parts.scheme not in schemes:
        raise ValueError(f"URL scheme must be one of {', '.join(sorted(schemes))}")
    try:
        parts.port  # noqa: B018 - parses the port, raising ValueError when it is not a number
    except ValueError:
        raise ValueError("URL has an invalid port") from None
    if parts.scheme in _NETWORK_SCHEMES and not parts.hostname:
        raise ValueError("URL names no host")
    if parts.scheme in ("unix", "file") and (parts.netloc or not parts.path.startswith("/")):
        raise ValueError(f"{parts.scheme} URL must be {parts.scheme}:///absolute/path")
    return text


def url(*schemes: str) -> Kind[str]:
    """One URL with one of ``schemes``."""
    allowed = frozenset(schemes)
    return Kind(
        f"URL ({', '.join(schemes)})",
        lambda text: _check_url(text.strip(), allowed),
        holds_urls=True,
    )


def url_list(*schemes: str) -> Kind[str]:
    """Space-separated URLs, kept as one string (the shape kojid keeps ``topurl`` in)."""
    allowed = frozenset(schemes)

    def parse(text: str) -> str:
        urls = text.split()
        if not urls:
            raise ValueError("no URL given")
        return " ".join(_check_url(item, allowed) for item in urls)

    return Kind(f"URLs ({', '.join(schemes)}), space-separated", parse, holds_urls=True)


def _parse_words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _render_words(value: tuple[str, ...]) -> str:
    return " ".join(value)


def _parse_size(text: str) -> int:
    match = _SIZE_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError("not a size (a number with an optional K, M, G or T suffix)")
    value = int(match.group(1)) * _SIZE_UNITS[match.group(2).upper()]
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def _render_size(value: int) -> str:
    for suffix in ("T", "G", "M", "K"):
        unit = _SIZE_UNITS[suffix]
        if value % unit == 0:
            return f"{value // unit}{suffix}"
    return str(value)


def _parse_image(text: str) -> str:
    value = text.strip()
    if not _IMAGE_RE.fullmatch(value):
        raise ValueError("not an image reference (like registry/name:tag)")
    return value


def _parse_address(text: str) -> str:
    value = text.strip()
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOSTNAME_RE.fullmatch(value):
            raise ValueError("not an IP address or host name") from None
    return value


def _parse_mounts(text: str) -> tuple[Mount, ...]:
    mounts: list[Mount] = []
    for entry in text.split():
        parts = entry.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(f"{entry!r} is not SOURCE:TARGET[:OPTIONS]")
        source, target = _absolute_path(parts[0]), parts[1]
        if not target.startswith("/"):
            raise ValueError(f"{entry!r}: target is not an absolute path")
        flags = parts[2].split(",") if len(parts) == 3 else []
        unknown = set(flags) - {"ro", "rw", "z", "Z"}
        if unknown or {"ro", "rw"} <= set(flags) or {"z", "Z"} <= set(flags):
            raise ValueError(f"{entry!r}: options must be ro or rw, optionally with z or Z")
        if any(mount.target == target for mount in mounts):
            raise ValueError(f"target {target} is mounted twice")
        relabel = "z" if "z" in flags else "Z" if "Z" in flags else ""
        mounts.append(Mount(source, target, read_only="rw" not in flags, selinux_relabel=relabel))
    return tuple(mounts)


def _render_mounts(value: tuple[Mount, ...]) -> str:
    def one(mount: Mount) -> str:
        flags = "ro" if mount.read_only else "rw"
        if mount.selinux_relabel:
            flags += f",{mount.selinux_relabel}"
        return f"{mount.source}:{mount.target}:{flags}"

    return " ".join(one(mount) for mount in value)


def _parse_limit(text: str, entry: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{entry!r}: limit {text!r} is not an integer") from None
    if value < -1:
        raise ValueError(f"{entry!r}: limits are -1 (unlimited) or more")
    return value


def _parse_ulimits(text: str) -> tuple[Ulimit, ...]:
    ulimits: list[Ulimit] = []
    for entry in text.split():
        name, sep, limits = entry.partition("=")
        if not sep or name not in ULIMIT_NAMES:
            raise ValueError(f"{entry!r} is not NAME=SOFT[:HARD] with a podman ulimit name")
        soft_text, _, hard_text = limits.partition(":")
        soft = _parse_limit(soft_text, entry)
        hard = _parse_limit(hard_text, entry) if hard_text else soft
        if hard != -1 and (soft == -1 or soft > hard):
            raise ValueError(f"{entry!r}: the soft limit exceeds the hard limit")
        if any(ulimit.name == name for ulimit in ulimits):
            raise ValueError(f"ulimit {name} is given twice")
        ulimits.append(Ulimit(name, soft, hard))
    names = {ulimit.name for ulimit in ulimits}
    if names and not {"nofile", "nproc"} <= names:
        # podman replaces all of containers.conf's default ulimits once any is given.
        raise ValueError("when any ulimit is given, nofile and nproc must both be given")
    return tuple(ulimits)


def _render_ulimits(value: tuple[Ulimit, ...]) -> str:
    return " ".join(f"{ulimit.name}={ulimit.soft}:{ulimit.hard}" for ulimit in value)


def _parse_path_map(text: str) -> tuple[PathMapping, ...]:
    mappings: list[PathMapping] = []
    for entry in text.split():
        inside, sep, outside = entry.partition("=")
        if not sep:
            raise ValueError(f"{entry!r} is not INSIDE=OUTSIDE")
        try:
            mapping = PathMapping(_absolute_path(inside), _absolute_path(outside))
        except ValueError:
            raise ValueError(f"{entry!r}: both sides must be absolute paths") from None
        if any(known.inside == mapping.inside for known in mappings):
            raise ValueError(f"{inside} is mapped twice")
        mappings.append(mapping)
    return tuple(mappings)


def _render_path_map(value: tuple[PathMapping, ...]) -> str:
    return " ".join(f"{mapping.inside}={mapping.outside}" for mapping in value)


def _parse_volume_map(text: str) -> tuple[VolumeMapping, ...]:
    mappings: list[VolumeMapping] = []
    for entry in text.split():
        inside, sep, volume = entry.partition("=")
        if not sep:
            raise ValueError(f"{entry!r} is not INSIDE=VOLUME")
        try:
            path = _absolute_path(inside)
        except ValueError:
            raise ValueError(f"{entry!r}: {inside!r} is not an absolute path") from None
        if not _NAME_RE.fullmatch(volume):
            raise ValueError(f"{entry!r}: {volume!r} is not a podman volume name")
        if any(known.inside == path for known in mappings):
            raise ValueError(f"{inside} is mapped twice")
        mappings.append(VolumeMapping(path, volume))
    return tuple(mappings)


def _render_volume_map(value: tuple[VolumeMapping, ...]) -> str:
    return " ".join(f"{mapping.inside}={mapping.volume}" for mapping in value)


def _parse_podman_name(text: str) -> str:
    name = text.strip()
    if not _NAME_RE.fullmatch(name):
        raise ValueError("not a podman name (letters, digits, '_', '.', '-')")
    return name


def _parse_allowed_scms(text: str) -> str:
    # koji's SCM check skips malformed entries with a warning; an operator would rather know.
    for entry in text.split():
        parts = entry.removeprefix("!").split(":")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f"{entry!r} is not host:repository[:use_common[:source_cmd]]")
    return " ".join(text.split())


def _parse_principal_format(text: str) -> str:
    value = text.strip()
    try:
        value % "build.example.com"
    except (TypeError, ValueError):
        raise ValueError("must hold exactly one %s (the host name) and no other % field") from None
    return value


def _parse_uuid(text: str) -> str:
    value = text.strip().lower()
    if not _UUID_RE.fullmatch(value):
        raise ValueError("not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
    return value


def _parse_log_level(text: str) -> str:
    value = text.strip().upper()
    if not isinstance(logging.getLevelName(value), int):
        raise ValueError("not a logging level (DEBUG, INFO, WARNING, ERROR, CRITICAL)")
    return value


def _parse_rlimit(text: str) -> str:
    # koji.util.setup_rlimits wants "SOFT" or "SOFT HARD" as integers.
    fields = text.split()
    if len(fields) not in (1, 2) or not all(re.fullmatch(r"-?\d+", item) for item in fields):
        raise ValueError("not SOFT or SOFT HARD (integers)")
    return " ".join(fields)


def is_rlimit_key(key: str) -> bool:
    """True for an ``rlimit_<name>`` key naming a resource this system knows."""
    return key.startswith("rlimit_") and hasattr(resource, key.upper())


TEXT = Kind("string", _parse_text)
NON_EMPTY = Kind("string, not empty", _parse_non_empty)
BOOL = Kind("boolean", _parse_bool, _render_bool)
PATH = Kind("absolute path", _absolute_path)
WORDS = Kind("words, space-separated", _parse_words, _render_words)
SIZE = Kind("size (bytes, or with K, M, G, T suffix: binary multiples)", _parse_size, _render_size)
IMAGE = Kind("image reference", _parse_image)
UUID = Kind("UUID", _parse_uuid)
PODMAN_NAME = Kind("podman network or volume name", _parse_podman_name)
ADDRESS = Kind("IP address or host name", _parse_address)
MOUNTS = Kind("mounts: SOURCE:TARGET[:ro|rw[,z|Z]], space-separated", _parse_mounts, _render_mounts)
ULIMITS = Kind("ulimits: NAME=SOFT[:HARD], space-separated", _parse_ulimits, _render_ulimits)
PATH_MAP = Kind("path pairs: INSIDE=OUTSIDE, space-separated", _parse_path_map, _render_path_map)
VOLUME_MAP = Kind(
    "path and volume pairs: INSIDE=VOLUME, space-separated", _parse_volume_map, _render_volume_map
)
ALLOWED_SCMS = Kind(
    "SCM entries: [!]host:repository[:use_common[:source_cmd]]", _parse_allowed_scms
)
PRINCIPAL_FORMAT = Kind("principal with one %s", _parse_principal_format)
LOG_LEVEL = Kind("logging level name", _parse_log_level)
RLIMIT = Kind("SOFT [HARD] (integers)", _parse_rlimit)
PULL_POLICY = choice(PullPolicy)
REPO_ACCESS = choice(RepoAccess)
