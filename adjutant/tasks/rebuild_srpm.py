"""``rebuildSRPM``: regenerate an uploaded SRPM in the build tag's buildroot, as kojid's
RebuildSRPM, so the SRPM a build imports carries the tag's macros (%dist).

The buildroot installs the tag's ``srpm-build`` group; the SRPM is unpacked and rebuilt with
``rpmbuild -bs`` as the build user; the one SRPM that comes out must be named after its own
header. The result is kojid's: ``{srpm, logs, brootid, source}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from adjutant.buildroot.koji_buildroot import BuildrootRequest, KojiBuildroot
from adjutant.errors import BuildFailed, TaskParamError
from adjutant.results import read_srpm
from adjutant.tasks.container_task import SrpmTask
from adjutant.tasks.params import check_repo_opt, check_srpm_path, check_tag_ref


class RebuildSRPMTask(SrpmTask):
    Methods = ["rebuildSRPM"]
    _taskWeight = 1.0

    def handler(self, srpm: object, build_tag: object, opts: object = None) -> dict[str, Any]:
        pkg = check_srpm_path(srpm, "rebuildSRPM")
        tag = check_tag_ref(build_tag, "rebuildSRPM")
        repo_id = check_repo_opt(opts, "rebuildSRPM")
        settings = self.context.settings
        event = self.session.repoInfo(repo_id, strict=True)["create_event"]
        try:
            local = Path(self.localPath(f"work/{pkg}"))
        except requests.RequestException as exc:
            raise TaskParamError(f"rebuildSRPM: cannot fetch work/{pkg}: {exc}") from exc
        source = read_srpm(local)
        br_arch = self.find_arch(
            "noarch", self.session.host.getHost(), self.session.getBuildConfig(tag, event=event)
        )
        backend = self.context.make_backend()
        choice = self.provide_image(backend)
        request = BuildrootRequest(
            task_id=self.id, tag=tag, arch=br_arch, repo_id=repo_id, image=choice.image,
            work_dir=Path(self.workdir), install_group="srpm-build", image_reason=choice.reason,
        )  # fmt: skip
        with KojiBuildroot(self.session, backend, settings, request,
                          recorder=self.task_recorder) as buildroot:  # fmt: skip
            result_dir = buildroot.build_srpm(local)
            made, identity = self.one_srpm(result_dir)
            if identity.name != source.name:
                raise BuildFailed(f"rebuildSRPM: rebuilt {identity.nvr} from {source.nvr}")
            with self.task_recorder.phase("upload-outputs"):
                self.uploadFile(str(made))
        upload = self.getUploadDir()
        return {
            "srpm": f"{upload}/{made.name}",
            "logs": [f"{upload}/{name}" for name in buildroot.log_names],
            "brootid": buildroot.id,
            "source": {"source": Path(pkg).name, "url": Path(pkg).name},
        }
