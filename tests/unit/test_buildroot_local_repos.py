"""`adjutant build --repo`: directories become read-only mounts, URLs need the network."""

from pathlib import Path

import pytest

from adjutant.buildroot.local_repos import local_repos
from adjutant.errors import TaskParamError


def make_repo(path: Path) -> Path:
    (path / "repodata").mkdir(parents=True)
    (path / "repodata" / "repomd.xml").write_text("<repomd/>")
    return path


def test_directories_are_mounted_read_only_and_need_no_network(tmp_path: Path) -> None:
    repos = local_repos([str(make_repo(tmp_path / "a")), str(make_repo(tmp_path / "b"))])
    assert repos.baseurls == ("file:///mnt/repos/0", "file:///mnt/repos/1")
    assert [(m.source, m.target, m.read_only) for m in repos.mounts] == [
        (tmp_path / "a", "/mnt/repos/0", True),
        (tmp_path / "b", "/mnt/repos/1", True),
    ]
    assert not repos.needs_network
    assert "reposdir=/dev/null" in repos.dnf_conf
    assert "[local-1]\nname=local-1\nbaseurl=file:///mnt/repos/1\n" in repos.dnf_conf


def test_a_url_repo_needs_the_network(tmp_path: Path) -> None:
    repos = local_repos(["https://repos.example.com/f40/x86_64/", str(make_repo(tmp_path))])
    assert repos.needs_network
    assert repos.baseurls[0] == "https://repos.example.com/f40/x86_64/"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("http://localhost:8080/repo", "inside the container is the container itself"),
        ("http://127.0.0.1/repo", "inside the container is the container itself"),
        ("ftp://example.com/repo", "expected a directory or an http"),
        ("https://example.com/a repo", "expected a directory or an http"),
    ],
)
def test_unusable_urls_are_refused(spec: str, message: str) -> None:
    with pytest.raises(TaskParamError, match=message):
        local_repos([spec])


def test_a_directory_without_repodata_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TaskParamError, match="no repodata/repomd.xml there"):
        local_repos([str(tmp_path)])
