"""A build that fills the file system of the worker's work dir, for real.

The work dir is a small tmpfs mounted for this module (as root, which the test host is), so
the disk that fills is the test's own and nothing else on the machine runs short. minspace
is set below the tmpfs size so the worker takes the task at all.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from tests.failure.test_worker_faults import QUIET
from tests.scenarios.worker_builds import build_succeeds, fault_of
from tests.support.devhub_worker import DevhubSite, devhub_worker_site

pytestmark = pytest.mark.integration

WORKDIR_MIB = 24
# 32 MB of build output into build.log: more than the work dir holds.
FLOOD = QUIET + "yes \"$(printf '%%0999d' 0)\" | head -n 32000"


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A tmpfs of WORKDIR_MIB MiB, unmounted at the end."""
    mount = tmp_path_factory.mktemp("small-disk")
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={WORKDIR_MIB}m,mode=0755", "tmpfs", str(mount)],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def full_disk_site(
    tmp_path_factory: pytest.TempPathFactory,
    small_disk: Path,
    podman_url: str,
    task_image: str,
    worker_label: str,
) -> Iterator[DevhubSite]:
    """devhub and a worker whose work dir is the small tmpfs (minspace 4 MB)."""
    kojid = {"workdir": str(small_disk), "minspace": "4"}
    with devhub_worker_site(tmp_path_factory.mktemp("disk-full"), podman_url, task_image,
                            worker_label, kojid) as site:  # fmt: skip
        yield dataclasses.replace(site, workdir=small_disk)


def free_mib(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize // (1 << 20)


def test_a_build_filling_the_work_dir_fails_naming_the_file_system_and_frees_it(
    full_disk_site: DevhubSite, small_disk: Path
) -> None:
    site = full_disk_site
    before = free_mib(small_disk)
    task_id = site.submit("adjutant-disk-full", build_script=FLOOD)
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    fault = fault_of(site.admin, task_id)
    assert isinstance(fault, koji.BuildrootError), repr(fault)
    text = str(fault)
    assert f"no space left on the file system mounted at {small_disk}" in text, text
    assert "Traceback" not in text, text
    # What the build printed before the disk filled reached the hub.
    log = bytes(site.admin.downloadTaskOutput(task_id, "build.log"))
    assert log.count(b"0" * 999 + b"\n") > 1000, log[-500:]
    site.assert_clean(task_id)  # the task's dir is gone ...
    assert free_mib(small_disk) >= before - 1  # ... and with it the space it took
    build_succeeds(site, "adjutant-after-disk-full")
