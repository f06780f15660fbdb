"""Orphan sweeping against real podman: the worker removes what no live task owns."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest

from adjutant.container.backend import LABEL_WORKER, ContainerSpec
from adjutant.container.podman import PodmanBackend
from adjutant.worker import remove_task_containers, sweep_orphans, task_workdir

pytestmark = pytest.mark.integration


def start(backend: PodmanBackend, image: str, worker: str, task_id: int, role: str) -> str:
    spec = ContainerSpec(image=image, task_id=task_id, worker=worker, role=role,
                         name=f"adjutant-{task_id}-{role}-{secrets.token_hex(3)}")  # fmt: skip
    container_id = backend.create(spec)
    backend.start(container_id)
    return container_id


def test_sweep_removes_orphans_and_their_scratch_but_spares_live_tasks_and_other_workers(
    podman_backend: PodmanBackend,
    base_image: str,
    worker_label: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    orphan_task, live_task = 910001, 910002
    other_worker = f"{worker_label}-other"
    orphan = start(podman_backend, base_image, worker_label, orphan_task, "buildroot")
    live = start(podman_backend, base_image, worker_label, live_task, "buildroot")
    foreign = start(podman_backend, base_image, other_worker, orphan_task, "buildroot")
    scratch = task_workdir(tmp_path, orphan_task)
    scratch.mkdir(parents=True)
    try:
        with caplog.at_level(logging.INFO, logger="adjutant.worker"):
            removed = sweep_orphans(podman_backend, worker_label, {live_task}, tmp_path)
        remaining = {info.id for info in podman_backend.list({LABEL_WORKER: worker_label})}
        assert orphan not in remaining and live in remaining
        assert [info.id for info in podman_backend.list({LABEL_WORKER: other_worker})] == [foreign]
        assert len(removed) == 1 and not scratch.exists()
        assert f"removed orphaned container {removed[0]} (task {orphan_task}" in caplog.text
        remove_task_containers(podman_backend, worker_label, live_task)
        assert podman_backend.list({LABEL_WORKER: worker_label}) == []
    finally:
        podman_backend.remove(foreign)
