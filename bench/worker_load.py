"""Load run: many small buildArch tasks through one worker, looking for leaks.

What it measures: N tasks (default 200) of a one-file package queued at once on a devhub,
served by one `adjutant worker` with maxjobs 4, against the shared podman service. Before
and after: the worker's RSS and open file descriptors, our containers, and conmon processes
(podman 4.3 keeps an exec's conmon for ~300 s, so the count is also taken after --linger-s).
All tasks must close; a leak shows as a count that does not come back.

    .venv/bin/python bench/worker_load.py --tasks 200 --linger-s 330
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import koji

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from adjutant import images  # noqa: E402
from adjutant.container.podman import PodmanBackend  # noqa: E402
from tests.scenarios.worker_builds import FINISHED  # noqa: E402
from tests.support.devhub_worker import devhub_worker_site  # noqa: E402
from tests.support.images import TASK_IMAGE_NAME  # noqa: E402
from tests.support.processes import children_of, rss_mib  # noqa: E402

PODMAN_URL = "unix:///run/podman/podman.sock"


def conmons() -> int:
    return sum(1 for p in Path("/proc").glob("[0-9]*/comm") if _read(p) == "conmon")


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def snapshot(label: str, worker_pid: int, backend: PodmanBackend, worker: str) -> None:
    ours = len(backend.list({"io.adjutant.worker": worker}))
    print(f"{label:>14}: worker RSS {rss_mib(worker_pid):6.1f} MiB, fds {fds(worker_pid):3d}, "
          f"task processes {len(children_of(worker_pid)):3d}, containers {ours:3d}, "
          f"conmon {conmons():4d}", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--maxjobs", type=int, default=4)
    parser.add_argument("--linger-s", type=float, default=0.0,
                        help="wait this long after the run, then count conmon again")  # fmt: skip
    args = parser.parse_args()
    backend = PodmanBackend(PODMAN_URL)
    image = images.build(backend, images.find(images.default_images_dir(), TASK_IMAGE_NAME))
    worker = f"bench-load-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="adjutant-load-") as tmp:
        extra = {"maxjobs": str(args.maxjobs)}
        with devhub_worker_site(Path(tmp), PODMAN_URL, image, worker, extra) as site:
            time.sleep(3)
            snapshot("before", site.worker_pid, backend, worker)
            started = time.monotonic()
            task_ids = [site.submit(f"adjutant-load-{n}") for n in range(args.tasks)]
            submitted = time.monotonic()
            peak_conmon = 0
            while True:
                states = [site.admin.getTaskInfo(t)["state"] for t in task_ids]
                peak_conmon = max(peak_conmon, conmons())
                if all(s in FINISHED for s in states):
                    break
                time.sleep(2)
            elapsed = time.monotonic() - started
            closed = states.count(koji.TASK_STATES["CLOSED"])
            print(
                f"{args.tasks} tasks ({submitted - started:.0f} s to submit): {closed} closed, "
                f"{len(states) - closed} not, in {elapsed:.0f} s "
                f"({elapsed / args.tasks:.2f} s per task); peak conmon {peak_conmon}"
            )
            time.sleep(5)
            snapshot("after", site.worker_pid, backend, worker)
            if args.linger_s:
                time.sleep(args.linger_s)
                snapshot(f"after +{args.linger_s:.0f}s", site.worker_pid, backend, worker)
            return 0 if closed == args.tasks else 1


if __name__ == "__main__":
    sys.exit(main())
