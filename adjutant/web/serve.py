"""`adjutant web`: the dashboard under gunicorn, configured from kojid.conf like the worker.

gthread workers: each live-log stream holds one thread while it follows a file, so threads
(not processes) keep one open page from blocking the others. Binds ``dashboard_bind``
(127.0.0.1 unless configured); SIGTERM stops gunicorn gracefully.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from adjutant import config
from adjutant.web.app import create_app

log = logging.getLogger(__name__)

WORKERS = 2
THREADS = 8
# Streams end themselves after task_logs.MAX_STREAM_S; gthread workers keep heartbeating
# while threads stream, so this only bounds a stuck request.
TIMEOUT_S = 60
GRACEFUL_TIMEOUT_S = 5


class DashboardServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with our options and our app, without gunicorn's own command line."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


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
    overrides = {
        name.removeprefix("opt_"): str(value)
        for name, value in vars(args).items()
        if name.startswith("opt_") and value is not None
    }
    settings = config.load(args.config or None, overrides=overrides)
    adjutant = settings.adjutant
    host = adjutant.dashboard_bind
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    bind = f"{host}:{adjutant.dashboard_port}"
    log.info("dashboard of %s on http://%s/ (state %s)", adjutant.worker_name, bind,
             adjutant.state_db)  # fmt: skip
    options = {
        "bind": bind, "workers": WORKERS, "worker_class": "gthread", "threads": THREADS,
        "timeout": TIMEOUT_S, "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "accesslog": None, "errorlog": "-", "loglevel": "debug" if args.debug else "info",
        "proc_name": f"adjutant-web {adjutant.worker_name}",
    }  # fmt: skip
    DashboardServer(create_app(settings), options).run()
    return 0
