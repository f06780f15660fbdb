"""Loading: defaults < config files < environment < command-line flags, merged and validated.

Files are read one at a time with ``koji.read_config_files`` so that every value knows the
file it came from. This module is the only place in adjutant that reads the process
environment, and only when ``load`` is not handed one. Every problem is collected and raised
together in one ``InvalidConfig``; warnings travel in ``Settings.warnings``; nothing is logged.
"""

from __future__ import annotations

import configparser
import functools
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import koji

from adjutant.config import kinds
from adjutant.config.kinds import RepoAccess
from adjutant.config.schema import (
    ADJUTANT,
    CONFIG_ENV,
    ENV_PREFIX,
    KOJID,
    KOJID_ALIASES,
    OBSOLETE_KOJID_KEYS,
    SECTIONS,
    AdjutantSettings,
    KojidSettings,
    OptionInfo,
    PathCheck,
    all_options,
    env_var,
)
from adjutant.config.settings import REDACTED, Layer, Settings, Source, redact_url
from adjutant.container.backend import ResourceLimits
from adjutant.errors import ConfigError

DEFAULT_PATHS = (Path("/etc/kojid/kojid.conf"), Path("/etc/kojid/conf.d"))
# kojid falls back to these when they exist and cert/serverca are not set.
CERT_DEFAULTS = {
    "cert": Path("/etc/kojid/client.crt"),
    "serverca": Path("/etc/kojid/serverca.crt"),
}

# (section, key) -> (text, source) from the highest layer seen so far.
_Raw = dict[tuple[str, str], tuple[str, Source]]


class InvalidConfig(ConfigError):
    """The configuration has problems; ``problems`` lists each, naming its source and value.

    ``warnings`` (unknown keys and the like) are part of the message too: a misspelt key is
    often why a required value is missing.
    """

    def __init__(self, problems: Sequence[str], warnings: Sequence[str] = ()) -> None:
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)
        plural = "" if len(problems) == 1 else "s"
        lines = [f"invalid configuration, {len(problems)} problem{plural}:"]
        lines.extend(f"  - {problem}" for problem in problems)
        if warnings:
            lines.append("warnings:")
            lines.extend(f"  - {warning}" for warning in warnings)
        super().__init__("\n".join(lines))


def load(
    paths: Path | str | Sequence[Path | str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
    *,
    check_paths: bool = True,
    need_hub: bool = True,
) -> Settings:
    """Read, merge and validate the configuration.

    ``paths`` (files, or directories whose ``*.conf`` files are read in name order) replace
    the default ``/etc/kojid/kojid.conf`` and ``/etc/kojid/conf.d``; without ``paths``,
    ``KOJI_ADJUTANT_CONFIG`` may name them (``os.pathsep``-separated). Named paths must exist,
    default ones may be missing. ``environ`` defaults to the process environment.
    ``overrides`` are command-line values as text, keyed by option name (``maxjobs``) or
    ``section.key``. ``check_paths`` also requires readable files and writable directories;
    tools that only display the configuration turn it off. ``need_hub=False`` (commands that
    work without a hub, such as ``adjutant build``) makes the hub's URLs optional.

    Raises:
        InvalidConfig: one message listing every problem.
    """
    environ = os.environ if environ is None else environ
    if isinstance(paths, (str, Path)):
        paths = [paths]
    problems: list[str] = []
    warnings: list[str] = []
    raw: _Raw = {}
    files = _config_files(paths, environ, problems)
    for path in files:
        _read_file(path, raw, problems, warnings)
    _read_environ(environ, raw, problems, warnings)
    _read_overrides(overrides or {}, raw, problems)

    values: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    sources: dict[str, Source] = {}
    failed: set[str] = set()
    for info in all_options():
        name = f"{info.section}.{info.key}"
        if (info.section, info.key) in raw:
            text, sources[name] = raw.pop((info.section, info.key))
            problem = _parse_into(values[info.section], info, text, sources[name])
        else:
            sources[name], values[info.section][info.key] = _default(info)
            problem = None
            if info.spec.required and (need_hub or info.section != KOJID):
                problem = (
                    f"[{info.section}] {info.key} is required: set it in a config file"
                    f" or in {info.env_var}"
                )
        if problem is not None:
            problems.append(problem)
            failed.add(name)
    rlimits = _parse_rlimits(raw, sources, problems)

    settings = Settings(
        KojidSettings(**values[KOJID], rlimits=rlimits),
        AdjutantSettings(**values[ADJUTANT]),
        MappingProxyType(sources),
        tuple(files),
        tuple(warnings),
    )
    problems.extend(_pairing_problems(settings, failed))
    if check_paths:
        problems.extend(_path_problems(settings, failed))
    if problems:
        raise InvalidConfig(problems, warnings)
    return settings


# -- the layers ---------------------------------------------------------------------------


def _config_files(
    paths: Sequence[Path | str] | None, environ: Mapping[str, str], problems: list[str]
) -> list[Path]:
    """The files to read, in order, expanding directories like koji does."""
    if paths is not None:
        given, origin = [Path(path) for path in paths], "--config"
    elif environ.get(CONFIG_ENV, "").strip():
        given = [Path(path) for path in environ[CONFIG_ENV].split(os.pathsep) if path.strip()]
        origin = CONFIG_ENV
    else:
        given, origin = list(DEFAULT_PATHS), ""
    files: list[Path] = []
    for path in given:
        if path.is_dir():
            try:
                files.extend(Path(name) for name in koji.config_directory_contents(str(path)))
            except OSError as exc:
                problems.append(f"config directory {path}: {exc.strerror}")
        elif path.is_file():
            files.append(path)
        elif origin:
            problems.append(f"config file {path} (from {origin}) does not exist")
    return files


def _read_file(path: Path, raw: _Raw, problems: list[str], warnings: list[str]) -> None:
    # configparser silently skips files it cannot open, so check first.
    if not os.access(path, os.R_OK):
        problems.append(f"config file {path} is not readable")
        return
    try:
        parser = koji.read_config_files(str(path), raw=True)
    except (configparser.Error, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split())
        problems.append(f"config file {path} cannot be parsed: {reason}")
        return
    for section in parser.sections():
        if section not in SECTIONS:
            warnings.append(f"{path}: unknown section [{section}] ignored")
            continue
        for key, text in parser.items(section):
            _store(section, key, text, Source(Layer.FILE, f"{path} [{section}]"), raw, problems,
                   warnings)  # fmt: skip


def _read_environ(
    environ: Mapping[str, str], raw: _Raw, problems: list[str], warnings: list[str]
) -> None:
    kojid_prefix = f"{KOJID}_"
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        rest = name.removeprefix(ENV_PREFIX).lower()
        if rest.startswith(kojid_prefix):
            section, key = KOJID, rest.removeprefix(kojid_prefix)
        else:
            section, key = ADJUTANT, rest
        _store(section, key, environ[name], Source(Layer.ENV, name), raw, problems, warnings)


def _read_overrides(overrides: Mapping[str, str], raw: _Raw, problems: list[str]) -> None:
    for name, text in overrides.items():
        section, _, key = name.rpartition(".")
        sections = [section] if section else [known for known in SECTIONS if _is_known(known, key)]
        if not sections or not _is_known(sections[0], key):
            problems.append(f"command line: {name!r} is not a configuration option")
            continue
        raw[(sections[0], key)] = (text, Source(Layer.FLAG, f"--{key.replace('_', '-')}"))


def _store(
    section: str,
    key: str,
    text: str,
    source: Source,
    raw: _Raw,
    problems: list[str],
    warnings: list[str],
) -> None:
    """Record one value from a file or the environment; an unknown key is a problem.

    kojid refuses unknown options too: a misspelt key (``maxjbos``) would otherwise run
    silently with the default of the key meant.
    """
    if section == KOJID:
        key = KOJID_ALIASES.get(key, key)
        if key in OBSOLETE_KOJID_KEYS:
            reason = OBSOLETE_KOJID_KEYS[key]
            warnings.append(f"{source.describe(section, key)}: obsolete, ignored ({reason})")
            return
    if _is_known(section, key) or (section == KOJID and kinds.is_rlimit_key(key)):
        raw[(section, key)] = (text, source)
    else:
        problems.append(f"{source.describe(section, key)}: unknown option")


def _is_known(section: str, key: str) -> bool:
    return (section, key) in _known_options()


@functools.cache
def _known_options() -> frozenset[tuple[str, str]]:
    return frozenset((info.section, info.key) for info in all_options())


# -- values -------------------------------------------------------------------------------


def _shown_text(info: OptionInfo, text: str) -> str:
    """A raw value as a problem message may quote it."""
    if info.spec.secret:
        return REDACTED
    if info.spec.kind.holds_urls:
        return " ".join(redact_url(item) for item in text.split())
    return text


def _parse_into(values: dict[str, Any], info: OptionInfo, text: str, source: Source) -> str | None:
    """Parse ``text`` into ``values``; return the problem, if any."""
    where = source.describe(info.section, info.key)
    if info.spec.required and not text.strip():
        return f"{where} is empty: it is required"
    try:
        values[info.key] = info.spec.kind.parse(text)
    except ValueError as exc:
        return f"{where} = {_shown_text(info, text)!r}: {exc}"
    return None


# Options whose default is the host's size: memory 3/4 of RAM, CPUs all, pids a fixed cap.
_HOST_LIMITS = {"container_memory": "memory_bytes", "container_cpus": "cpus",
                "container_pids": "pids"}  # fmt: skip


def _default(info: OptionInfo) -> tuple[Source, Any]:
    """The default of an option that no layer set, deciding load-time defaults."""
    if info.section == ADJUTANT and info.key == "worker_name":
        return Source(Layer.DEFAULT, "host name"), socket.gethostname()
    if info.section == ADJUTANT and info.key in _HOST_LIMITS:
        limits = ResourceLimits.for_host()
        return Source(Layer.DEFAULT, "host size"), getattr(limits, _HOST_LIMITS[info.key])
    candidate = CERT_DEFAULTS.get(info.key) if info.section == KOJID else None
    if candidate is not None and candidate.is_file():
        return Source(Layer.DEFAULT, "file exists"), candidate
    return Source(Layer.DEFAULT), info.default


def _parse_rlimits(
    raw: _Raw, sources: dict[str, Source], problems: list[str]
) -> tuple[tuple[str, str], ...]:
    """The ``rlimit_*`` keys left over once every declared option was taken."""
    rlimits: list[tuple[str, str]] = []
    for (section, key), (text, source) in sorted(raw.items()):
        sources[f"{section}.{key}"] = source
        try:
            rlimits.append((key.upper(), kinds.RLIMIT.parse(text)))
        except ValueError as exc:
            problems.append(f"{source.describe(section, key)} = {text!r}: {exc}")
    return tuple(rlimits)


# -- paths --------------------------------------------------------------------------------


def _path_problems(settings: Settings, failed: set[str]) -> list[str]:
    """Files that must be readable and directories that must be writable, as configured."""
    checks: list[tuple[str, str, PathCheck]] = []
    for info in all_options():
        check = info.spec.path_check
        source = settings.source(info.section, info.key)
        if check is None or f"{info.section}.{info.key}" in failed:
            continue
        if (info.section, info.key) == (KOJID, "keytab") and settings.adjutant.orch_url:
            check = PathCheck.WRITABLE_PARENT  # the orch checkout writes it at start
        if info.spec.check_default or source.layer is not Layer.DEFAULT:
            checks.append((info.section, info.key, check))
    # Options only some modes use are checked when the mode is on.
    if settings.adjutant.repo_access is RepoAccess.MOUNT:
        checks.append((KOJID, "topdir", PathCheck.READABLE_DIR))
    if settings.adjutant.buildroot_cache:
        checks.append((ADJUTANT, "buildroot_cache_dir", PathCheck.WRITABLE_DIR))

    problems: list[str] = []
    for section, key, check in checks:
        if f"{section}.{key}" in failed:
            continue
        value = getattr(settings.kojid if section == KOJID else settings.adjutant, key)
        reason = None if value is None else _path_reason(value, check)
        if reason is not None:
            where = settings.source(section, key).describe(section, key)
            problems.append(f"{where} = '{value}': {reason}; it must be {check.value}")
    if "adjutant.container_mounts" not in failed:
        for mount in settings.adjutant.container_mounts:
            if not mount.source.exists():
                where = settings.source(ADJUTANT, "container_mounts").describe(
                    ADJUTANT, "container_mounts"
                )
                problems.append(f"{where}: mount source {mount.source} does not exist")
    return problems


# Options that only work together: setting one names the other as missing.
_PAIRS = (("orch_url", "orch_resource"), ("krb5_realm", "krb5_kdc"))


def _pairing_problems(settings: Settings, failed: set[str]) -> list[str]:
    problems: list[str] = []
    for first, second in _PAIRS:
        if {f"{ADJUTANT}.{first}", f"{ADJUTANT}.{second}"} & failed:
            continue
        for given, missing in ((first, second), (second, first)):
            if (getattr(settings.adjutant, given) is not None
                    and getattr(settings.adjutant, missing) is None):  # fmt: skip
                where = settings.source(ADJUTANT, given).describe(ADJUTANT, given)
                problems.append(
                    f"{where} is set but [{ADJUTANT}] {missing} is not"
                    f" (set it or {env_var(ADJUTANT, missing)})"
                )
    return problems


def _path_reason(path: Path, check: PathCheck) -> str | None:
    """Why ``path`` fails ``check``, or None."""
    if check is PathCheck.WRITABLE_PARENT:
        if path.is_dir():
            return "is a directory"
        return _path_reason(path.parent, PathCheck.WRITABLE_DIR)
    if check is PathCheck.WRITABLE_DIR and not path.exists():
        ancestor = next(parent for parent in path.parents if parent.exists())
        if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
            return f"does not exist and cannot be created in {ancestor}"
        return None
    if not path.exists():
        return "does not exist"
    if check is PathCheck.READABLE_FILE:
        if not path.is_file():
            return "is not a file"
        return None if os.access(path, os.R_OK) else "is not readable"
    if not path.is_dir():
        return "is not a directory"
    mode = os.R_OK | os.X_OK if check is PathCheck.READABLE_DIR else os.W_OK | os.X_OK
    return None if os.access(path, mode) else "is not accessible"
