"""Git repositories holding one package spec, for SCM builds in tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.srpms import simple_spec


def git_repo(
    directory: Path, name: str, build_requires: str = "adjutant-dep", build_script: str = "true"
) -> str:
    """A git repository holding the package's spec on branch main; returns its path."""
    repo = directory / f"{name}.git"
    repo.mkdir(parents=True)
    (repo / f"{name}.spec").write_text(
        simple_spec(name, build_requires=build_requires, build_script=build_script)
    )
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for argv in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "spec"]):
        subprocess.run([*git, *argv], check=True, capture_output=True)
    return str(repo)


def publish_bare(source: str, served: Path) -> None:
    """A bare clone of ``source`` at ``served``, ready for git's dumb HTTP protocol."""
    subprocess.run(["git", "clone", "-q", "--bare", source, str(served)], check=True)
    subprocess.run(["git", "-C", str(served), "update-server-info"], check=True)
