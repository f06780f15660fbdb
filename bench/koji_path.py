"""Scenario 5 (and 8): buildArch tasks on devhub, from openTask to closeTask, served by a real
``adjutant worker`` process; split into the worker's fixed cost and the steps in the
buildroot; the worker's peak RSS (daemon and task processes) and the disk a build uses.

The site is tests/support's devhub site (tags, target, host, build group, a repo), with the
complex package's BuildRequires imported into the base tag and a new repo made.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import koji

from adjutant.devhub import groups, tags
from tests.support import devhub_site
from tests.support.devhub_worker import DevhubSite, devhub_worker_site

PODMAN_URL = "unix:///run/podman/podman.sock"
TASK_TIMEOUT_S = 900.0
_STEP = re.compile(r"step (\S+) exited (-?\d+) after ([0-9.]+)s")
DEPS_STEPS = {"install-group", "builddep"}
RPMBUILD_STEPS = {"rpmbuild-bs", "rpmbuild-bb"}


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(child) for child in found]


@dataclass
class Sampler:
    """Peak RSS of the worker daemon and of its task processes; peak disk of the work dir."""

    worker_pid: int
    workdir: Path
    daemon_kib: int = 0
    task_kib: int = 0
    workdir_bytes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        tick = 0
        while not self._stop.wait(0.1):
            self.daemon_kib = max(self.daemon_kib, _rss_kib(self.worker_pid))
            tasks = sum(_rss_kib(child) for child in _children(self.worker_pid))
            self.task_kib = max(self.task_kib, tasks)
            tick += 1
            if tick % 10 == 0:
                used = subprocess.run(["du", "-sb", str(self.workdir)], capture_output=True,
                                      text=True, check=False).stdout.split()  # fmt: skip
                if used:
                    self.workdir_bytes = max(self.workdir_bytes, int(used[0]))

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join(timeout=30)


def worker_pid() -> int:
    for child in _children(os.getpid()):
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"worker" in cmdline and b"adjutant" in cmdline:
            return child
    raise RuntimeError("no adjutant worker process found")


HEAVY_TAG = "bench-heavy-build"


@contextlib.contextmanager
def koji_site(base: Path, image: str, dep_rpms: tuple[Path, ...]) -> Iterator[DevhubSite]:
    """The devhub site with the complex package's dependencies in a new repo of the tag, and
    a second build tag whose build group holds them all (a distribution-sized group, which
    the buildroot cache is for). The worker runs with the buildroot cache on."""
    label = f"adjutant-bench-{os.getpid()}"
    cache = {"buildroot_cache": "true", "buildroot_cache_dir": str(base / "brcache"),
             "buildroot_cache_max_size": "4G"}  # fmt: skip
    with devhub_worker_site(base, PODMAN_URL, image, label, adjutant_extra=cache) as site:
        assert site.hub_admin is not None
        devhub_site.import_into(site.hub_admin, devhub_site.BASE_TAG, list(dep_rpms))
        names = [p.name.rsplit("-", 2)[0] for p in dep_rpms]
        with site.hub_admin.admin_call() as call:
            tags.create_tag(call.db, HEAVY_TAG, None, {}, [devhub_site.BASE_TAG])
            groups.add_group(call.db, HEAVY_TAG, "build", ["adjutant-test-macros", *names])
        site.repo_id = devhub_site.make_repo(site.hub_admin)
        try:
            yield site
        finally:
            remove_cache_images(base / "brcache")


def new_heavy_repo(site: DevhubSite) -> int:
    assert site.hub_admin is not None
    return devhub_site.make_repo(site.hub_admin, HEAVY_TAG)


def remove_cache_images(cache_dir: Path) -> None:
    """The bench's buildroot cache images go with its run."""
    for index in cache_dir.glob("buildroots/*.json"):
        image = json.loads(index.read_text())["image"]
        subprocess.run(["podman", "rmi", "-f", image], capture_output=True, check=False)


def build_arch(
    site: DevhubSite, srpm: Path, tag: str | None = None, repo_id: int | None = None
) -> dict[str, float]:
    """One buildArch task; the hub's open-to-close time, split by the steps' own records."""
    upload = f"cli-build/adjutant-bench-{time.time_ns()}"
    site.admin.uploadWrapper(str(srpm), upload)
    params = [
        f"{upload}/{srpm.name}",
        tag or site.build_tag,
        "x86_64",
        True,
        {"repo_id": repo_id or site.repo_id},
    ]
    task_id = int(site.admin.makeTask("buildArch", params, arch="x86_64"))
    deadline = time.monotonic() + TASK_TIMEOUT_S
    while True:
        info = site.admin.getTaskInfo(task_id)
        if info["state"] in (koji.TASK_STATES["CLOSED"], koji.TASK_STATES["FAILED"],
                             koji.TASK_STATES["CANCELED"]):  # fmt: skip
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"task {task_id} not done after {TASK_TIMEOUT_S}s")
        time.sleep(0.2)
    if info["state"] != koji.TASK_STATES["CLOSED"]:
        fault = site.admin.getTaskResult(task_id, raise_fault=False)
        root_log = site.admin.downloadTaskOutput(task_id, "root.log").decode(errors="replace")
        config = site.admin.downloadTaskOutput(task_id, "mock_config.log").decode(errors="replace")
        raise RuntimeError(f"buildArch of {srpm.name} failed: {fault}\n{config}\n{root_log[:3000]}")
    total = float(info["completion_ts"]) - float(info["start_ts"])
    state_log = site.admin.downloadTaskOutput(task_id, "state.log").decode(errors="replace")
    steps: dict[str, float] = {}
    for name, _code, seconds in _STEP.findall(state_log):
        steps[name] = steps.get(name, 0.0) + float(seconds)
    deps = sum(v for k, v in steps.items() if k in DEPS_STEPS)
    rpmbuild = sum(v for k, v in steps.items() if k in RPMBUILD_STEPS)
    return {
        "wall": total,
        "deps": deps,
        "rpmbuild": rpmbuild,
        "fixed": total - deps - rpmbuild,
        "steps": float(len(_STEP.findall(state_log))),
    }
