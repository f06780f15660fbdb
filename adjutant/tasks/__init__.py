"""The task handlers the worker registers, by the hub method each serves.

koji's own default tasks (shutdown, restart, restartVerify, restartHosts, dependantTask,
sleep, waittest, fork, subtask, someMethod, default, waitrepo), the same set kojid registers;
kojid's rpm build pipeline: ``build``, ``rebuildSRPM``, ``buildSRPMFromSCM``, ``buildArch``
(container buildroots), ``tagBuild``, ``chainbuild``, ``buildNotification`` and
``tagNotification`` (mail); the repo tasks ``newRepo``, ``createrepo``, ``distRepo`` and
``createdistrepo`` (made on the worker, as kojid does); and the methods adjutant refuses
(unsupported).
"""

from koji.tasks import (
    DefaultTask,
    DependantTask,
    FakeTask,
    ForkTask,
    RestartHostsTask,
    RestartTask,
    RestartVerifyTask,
    ShutdownTask,
    SleepTask,
    SubtaskTask,
    WaitrepoTask,
    WaitTestTask,
)

from adjutant.tasks.build import BuildTask
from adjutant.tasks.build_arch import BuildArchTask
from adjutant.tasks.build_srpm_from_scm import BuildSRPMFromSCMTask
from adjutant.tasks.chain_build import ChainBuildTask
from adjutant.tasks.create_dist_repo import CreateDistRepoTask
from adjutant.tasks.createrepo import CreaterepoTask
from adjutant.tasks.dist_repo import NewDistRepoTask
from adjutant.tasks.new_repo import NewRepoTask
from adjutant.tasks.notifications import BuildNotificationTask, TagNotificationTask
from adjutant.tasks.rebuild_srpm import RebuildSRPMTask
from adjutant.tasks.tag_build import TagBuildTask
from adjutant.tasks.unsupported import UnsupportedTask

HANDLERS = (
    ShutdownTask,
    RestartTask,
    RestartVerifyTask,
    RestartHostsTask,
    DependantTask,
    SleepTask,
    WaitTestTask,
    ForkTask,
    SubtaskTask,
    FakeTask,
    DefaultTask,
    WaitrepoTask,
    UnsupportedTask,
    BuildTask,
    BuildArchTask,
    RebuildSRPMTask,
    BuildSRPMFromSCMTask,
    TagBuildTask,
    ChainBuildTask,
    BuildNotificationTask,
    TagNotificationTask,
    NewRepoTask,
    CreaterepoTask,
    NewDistRepoTask,
    CreateDistRepoTask,
)
