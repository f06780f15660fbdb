"""Every documented option is read by code, or its schema entry says why not (``unused=``).

Checked both ways over adjutant's source, outside the configuration package (which defines and
loads options, so mentions there are not uses) and devhub (a separate program whose own
`.server` or `.cert` attributes are not kojid's options):

- an option without ``unused`` is read: as an attribute (``settings.kojid.workdir``,
  ``options.maxjobs``) or a ``getattr`` with its name, through a settings property that is
  itself read (``resource_limits``), or by koji's library from the option object adjutant
  hands it (``KOJI_READS``, each claim checked against koji's source);
- an option with ``unused`` is read nowhere, so the docs' "Not read by adjutant" stays true.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import koji
import koji.daemon
import koji.tasks
import pytest

from adjutant.config.schema import SECTIONS, OptionInfo, all_options

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "adjutant"
NOT_CONSUMERS = (PACKAGE / "config", PACKAGE / "devhub")

# Options koji's library reads from the kojid-shaped option object (Settings.kojid_options):
# the koji function that reads it, and text in the adjutant module that hands the object over.
KOJI_READS: dict[str, tuple[Callable[..., Any], str, str]] = {
    "maxjobs": (koji.daemon.TaskManager.readyForTask, "adjutant/worker.py",
                "koji.daemon.TaskManager"),
    **{
        key: (koji.grab_session_options, "adjutant/hub.py", "koji.grab_session_options(options)")
        for key in ("use_fast_upload", "retry_interval", "max_retries", "offline_retry",
                    "offline_retry_interval", "timeout", "no_ssl_verify", "password")
    },
}  # fmt: skip


def _consumer_sources() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in PACKAGE.rglob("*.py")
        if not any(path.is_relative_to(skip) for skip in NOT_CONSUMERS)
    }


SOURCES = _consumer_sources()


def _read_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{name}\b|getattr\(\s*[\w.]+,\s*[\"']{name}[\"']")


def _readers(name: str) -> list[str]:
    pattern = _read_pattern(name)
    return [str(path.relative_to(REPO)) for path, text in SOURCES.items() if pattern.search(text)]


def _property_readers() -> dict[str, list[str]]:
    """option key -> the settings properties/methods using it that adjutant reads."""
    found: dict[str, list[str]] = {}
    for cls in SECTIONS.values():
        for name, member in vars(cls).items():
            if name.startswith("_") or not isinstance(member, property | Callable):  # type: ignore[arg-type]
                continue
            func = member.fget if isinstance(member, property) else member
            if func is None or not _readers(name):
                continue
            for key in set(re.findall(r"self\.(\w+)", inspect.getsource(func))):
                found.setdefault(key, []).append(f"{cls.__name__}.{name}")
    return found


PROPERTY_READERS = _property_readers()


def _how_read(info: OptionInfo) -> list[str]:
    ways = _readers(info.key) + PROPERTY_READERS.get(info.key, [])
    if info.section == "kojid" and info.key in KOJI_READS:
        ways.append(KOJI_READS[info.key][0].__qualname__)
    return ways


def _option_id(info: OptionInfo) -> str:
    return f"{info.section}.{info.key}"


@pytest.mark.parametrize(
    "info", [i for i in all_options() if i.spec.unused is None], ids=_option_id
)
def test_every_option_not_marked_unused_is_read(info: OptionInfo) -> None:
    assert _how_read(info), (
        f"[{info.section}] {info.key} is documented but nothing in adjutant/ reads it: read"
        " it, or mark it unused='why' in adjutant/config/schema.py"
    )


@pytest.mark.parametrize(
    "info", [i for i in all_options() if i.spec.unused is not None], ids=_option_id
)
def test_every_option_marked_unused_is_not_read(info: OptionInfo) -> None:
    assert not _how_read(info), (
        f"[{info.section}] {info.key} is marked unused ({info.spec.unused}) but is read by"
        f" {_how_read(info)}: drop unused= from its schema entry"
    )


def test_unused_reasons_are_sentences_and_planned_ones_name_their_issue() -> None:
    for info in all_options():
        reason = info.spec.unused
        if reason is None:
            continue
        assert reason.strip() and not reason.endswith("."), info.key
        if reason.startswith("planned"):
            assert re.search(r"issue \d+", reason), f"{info.key}: name the issue that reads it"


@pytest.mark.parametrize("key", sorted(KOJI_READS))
def test_koji_reads_what_we_claim_it_reads(key: str) -> None:
    func, module, handover = KOJI_READS[key]
    source = inspect.getsource(func)
    assert re.search(rf"options\.{key}\b|[\"']{key}[\"']", source), (
        f"{func.__qualname__} no longer reads {key}"
    )
    assert handover in (REPO / module).read_text(encoding="utf-8"), (
        f"{module} no longer hands the options to {func.__qualname__}"
    )


def test_the_check_finds_reads_and_misses_non_reads() -> None:
    # The patterns themselves: an attribute read, a getattr, and look-alikes that are not.
    assert _read_pattern("maxjobs").search("self.options.maxjobs + 1")
    assert _read_pattern("build_arch_can_fail").search(
        'getattr(self.options, "build_arch_can_fail", False)'
    )
    assert not _read_pattern("maxjobs").search("maxjobs_limit = 3")
    assert not _read_pattern("state_db").search("self.state_dbx")
