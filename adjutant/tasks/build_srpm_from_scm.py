"""``buildSRPMFromSCM``: check out an SCM URL and build its SRPM in a container buildroot,
as kojid's BuildSRPMFromSCMTask.

The URL is parsed and checked by koji's SCM (passwords refused unless
``allow_password_in_scm_url``; ``allowed_scms`` and/or the hub's ``build_from_scm`` policy,
which may also set the source command); the checkout and SRPM build run in the tag's
``srpm-build`` buildroot (adjutant.buildroot.scm_checkout says where and why). The result is
kojid's: ``{srpm, logs, brootid, source: {url, source}}`` with the commit in ``source``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import koji

from adjutant.buildroot.koji_buildroot import BuildrootRequest, KojiBuildroot
from adjutant.buildroot.scm_checkout import CHECKOUT_LOG, SCM, checkout_of, source_url
from adjutant.container.backend import Mount
from adjutant.errors import TaskParamError
from adjutant.tasks.container_task import SrpmTask
from adjutant.tasks.params import check_repo_opt, check_tag_ref


class BuildSRPMFromSCMTask(SrpmTask):
    Methods = ["buildSRPMFromSCM"]
    _taskWeight = 1.0

    def handler(self, url: object, build_tag: object, opts: object = None) -> dict[str, Any]:
        if not isinstance(url, str):
            raise TaskParamError(f"buildSRPMFromSCM: url must be a string, got {url!r}")
        tag = check_tag_ref(build_tag, "buildSRPMFromSCM")
        repo_id = check_repo_opt(opts, "buildSRPMFromSCM")
        assert isinstance(opts, dict)
        kojid = self.context.settings.kojid
        scm = SCM(url, allow_password=kojid.allow_password_in_scm_url)
        self._assert_allowed(scm, opts)
        checkout = checkout_of(scm)
        settings = self.context.settings
        event = self.session.repoInfo(repo_id, strict=True)["create_event"]
        br_arch = self.find_arch(
            "noarch", self.session.host.getHost(), self.session.getBuildConfig(tag, event=event)
        )
        backend = self.context.make_backend()
        choice = self.provide_image(backend)
        mounts: tuple[Mount, ...] = ()
        if checkout.local_repository:
            repository = settings.adjutant.host_path(Path(checkout.local_repository))
            mounts = (Mount(repository, checkout.local_repository, read_only=True),)
        request = BuildrootRequest(
            task_id=self.id, tag=tag, arch=br_arch, repo_id=repo_id, image=choice.image,
            work_dir=Path(self.workdir), install_group="srpm-build",
            image_reason=choice.reason, needs_network=checkout.local_repository is None,
            extra_mounts=mounts,
        )  # fmt: skip
        with KojiBuildroot(self.session, backend, settings, request,
                          recorder=self.task_recorder) as buildroot:  # fmt: skip
            result_dir, commit = buildroot.build_srpm_from_scm(scm)
            made, _identity = self.one_srpm(result_dir)
            with self.task_recorder.phase("upload-outputs"):
                self.uploadFile(str(made))
        upload = self.getUploadDir()
        logs = [name for name in buildroot.log_names if name != CHECKOUT_LOG]
        return {
            "srpm": f"{upload}/{made.name}",
            "logs": [f"{upload}/{name}" for name in logs],
            "brootid": buildroot.id,
            "source": {"url": url, "source": source_url(scm, commit)},
        }

    def _assert_allowed(self, scm: SCM, opts: dict[str, Any]) -> None:
        """allowed_scms and/or the build_from_scm policy, as kojid applies them."""
        kojid = self.context.settings.kojid
        task = self.session.getTaskInfo(self.id)
        channel = self.session.getChannel(task["channel_id"])
        policy_data = {
            "user_id": task["owner"],
            "channel": channel["name"] if channel else None,
            "scratch": opts.get("scratch"),
        }
        try:
            scm.assert_allowed(
                allowed=kojid.allowed_scms,
                session=self.session,
                by_config=kojid.allowed_scms_use_config,
                by_policy=kojid.allowed_scms_use_policy,
                policy_data=policy_data,
            )
        except koji.BuildError:
            raise
        except koji.GenericError as exc:
            raise koji.BuildError(f"SCM {scm.url}: {exc}") from exc
