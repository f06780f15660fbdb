"""The ContainerBackend contract, held against every backend: FakeBackend and PodmanBackend.

What the buildroot, the worker's sweep and the image tools rely on: the container lifecycle
as ``list`` shows it, names and labels, the error classes, copies in and out, and network
per command. A new backend joins the ``backend`` fixture's parameters and must pass as is.
The fake runs no commands, so what commands print is the podman tests' business; here every
command is ``true``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adjutant.container.backend import (
    LABEL_BUILDROOT_ID,
    LABEL_ROLE,
    LABEL_TASK_ID,
    LABEL_WORKER,
    ContainerBackend,
    ContainerSpec,
    NetworkMode,
    PullPolicy,
)
from adjutant.container.fake import FakeBackend
from adjutant.container.podman import PodmanBackend
from adjutant.errors import ContainerError, ContainerNotFound, ImageMissing

pytestmark = pytest.mark.integration

MISSING_IMAGE = "localhost/adjutant-test/no-such-image:1"


@pytest.fixture(params=["fake", "podman"])
def backend(request: pytest.FixtureRequest, base_image: str) -> ContainerBackend:
    if request.param == "fake":
        return FakeBackend([base_image])
    podman_url: str = request.getfixturevalue("podman_url")
    return PodmanBackend(podman_url, retry_attempts=2, retry_delay_s=0.5)


SpecFactory = Callable[..., ContainerSpec]


@pytest.fixture
def make_spec(base_image: str, worker_label: str) -> SpecFactory:
    def make(**fields: Any) -> ContainerSpec:
        values: dict[str, Any] = {"image": base_image, "role": "contract",
                                  "task_id": secrets.randbelow(10**9) + 10**9}  # fmt: skip
        values.update(fields)
        return ContainerSpec(worker=worker_label, **values)

    return make


def test_the_lifecycle_shows_in_list_and_ends_with_remove(
    backend: ContainerBackend, make_spec: SpecFactory, worker_label: str
) -> None:
    spec = make_spec()
    by_task = {LABEL_WORKER: worker_label, LABEL_TASK_ID: str(spec.task_id)}
    container_id = backend.create(spec)
    try:
        assert [(i.id, i.status) for i in backend.list(by_task)] == [(container_id, "created")]
        backend.start(container_id)
        assert [(i.id, i.status) for i in backend.list(by_task)] == [(container_id, "running")]
        assert backend.exec(container_id, ("true",), timeout_s=30).exit_code == 0
    finally:
        backend.remove(container_id)
    assert backend.list(by_task) == []
    with pytest.raises(ContainerNotFound):
        backend.remove(container_id)
    with pytest.raises(ContainerNotFound):
        backend.exec(container_id, ("true",), timeout_s=30)


def test_names_and_labels_come_from_the_spec(
    backend: ContainerBackend, make_spec: SpecFactory, worker_label: str
) -> None:
    spec = make_spec(buildroot_id=42, extra_labels={"org.x": "y"})
    container_id = backend.create(spec)
    try:
        with pytest.raises(ContainerError, match="in use"):
            backend.create(spec)  # same name
        (info,) = backend.list({LABEL_WORKER: worker_label, LABEL_TASK_ID: str(spec.task_id)})
        assert info.name == f"adjutant-{worker_label}-{spec.task_id}-contract"
        assert {key: info.labels.get(key) for key in
                (LABEL_TASK_ID, LABEL_WORKER, LABEL_ROLE, LABEL_BUILDROOT_ID, "org.x")} == {
            LABEL_TASK_ID: str(spec.task_id), LABEL_WORKER: worker_label,
            LABEL_ROLE: "contract", LABEL_BUILDROOT_ID: "42", "org.x": "y",
        }  # fmt: skip
        assert backend.list({LABEL_WORKER: worker_label, LABEL_TASK_ID: "0"}) == []
    finally:
        backend.remove(container_id)


def test_images_present_and_missing(
    backend: ContainerBackend, make_spec: SpecFactory, base_image: str
) -> None:
    assert backend.image_exists(base_image)
    image_id = backend.ensure_image(base_image, PullPolicy.NEVER, 60)
    assert backend.inspect_image(base_image).id == image_id
    assert not backend.image_exists(MISSING_IMAGE)
    with pytest.raises(ImageMissing):
        backend.ensure_image(MISSING_IMAGE, PullPolicy.NEVER, 60)
    with pytest.raises(ImageMissing):
        backend.inspect_image(MISSING_IMAGE)
    with pytest.raises(ImageMissing):
        backend.create(make_spec(image=MISSING_IMAGE))


def test_files_copy_in_and_out(
    backend: ContainerBackend, make_spec: SpecFactory, tmp_path: Path
) -> None:
    (tmp_path / "single.txt").write_text("one file\n")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "leaf.txt").write_text("leaf\n")
    container_id = backend.create(make_spec())
    try:
        backend.start(container_id)
        backend.copy_in(container_id, tmp_path / "single.txt", "/new/dir")  # made if missing
        backend.copy_in(container_id, tree, "/tmp")
        out = tmp_path / "out"
        backend.copy_out(container_id, "/tmp/tree", out)
        backend.copy_out(container_id, "/new/dir/single.txt", out)
        assert (out / "tree" / "sub" / "leaf.txt").read_text() == "leaf\n"
        assert (out / "single.txt").read_text() == "one file\n"
        with pytest.raises(ContainerError) as missing:
            backend.copy_out(container_id, "/nonexistent", out)
        assert not isinstance(missing.value, ContainerNotFound)  # the path, not the container
    finally:
        backend.remove(container_id)
    with pytest.raises(ContainerNotFound):
        backend.copy_in(container_id, tmp_path / "single.txt", "/tmp")
    with pytest.raises(ContainerNotFound):
        backend.copy_out(container_id, "/tmp/tree", tmp_path / "again")


def test_commands_get_network_only_in_a_bridged_container(
    backend: ContainerBackend, make_spec: SpecFactory
) -> None:
    isolated = backend.create(make_spec(role="isolated"))
    try:
        backend.start(isolated)
        assert backend.exec(isolated, ("true",), timeout_s=30).exit_code == 0
        with pytest.raises(ContainerError, match="without a bridge"):
            backend.exec(isolated, ("true",), timeout_s=30, network=True)
    finally:
        backend.remove(isolated)
    bridged = backend.create(make_spec(role="bridged", network=NetworkMode.BRIDGE))
    try:
        backend.start(bridged)
        for network in (False, True, True, False):
            assert backend.exec(bridged, ("true",), timeout_s=30, network=network).exit_code == 0
    finally:
        backend.remove(bridged)


def test_commands_run_only_in_a_started_container(
    backend: ContainerBackend, make_spec: SpecFactory
) -> None:
    container_id = backend.create(make_spec())
    try:
        with pytest.raises(ContainerError) as refused:
            backend.exec(container_id, ("true",), timeout_s=30)
        assert not isinstance(refused.value, ContainerNotFound)
    finally:
        backend.remove(container_id)
