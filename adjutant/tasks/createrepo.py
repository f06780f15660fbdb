"""``createrepo``: the repodata of one arch of a new repo, as kojid's CreaterepoTask.

Runs createrepo_c on the worker, as kojid does: its inputs are the hub's pkglist and comps
and the rpms under the topdir, all of which the worker reads directly (it needs the topdir for
repo tasks, like kojid). With ``createrepo_update`` the previous repo's repodata is the
starting point (``--update``, and ``--skip-stat`` with ``createrepo_skip_stat``), which is what
makes regenerating a big tag fast. The repodata is uploaded to the task's dir and the task
returns ``[uploadpath, [files]]`` for newRepo to hand to ``host.repoDone``.

A tag with external repos gets its repodata merged with theirs (merge_repos: mergerepo_c in
the tag's merge mode); the merged repodata, with pkgorigins, is what is uploaded.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import koji
from koji.tasks import BaseTaskHandler, RefuseTask

from adjutant.errors import TaskParamError
from adjutant.tasks.merge_repos import (
    MERGEREPOS_LOG,
    merge_argv,
    merge_mode,
    mergerepo_version,
    repo_urls,
    run_merge,
)

EMPTY_REPO_NOTE = "This repo is empty because its tag has no content for this arch\n"
CREATEREPO_LOG = "createrepo.log"


def createrepo_argv(
    out_dir: Path,
    repo_dir: Path,
    pkglist: Path | None,
    groups: Path | None,
    update: bool,
    skip_stat: bool,
) -> list[str]:
    """createrepo_c's argv for one arch (kojid's choices: verbose, error exit value)."""
    argv = ["createrepo_c", "--error-exit-val", "-vd", "-o", str(out_dir)]
    if pkglist is not None:
        argv += ["-i", str(pkglist)]
    if groups is not None:
        argv += ["-g", str(groups)]
    if update:
        argv.append("--update")
        if skip_stat:
            argv.append("--skip-stat")
    argv.append(str(out_dir if pkglist is None else repo_dir))
    return argv


class CreaterepoTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["createrepo"]
    _taskWeight = 1.5

    def handler(self, repo_id: object, arch: object, oldrepo: object) -> list[Any]:
        if not isinstance(repo_id, int) or not isinstance(arch, str) or not arch.isidentifier():
            raise TaskParamError(f"createrepo: bad repo id or arch: {repo_id!r}, {arch!r}")
        if oldrepo is not None and not (isinstance(oldrepo, dict) and "id" in oldrepo):
            raise TaskParamError(f"createrepo: oldrepo must be a repo dict or None: {oldrepo!r}")
        repo = self.session.repoInfo(repo_id, strict=True)
        if repo["state"] != koji.REPO_INIT:
            raise koji.GenericError(f"Repo {repo_id} not in INIT state (got {repo['state']})")
        topdir = Path(self.options.topdir)
        repo_top = Path(koji.PathInfo(str(topdir)).repo(repo_id, repo["tag_name"]))
        repo_dir = repo_top / arch
        if not repo_dir.is_dir():
            if not (topdir / "repos").is_dir():
                raise RefuseTask(f"No access to repos dir {topdir / 'repos'}")
            raise koji.GenericError(f"Repo directory missing: {repo_dir}")
        out_dir = Path(self.workdir) / "repo"
        data_dir = out_dir / "repodata"
        out_dir.mkdir(parents=True)
        pkglist: Path | None = repo_dir / "pkglist"
        assert pkglist is not None
        if pkglist.stat().st_size == 0:
            pkglist = None
        comps = repo_top / "groups" / "comps.xml"
        groups = comps if comps.is_file() else None
        update = pkglist is not None and self._seed_from_old_repo(oldrepo, arch, data_dir)
        argv = createrepo_argv(
            out_dir, repo_dir, pkglist, groups, update, bool(self.options.createrepo_skip_stat)
        )
        self._run(argv)
        external = self.session.getExternalRepoList(repo["tag_id"], event=repo["create_event"])
        if external:
            self._merge(external, repo_id, arch, out_dir, repo_dir / "blocklist", groups)
        elif pkglist is None:
            (data_dir / "EMPTY_REPO").write_text(EMPTY_REPO_NOTE)
        upload = self.getUploadDir()
        files = sorted(p.name for p in data_dir.iterdir())
        for name in files:
            self.session.uploadWrapper(str(data_dir / name), upload, name)
        return [upload, files]

    def _seed_from_old_repo(self, oldrepo: object, arch: str, data_dir: Path) -> bool:
        """Copy the old repo's repodata to start from (createrepo_update); True if done."""
        if not (oldrepo and self.options.createrepo_update):
            return False
        assert isinstance(oldrepo, dict)
        old = self.session.repoInfo(oldrepo["id"], strict=True)
        old_data = Path(koji.PathInfo(self.options.topdir).repo(old["id"], old["tag_name"]))
        old_data = old_data / arch / "repodata"
        if not old_data.is_dir():
            self.logger.warning("old repodata is missing: %s", old_data)
            return False
        shutil.copytree(old_data, data_dir)
        (data_dir / "pkgorigins.gz").unlink(missing_ok=True)
        return True

    def _merge(
        self,
        external: list[dict[str, Any]],
        repo_id: int,
        arch: str,
        out_dir: Path,
        blocklist: Path,
        groups: Path | None,
    ) -> None:
        """Replace out_dir's repodata with the merge of it and the external repos."""
        mode = merge_mode(external)
        local = Path(self.workdir) / f"repo_{repo_id}_premerge"
        out_dir.rename(local)
        out_dir.mkdir()
        argv = merge_argv(
            mode,
            repo_urls(local, external, arch),
            arch,
            out_dir,
            blocklist,
            groups,
            mergerepo_version(),
        )
        status = run_merge(argv, Path(self.workdir))
        self.session.uploadWrapper(
            str(Path(self.workdir) / MERGEREPOS_LOG), self.getUploadDir(), MERGEREPOS_LOG
        )
        if status != 0:
            raise koji.GenericError(
                f"failed to merge repos: mergerepo_c exited with status {status}; "
                f"see {MERGEREPOS_LOG}"
            )

    def _run(self, argv: list[str]) -> None:
        """Run createrepo_c with its output in createrepo.log, uploaded either way."""
        log = Path(self.workdir) / CREATEREPO_LOG
        with log.open("wb") as out:
            status = subprocess.run(
                argv, stdout=out, stderr=subprocess.STDOUT, check=False
            ).returncode
        self.session.uploadWrapper(str(log), self.getUploadDir(), CREATEREPO_LOG)
        if status != 0:
            raise koji.GenericError(
                f"failed to create repo: createrepo_c exited with status {status}; "
                f"see {CREATEREPO_LOG}"
            )
