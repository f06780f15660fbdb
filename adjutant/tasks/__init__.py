"""The task handlers the worker registers, by the hub method each serves.

So far these are koji's own default tasks (shutdown, restart, restartVerify, restartHosts,
dependantTask, sleep, waittest, fork, subtask, someMethod, default, waitrepo), the same set
kojid registers. Build and repo handlers join this tuple as they are written.
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
)
