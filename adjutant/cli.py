"""Command-line entry point: parses arguments and hands each subcommand to its module.

Each subcommand lives in the module that owns its job; that module offers
``configure_parser(parser)`` and ``run(args) -> int``. This file only wires them up, and
imports only the module of the subcommand given: ``adjutant worker`` must not load devhub,
Flask or cryptography.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from adjutant import __version__
from adjutant.errors import AdjutantError, ConfigError
from adjutant.redaction import install_log_redaction

# subcommand name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "images": ("adjutant.images", "build the task images from images/"),
    "build": ("adjutant.localbuild", "rebuild an SRPM in a container buildroot, without a hub"),
    "config": ("adjutant.config_command", "show or check the effective configuration"),
    "worker": ("adjutant.daemon", "run the build host daemon"),
    "web": ("adjutant.web_command", "serve the dashboard (gunicorn) from the state store"),
    "devhub": ("adjutant.devhub.admin_cli", "run and seed a development koji hub (tests, demo)"),
    "healthcheck": ("adjutant.healthcheck", "exit 0 when this appliance is healthy (HEALTHCHECK)"),
}

log = logging.getLogger(__name__)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with every subcommand listed; only ``command``'s module is
    imported, and only its options are known."""
    parser = argparse.ArgumentParser(
        prog="adjutant", description="Koji build host with podman container buildroots"
    )
    parser.add_argument("--version", action="version", version=f"adjutant {__version__}")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.configure_parser(sub)
            sub.set_defaults(run=module.run)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv``: the first word that is not an option (the
    top-level options take no values)."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    return word if word in SUBCOMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(chosen_command(argv)).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()
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
