"""`adjutant healthcheck`: the appliance's container health check (HEALTHCHECK, compose).

With the dashboard installed it asks the dashboard's ``/readyz`` (or ``--url``), which knows
whether the worker is logged in and taking tasks. Without it, it checks what it can see
honestly from outside the worker: an ``adjutant worker`` process runs in this container and
the podman API answers. Exit status 0 is healthy, 1 unhealthy, 2 a bad configuration.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import urllib.error
import urllib.request
from pathlib import Path

from adjutant import config
from adjutant.container.backend import LABEL_WORKER
from adjutant.errors import ContainerError

log = logging.getLogger(__name__)

READYZ_PATH = "/readyz"
PROC = Path("/proc")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="readiness URL to ask (default: the dashboard's /readyz)")
    parser.add_argument("--timeout", dest="timeout_s", type=float, default=5.0,
                        help="seconds to wait for an answer")  # fmt: skip


def has_dashboard() -> bool:
    """Whether this installation has the dashboard (adjutant.web) to ask."""
    return importlib.util.find_spec("adjutant.web") is not None


def readyz_url(settings: config.Settings) -> str:
    """The dashboard's /readyz as seen from inside the worker's container."""
    host = settings.adjutant.dashboard_bind
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.adjutant.dashboard_port}{READYZ_PATH}"


def check_url(url: str, timeout_s: float) -> str | None:
    """None when ``url`` answers 200, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} did not answer: {exc}"
    return None if status == 200 else f"{url} answered {status}"


def worker_running(proc: Path = PROC) -> bool:
    """Whether a process runs ``adjutant worker`` (its argv has ``adjutant`` then ``worker``)."""
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # it ended while we looked
        names = [Path(arg.decode(errors="replace")).name for arg in argv]
        for index, name in enumerate(names[:-1]):
            if name == "adjutant" and names[index + 1] == "worker":
                return True
    return False


def check_worker(settings: config.Settings) -> str | None:
    """None when the worker process runs and podman answers, else why not."""
    if not worker_running():
        return "no `adjutant worker` process runs here"
    from adjutant.container.podman import PodmanBackend

    backend = PodmanBackend(settings.adjutant.podman_url, retry_attempts=1)
    try:
        backend.list({LABEL_WORKER: settings.adjutant.worker_name})
    except ContainerError as exc:
        return f"podman at {settings.adjutant.podman_url} does not answer: {exc}"
    return None


def run(args: argparse.Namespace) -> int:
    settings = config.load(check_paths=False)
    if args.url or has_dashboard():
        url = args.url or readyz_url(settings)
        problem, checked = check_url(url, args.timeout_s), url
    else:
        problem, checked = check_worker(settings), "worker process and podman"
    if problem is not None:
        print(f"unhealthy: {problem}")
        return 1
    print(f"healthy: {checked}")
    return 0
