"""In-process access to a devhub store for unit tests: call hub methods as a given user.

Calls go through the same dispatch, argument checking and session validation as the
server's, inside one transaction each (rolled back on a fault), without HTTP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import koji

from adjutant.devhub import rpc, sessions
from adjutant.devhub.app import ADMIN_USER, DevHub, DevHubOptions
from adjutant.devhub.hosts import add_host


class HubHarness:
    """A devhub store in a temp dir with helpers to call methods as users and hosts."""

    def __init__(self, home: Path) -> None:
        self.hub = DevHub(DevHubOptions(home=home))
        self.db = self.hub.open_store()
        self._sessions: dict[str, dict[str, Any]] = {}

    def close(self) -> None:
        """Log out every session this harness opened (releasing exclusive locks)."""
        if self._sessions:
            with self.db.transaction() as cur:
                for sinfo in self._sessions.values():
                    cur.run(
                        "UPDATE sessions SET expired = 1, closed = 1, exclusive = NULL "
                        "WHERE id = ?",
                        (sinfo["session-id"],),
                    )
            self._sessions.clear()
        self.hub.stop()

    def add_host(
        self, name: str, arches: tuple[str, ...] = ("x86_64",), capacity: float = 2.0
    ) -> int:
        with self.db.transaction() as cur:
            return add_host(cur, name, list(arches), capacity)

    def add_user(self, name: str, *perms: str) -> int:
        with self.db.transaction() as cur:
            user = sessions.get_user(cur, name)
            user_id = user["id"] if user else sessions.create_user(cur, name)
            for perm in perms:
                sessions.grant_perm(cur, user_id, perm)
            return int(user_id)

    def _session_headers(self, user: str, exclusive: bool) -> dict[str, str]:
        key = f"{user}:{exclusive}"
        if key not in self._sessions:
            with self.db.transaction() as cur:
                row = sessions.get_user(cur, user)
                assert row is not None, f"no user {user}"
                sinfo = sessions.create_session(cur, row["id"], koji.AUTHTYPES["SSL"])
                if exclusive:
                    cur.run(
                        "UPDATE sessions SET exclusive = 1 WHERE id = ?", (sinfo["session-id"],)
                    )
            self._sessions[key] = sinfo
        sinfo = self._sessions[key]
        return {
            "Koji-Session-Id": str(sinfo["session-id"]),
            "Koji-Session-Key": sinfo["session-key"],
        }

    def call(
        self, user: str | None, method: str, *args: Any, exclusive: bool = True, **kwargs: Any
    ) -> Any:
        """Call hub `method` as `user` (None: anonymous); faults raise as on the client."""
        headers = self._session_headers(user, exclusive) if user else {}
        with self.db.transaction() as cur:
            session = sessions.load_session(cur, headers, method)
            call = rpc.Call(db=cur, config=self.hub.config, session=session)
            return rpc.dispatch(call, method, tuple(koji.encode_args(*args, **kwargs)))

    def admin(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.call(ADMIN_USER, method, *args, exclusive=False, **kwargs)
