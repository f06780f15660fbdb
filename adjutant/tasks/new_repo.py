"""``newRepo``: make a tag's repo, as kojid's NewRepoTask.

``host.repoInit`` lays the repo out on the hub's topdir (pkglist, comps, ...); one
``createrepo`` subtask per arch makes the repodata; ``host.repoDone`` moves it into place and
makes the repo current. With ``createrepo_update`` the previous repo (of the tag, of a tag named
by the ``repo.oldrepo_hint`` extra, or of the nearest parent) is handed to the subtasks to
update from; with ``copy_old_repodata`` an arch whose pkglist, blocklist, comps and options
are unchanged gets the old repodata copied instead of a subtask.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path
from typing import Any

import koji
from koji.tasks import BaseTaskHandler, RefuseTask

_LEGACY_OPTS = ("src", "debuginfo", "separate_src")


class NewRepoTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["newRepo"]
    _taskWeight = 0.1

    def handler(
        self,
        tag: Any,
        event: Any = None,
        src: Any = None,
        debuginfo: Any = None,
        separate_src: Any = None,
        opts: Any = None,
    ) -> list[int]:
        tag_info = self.session.getTag(tag, strict=True, event=event)
        legacy = {
            name: bool(value)
            for name, value in zip(_LEGACY_OPTS, (src, debuginfo, separate_src), strict=True)
            if value is not None
        }
        if legacy:
            if opts is not None:
                raise koji.ParameterError("opts parameter cannot be combined with legacy options")
            opts = legacy
        if not (Path(self.options.topdir) / "repos").is_dir():
            raise RefuseTask(f"No access to repos dir {Path(self.options.topdir) / 'repos'}")
        init_args: dict[str, Any] = {"opts": opts, "task_id": self.id}
        if event is not None:
            init_args["event"] = event
        repo_id, event_id = self.session.host.repoInit(tag_info["id"], **init_args)
        path = self._repo_path(repo_id, tag_info["name"])
        if not path.is_dir():
            raise koji.GenericError(f"Repo directory missing: {path}")
        arches = sorted(
            p.name for p in path.iterdir() if p.name != "groups" and (p / "pkglist").is_file()
        )
        oldrepo, oldrepo_path = self._old_repo(tag_info)
        clonable = bool(self.options.copy_old_repodata) and self._same_setup(
            oldrepo, oldrepo_path, path, {"tag_id": tag_info["id"], "create_event": event_id}
        )
        data: dict[str, Any] = {}
        cloned: list[str] = []
        subtasks: dict[str, int] = {}
        for arch in arches:
            if clonable and oldrepo_path and self._same_arch(oldrepo_path, path, arch):
                copied = self._copy_arch(oldrepo_path, arch)
                if copied is not None:
                    data[arch] = copied
                    cloned.append(arch)
                    continue
            subtasks[arch] = self.session.host.subtask(
                method="createrepo",
                arglist=[repo_id, arch, oldrepo],
                label=arch,
                parent=self.id,
                arch="noarch",
            )
        if subtasks:
            results = self.wait(list(subtasks.values()), all=True, failany=True)
            for arch, task_id in subtasks.items():
                data[arch] = results[task_id]
        done_args: dict[str, Any] = {}
        if cloned and oldrepo is not None:
            done_args["repo_json_updates"] = {
                "cloned_from_repo_id": oldrepo["id"],
                "cloned_archs": cloned,
            }
        self.session.host.repoDone(repo_id, data, **done_args)
        return [repo_id, event_id]

    def _repo_path(self, repo_id: int, tag_name: str) -> Path:
        return Path(koji.PathInfo(self.options.topdir).repo(repo_id, tag_name))

    def _old_repo(self, tag_info: dict[str, Any]) -> tuple[dict[str, Any] | None, Path | None]:
        """The repo to update from: the tag's, a hinted tag's, or the nearest parent's."""
        if not self.options.createrepo_update:
            return None, None
        candidates: list[Any] = [tag_info["id"]]
        hint = tag_info["extra"].get("repo.oldrepo_hint", [])
        candidates += hint if isinstance(hint, list) else [hint]
        parents = self.session.getFullInheritance(tag_info["id"])
        candidates += [link["parent_id"] for link in sorted(parents, key=lambda x: x["currdepth"])]
        for ref in candidates:
            other = self.session.getTag(ref, strict=False)
            if not other:
                self.logger.warning("oldrepo hint refers to an unknown tag: %s", ref)
                continue
            repo = self.session.getRepo(other["id"])
            if repo:
                repo["tag_id"] = other["id"]
                return repo, self._repo_path(repo["id"], other["name"])
        return None, None

    def _same_setup(
        self, oldrepo: dict[str, Any] | None, old: Path | None, new: Path, newrepo: dict[str, Any]
    ) -> bool:
        """Whether the old repo was made with the same options and comps, no external repos."""
        if oldrepo is None or old is None or not old.is_dir():
            return False
        try:
            old_json = json.loads((old / "repo.json").read_text())
            new_json = json.loads((new / "repo.json").read_text())
        except (OSError, ValueError):
            return False
        if any(
            old_json.get(k, False) != new_json.get(k, False)
            for k in ("with_debuginfo", "with_src", "with_separate_src")
        ):
            return False
        old_comps, new_comps = old / "groups" / "comps.xml", new / "groups" / "comps.xml"
        if old_comps.exists() != new_comps.exists():
            return False
        if old_comps.exists() and not filecmp.cmp(old_comps, new_comps, shallow=False):
            return False
        for repo in (oldrepo, newrepo):
            if self.session.getExternalRepoList(repo["tag_id"], event=repo["create_event"]):
                return False
        return True

    @staticmethod
    def _same_arch(old: Path, new: Path, arch: str) -> bool:
        for name in ("blocklist", "pkglist"):
            old_file, new_file = old / arch / name, new / arch / name
            if not (old_file.exists() and new_file.exists()):
                return False
            if not filecmp.cmp(old_file, new_file, shallow=False):
                return False
        return True

    def _copy_arch(self, old: Path, arch: str) -> list[Any] | None:
        """Upload a copy of the old repodata for this arch; None if that fails.

        Each arch gets its own upload subdir: every arch's repodata has a repomd.xml.
        """
        target = Path(self.workdir) / arch / "repodata"
        try:
            shutil.copytree(old / arch / "repodata", target)
            upload = f"{self.getUploadDir()}/{arch}"
            names = sorted(p.name for p in target.iterdir())
            for name in names:
                self.session.uploadWrapper(str(target / name), upload, name)
        except (OSError, koji.GenericError) as exc:
            self.logger.warning("copying %s repodata from %s failed: %r", arch, old, exc)
            shutil.rmtree(target, ignore_errors=True)
            return None
        return [upload, names]
