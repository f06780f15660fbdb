"""`adjutant config show|check`: display or validate the effective configuration.

Loading and validation belong to ``adjutant.config``; this module only prints. An invalid
configuration raises ``ConfigError``, which the command line turns into exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from adjutant import config, startup
from adjutant.config import Settings


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``show`` and ``check`` actions."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show", help="print every effective value and its source (secrets redacted)"
    )
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    check = actions.add_parser(
        "check", help="validate the configuration, including paths; exit 2 when invalid"
    )
    for sub in (show, check):
        sub.add_argument(
            "-c",
            "--config",
            action="append",
            type=Path,
            metavar="PATH",
            help="config file or directory, instead of /etc/kojid/kojid.conf and"
            f" /etc/kojid/conf.d (repeatable; default also from {config.CONFIG_ENV})",
        )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Show or check the configuration.

    Raises:
        ConfigError: the configuration is invalid.
    """
    out = out or sys.stdout
    if args.action == "check":
        settings = config.load(args.config, check_paths=True)
        startup.check_certificates(settings)
        print_warnings(settings, out)
        files = ", ".join(str(path) for path in settings.files) or "no config file"
        print(f"configuration OK ({files})", file=out)
        return 0
    settings = config.load(args.config, check_paths=False)
    if args.json:
        print(render_json(settings), file=out)
    else:
        print_warnings(settings, out)
        print(render_text(settings), end="", file=out)
    return 0


def print_warnings(settings: Settings, out: TextIO) -> None:
    for warning in settings.warnings:
        print(f"warning: {warning}", file=out)


def render_text(settings: Settings) -> str:
    """The redacted configuration as INI-like text, each value followed by its source."""
    files = " ".join(str(path) for path in settings.files) or "(none)"
    lines = [f"# config files read: {files}"]
    for section, rows in settings.redacted().items():
        width = max(len(key) for key in rows)
        lines.append(f"\n[{section}]")
        lines.extend(
            f"{key.ljust(width)} = {shown.value}    # {shown.source}" for key, shown in rows.items()
        )
    return "\n".join(lines) + "\n"


def render_json(settings: Settings) -> str:
    """The redacted configuration as JSON: files, warnings and section -> key -> value/source."""
    document: dict[str, object] = {
        "files": [str(path) for path in settings.files],
        "warnings": list(settings.warnings),
    }
    for section, rows in settings.redacted().items():
        document[section] = {
            key: {"value": shown.value, "source": shown.source} for key, shown in rows.items()
        }
    return json.dumps(document, indent=2)
