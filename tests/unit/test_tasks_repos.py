"""createrepo's command line and newRepo's choice of the repo to update from."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

from adjutant.tasks.createrepo import createrepo_argv
from adjutant.tasks.new_repo import NewRepoTask


def test_argv_for_a_pkglist_with_update_and_skip_stat() -> None:
    argv = createrepo_argv(
        Path("/w/repo"),
        Path("/t/repos/x/1/x86_64"),
        Path("/t/repos/x/1/x86_64/pkglist"),
        Path("/t/comps.xml"),
        update=True,
        skip_stat=True,
    )
    assert argv == [
        "createrepo_c",
        "--error-exit-val",
        "-vd",
        "-o",
        "/w/repo",
        "-i",
        "/t/repos/x/1/x86_64/pkglist",
        "-g",
        "/t/comps.xml",
        "--update",
        "--skip-stat",
        "/t/repos/x/1/x86_64",
    ]


def test_an_empty_arch_indexes_the_empty_output_dir_without_update() -> None:
    argv = createrepo_argv(Path("/w/repo"), Path("/r"), None, None, update=False, skip_stat=True)
    assert argv == ["createrepo_c", "--error-exit-val", "-vd", "-o", "/w/repo", "/w/repo"]


class _Hub:
    def __init__(
        self,
        repos: dict[int, dict[str, Any]],
        tags: dict[Any, dict[str, Any]],
        parents: list[dict[str, Any]],
    ) -> None:
        self.repos, self.tags, self.parents = repos, tags, parents

    def getRepo(self, tag_id: int) -> dict[str, Any] | None:  # noqa: N802 (koji's name)
        repo = self.repos.get(tag_id)
        return dict(repo) if repo else None

    def getTag(self, ref: Any, strict: bool = False) -> dict[str, Any] | None:  # noqa: N802
        return self.tags.get(ref)

    def getFullInheritance(self, tag_id: int) -> list[dict[str, Any]]:  # noqa: N802
        return self.parents


def _task(hub: _Hub, update: bool = True) -> NewRepoTask:
    options = types.SimpleNamespace(createrepo_update=update, topdir="/top", workdir="/tmp")
    return NewRepoTask(1, "newRepo", ["t"], hub, options)


TAGS = {
    1: {"id": 1, "name": "child", "extra": {}},
    2: {"id": 2, "name": "hinted"},
    3: {"id": 3, "name": "parent"},
    "hinted": {"id": 2, "name": "hinted"},
}


def test_old_repo_is_the_tags_own_first() -> None:
    hub = _Hub({1: {"id": 10}, 3: {"id": 30}}, TAGS, [{"parent_id": 3, "currdepth": 1}])
    repo, path = _task(hub)._old_repo(TAGS[1])
    assert repo is not None and repo["id"] == 10 and path == Path("/top/repos/child/10")


def test_then_a_hinted_tag_then_the_nearest_parent() -> None:
    child = dict(TAGS[1], extra={"repo.oldrepo_hint": "hinted"})
    hub = _Hub({2: {"id": 20}, 3: {"id": 30}}, TAGS, [{"parent_id": 3, "currdepth": 1}])
    repo, _ = _task(hub)._old_repo(child)
    assert repo is not None and repo["id"] == 20 and repo["tag_id"] == 2
    hub = _Hub({3: {"id": 30}}, TAGS, [{"parent_id": 3, "currdepth": 1}])
    repo, path = _task(hub)._old_repo(TAGS[1])
    assert repo is not None and repo["id"] == 30 and path == Path("/top/repos/parent/30")


def test_no_old_repo_without_createrepo_update() -> None:
    hub = _Hub({1: {"id": 10}}, TAGS, [])
    assert _task(hub, update=False)._old_repo(TAGS[1]) == (None, None)
