"""newRepo's handler end to end against a small fake hub: one createrepo subtask per arch,
repoDone with their results, legacy options, and copying unchanged repodata from the old repo."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import koji
import pytest
from koji.tasks import RefuseTask

from adjutant.tasks.new_repo import NewRepoTask

TAG: dict[str, Any] = {"id": 7, "name": "f40-build", "extra": {}}


class _Host:
    def __init__(self, hub: _Hub) -> None:
        self.hub = hub

    def repoInit(self, tag_id: int, **kwargs: Any) -> tuple[int, int]:  # noqa: N802
        """Lay out the new repo as the hub's repo_init does: one dir per arch with a pkglist."""
        self.hub.init_args = kwargs
        repo_id = self.hub.next_repo_id
        path = self.hub.repo_path(repo_id)
        for arch in self.hub.arches:
            (path / arch).mkdir(parents=True)
            (path / arch / "pkglist").write_text(self.hub.pkglist)
            (path / arch / "blocklist").write_text("")
        (path / "groups").mkdir()
        (path / "repo.json").write_text(json.dumps({"with_src": False}))
        return repo_id, 500

    def subtask(self, **kwargs: Any) -> int:
        self.hub.subtasks.append(kwargs)
        return 1000 + len(self.hub.subtasks)

    def taskSetWait(self, task_id: int, subtasks: list[int]) -> None:  # noqa: N802
        self.hub.waited = subtasks

    def taskWait(self, task_id: int) -> tuple[list[int], list[int]]:  # noqa: N802
        return list(self.hub.waited), []

    def taskWaitResults(  # noqa: N802
        self, task_id: int, subtasks: list[int], canfail: Any = None
    ) -> list[tuple[int, Any]]:
        return [(t, [f"tasks/{t}", ["repomd.xml"]]) for t in subtasks]

    def repoDone(self, repo_id: int, data: dict[str, Any], **kwargs: Any) -> None:  # noqa: N802
        self.hub.done = (repo_id, data, kwargs)


class _Hub:
    def __init__(self, topdir: Path, arches: tuple[str, ...] = ("aarch64", "x86_64")) -> None:
        self.topdir, self.arches = topdir, arches
        self.host = _Host(self)
        self.next_repo_id = 11
        self.pkglist = "bash-5.2-1.x86_64.rpm\n"
        self.subtasks: list[dict[str, Any]] = []
        self.waited: list[int] = []
        self.init_args: dict[str, Any] = {}
        self.done: tuple[int, dict[str, Any], dict[str, Any]] | None = None
        self.old_repo: dict[str, Any] | None = None
        self.uploads: list[tuple[str, str]] = []
        self.external: list[Any] = []

    def repo_path(self, repo_id: int) -> Path:
        return self.topdir / "repos" / str(TAG["name"]) / str(repo_id)

    def getTag(self, ref: Any, strict: bool = False, event: Any = None) -> Any:  # noqa: N802
        return dict(TAG) if ref in (TAG["id"], TAG["name"]) else None

    def getFullInheritance(self, tag_id: int) -> list[Any]:  # noqa: N802
        return []

    def getRepo(self, tag_id: int) -> Any:  # noqa: N802
        return dict(self.old_repo) if self.old_repo else None

    def getExternalRepoList(self, tag_id: int, event: Any = None) -> list[Any]:  # noqa: N802
        return self.external

    def uploadWrapper(self, local: str, upload: str, name: str) -> None:  # noqa: N802
        self.uploads.append((upload, name))


def _task(hub: _Hub, tmp_path: Path, params: list[Any], **options: Any) -> NewRepoTask:
    opts = types.SimpleNamespace(
        topdir=str(hub.topdir),
        workdir=str(tmp_path / "work"),
        createrepo_update=options.get("update", False),
        copy_old_repodata=options.get("copy", False),
    )
    return NewRepoTask(42, "newRepo", params, hub, opts)


@pytest.fixture
def hub(tmp_path: Path) -> _Hub:
    topdir = tmp_path / "top"
    (topdir / "repos").mkdir(parents=True)
    return _Hub(topdir)


def test_one_createrepo_subtask_per_arch_and_repo_done_with_their_results(
    hub: _Hub, tmp_path: Path
) -> None:
    result = _task(hub, tmp_path, [TAG["name"]]).handler(TAG["name"])
    assert result == [11, 500]
    assert [(s["method"], s["arglist"], s["label"]) for s in hub.subtasks] == [
        ("createrepo", [11, "aarch64", None], "aarch64"),
        ("createrepo", [11, "x86_64", None], "x86_64"),
    ]
    assert all(s["parent"] == 42 and s["arch"] == "noarch" for s in hub.subtasks)
    assert hub.init_args == {"opts": None, "task_id": 42}
    assert hub.done == (
        11,
        {
            "aarch64": ["tasks/1001", ["repomd.xml"]],
            "x86_64": ["tasks/1002", ["repomd.xml"]],
        },
        {},
    )


def test_legacy_options_become_opts_and_cannot_be_mixed_with_them(
    hub: _Hub, tmp_path: Path
) -> None:
    _task(hub, tmp_path, [TAG["id"]]).handler(TAG["id"], event=300, src=True, debuginfo=0)
    assert hub.init_args == {
        "opts": {"src": True, "debuginfo": False},
        "task_id": 42,
        "event": 300,
    }
    with pytest.raises(koji.ParameterError, match="cannot be combined"):
        _task(hub, tmp_path, [TAG["id"]]).handler(TAG["id"], src=True, opts={"src": True})


def test_a_worker_without_the_repos_dir_refuses_the_task(hub: _Hub, tmp_path: Path) -> None:
    (hub.topdir / "repos").rmdir()
    with pytest.raises(RefuseTask, match="repos dir"):
        _task(hub, tmp_path, [TAG["id"]]).handler(TAG["id"])
    assert hub.init_args == {}  # refused before touching the hub


def test_a_missing_repo_dir_after_repo_init_is_a_fault(hub: _Hub, tmp_path: Path) -> None:
    hub.arches = ()
    hub.next_repo_id = 12

    def init_without_dir(tag_id: int, **kwargs: Any) -> tuple[int, int]:
        return 12, 500

    hub.host.repoInit = init_without_dir  # type: ignore[method-assign]
    with pytest.raises(koji.GenericError, match="Repo directory missing"):
        _task(hub, tmp_path, [TAG["id"]]).handler(TAG["id"])


def _old_repo_like_new(hub: _Hub) -> None:
    """Repo 10: made the same way as the next one, with repodata for each arch."""
    hub.next_repo_id = 10
    hub.host.repoInit(TAG["id"])
    for arch in hub.arches:
        repodata = hub.repo_path(10) / arch / "repodata"
        repodata.mkdir()
        (repodata / "repomd.xml").write_text(f"<repomd {arch}/>")
        (repodata / "primary.xml.gz").write_bytes(b"x")
    hub.next_repo_id = 11
    hub.old_repo = {"id": 10, "create_event": 400}


def test_unchanged_arches_copy_the_old_repodata_instead_of_a_subtask(
    hub: _Hub, tmp_path: Path
) -> None:
    _old_repo_like_new(hub)
    (hub.repo_path(10) / "x86_64" / "pkglist").write_text("bash-5.1-1.x86_64.rpm\n")
    _task(hub, tmp_path, [TAG["id"]], update=True, copy=True).handler(TAG["id"])
    assert [s["label"] for s in hub.subtasks] == ["x86_64"]  # its pkglist changed
    assert hub.subtasks[0]["arglist"][2]["id"] == 10  # updates from the old repo
    assert hub.done is not None
    repo_id, data, extra = hub.done
    assert data["aarch64"] == ["tasks/42/42/aarch64", ["primary.xml.gz", "repomd.xml"]]
    assert sorted(hub.uploads) == [
        ("tasks/42/42/aarch64", "primary.xml.gz"),
        ("tasks/42/42/aarch64", "repomd.xml"),
    ]
    assert extra == {"repo_json_updates": {"cloned_from_repo_id": 10, "cloned_archs": ["aarch64"]}}


def test_old_repodata_is_not_copied_when_the_options_differ(hub: _Hub, tmp_path: Path) -> None:
    _old_repo_like_new(hub)
    (hub.repo_path(10) / "repo.json").write_text(json.dumps({"with_src": True}))
    _task(hub, tmp_path, [TAG["id"]], update=True, copy=True).handler(TAG["id"])
    assert [s["label"] for s in hub.subtasks] == ["aarch64", "x86_64"]
    assert hub.uploads == []


def test_old_repodata_is_not_copied_when_the_tag_has_external_repos(
    hub: _Hub, tmp_path: Path
) -> None:
    _old_repo_like_new(hub)
    hub.external = [{"external_repo_name": "epel"}]
    _task(hub, tmp_path, [TAG["id"]], update=True, copy=True).handler(TAG["id"])
    assert [s["label"] for s in hub.subtasks] == ["aarch64", "x86_64"]
    assert hub.uploads == []


def test_a_failed_copy_falls_back_to_a_subtask(hub: _Hub, tmp_path: Path) -> None:
    _old_repo_like_new(hub)
    for arch in hub.arches:
        for item in (hub.repo_path(10) / arch / "repodata").iterdir():
            item.unlink()
        (hub.repo_path(10) / arch / "repodata").rmdir()
    _task(hub, tmp_path, [TAG["id"]], update=True, copy=True).handler(TAG["id"])
    assert [s["label"] for s in hub.subtasks] == ["aarch64", "x86_64"]
    assert hub.done is not None and hub.done[2] == {}
