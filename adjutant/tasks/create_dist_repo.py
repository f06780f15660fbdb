"""``createdistrepo``: one arch of a dist repo, as kojid's createDistRepoTask.

The rpms come from ``listTaggedRPMS(rpmsigs=True)`` and the copy of each is chosen by key
(dist_repo_content). Optionally the hub first writes the signed copies
(``write_signed_rpms``). The repo is assembled in the task's workdir — ``Packages/<l>/``
symlinks into the topdir, ``kojipkgs``, ``pkglist`` — and createrepo_c runs on the worker
(the choice and its measurement are in docs/performance.md), starting from the tag's
previous dist repo with ``createrepo_update``. Every real file is uploaded with a
``repo_manifest`` listing them; the parent's ``host.distRepoMove`` puts them in place.

Not supported, each with a fault saying so: delta rpms (``--delta-rpms``) and zchunk
metadata when this worker's createrepo_c lacks zchunk. Multilib is refused by the parent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import koji
from koji.tasks import BaseTaskHandler, RefuseTask

from adjutant.errors import TaskParamError
from adjutant.tasks.createrepo import EMPTY_REPO_NOTE
from adjutant.tasks.dist_repo_content import (
    Selection,
    compat_arches,
    missing_signatures_log,
    package_path,
    pkglists,
    select_copies,
)

_REQUIRED_OPTS = ("event", "latest", "inherit")


def createrepo_features() -> str:
    """createrepo_c's feature list ('Version: 0.17.3 (Features: DeltaRPM ...)')."""
    try:
        out = subprocess.run(
            ["createrepo_c", "--version"], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout


class CreateDistRepoTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["createdistrepo"]
    _taskWeight = 1.5

    def handler(self, tag: Any, repo_id: Any, arch: Any, keys: Any, opts: Any) -> None:
        self._check_params(repo_id, arch, keys, opts)
        repo = self.session.repoInfo(repo_id, strict=True)
        if repo["state"] != koji.REPO_INIT:
            raise koji.GenericError(f"Repo {repo_id} not in INIT state (got {repo['state']})")
        topdir = Path(self.options.topdir)
        paths = koji.PathInfo(str(topdir))
        repo_top = Path(paths.distrepo(repo_id, repo["tag_name"]))
        if not repo_top.is_dir():
            if not (topdir / "repos-dist").is_dir():
                # The topdir is not mounted here: let a host that has it take the task.
                raise RefuseTask(f"No access to dist repos dir {topdir / 'repos-dist'}")
            raise koji.GenericError(f"Repo directory missing: {repo_top}")
        groups = repo_top / "groups" / "comps.xml"
        self.repodir = Path(self.workdir) / "repo"
        self.repodir.mkdir(parents=True)
        self.uploadpath = self.getUploadDir()
        self.uploaded: list[str] = []
        kojipkgs = self._choose_rpms(tag, arch, keys, opts, paths)
        lists = pkglists(kojipkgs, bool(opts.get("split_debuginfo")))
        (self.repodir / "kojipkgs").write_text(json.dumps(kojipkgs))
        for subrepo, lines in lists.items():
            sub_dir = self.repodir / subrepo
            sub_dir.mkdir(exist_ok=True)
            (sub_dir / "pkglist").write_text("".join(f"{line}\n" for line in lines))
        for bnp, rpm in kojipkgs.items():
            link = self.repodir / "Packages" / bnp[0].lower() / bnp
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(rpm["_pkgpath"])
        old = self.session.getRepo(tag, dist=True, state=koji.REPO_READY)
        old_dir = Path(paths.distrepo(old["id"], repo["tag_name"])) / arch if old else None
        skip_stat = opts.get("createrepo_skip_stat")
        if skip_stat is None:
            skip_stat = bool(self.options.distrepo_skip_stat)
        for subrepo in lists:
            old_data = (old_dir / subrepo / "repodata") if old_dir else None
            self._createrepo(
                self.repodir / subrepo,
                groups if groups.is_file() else None,
                old_data,
                bool(skip_stat),
                bool(opts.get("zck")),
                f"createrepo_{subrepo}" if subrepo else "createrepo",
            )
        if not kojipkgs:
            (self.repodir / "repodata" / "EMPTY_REPO").write_text(EMPTY_REPO_NOTE)
        self._upload_repo()

    @staticmethod
    def _check_params(repo_id: Any, arch: Any, keys: Any, opts: Any) -> None:
        if not isinstance(repo_id, int) or not isinstance(arch, str) or not arch.isidentifier():
            raise TaskParamError(f"createdistrepo: bad repo id or arch: {repo_id!r}, {arch!r}")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise TaskParamError(f"createdistrepo: keys must be a list of key ids: {keys!r}")
        if not isinstance(opts, dict) or any(k not in opts for k in _REQUIRED_OPTS):
            raise TaskParamError(
                f"createdistrepo: options must be a dict with {', '.join(_REQUIRED_OPTS)}"
            )
        if opts.get("delta"):
            raise koji.GenericError(
                "adjutant does not make delta rpms for dist repos "
                "(--delta-rpms); run this distRepo on a kojid host"
            )
        if opts.get("zck") and "zchunk" not in createrepo_features().lower():
            raise koji.GenericError("this worker's createrepo_c has no zchunk support (--zck)")
        if opts.get("zck_dict_dir") and not opts.get("zck"):
            raise koji.GenericError("--zck-dict-dir makes no sense without --zck")

    def _choose_rpms(
        self, tag: Any, arch: str, keys: list[str], opts: dict[str, Any], paths: koji.PathInfo
    ) -> dict[str, dict[str, Any]]:
        """kojipkgs: basename -> chosen rpm (with _pkgpath), after the signature checks."""
        entries: list[dict[str, Any]] = []
        build_dirs: dict[int, str] = {}
        for rpm_arch in compat_arches(arch):
            rpms, builds = self.session.listTaggedRPMS(
                tag,
                event=opts["event"],
                arch=rpm_arch,
                latest=opts["latest"],
                inherit=opts["inherit"],
                rpmsigs=True,
            )
            for build in builds:
                if build.get("draft"):
                    raise koji.BuildError(f"Draft build: {build['nvr']} is not allowed")
                build_dirs[build["id"]] = paths.build(build)
            entries += rpms
        selection = select_copies(entries, keys)
        if opts.get("write_signed_rpms"):
            self._write_signed(selection)
        skip = bool(opts.get("skip_missing_signatures"))
        kojipkgs: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        for rpm in selection.chosen.values():
            if rpm["sigkey"] is None and skip:
                continue
            path = package_path(rpm, build_dirs[rpm["build_id"]])
            if not os.path.exists(path):
                missing.append(path)
                continue
            rpm["_pkgpath"] = path
            kojipkgs[os.path.basename(path)] = rpm
        if missing:
            self._upload_text(
                "missing_files.log",
                "Some rpm files were missing.\nMost likely, you want to create "
                "these signed copies.\n\nMissing files:\n"
                + "".join(f"{p}\n" for p in sorted(missing)),
            )
            raise koji.GenericError("Packages missing from the filesystem. See missing_files.log.")
        if selection.unsigned:
            self._upload_text(
                "missing_signatures.log", missing_signatures_log(selection, keys, skip)
            )
            if not skip and not opts.get("allow_missing_signatures"):
                raise koji.GenericError("Unsigned packages found. See missing_signatures.log")
        return kojipkgs

    def _write_signed(self, selection: Selection) -> None:
        """Have the hub write the signed copies we chose; the outcome goes to a log."""
        signed = [
            (rpm_id, rpm["best_key"])
            for rpm_id, rpm in selection.chosen.items()
            if rpm.get("best_key")
        ]
        lines = []
        with self.session.multicall(batch=1000) as multi:
            calls = [
                (rpm_id, key, multi.host.writeSignedRPM(rpm_id, key)) for rpm_id, key in signed
            ]
        for rpm_id, key, call in calls:
            try:
                _ = call.result
            except koji.GenericError as exc:
                lines.append(
                    f"FAILED: Signed RPM {rpm_id} is not written with {key} key, error: {exc}\n"
                )
            else:
                lines.append(f"Signed RPM {rpm_id} is written with {key} key.\n")
        if lines:
            self._upload_text("written_signed_rpms.log", "".join(lines))

    def _createrepo(
        self,
        repodir: Path,
        groups: Path | None,
        old_data: Path | None,
        skip_stat: bool,
        zck: bool,
        logname: str,
    ) -> None:
        argv = ["createrepo_c", "--error-exit-val", "-vd", "-i", str(repodir / "pkglist")]
        if groups is not None:
            argv += ["-g", str(groups)]
        if old_data is not None and self.options.createrepo_update:
            if old_data.is_dir():
                shutil.copytree(old_data, repodir / "repodata")
                (repodir / "repodata" / "pkgorigins.gz").unlink(missing_ok=True)
                argv.append("--update")
                if skip_stat:
                    argv.append("--skip-stat")
            else:
                self.logger.warning("old repodata is missing: %s", old_data)
        if zck:
            argv.append("--zck")
        argv.append(str(repodir))
        log = Path(self.workdir) / f"{logname}.log"
        with log.open("wb") as out:
            status = subprocess.run(
                argv, stdout=out, stderr=subprocess.STDOUT, check=False
            ).returncode
        self.session.uploadWrapper(str(log), self.uploadpath, log.name)
        if status != 0:
            raise koji.GenericError(
                f"failed to create repo: createrepo_c exited with status {status}; see {log.name}"
            )

    def _upload_text(self, name: str, text: str) -> None:
        path = Path(self.workdir) / name
        path.write_text(text)
        self.session.uploadWrapper(str(path), self.uploadpath, name)

    def _upload_repo(self) -> None:
        """Upload every real file of the repo (not the rpm links), then repo_manifest."""
        for path in sorted(self.repodir.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            rel = path.relative_to(self.repodir)
            where = (
                self.uploadpath if rel.parent == Path(".") else f"{self.uploadpath}/{rel.parent}"
            )
            self.session.uploadWrapper(str(path), where, rel.name)
            self.uploaded.append(str(rel))
        manifest = Path(self.workdir) / "repo_manifest"
        manifest.write_text(json.dumps(self.uploaded, indent=4))
        self.session.uploadWrapper(str(manifest), self.uploadpath, "repo_manifest")
