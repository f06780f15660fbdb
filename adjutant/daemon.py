"""`adjutant worker`: the build host daemon's main loop, signals, pidfile and restart.

The loop mirrors kojid's: expire buildroots when idle, update tasks, take the next task,
sleep when nothing was taken. SIGTERM is a graceful shutdown: take no new tasks, let running
ones finish for up to the grace period, then stop them and free them so the hub reassigns.
SIGUSR1 asks for a restart once no task runs, as with kojid. Each loop also writes the
worker's status to the state store and, with ``dashboard_enabled``, keeps `adjutant web`
running beside the worker (stopped when the worker stops).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import koji
import koji.tasks
import koji.util

from adjutant import config, hub, orch, startup
from adjutant.dashboard_process import DashboardProcess
from adjutant.errors import ConfigError
from adjutant.policy.resolver import ImageResolver
from adjutant.state import Recorder
from adjutant.state.recorder import HUB_CALL_ERRORS
from adjutant.task_processes import end_leftovers, registry_dir
from adjutant.tasks import HANDLERS
from adjutant.tasks.context import TaskContext
from adjutant.worker import AdjutantTaskManager, sweep_orphans
from adjutant.worker_status import WorkerStatus

log = logging.getLogger(__name__)

IDLE_SLICE_S = 0.5
RESTART = -1  # serve() result that asks run() to re-execute the worker


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", action="append", type=Path, metavar="PATH",
        help="config file or directory, repeatable (default: /etc/kojid/kojid.conf + conf.d)",
    )  # fmt: skip
    parser.add_argument("-f", "--fg", action="store_true", help="stay in the foreground")
    parser.add_argument("--force-lock", action="store_true", help="take the hub session lock")
    parser.add_argument("--pidfile", type=Path, default=None, help="write and lock a pidfile")
    parser.add_argument(
        "--shutdown-grace", dest="opt_adjutant.shutdown_grace", default=None, metavar="SECONDS",
        help="override [adjutant] shutdown_grace: on SIGTERM, wait this long for running tasks",
    )  # fmt: skip
    for flag, key in (("--server", "server"), ("--topurl", "topurl"), ("--topdir", "topdir"),
                      ("--workdir", "workdir"), ("--maxjobs", "maxjobs"),
                      ("--minspace", "minspace"), ("--sleeptime", "sleeptime")):  # fmt: skip
        parser.add_argument(flag, dest=f"opt_{key}", default=None, metavar=key.upper(),
                            help=f"override [kojid] {key}")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    settings = config.load_from_args(args)
    if not args.fg:
        koji.daemonize()
    with pidfile(args.pidfile):
        status = serve(settings, force_lock=args.force_lock, debug=args.debug)
    if status == RESTART:
        log.info("restarting")
        os.execv(sys.executable, [sys.executable, "-m", "adjutant", *sys.argv[1:]])
    return status


@contextlib.contextmanager
def pidfile(path: Path | None) -> Iterator[None]:
    """Hold ``path`` locked with our pid in it; another live worker holding it is an error.

    Raises:
        ConfigError: the pidfile is locked by another process.
    """
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            # flock, not lockf: a POSIX lock drops when any fd of the file is closed in-process.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ConfigError(f"pidfile {path} is locked: another worker is running") from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
    finally:
        os.close(fd)


def configure_koji_logging(kojid: config.KojidSettings, *, debug: bool = False) -> None:
    """Apply kojid's logging options: ``log_level`` for the koji.* loggers (koji's library and
    the task handlers; --debug wins, as in kojid) and error mail to ``admin_emails``."""
    if debug:
        logging.getLogger("koji").setLevel(logging.DEBUG)
    elif kojid.log_level:
        logging.getLogger("koji").setLevel(kojid.log_level)
    if kojid.admin_emails:
        koji.add_mail_logger("koji", kojid.admin_emails)


def serve(settings: config.Settings, *, force_lock: bool = False, debug: bool = False) -> int:
    """Log in, sweep orphans, and run the task loop until told to stop; returns the exit status."""
    configure_koji_logging(settings.kojid, debug=debug)
    # koji-boxed: the keytab (and the CA) from its orch service, before anything else uses them
    settings = orch.provision(settings)
    options = settings.kojid_options(debug=debug)
    workdir = Path(options.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    koji.BASEDIR = options.topdir
    koji.pathinfo.topdir = options.topdir
    koji.util.setup_rlimits(vars(options))
    adjutant = settings.adjutant
    recorder = Recorder(adjutant.state_db, worker=adjutant.worker_name,
                        retention_s=adjutant.state_retention * 86400.0)  # fmt: skip
    context = TaskContext.from_settings(settings, recorder=recorder)
    backend = context.make_backend()
    # Everything local before the hub: a broken host must not take (and hold) the session.
    startup.check_certificates(settings)
    startup.check_podman(backend, settings)
    startup.check_hub_reachable(options)
    try:
        session = hub.connect(settings, force_lock=force_lock, debug=debug)
    except (koji.AuthLockError, koji.AuthError) as exc:
        raise startup.login_failure(exc, options.server, adjutant.worker_name) from exc
    resolver = ImageResolver(
        default_image=context.image.image, enabled=adjutant.policy_enabled,
        ttl_s=float(adjutant.policy_cache_ttl), get_build_config=session.getBuildConfig,
    )  # fmt: skip
    status = WorkerStatus(
        recorder, podman_url=adjutant.podman_url, hub_url=settings.kojid.server,
        topurl=settings.kojid.topurls[0] if settings.kojid.topurls else "", workdir=workdir,
        maxjobs=settings.kojid.maxjobs, minspace_mb=settings.kojid.minspace, resolver=resolver,
    )  # fmt: skip
    manager = AdjutantTaskManager(options, session, worker_name=adjutant.worker_name,
                                  backend=backend, context=context,
                                  resolver=resolver)  # fmt: skip
    for handler in HANDLERS:
        manager.registerHandler(handler)
    # Task processes of a killed predecessor end on their own (parent-death signal); wait for
    # them first, so the sweep does not pull containers from under a task still unwinding.
    end_leftovers(registry_dir(workdir), timeout_s=float(adjutant.stop_grace) + 10.0)
    sweep_orphans(backend, adjutant.worker_name, (), workdir)
    recorder.close_open_tasks("the worker stopped while the task ran")
    dashboard = None
    if adjutant.dashboard_enabled:
        dashboard = DashboardProcess(settings.files, debug=debug)
    loop = WorkerLoop(manager, sleeptime_s=float(options.sleeptime),
                      shutdown_grace_s=float(adjutant.shutdown_grace), status=status,
                      dashboard=dashboard)  # fmt: skip
    loop.install_signal_handlers()
    try:
        if dashboard is not None:
            dashboard.start()
        return loop.run()
    finally:
        if dashboard is not None:
            dashboard.stop()
        manager.shutdown()
        session.logout()


class WorkerLoop:
    """kojid's main loop around a TaskManager, with a graceful SIGTERM."""

    def __init__(
        self, manager: Any, *, sleeptime_s: float, shutdown_grace_s: float,
        status: WorkerStatus | None = None, dashboard: DashboardProcess | None = None,
    ) -> None:  # fmt: skip
        self.manager = manager
        self.status = status
        self.dashboard = dashboard
        self.sleeptime_s = sleeptime_s
        self.shutdown_grace_s = shutdown_grace_s
        self.stop_deadline: float | None = None
        self.main_pid = os.getpid()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_sigterm)
        signal.signal(signal.SIGUSR1, self._on_sigusr1)

    def request_stop(self) -> None:
        """Take no new tasks; running ones get until the grace period ends."""
        if self.stop_deadline is None:
            log.info("stopping: waiting up to %.0fs for running tasks", self.shutdown_grace_s)
            self.stop_deadline = time.monotonic() + self.shutdown_grace_s
            self.manager.stopping = True

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.main_pid:
            raise SystemExit(1)  # a forked task process: end it, as kojid's handler does
        self.request_stop()

    def _on_sigusr1(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() == self.main_pid:
            log.info("restart requested")
            self.manager.restart_pending = True

    def is_done_stopping(self) -> bool:
        if self.stop_deadline is None:
            return False
        if not self.manager.pids:
            return True
        if time.monotonic() >= self.stop_deadline:
            log.warning("grace period over: stopping tasks %s", sorted(self.manager.pids))
            return True
        return False

    def run(self) -> int:
        taken = False
        while not self.is_done_stopping():
            try:
                if not taken:
                    self.manager.updateBuildroots()
                self.manager.updateTasks()
                taken = self.manager.getNextTask()
                self._report(hub_ok=True)
            except (SystemExit, koji.tasks.ServerExit, KeyboardInterrupt):
                log.info("exiting")
                return 0
            except koji.tasks.ServerRestart:
                return RESTART
            except (koji.AuthExpired, koji.AuthError) as exc:
                log.error("authentication failed: %s", exc)
                return 1
            except Exception as exc:  # the worker loop: log and go on, as kojid does
                log.exception("error in the main loop")
                taken = False
                self._report(hub_ok=False, error=exc)
            if not taken:
                self._idle()
        return 0

    def _report(self, *, hub_ok: bool, error: Exception | None = None) -> None:
        """The loop's status to the state store; the dashboard child restarted if it died."""
        if self.status is not None:
            if error is not None and isinstance(error, koji.GenericError | OSError):
                self.status.recorder.count(HUB_CALL_ERRORS, {"error": type(error).__name__})
            self.status.report(self.manager, hub_ok=hub_ok, force=error is not None,
                               hub_error="" if error is None else str(error)[:300])  # fmt: skip
        if self.dashboard is not None:
            self.dashboard.check()

    def _idle(self) -> None:
        # Sliced, so that SIGTERM is acted on within a slice rather than after sleeptime.
        until = time.monotonic() + self.sleeptime_s
        while time.monotonic() < until and self.stop_deadline is None:
            time.sleep(IDLE_SLICE_S)
        if self.stop_deadline is not None:
            time.sleep(min(IDLE_SLICE_S, self.sleeptime_s))
