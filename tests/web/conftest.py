"""A dashboard on a state store filled by real task code: buildArch and rebuildSRPM-free
failures run through the worker's ``record_task`` on a FakeHub and a FakeBackend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adjutant.config import AdjutantSettings, KojidSettings, RepoAccess, Settings
from adjutant.container.fake import FakeBackend
from adjutant.state import Recorder
from adjutant.tasks.build_arch import BuildArchTask
from adjutant.tasks.context import TaskContext
from adjutant.web import create_app
from adjutant.worker import record_task
from tests.support.fake_hub import (
    REPO_ID,
    RPMS_DIR,
    SRPM_NAME,
    TAG_NAME,
    TASK_ID,
    make_hub,
    script_buildroot,
    write_koji_repo,
)

IMAGE = "localhost/adjutant/test:1"
PKG = f"cli-build/1700000000.1.AbCd/{SRPM_NAME}"
FAILED_TASK_ID = TASK_ID + 1
TOKEN = "s3cret-dashboard-token"


class Site:
    """Settings, a recorder on a temp store, and a way to run buildArch through it."""

    def __init__(self, tmp_path: Path, **adjutant: Any) -> None:
        self.state_db = tmp_path / "state" / "state.db"
        self.settings = Settings(
            kojid=KojidSettings(
                topdir=tmp_path / "koji", workdir=tmp_path / "work", minspace=1
            ),  # fmt: skip
            adjutant=AdjutantSettings(
                worker_name="web-worker",
                repo_access=RepoAccess.MOUNT,
                task_image_default=IMAGE,
                state_db=self.state_db,
                **adjutant,
            ),  # fmt: skip
        )
        write_koji_repo(tmp_path / "koji")
        srpm = tmp_path / "koji" / "work" / PKG
        srpm.parent.mkdir(parents=True)
        srpm.write_bytes((RPMS_DIR / SRPM_NAME).read_bytes())
        self.recorder = Recorder(self.state_db, worker="web-worker")

    def run_build(self, task_id: int = TASK_ID, *, fail_rpmbuild: bool = False) -> Any:
        backend = FakeBackend([IMAGE])
        script_buildroot(backend)
        if fail_rpmbuild:
            backend.on_exec(("rpmbuild", "-bb"), exit_code=1, output=b"error: Bad exit status\n")
        options = self.settings.kojid_options()
        context = TaskContext.from_settings(self.settings, factory=lambda: backend,
                                            recorder=self.recorder)  # fmt: skip
        self.hub = make_hub(task_id=task_id)
        handler = BuildArchTask(
            task_id,
            "buildArch",
            [PKG, TAG_NAME, "x86_64", True, {"repo_id": REPO_ID}],
            self.hub,
            options,
        )
        handler.bind(context)
        record_task(self.recorder, handler, {"parent": 7, "arch": "x86_64"})
        return handler.run()


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


@pytest.fixture
def app(site: Site) -> Iterator[Flask]:
    site.run_build()
    yield create_app(site.settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
