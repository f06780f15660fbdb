"""``build``: the parent of an rpm build, as kojid's BuildTask.

Resolves the target and repo, runs the hub's build policies, gets the SRPM (a
``rebuildSRPM`` subtask for an uploaded SRPM, a ``buildSRPMFromSCM`` subtask for an SCM URL),
reads its header, creates the build (initBuild), spawns one ``buildArch`` per arch, imports
the results (completeBuild) or moves them to scratch, fails the build on any error, and
finally spawns ``tagBuild`` for the destination tag. It runs no container itself; every
hub call and subtask has kojid's arguments, so the hub and other hosts see a kojid parent.
"""

from __future__ import annotations

import json
import random
from typing import Any

import koji
import koji.daemon
import koji.util
from koji.tasks import BaseTaskHandler

from adjutant.buildroot.scm_checkout import SCM
from adjutant.tasks.arch_list import build_arches, noarch_task_arch

_BOOL_OPTS = ("scratch", "skip_tag", "wait_repo", "fail_fast", "draft", "rebuild_srpm")


def check_build_opts(opts: object) -> dict[str, Any]:
    """``build``'s opts, checked as kojid checks them (plus types).

    Raises:
        koji.BuildError: a bad option; the message names it.
    """
    if opts is None:
        return {}
    if not isinstance(opts, dict):
        raise koji.BuildError(f"build: opts must be a mapping, got {opts!r}")
    for key in _BOOL_OPTS:
        if key in opts and not isinstance(opts[key], bool | int | type(None)):
            raise koji.BuildError(f"build: option {key} must be a boolean, got {opts[key]!r}")
    if opts.get("arch_override") and not opts.get("scratch"):
        raise koji.BuildError("arch_override is only allowed for scratch builds")
    metadata = opts.get("custom_user_metadata")
    if metadata:
        if not isinstance(metadata, dict):
            raise koji.BuildError("custom_user_metadata must be serializable to a JSON object")
        try:
            json.dumps(metadata)
        except TypeError:
            raise koji.BuildError("custom_user_metadata is not JSON serializable") from None
    wait_builds = opts.get("wait_builds")
    if wait_builds is not None and not isinstance(wait_builds, list):
        raise koji.BuildError(f"build: wait_builds must be a list of NVRs, got {wait_builds!r}")
    return dict(opts)


class BuildTask(BaseTaskHandler):  # type: ignore[misc]
    Methods = ["build"]
    _taskWeight = 0.2

    def handler(self, src: object, target: object, opts: object = None) -> None:
        self.opts = check_build_opts(opts)
        if not isinstance(src, str) or not src:
            raise koji.BuildError(f"Invalid source specification: {src!r}")
        repo_info, self.event_id = self._given_repo()
        build_tag, dest_tag, target_info = self._tags(target, repo_info)
        from_scm = bool(SCM.is_scm_url(src))
        self._check_policies(src, build_tag, dest_tag, target_info, from_scm)
        if repo_info is None:
            repo_info = self.getRepo(
                build_tag, builds=self.opts.get("wait_builds"), wait=self.opts.get("wait_repo")
            )
            self.event_id = self.session.getLastEvent()["id"]
        srpm, source = self._get_srpm(src, build_tag, repo_info["id"], from_scm)
        header = self._read_srpm_header(srpm)
        data = koji.get_header_fields(header, ["name", "version", "release", "epoch"])
        data["task_id"] = self.id
        if source:
            data["source"] = source["source"]
            data["extra"] = {"source": {"original_url": source["url"]}}
        if self.opts.get("custom_user_metadata"):
            data.setdefault("extra", {})["custom_user_metadata"] = self.opts["custom_user_metadata"]
        extra_arches = self._check_package(dest_tag, data["name"], target_info)
        config = self.session.getBuildConfig(build_tag, event=self.event_id)
        arches = build_arches(
            config,
            header,
            extra_arches,
            self.opts.get("arch_override") if self.opts.get("scratch") else None,
        )
        if self.opts.get("draft"):
            data["draft"] = self.opts["draft"]
        scratch = bool(self.opts.get("scratch"))
        build_id = None if scratch else self.session.host.initBuild(data)
        failany = bool(self.opts.get("fail_fast")) or not getattr(
            self.options, "build_arch_can_fail", False
        )
        try:
            srpm, rpms, brmap, logs = self._run_builds(
                srpm, build_tag, arches, repo_info["id"], failany
            )
            if scratch:
                self.session.host.moveBuildToScratch(self.id, srpm, rpms, logs=logs)
            else:
                self.session.host.completeBuild(self.id, build_id, srpm, rpms, brmap, logs=logs)
        except (SystemExit, koji.tasks.ServerExit, KeyboardInterrupt):
            raise
        except Exception:
            if build_id is not None:
                self.session.host.failBuild(self.id, build_id)
            raise
        if not self.opts.get("skip_tag") and not scratch:
            task_id = self.session.host.subtask(
                method="tagBuild",
                arglist=[dest_tag, build_id, False, None, True],
                label="tag",
                parent=self.id,
                arch="noarch",
            )
            self.wait(task_id)

    # -- steps ----------------------------------------------------------------------------

    def _given_repo(self) -> tuple[dict[str, Any] | None, int | None]:
        repo_id = self.opts.get("repo_id")
        if repo_id is None:
            return None, None
        repo = self.session.repoInfo(repo_id)
        if not repo:
            raise koji.BuildError(f"No such repo: {repo_id}")
        state = koji.REPO_STATES[repo["state"]]
        if state not in ("READY", "EXPIRED"):
            raise koji.BuildError(f"Bad repo: {repo['id']} ({state})")
        return repo, repo["create_event"]

    def _tags(
        self, target: object, repo: dict[str, Any] | None
    ) -> tuple[int, int, dict[str, Any] | None]:
        """(build tag id, destination tag id, target info) as kojid resolves them."""
        info = self.session.getBuildTarget(target, event=self.event_id) if target else None
        if info:
            if repo is not None and repo["tag_id"] != info["build_tag"]:
                raise koji.BuildError(
                    f"Repo/Target mismatch: {repo['tag_name']}/{info['build_tag_name']}"
                )
            return info["build_tag"], info["dest_tag"], info
        if repo is None:
            raise koji.GenericError(f"unknown build target: {target}")
        if target is None:
            self.opts["skip_tag"] = True
            return repo["tag_id"], repo["tag_id"], None
        tag = self.session.getTag(target, event=self.event_id)
        if not tag:
            raise koji.GenericError(f"neither tag nor target: {target}")
        return repo["tag_id"], tag["id"], None

    def _check_policies(
        self, src: str, build_tag: int, dest_tag: int, target: dict[str, Any] | None, from_scm: bool
    ) -> None:
        owner = self.session.getTaskInfo(self.id)["owner"]
        data: dict[str, Any] = {
            "user_id": owner,
            "source": src,
            "task_id": self.id,
            "build_tag": build_tag,
            "skip_tag": bool(self.opts.get("skip_tag")),
            "scratch": self.opts.get("scratch"),
            "draft": self.opts.get("draft"),
            "from_scm": from_scm,
            "repo_id": self.opts.get("repo_id"),
        }
        if target:
            data["target"] = target["name"]
        if not self.opts.get("skip_tag"):
            data["tag"] = dest_tag
        if not from_scm and not self.opts.get("scratch"):
            self.session.host.assertPolicy("build_from_srpm", data)
        if self.opts.get("repo_id") is not None:
            self.session.host.assertPolicy("build_from_repo_id", data)
        self.session.host.assertPolicy("build_rpm", data)

    def _get_srpm(
        self, src: str, build_tag: int, repo_id: int, from_scm: bool
    ) -> tuple[str, dict[str, Any] | None]:
        """The SRPM to build (work/ relpath) and its source record, via a subtask if needed."""
        if from_scm:
            method = "buildSRPMFromSCM"
        else:
            config = self.session.getBuildConfig(build_tag, event=self.event_id)
            rebuild = config["extra"].get("rebuild_srpm", True)
            if self.opts.get("scratch") and self.opts.get("rebuild_srpm") is not None:
                rebuild = self.opts["rebuild_srpm"]
            if not rebuild:
                return src, None
            method = "rebuildSRPM"
        task_id = self.session.host.subtask(
            method=method,
            arglist=[src, build_tag, {"repo_id": repo_id, "scratch": self.opts.get("scratch")}],
            label="srpm",
            arch=self._task_arch("noarch", None, build_tag),
            parent=self.id,
        )
        result = self.wait(task_id)[task_id]
        if "source" not in result:
            self.logger.warning("subtask did not provide source data")
        return result["srpm"], result.get("source")

    def _read_srpm_header(self, srpm: str) -> Any:
        with koji.openRemoteFile(
            f"work/{srpm}",
            topurl=self.options.topurl,
            topdir=self.options.topdir,
            tempdir=self.workdir,
        ) as stream:
            header = koji.get_rpm_header(stream)
        if not koji.get_header_field(header, "sourcepackage"):
            raise koji.BuildError(f"{srpm} is not a source package")
        return header

    def _check_package(self, dest_tag: int, name: str, target: dict[str, Any] | None) -> str | None:
        """The package's extra arches; a listed, unblocked package unless scratch/skip_tag."""
        config = self.session.getPackageConfig(dest_tag, name, event=self.event_id)
        if not self.opts.get("skip_tag") and not self.opts.get("scratch"):
            tag_name = target["dest_tag_name"] if target else dest_tag
            if config is None:
                raise koji.BuildError(f"package {name} not in list for tag {tag_name}")
            if config["blocked"]:
                raise koji.BuildError(f"package {name} is blocked for tag {tag_name}")
        return config.get("extra_arches") if config else None

    def _task_arch(self, arch: str, srpm: str | None, build_tag: int) -> str:
        """kojid's choose_taskarch: the arch a subtask is scheduled by."""
        if koji.util.multi_fnmatch(arch, self.options.literal_task_arches):
            return arch
        if arch != "noarch":
            return str(koji.canonArch(arch))
        header = self._read_srpm_header(srpm) if srpm is not None else None
        config = self.session.getBuildConfig(build_tag, event=self.event_id)
        choices = noarch_task_arch(config, header)
        return random.choice(choices) if choices else "noarch"

    def _run_builds(
        self, srpm: str, build_tag: int, arches: list[str], repo_id: int, failany: bool
    ) -> tuple[str, list[str], dict[str, int], dict[str, list[str]]]:
        """One buildArch per arch (the first keeps the SRPM); merged as kojid merges them."""
        subtasks: dict[str, int] = {}
        for index, arch in enumerate(arches):
            subtasks[arch] = self.session.host.subtask(
                method="buildArch",
                arglist=[srpm, build_tag, arch, index == 0, {"repo_id": repo_id}],
                label=arch,
                parent=self.id,
                arch=self._task_arch(arch, srpm, build_tag),
            )
        results = self.wait(list(subtasks.values()), all=True, failany=failany)
        rpms: list[str] = []
        brmap: dict[str, int] = {}
        logs: dict[str, list[str]] = {}
        built_srpm = None
        for arch, task_id in subtasks.items():
            result = results[task_id]
            for path in result["rpms"]:
                rpms.append(path)
                brmap[path] = result["brootid"]
            logs.setdefault(arch, []).extend(result["logs"])
            if result["srpms"]:
                if built_srpm:
                    raise koji.BuildError(f"multiple builds returned a srpm.  task {self.id}")
                built_srpm = result["srpms"][0]
                brmap[built_srpm] = result["brootid"]
        if not built_srpm:
            raise koji.BuildError("could not find a built srpm")
        return built_srpm, rpms, brmap, logs
