"""A buildroot as podman runs it, inspected while rpmbuild runs: what a build can reach.

One buildArch on real podman (FakeHub, repo mounted read-only) whose %build writes what it
sees (uid, uid_map, NoNewPrivs, capabilities, writable mounts, network devices) to build.log
and then waits, so the test can `podman inspect` the live container.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.config import AdjutantSettings, KojidSettings, RepoAccess, Settings
from adjutant.container.backend import LABEL_WORKER
from adjutant.container.podman import PodmanBackend
from adjutant.tasks.build_arch import BuildArchTask
from adjutant.tasks.context import TaskContext
from tests.integration.test_build_arch_podman import REPO_ID, TAG_ID, TAG_NAME, make_koji_repo
from tests.support.devhub_site import MACROS_SPEC
from tests.support.fake_hub import FakeHub
from tests.support.srpms import build_rpm, build_srpm, simple_spec

pytestmark = pytest.mark.integration

TASK_ID = 2002469
WAIT_S = 120.0
# One stream: stdout and rpmbuild's xtrace on stderr reach build.log as separate frames, which
# may split a line between them.
PROBE = r"""
set +x
exec 1>&2
echo "HARDEN uid $(id -u)"
grep -E '^(NoNewPrivs|CapEff|CapPrm|CapAmb):' /proc/self/status | sed 's/^/HARDEN /'
sed 's/^/HARDEN uid_map /' /proc/self/uid_map
touch /mnt/koji/probe 2>/dev/null && echo "HARDEN topdir writable" || echo "HARDEN topdir read-only"
test -e /run/podman/podman.sock && echo "HARDEN podman socket" || echo "HARDEN no podman socket"
echo "HARDEN netdevs $(ls /sys/class/net | tr '\n' ' ')"
for i in $(seq 1 1200); do test -e /mnt/koji/go && break; sleep 0.1; done
"""


def _wait_for(predicate: Any, what: str, logs: Path) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    tails = {p.name: p.read_text(errors="replace")[-1500:] for p in sorted(logs.glob("*.log"))}
    pytest.fail(f"timed out waiting for {what}; logs so far: {tails}")


def test_the_buildroot_is_hardened_while_rpmbuild_runs(
    tmp_path: Path, podman_url: str, task_image: str, worker_label: str
) -> None:
    topdir = tmp_path / "koji"
    rows = make_koji_repo(topdir, [build_rpm(MACROS_SPEC, tmp_path / "macros")])
    srpm = build_srpm(simple_spec("adjutant-hardening", build_script=PROBE), tmp_path / "srpm")
    pkg = f"cli-build/1700000000.2.AbCd/{srpm.name}"
    (topdir / "work" / pkg).parent.mkdir(parents=True)
    (topdir / "work" / pkg).write_bytes(srpm.read_bytes())
    settings = Settings(
        kojid=KojidSettings(topdir=topdir, workdir=tmp_path / "work"),
        adjutant=AdjutantSettings(
            worker_name=worker_label, podman_url=podman_url, task_image_default=task_image,
            repo_access=RepoAccess.MOUNT, container_memory=1 << 30, container_pids=2048,
        ),
    )  # fmt: skip
    hub = FakeHub(
        task_id=TASK_ID,
        repo={"id": REPO_ID, "tag_id": TAG_ID, "tag_name": TAG_NAME, "state": koji.REPO_READY,
              "create_event": 900, "dist": False},
        build_config={"id": TAG_ID, "name": TAG_NAME, "arches": "x86_64", "extra": {}},
        rpms=rows, upload_dir=tmp_path / "hub",
    )  # fmt: skip
    options = settings.kojid_options()
    task = BuildArchTask(TASK_ID, "buildArch", [pkg, TAG_NAME, "x86_64", True,
                                                {"repo_id": REPO_ID}], hub, options)  # fmt: skip
    task.bind(TaskContext.from_settings(settings))
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = task.run()
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    build_log = tmp_path / "hub" / koji.pathinfo.taskrelpath(TASK_ID) / "build.log"
    try:
        _wait_for(lambda: build_log.exists() and "HARDEN netdevs" in build_log.read_text()
                  or "error" in outcome, "rpmbuild to run the probe", build_log.parent)  # fmt: skip
        backend = PodmanBackend(podman_url)
        (container,) = backend.list({LABEL_WORKER: worker_label})
        inspected = json.loads(subprocess.run(
            ["podman", "--url", podman_url, "inspect", container.id],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout)[0]  # fmt: skip
    finally:
        (topdir / "go").touch()
        thread.join(WAIT_S)
    assert "error" not in outcome, outcome.get("error")
    host = inspected["HostConfig"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["UsernsMode"] == "private"  # podman's word for userns=auto's own namespace
    assert host["Memory"] == 1 << 30 and host["MemorySwap"] == 1 << 30
    assert host["PidsLimit"] == 2048
    assert host["NetworkMode"] == "none"
    assert host["Privileged"] is False
    assert set(host["CapAdd"] or ()) <= {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
                                         "CAP_FSETID", "CAP_SETFCAP"}  # fmt: skip
    writable = [m["Destination"] for m in inspected["Mounts"] if m.get("RW")]
    assert writable == [], f"host paths writable in the buildroot: {writable}"
    assert not any("podman.sock" in m["Source"] for m in inspected["Mounts"])

    lines = [line.removeprefix("HARDEN ") for line in build_log.read_text().splitlines()
             if line.startswith("HARDEN ")]  # fmt: skip
    assert "uid 0" not in lines  # the build user is not root
    assert "NoNewPrivs:\t1" in lines
    assert {"CapEff:\t0000000000000000", "CapPrm:\t0000000000000000"} <= set(lines)
    uid_map = next(line for line in lines if line.startswith("uid_map"))
    assert uid_map.split()[1:3] != ["0", "0"], f"not in a user namespace: {uid_map}"
    assert "topdir read-only" in lines and "no podman socket" in lines, "|".join(lines)
    assert "netdevs lo " in lines
    assert not (topdir / "probe").exists()
    assert backend.list({LABEL_WORKER: worker_label}) == []
