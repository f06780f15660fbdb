"""FakeBackend keeps the ContainerBackend contract, so unit tests elsewhere can trust it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adjutant.container.backend import (
    LABEL_TASK_ID,
    ContainerBackend,
    ContainerSpec,
    NetworkMode,
    PullPolicy,
)
from adjutant.container.fake import FakeBackend
from adjutant.errors import ContainerError, ContainerNotFound, ContainerTimeout, ImageMissing

IMAGE = "localhost/adjutant/fedora:41"


def spec(task_id: int = 1, role: str = "build") -> ContainerSpec:
    return ContainerSpec(image=IMAGE, task_id=task_id, worker="w1", role=role)


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend(images=[IMAGE])


def started(fake: FakeBackend, task_id: int = 1) -> str:
    container_id = fake.create(spec(task_id))
    fake.start(container_id)
    return container_id


def test_it_satisfies_the_backend_protocol(fake: FakeBackend) -> None:
    backend: ContainerBackend = fake
    assert backend.image_exists(IMAGE)


def test_lifecycle_is_recorded_in_order(fake: FakeBackend) -> None:
    container_id = started(fake)
    fake.remove(container_id)
    assert [call.method for call in fake.calls] == ["create", "start", "remove"]
    assert fake.calls_to("remove") == [{"container_id": container_id}]
    assert fake.containers == {}


def test_scripted_exec_streams_output_writes_files_and_returns_the_exit_code(
    fake: FakeBackend, tmp_path: Path
) -> None:
    fake.on_exec(
        ["rpmbuild", "-bb"],
        exit_code=1,
        output=b"error: Bad exit status\n",
        writes={"/builddir/RPMS/x.rpm": b"rpm"},
    )
    container_id = started(fake)
    sink = io.BytesIO()
    result = fake.exec(container_id, ["rpmbuild", "-bb", "x.spec"], output=sink, user="builder")
    assert (result.argv, result.exit_code) == (("rpmbuild", "-bb", "x.spec"), 1)
    assert sink.getvalue() == b"error: Bad exit status\n"
    assert fake.calls_to("exec")[0]["user"] == "builder"
    fake.copy_out(container_id, "/builddir/RPMS", tmp_path)
    assert (tmp_path / "RPMS" / "x.rpm").read_bytes() == b"rpm"


def test_unscripted_exec_succeeds_silently_and_once_scripts_are_used_up(
    fake: FakeBackend,
) -> None:
    fake.on_exec(["false"], exit_code=1, once=True)
    container_id = started(fake)
    assert fake.exec(container_id, ["false"]).exit_code == 1
    assert fake.exec(container_id, ["false"]).exit_code == 0
    chunks: list[bytes] = []
    assert fake.exec(container_id, ["true"], output=chunks.append).exit_code == 0
    assert chunks == []


def test_scripted_exec_errors_are_raised(fake: FakeBackend) -> None:
    fake.on_exec(["dnf"], error=ContainerTimeout("dnf ran past its 60s deadline"))
    container_id = started(fake)
    with pytest.raises(ContainerTimeout):
        fake.exec(container_id, ["dnf", "builddep"], timeout_s=60)


def test_exec_needs_a_running_container(fake: FakeBackend) -> None:
    container_id = fake.create(spec())
    with pytest.raises(ContainerError, match="not running"):
        fake.exec(container_id, ["true"])


def test_copy_in_then_copy_out_round_trips_files_and_directories(
    fake: FakeBackend, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "a.txt").write_bytes(b"a")
    single = tmp_path / "x.src.rpm"
    single.write_bytes(b"srpm")
    container_id = started(fake)
    fake.copy_in(container_id, source, "/in")
    fake.copy_in(container_id, single, "/builddir")
    assert fake.containers[container_id].files == {
        "/in/src/sub/a.txt": b"a",
        "/builddir/x.src.rpm": b"srpm",
    }
    out = tmp_path / "out"
    fake.copy_out(container_id, "/in/src", out)
    assert (out / "src" / "sub" / "a.txt").read_bytes() == b"a"
    with pytest.raises(ContainerError, match="no such file"):
        fake.copy_out(container_id, "/missing", out)


def test_list_filters_by_all_labels(fake: FakeBackend) -> None:
    first = fake.create(spec(1))
    fake.create(spec(2))
    found = fake.list({LABEL_TASK_ID: "1", "io.adjutant.worker": "w1"})
    assert [info.id for info in found] == [first]
    assert found[0].name == "adjutant-w1-1-build"
    assert fake.list({"io.adjutant.worker": "other"}) == []


def test_missing_containers_and_images_raise_like_podman(fake: FakeBackend) -> None:
    with pytest.raises(ContainerNotFound, match="no such container"):
        fake.remove("nope")
    with pytest.raises(ImageMissing):
        fake.create(ContainerSpec(image="localhost/missing:1", task_id=1, worker="w", role="r"))
    fake.create(spec())
    with pytest.raises(ContainerError, match="already in use"):
        fake.create(spec())


def test_containers_are_found_by_name_too(fake: FakeBackend) -> None:
    container_id = started(fake)
    fake.remove("adjutant-w1-1-build")
    assert container_id not in fake.containers


def test_ensure_image_honours_the_pull_policy(fake: FakeBackend) -> None:
    with pytest.raises(ImageMissing, match="pull policy is never"):
        fake.ensure_image("localhost/other:1", PullPolicy.NEVER, 10)
    with pytest.raises(ImageMissing, match="cannot pull"):
        fake.ensure_image("registry.example/x:1", PullPolicy.IF_NOT_PRESENT, 10)
    fake.pullable.add("registry.example/x:1")
    pulled = fake.ensure_image("registry.example/x:1", PullPolicy.IF_NOT_PRESENT, 10)
    assert fake.inspect_image("registry.example/x:1").id == pulled
    assert fake.ensure_image(IMAGE, PullPolicy.NEVER, 10) == fake.images[IMAGE].id


def test_build_image_records_and_makes_the_labels_readable(
    fake: FakeBackend, tmp_path: Path
) -> None:
    chunks: list[bytes] = []
    image_id = fake.build_image(
        tmp_path,
        "Containerfile",
        "localhost/adjutant/new:1",
        labels={"io.example.digest": "abc"},
        build_args={"VERSION": "1"},
        output=chunks.append,
        timeout_s=60,
    )
    assert fake.inspect_image("localhost/adjutant/new:1").id == image_id
    assert fake.inspect_image("localhost/adjutant/new:1").labels == {"io.example.digest": "abc"}
    assert chunks == [fake.build_output]
    assert fake.calls_to("build_image")[0]["build_args"] == {"VERSION": "1"}


def test_fail_next_injects_one_failure(fake: FakeBackend) -> None:
    fake.fail_next("start", ContainerError("OCI runtime error"))
    container_id = fake.create(spec())
    with pytest.raises(ContainerError, match="OCI runtime"):
        fake.start(container_id)
    fake.start(container_id)
    assert fake.containers[container_id].status == "running"


def test_fake_records_which_commands_had_network() -> None:
    backend = FakeBackend([IMAGE])
    bridged = backend.create(
        ContainerSpec(image=IMAGE, task_id=1, worker="w", role="br", network=NetworkMode.BRIDGE)
    )
    backend.start(bridged)
    backend.exec(bridged, ["dnf", "install"], network=True)
    assert backend.containers[bridged].networked is True
    backend.exec(bridged, ["rpmbuild"])
    assert backend.containers[bridged].networked is False
    assert [c["network"] for c in backend.calls_to("exec")] == [True, False]
