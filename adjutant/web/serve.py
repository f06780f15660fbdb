"""The dashboard under gunicorn (`adjutant web`, whose command line is ``web_command``).

gthread workers: each live-log stream holds one thread while it follows a file, so threads
(not processes) keep one open page from blocking the others. Binds ``dashboard_bind``
(127.0.0.1 unless configured); SIGTERM stops gunicorn gracefully.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from adjutant.config import Settings
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


def serve(settings: Settings, *, debug: bool = False) -> None:
    """Serve the dashboard until gunicorn is told to stop (SIGTERM, SIGINT)."""
    adjutant = settings.adjutant
    host = adjutant.dashboard_bind
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    bind = f"{host}:{adjutant.dashboard_port}"
    log.info("dashboard of %s on http://%s/ (state %s)", adjutant.worker_name, bind,
             adjutant.state_db)  # fmt: skip
    options = {
        "bind": bind, "workers": WORKERS, "worker_class": "gthread", "threads": THREADS,
        "timeout": TIMEOUT_S, "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "accesslog": None, "errorlog": "-", "loglevel": "debug" if debug else "info",
        "proc_name": f"adjutant-web {adjutant.worker_name}",
    }  # fmt: skip
    DashboardServer(create_app(settings), options).run()
