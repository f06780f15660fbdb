"""The effective configuration: both sections, where each value came from, and safe views of it.

``Settings`` is what the rest of adjutant receives. Its only printable form is
``redacted()``; ``kojid_options()`` is the attribute-shaped object koji's ``TaskManager``,
``BaseTaskHandler`` and ``grab_session_options`` read. Reading and checking the sources is
``adjutant.config.layers``' job, not this module's.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from adjutant.config.schema import (
    ADJUTANT,
    KOJID,
    AdjutantSettings,
    KojidSettings,
    OptionInfo,
    options,
)

REDACTED = "<redacted>"
# Query parameters whose values are credentials.
_SECRET_QUERY_KEYS = frozenset(
    {"token", "access_token", "auth", "password", "passwd", "secret", "key", "api_key", "sig",
     "signature"}
)  # fmt: skip


class Layer(enum.IntEnum):
    """Where a value came from; a higher layer wins."""

    DEFAULT = 0
    FILE = 1
    ENV = 2
    FLAG = 3


@dataclass(frozen=True)
class Source:
    """The layer a value came from and, within it, the file, variable or flag."""

    layer: Layer
    origin: str = ""  # "<file> [<section>]", the variable's name, or the flag

    def describe(self, section: str, key: str) -> str:
        """Name the option the way an operator finds it: file and section, or variable."""
        if self.layer is Layer.ENV:
            return self.origin
        if self.layer is Layer.FILE:
            return f"{self.origin} {key}"
        if self.layer is Layer.FLAG:
            return f"command line {self.origin or key}"
        return f"[{section}] {key}"

    def __str__(self) -> str:
        if self.layer is Layer.FILE:
            return self.origin
        if self.layer is Layer.DEFAULT:
            return f"default ({self.origin})" if self.origin else "default"
        prefix = "env" if self.layer is Layer.ENV else "flag"
        return f"{prefix} {self.origin}"


DEFAULT_SOURCE = Source(Layer.DEFAULT)


@dataclass(frozen=True)
class ShownValue:
    """One option as ``config show`` and the dashboard display it."""

    value: str
    source: str


def redact_url(text: str) -> str:
    """``text`` with a URL's password and credential-like query values replaced."""
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return REDACTED
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret_query = any(name.lower() in _SECRET_QUERY_KEYS for name, _ in pairs)
    if password is None and not secret_query:
        return text
    netloc = parts.netloc
    if password is not None:
        netloc = f"{parts.username}:{REDACTED}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if secret_query:
        hidden = [
            (name, REDACTED if name.lower() in _SECRET_QUERY_KEYS else value)
            for name, value in pairs
        ]
        query = urlencode(hidden, safe="<>")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def shown_text(info: OptionInfo, value: Any) -> str:
    """The text of ``value`` for display: rendered like a config file, secrets hidden."""
    text = str(info.spec.kind.render(value))
    if info.spec.secret and text:
        return REDACTED
    if info.spec.kind.holds_urls:
        return " ".join(redact_url(item) for item in text.split())
    return text


def _koji_shape(value: Any) -> Any:
    """kojid keeps paths as strings and lists as lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class Settings:
    """The effective configuration. Log or show it only through ``redacted()``."""

    kojid: KojidSettings = field(default_factory=KojidSettings)
    adjutant: AdjutantSettings = field(default_factory=AdjutantSettings)
    # "<section>.<key>" -> where the value came from; absent keys are defaults.
    sources: Mapping[str, Source] = field(default_factory=dict)
    files: tuple[Path, ...] = ()  # the config files read, in order
    # Problems that did not stop loading (unknown keys, obsolete keys): the caller logs them.
    warnings: tuple[str, ...] = ()

    def source(self, section: str, key: str) -> Source:
        """Where the value of ``key`` in ``section`` came from."""
        return self.sources.get(f"{section}.{key}", DEFAULT_SOURCE)

    def redacted(self) -> dict[str, dict[str, ShownValue]]:
        """Every value as text with its source, passwords and URL credentials hidden."""
        shown: dict[str, dict[str, ShownValue]] = {}
        for section, values in ((KOJID, self.kojid), (ADJUTANT, self.adjutant)):
            rows = shown.setdefault(section, {})
            for info in options(section):
                value = shown_text(info, getattr(values, info.key))
                rows[info.key] = ShownValue(value, str(self.source(section, info.key)))
        for name, value in self.kojid.rlimits:
            key = name.lower()
            shown[KOJID][key] = ShownValue(value, str(self.source(KOJID, key)))
        return shown

    def kojid_options(
        self, *, single: bool = False, debug: bool = False, debug_xmlrpc: bool = False
    ) -> SimpleNamespace:
        """The ``[kojid]`` values in the shape kojid's option object has.

        koji's ``TaskManager`` and ``BaseTaskHandler`` read these as attributes, and
        ``koji.grab_session_options`` picks the ``ClientSession`` options (retries, timeouts)
        from it. As in kojid, ``topurls`` lists every topurl and ``topurl`` is the first.
        """
        values: dict[str, Any] = {
            info.key: _koji_shape(getattr(self.kojid, info.key)) for info in options(KOJID)
        }
        values["topurls"] = list(self.kojid.topurls)
        values["topurl"] = self.kojid.topurls[0] if self.kojid.topurls else None
        values.update(dict(self.kojid.rlimits))
        values.update(single=single, debug=debug, debug_xmlrpc=debug_xmlrpc)
        return SimpleNamespace(**values)
