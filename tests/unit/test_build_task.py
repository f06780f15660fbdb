"""The ``build`` handler against a small fake hub: the calls kojid makes in order (policies,
initBuild, one buildArch per arch, completeBuild, tagBuild), and the faults for bad repos,
targets and package lists."""

from __future__ import annotations

import shutil
import types
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.tasks.build import BuildTask

DATA = Path(__file__).resolve().parents[1] / "data" / "srpms"
SRPM = "cli-build/1/adjutant-hello-1.0-1.src.rpm"
TARGET = {
    "id": 1,
    "name": "f40",
    "build_tag": 10,
    "build_tag_name": "f40-build",
    "dest_tag": 20,
    "dest_tag_name": "f40",
}
READY_REPO = {"id": 5, "state": koji.REPO_STATES["READY"], "create_event": 77, "tag_id": 10,
              "tag_name": "f40-build"}  # fmt: skip


class _Host:
    def __init__(self, hub: _Hub) -> None:
        self.hub = hub

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            self.hub.calls.append((f"host.{name}", args, kwargs))
            return None

        return record

    def assertPolicy(self, name: str, data: dict[str, Any]) -> None:  # noqa: N802
        self.hub.calls.append(("host.assertPolicy", (name,), {}))
        if name in self.hub.denied:
            raise koji.ActionNotAllowed(f"policy violation ({name})")

    def initBuild(self, data: dict[str, Any]) -> int:  # noqa: N802
        self.hub.calls.append(("host.initBuild", (data,), {}))
        return 900

    def subtask(self, **kwargs: Any) -> int:
        self.hub.calls.append(("host.subtask", (), kwargs))
        task_id = 100 + len(self.hub.subtasks)
        self.hub.subtasks[task_id] = kwargs
        return task_id

    def taskSetWait(self, task_id: int, subtasks: list[int]) -> None:  # noqa: N802
        self.hub.waiting = list(subtasks)

    def taskWait(self, task_id: int) -> tuple[list[int], list[int]]:  # noqa: N802
        return self.hub.waiting, []

    def taskWaitResults(  # noqa: N802
        self, task_id: int, subtasks: list[int], canfail: Any = None
    ) -> list[tuple[int, Any]]:
        return [(t, self.hub.result_of(t)) for t in subtasks]


class _Hub:
    def __init__(self) -> None:
        self.host = _Host(self)
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.subtasks: dict[int, dict[str, Any]] = {}
        self.waiting: list[int] = []
        self.denied: set[str] = set()
        self.repo: dict[str, Any] | None = dict(READY_REPO)
        self.package: dict[str, Any] | None = {"blocked": False, "extra_arches": ""}
        self.arches = "x86_64 aarch64"

    def result_of(self, task_id: int) -> Any:
        sub = self.subtasks[task_id]
        if sub["method"] != "buildArch":
            return None
        arch, keep_srpm = sub["arglist"][2], sub["arglist"][3]
        return {
            "rpms": [f"tasks/{task_id}/adjutant-hello-1.0-1.{arch}.rpm"],
            "srpms": [f"tasks/{task_id}/adjutant-hello-1.0-1.src.rpm"] if keep_srpm else [],
            "logs": [f"tasks/{task_id}/build.log"],
            "brootid": task_id + 1000,
        }

    def getTaskInfo(self, task_id: int) -> dict[str, Any]:  # noqa: N802
        return {"id": task_id, "owner": 3}

    def repoInfo(self, repo_id: int) -> Any:  # noqa: N802
        return self.repo

    def getBuildTarget(self, target: Any, event: Any = None) -> Any:  # noqa: N802
        return dict(TARGET) if target == "f40" else None

    def getTag(self, tag: Any, event: Any = None) -> Any:  # noqa: N802
        return {"id": 30, "name": tag} if tag == "side-tag" else None

    def getBuildConfig(self, tag: Any, event: Any = None) -> dict[str, Any]:  # noqa: N802
        return {"id": tag, "name": "f40-build", "arches": self.arches,
                "extra": {"rebuild_srpm": False}}  # fmt: skip

    def getPackageConfig(self, tag: Any, name: str, event: Any = None) -> Any:  # noqa: N802
        return self.package

    def getLastEvent(self) -> dict[str, Any]:  # noqa: N802
        return {"id": 78}

    def names(self) -> list[str]:
        return [name for name, _args, _kwargs in self.calls]


def _task(hub: _Hub, tmp_path: Path) -> BuildTask:
    topdir = tmp_path / "top"
    (topdir / "work" / SRPM).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "adjutant-hello-1.0-1.src.rpm", topdir / "work" / SRPM)
    options = types.SimpleNamespace(
        topdir=str(topdir),
        topurl=None,
        workdir=str(tmp_path / "work"),
        literal_task_arches="",
        build_arch_can_fail=False,
    )
    return BuildTask(41, "build", [SRPM, "f40"], hub, options)


def test_a_build_makes_one_buildarch_per_arch_completes_and_tags(tmp_path: Path) -> None:
    hub = _Hub()
    _task(hub, tmp_path).handler(SRPM, "f40", {"repo_id": 5})
    assert [c[1][0] for c in hub.calls if c[0] == "host.assertPolicy"] == [
        "build_from_srpm",
        "build_from_repo_id",
        "build_rpm",
    ]
    (init,) = [c[1][0] for c in hub.calls if c[0] == "host.initBuild"]
    assert (init["name"], init["version"], init["release"], init["task_id"]) == (
        "adjutant-hello",
        "1.0",
        "1",
        41,
    )
    arch_tasks = [s for s in hub.subtasks.values() if s["method"] == "buildArch"]
    assert [(s["label"], s["arglist"][3]) for s in arch_tasks] == [
        ("x86_64", True),
        ("aarch64", False),
    ]
    assert all(s["arglist"][4] == {"repo_id": 5} for s in arch_tasks)
    (complete,) = [c for c in hub.calls if c[0] == "host.completeBuild"]
    task_id, build_id, srpm, rpms, brmap = complete[1]
    assert (task_id, build_id, srpm) == (41, 900, "tasks/100/adjutant-hello-1.0-1.src.rpm")
    assert rpms == [
        "tasks/100/adjutant-hello-1.0-1.x86_64.rpm",
        "tasks/101/adjutant-hello-1.0-1.aarch64.rpm",
    ]
    assert brmap[srpm] == 1100 and brmap[rpms[1]] == 1101
    assert complete[2]["logs"] == {
        "x86_64": ["tasks/100/build.log"],
        "aarch64": ["tasks/101/build.log"],
    }
    tag = [s for s in hub.subtasks.values() if s["method"] == "tagBuild"]
    assert [s["arglist"] for s in tag] == [[20, 900, False, None, True]]


def test_a_scratch_build_moves_to_scratch_without_init_or_tagging(tmp_path: Path) -> None:
    hub = _Hub()
    _task(hub, tmp_path).handler(
        SRPM, "f40", {"repo_id": 5, "scratch": True, "arch_override": "aarch64"}
    )
    names = hub.names()
    assert "host.initBuild" not in names and "host.completeBuild" not in names
    assert [c[1][0] for c in hub.calls if c[0] == "host.assertPolicy"] == [
        "build_from_repo_id",
        "build_rpm",
    ]
    assert [s["label"] for s in hub.subtasks.values()] == ["aarch64"]
    (move,) = [c for c in hub.calls if c[0] == "host.moveBuildToScratch"]
    assert move[1][:3] == (
        41,
        "tasks/100/adjutant-hello-1.0-1.src.rpm",
        ["tasks/100/adjutant-hello-1.0-1.aarch64.rpm"],
    )


def test_a_failing_arch_fails_the_build_it_created(tmp_path: Path) -> None:
    hub = _Hub()

    def broken(task_id: int) -> Any:
        raise koji.BuildError("arch failed")

    hub.result_of = broken  # type: ignore[method-assign]
    with pytest.raises(koji.BuildError, match="arch failed"):
        _task(hub, tmp_path).handler(SRPM, "f40", {"repo_id": 5})
    assert [c[1] for c in hub.calls if c[0] == "host.failBuild"] == [(41, 900)]


@pytest.mark.parametrize(
    ("change", "opts", "error", "message"),
    [
        ("no-repo", {"repo_id": 5}, koji.BuildError, "No such repo: 5"),
        ("deleted-repo", {"repo_id": 5}, koji.BuildError, r"Bad repo: 5 \(DELETED\)"),
        ("other-tag-repo", {"repo_id": 5}, koji.BuildError, "Repo/Target mismatch"),
        ("unlisted", {"repo_id": 5}, koji.BuildError, "not in list for tag f40"),
        ("blocked", {"repo_id": 5}, koji.BuildError, "is blocked for tag f40"),
        ("denied", {"repo_id": 5}, koji.ActionNotAllowed, "build_from_srpm"),
        ("", {"repo_id": 5, "scratch": "yes"}, koji.BuildError, "scratch must be a boolean"),
    ],
)
def test_bad_repos_targets_lists_and_policies_fail_before_init_build(
    tmp_path: Path, change: str, opts: dict[str, Any], error: type[Exception], message: str
) -> None:
    hub = _Hub()
    if change == "no-repo":
        hub.repo = None
    elif change == "deleted-repo":
        hub.repo = dict(READY_REPO, state=koji.REPO_STATES["DELETED"])
    elif change == "other-tag-repo":
        hub.repo = dict(READY_REPO, tag_id=11, tag_name="f39-build")
    elif change == "unlisted":
        hub.package = None
    elif change == "blocked":
        hub.package = {"blocked": True}
    elif change == "denied":
        hub.denied.add("build_from_srpm")
    with pytest.raises(error, match=message):
        _task(hub, tmp_path).handler(SRPM, "f40", opts)
    assert "host.initBuild" not in hub.names()
    assert hub.subtasks == {}


def test_unknown_targets_and_bad_sources(tmp_path: Path) -> None:
    hub = _Hub()
    with pytest.raises(koji.GenericError, match="unknown build target: nope"):
        _task(hub, tmp_path).handler(SRPM, "nope")
    with pytest.raises(koji.GenericError, match="neither tag nor target: nope"):
        _task(hub, tmp_path).handler(SRPM, "nope", {"repo_id": 5})
    with pytest.raises(koji.BuildError, match="Invalid source specification"):
        _task(hub, tmp_path).handler(["x"], "f40")


def test_a_repo_without_a_target_builds_untagged_and_a_tag_may_stand_for_the_target(
    tmp_path: Path,
) -> None:
    hub = _Hub()
    hub.package = None  # skip_tag: the package list is not checked
    _task(hub, tmp_path).handler(SRPM, None, {"repo_id": 5})
    assert [s["method"] for s in hub.subtasks.values()] == ["buildArch", "buildArch"]
    assert "host.completeBuild" in hub.names()
    hub = _Hub()
    _task(hub, tmp_path / "b").handler(SRPM, "side-tag", {"repo_id": 5})
    tag = [s for s in hub.subtasks.values() if s["method"] == "tagBuild"]
    assert [s["arglist"][0] for s in tag] == [30]
