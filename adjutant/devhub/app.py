"""One devhub instance: its home directory, store, certificates, listeners and repo loop.

A home directory holds everything, so a restart with the same home keeps all state:

    <home>/devhub.sqlite   the database
    <home>/ca/             the test CA, server certificate and client certificates
    <home>/topdir/         koji's topdir (work/, packages/, repos/, scratch/)

The first start creates the admin user (`kojiadmin`, every permission), the repo-queue user
(`kojira`, repo permission) and the `default` and `createrepo` channels.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adjutant.devhub import (
    api,  # noqa: F401  (registers every hub method)
    ca,
    repos,
    rpc,
)
from adjutant.devhub.db import Database
from adjutant.devhub.faults import FaultPlan
from adjutant.devhub.hosts import ensure_channel
from adjutant.devhub.server import FILES_PATH, HUB_PATH, HubState, Listener, tls_context
from adjutant.devhub.sessions import Session, create_user, get_user, grant_perm

log = logging.getLogger(__name__)

ADMIN_USER = "kojiadmin"


@dataclass
class DevHubOptions:
    """How to run one devhub."""

    home: Path
    bind: str = "127.0.0.1"
    https_port: int = 0  # 0: any free port
    http_port: int | None = 0  # None: no plain-HTTP listener
    # Names the server certificate covers besides `bind`.
    hostnames: list[str] = field(default_factory=lambda: ["localhost", "127.0.0.1"])
    # Seconds between built-in repo-queue passes (kojira's role); None turns it off.
    repo_loop_interval_s: float | None = 2.0
    # Service keytab (HTTP/<host>@REALM): Kerberos logins at /kojihub/ssllogin.
    keytab: Path | None = None
    # HubConfig overrides (scheduler timings, max_jobs, host_principal_format, ...).
    config: dict[str, Any] = field(default_factory=dict)


class DevHub:
    """A running (or startable) development hub."""

    def __init__(self, options: DevHubOptions) -> None:
        self.options = options
        self.home = options.home.resolve()
        self.topdir = self.home / "topdir"
        self.ca = ca.CAFiles(self.home / "ca")
        self.faults = FaultPlan()
        self.config = rpc.HubConfig(topdir=self.topdir, **options.config)
        self.db: Database | None = None
        self._listeners: list[Listener] = []
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def open_store(self) -> Database:
        """Open (creating on first use) the database, topdir, CA and built-in users."""
        if self.db is None:
            for sub in ("work", "packages", "repos", "scratch"):
                (self.topdir / sub).mkdir(parents=True, exist_ok=True)
            ca.ensure_ca(self.ca.directory)
            self.db = Database(self.home / "devhub.sqlite")
            with self.db.transaction() as cur:
                for name, perm in ((ADMIN_USER, "admin"), (self.config.repo_user, "repo")):
                    user = get_user(cur, name)
                    user_id = user["id"] if user else create_user(cur, name)
                    grant_perm(cur, user_id, perm)
                ensure_channel(cur, "default")
                ensure_channel(cur, "createrepo")
            if not self.ca.client_pem(ADMIN_USER).exists():
                ca.issue_client_cert(self.ca, ADMIN_USER)
        return self.db

    def start(self) -> DevHub:
        """Open the store and start listening (and the repo loop, if enabled)."""
        self.open_store()
        names = [self.options.bind, *self.options.hostnames]
        ca.issue_server_cert(self.ca, list(dict.fromkeys(names)))
        state = HubState(self.open_store(), self.config, self.faults, self.options.keytab)
        tls = tls_context(self.ca.server_pem, self.ca.cert)
        self._listeners = [Listener(state, self.options.bind, self.options.https_port, tls)]
        if self.options.http_port is not None:
            self._listeners.append(Listener(state, self.options.bind, self.options.http_port, None))
        for listener in self._listeners:
            listener.start()
        if self.options.repo_loop_interval_s is not None:
            self._stop.clear()
            self._loop = threading.Thread(
                target=self._repo_loop, name="devhub-repo-queue", daemon=True
            )
            self._loop.start()
        log.info("devhub listening: %s (files %s)", self.hub_url, self.topurl)
        return self

    def stop(self) -> None:
        """Stop listening and close the store; all state stays in the home directory."""
        self._stop.set()
        if self._loop is not None:
            self._loop.join(timeout=10)
            self._loop = None
        for listener in self._listeners:
            listener.stop()
        self._listeners = []
        if self.db is not None:
            self.db.close()
            self.db = None

    def __enter__(self) -> DevHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _repo_loop(self) -> None:
        interval = self.options.repo_loop_interval_s or 2.0
        while not self._stop.wait(interval):
            try:
                with self.open_store().transaction() as cur:
                    made = repos.check_queue(cur, self.config.repo_user)
                for task_id in made:
                    log.info("repo queue: created newRepo task %d", task_id)
            except Exception:
                log.exception("repo queue pass failed")

    # --- addresses -----------------------------------------------------------------------

    def _url(self, scheme: str) -> str:
        for listener in self._listeners:
            if listener.scheme == scheme:
                return f"{scheme}://{self.options.bind}:{listener.port}"
        raise RuntimeError(f"devhub has no {scheme} listener running")

    @property
    def hub_url(self) -> str:
        """The `server` URL for kojid.conf / koji.conf (HTTPS)."""
        return self._url("https") + HUB_PATH

    @property
    def topurl(self) -> str:
        """The `topurl` (plain HTTP when that listener runs)."""
        scheme = "http" if any(li.scheme == "http" for li in self._listeners) else "https"
        return self._url(scheme) + FILES_PATH

    # --- administration ------------------------------------------------------------------

    @contextmanager
    def admin_call(self) -> Iterator[rpc.Call]:
        """A hub call context as the admin user, in one transaction (for seeding and CLI)."""
        with self.open_store().transaction() as cur:
            user = get_user(cur, ADMIN_USER)
            assert user is not None
            session = Session(
                id=0,
                user_id=user["id"],
                user_name=ADMIN_USER,
                usertype=user["usertype"],
                authtype=0,
                master=None,
                exclusive=False,
                lockerror=None,
                callnum=None,
                start_time=0.0,
            )
            yield rpc.Call(db=cur, config=self.config, session=session)

    def client_cert(self, name: str) -> Path:
        """The client certificate of a user or host, issued on first request."""
        self.open_store()
        path = self.ca.client_pem(name)
        if not path.exists():
            ca.issue_client_cert(self.ca, name)
        return path
