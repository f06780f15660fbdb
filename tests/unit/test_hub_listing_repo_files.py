"""Reading a repo's files for the buildroot listing (kojid's rules): a merged repo is told by
its repomd.xml, its pkgorigins must stay inside the repo, and the hub's repo info must hold
integer ids; each problem is a BuildrootError naming the file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from adjutant.buildroot.hub_listing import RepoFiles, is_merged, report
from adjutant.errors import BuildrootError

REPOMD_NS = "http://linux.duke.edu/metadata/repo"
REPO_INFO = {"tag_id": 3, "create_event": 40}


def _repomd(origin_href: str | None) -> str:
    origin = f'<data type="origin"><location href="{origin_href}"/></data>' if origin_href else ""
    return (
        f'<repomd xmlns="{REPOMD_NS}"><data type="primary"><location href="repodata/p.xml.gz"/>'
        f"</data>{origin}</repomd>"
    )


class _Hub:
    def __init__(self, external: bool) -> None:
        self.external = [{"external_repo_name": "epel", "url": "https://e/"}] if external else []

    def getExternalRepoList(  # noqa: N802 (koji's name)
        self, tag_info: int, event: int | None = None
    ) -> Sequence[Mapping[str, object]]:
        return self.external

    def listTaggedRPMS(  # noqa: N802 (koji's name)
        self, tag: int, event: int | None = None, latest: bool = False, draft: bool = False
    ) -> Sequence[Sequence[Mapping[str, object]]]:
        return [[]]


def _files(tmp_path: Path, repomd: str | None = None, **extra: bytes) -> RepoFiles:
    files = RepoFiles(
        tag_name="f40-build", repo_id=7, br_arch="x86_64", topurl=None, topdir=tmp_path
    )
    base = tmp_path / files.relpath
    (base / "repodata").mkdir(parents=True)
    if repomd is not None:
        (base / "repodata" / "repomd.xml").write_text(repomd)
    for name, data in extra.items():
        (base / "repodata" / name).write_bytes(data)
    return files


def test_a_repo_is_merged_only_when_its_repomd_names_pkgorigins(tmp_path: Path) -> None:
    assert is_merged(_files(tmp_path / "a")) is False  # no repomd.xml: dnf reports it
    assert is_merged(_files(tmp_path / "b", _repomd(None))) is False
    assert is_merged(_files(tmp_path / "c", _repomd("repodata/pkgorigins.gz"))) is True
    with pytest.raises(BuildrootError, match="cannot parse"):
        is_merged(_files(tmp_path / "d", "<repomd"))


@pytest.mark.parametrize(
    ("repomd", "message"),
    [
        (None, r"repodata/repomd.xml does not exist"),
        (_repomd(None), "no 'origin' entry"),
        (_repomd("../../etc/pkgorigins"), "outside the repo"),
        (_repomd("/etc/pkgorigins"), "outside the repo"),
        (_repomd("repodata/pkgorigins.gz"), r"pkgorigins .*/repodata/pkgorigins.gz does not exist"),
    ],
)
def test_a_tag_with_external_repos_needs_the_repos_pkgorigins(
    tmp_path: Path, repomd: str | None, message: str
) -> None:
    with pytest.raises(BuildrootError, match=message):
        report(_Hub(external=True), _files(tmp_path, repomd), REPO_INFO, [])


def test_a_repo_without_rpmlist_falls_back_to_the_hubs_tagged_rpms(tmp_path: Path) -> None:
    assert report(_Hub(external=False), _files(tmp_path), REPO_INFO, []) == []


@pytest.mark.parametrize("info", [{"create_event": 40}, {"tag_id": True, "create_event": 40},
                                  {"tag_id": 3, "create_event": "40"}])  # fmt: skip
def test_the_hubs_repo_info_must_hold_integer_ids(
    tmp_path: Path, info: Mapping[str, object]
) -> None:
    with pytest.raises(BuildrootError, match="has no integer"):
        report(_Hub(external=False), _files(tmp_path), info, [])


def test_a_directory_in_place_of_a_file_is_a_read_error(tmp_path: Path) -> None:
    files = _files(tmp_path)
    (tmp_path / files.relpath / "rpmlist.jsonl").mkdir()
    with pytest.raises(BuildrootError, match=r"cannot read .*/rpmlist.jsonl"):
        files.read("rpmlist.jsonl")
