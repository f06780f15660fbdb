"""Command-line entry point: parses arguments and hands each subcommand to its module.

Each subcommand lives in the module that owns its job; that module offers
``configure_parser(parser)`` and ``run(args) -> int``. This file only wires them up.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from adjutant import __version__
from adjutant.errors import AdjutantError, ConfigError

# subcommand name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "images": ("adjutant.images", "build the task images from images/"),
    "build": ("adjutant.localbuild", "rebuild an SRPM in a container buildroot, without a hub"),
    "config": ("adjutant.config_command", "show or check the effective configuration"),
    "worker": ("adjutant.daemon", "run the build host daemon"),
    "devhub": ("adjutant.devhub.admin_cli", "run and seed a development koji hub (tests, demo)"),
    "healthcheck": ("adjutant.healthcheck", "exit 0 when this appliance is healthy (HEALTHCHECK)"),
}

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="adjutant", description="Koji build host with podman container buildroots"
    )
    parser.add_argument("--version", action="version", version=f"adjutant {__version__}")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        module.configure_parser(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        status: int = args.run(args)
    except ConfigError as exc:
        # Exit status 2, like a usage error: nothing ran, the operator must fix the input.
        print(exc, file=sys.stderr)
        return 2
    except AdjutantError as exc:
        log.error("%s", exc)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
