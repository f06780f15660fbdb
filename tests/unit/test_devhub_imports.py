"""devhub's build import checks (the real hub's import_build): what a worker's results must
satisfy, on real RPMs built by rpmbuild."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from adjutant.devhub.tasks import make_task
from tests.support.devhub import HubHarness
from tests.support.srpms import build_srpm, simple_spec

HOST = "b1.example.com"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The SRPM and binary RPM of `imp` (and the SRPM of `other`), built once."""
    base = tmp_path_factory.mktemp("rpms")
    srpm = build_srpm(simple_spec("imp"), base / "s")
    top = base / "rb"
    subprocess.run(
        [
            "rpmbuild",
            "--rebuild",
            "--nodeps",
            "--define",
            f"_topdir {top}",
            "--define",
            "dist %{nil}",
            str(srpm),
        ],
        check=True,
        capture_output=True,
    )
    (rpm,) = (top / "RPMS").rglob("*.rpm")
    other = build_srpm(simple_spec("other"), base / "o")
    return {"srpm": srpm, "rpm": rpm, "other": other}


def _opened_task(hub: HubHarness) -> int:
    with hub.db.transaction() as cur:
        task_id = make_task(cur, "build", ["x"], owner=1, assign=HOST)
    hub.call(HOST, "host.openTask", task_id)
    return task_id


def _stage(hub: HubHarness, task_id: int, *files: Path) -> list[str]:
    rel = koji.pathinfo.taskrelpath(task_id)
    (hub.hub.topdir / "work" / rel).mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, hub.hub.topdir / "work" / rel / path.name)
    return [f"{rel}/{path.name}" for path in files]


def _init(hub: HubHarness, task_id: int, release: str = "1") -> int:
    data = {"name": "imp", "version": "1", "release": release, "epoch": None, "task_id": task_id}
    return int(hub.call(HOST, "host.initBuild", data))


def test_complete_build_imports_files_and_leaves_symlinks(
    hub: HubHarness, packages: dict[str, Path]
) -> None:
    task_id = _opened_task(hub)
    build_id = _init(hub, task_id)
    srpm, rpm = _stage(hub, task_id, packages["srpm"], packages["rpm"])
    hub.call(HOST, "host.completeBuild", task_id, build_id, srpm, [rpm])
    build = hub.admin("getBuild", build_id)
    assert build["state"] == koji.BUILD_STATES["COMPLETE"]
    arch = packages["rpm"].parent.name
    imported = hub.hub.topdir / "packages/imp/1/1" / arch / packages["rpm"].name
    assert imported.is_file()
    assert (hub.hub.topdir / "work" / rpm).resolve() == imported.resolve()
    assert sorted(r["arch"] for r in hub.admin("listRPMs", buildID=build_id)) == sorted(
        ["src", arch]
    )


def test_an_nvr_that_differs_from_init_build_is_refused(
    hub: HubHarness, packages: dict[str, Path]
) -> None:
    task_id = _opened_task(hub)
    build_id = _init(hub, task_id, release="2")
    srpm, rpm = _stage(hub, task_id, packages["srpm"], packages["rpm"])
    with pytest.raises(koji.GenericError, match="release mismatch"):
        hub.call(HOST, "host.completeBuild", task_id, build_id, srpm, [rpm])
    assert hub.admin("getBuild", build_id)["state"] == koji.BUILD_STATES["BUILDING"]


def test_a_binary_from_another_srpm_and_unknown_buildroots_are_refused(
    hub: HubHarness, packages: dict[str, Path]
) -> None:
    task_id = _opened_task(hub)
    build_id = _init(hub, task_id)
    srpm, rpm = _stage(hub, task_id, packages["srpm"], packages["rpm"])
    with pytest.raises(koji.GenericError, match="No such buildroot"):
        hub.call(HOST, "host.completeBuild", task_id, build_id, srpm, [rpm], {rpm: 999})
    (other,) = _stage(hub, task_id, packages["other"])
    with pytest.raises(koji.GenericError, match="name mismatch"):
        hub.call(HOST, "host.completeBuild", task_id, build_id, other, [rpm])


def test_init_build_recycles_failed_builds_but_not_complete_ones(
    hub: HubHarness, packages: dict[str, Path]
) -> None:
    first = _opened_task(hub)
    build_id = _init(hub, first)
    assert _init(hub, first) == build_id  # same task, BUILDING: the same build
    hub.call(HOST, "host.failBuild", first, build_id)
    second = _opened_task(hub)
    assert _init(hub, second) == build_id  # FAILED and empty: recycled
    srpm, rpm = _stage(hub, second, packages["srpm"], packages["rpm"])
    hub.call(HOST, "host.completeBuild", second, build_id, srpm, [rpm])
    third = _opened_task(hub)
    with pytest.raises(koji.GenericError, match="Build already exists"):
        _init(hub, third)


def test_files_must_be_named_after_their_headers(
    hub: HubHarness, packages: dict[str, Path], tmp_path: Path
) -> None:
    task_id = _opened_task(hub)
    build_id = _init(hub, task_id)
    renamed = tmp_path / "renamed-1-1.src.rpm"
    shutil.copy2(packages["srpm"], renamed)
    (srpm,) = _stage(hub, task_id, renamed)
    with pytest.raises(koji.GenericError, match="bad filename"):
        hub.call(HOST, "host.completeBuild", task_id, build_id, srpm, [])
