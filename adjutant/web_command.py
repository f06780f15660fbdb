"""`adjutant web [-c CONFIG] [--bind ADDR] [--port N]`: read the config as `adjutant worker`
does, then serve the dashboard (``adjutant.web.serve``). Flask and gunicorn are imported only
when this command runs, so other subcommands (the worker above all) do not load them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from adjutant import config


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", action="append", type=Path, metavar="PATH",
        help="config file or directory, repeatable (default: /etc/kojid/kojid.conf + conf.d)",
    )  # fmt: skip
    parser.add_argument("--bind", dest="opt_adjutant.dashboard_bind", default=None,
                        metavar="ADDR", help="override [adjutant] dashboard_bind")  # fmt: skip
    parser.add_argument("--port", dest="opt_adjutant.dashboard_port", default=None,
                        metavar="N", help="override [adjutant] dashboard_port")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    settings = config.load_from_args(args)
    from adjutant.web.serve import serve

    serve(settings, debug=args.debug)
    return 0
