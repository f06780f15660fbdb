"""Benchmark: the local container rebuild against plain rpmbuild on the host, in one run.

What it measures: the whole-build overhead of adjutant's container buildroot as `adjutant build`
runs it (buildArch's buildroot: create, start, rpmdb and hw-info queries, macros, unpack,
rpmbuild -bs, builddep, rpmbuild -bb, copy out, remove) for the bundled sample SRPM, against
`rpmbuild --rebuild --nodeps` of the same SRPM straight on the host as the baseline (the host
has the toolchain but no rpm database entries for it).
Results are ratios to that baseline; run on an idle machine:

    .venv/bin/python bench/local_rebuild.py --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from adjutant.config import AdjutantSettings, Settings
from adjutant.localbuild import LocalRebuild, rebuild
from adjutant.tasks.context import TaskContext

SAMPLE = Path(__file__).resolve().parents[1] / "tests/data/srpms/adjutant-hello-1.0-1.src.rpm"


def host_rpmbuild(srpm: Path) -> float:
    with tempfile.TemporaryDirectory() as topdir:
        started = time.perf_counter()
        subprocess.run(
            ["rpmbuild", "--rebuild", "--nodeps", "--define", f"_topdir {topdir}", str(srpm)],
            check=True, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - started


def container_rebuild(context: TaskContext, srpm: Path) -> tuple[float, float]:
    """Wall time of one rebuild, and the part of it spent inside the recorded steps."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = rebuild(context, LocalRebuild(srpm, Path(out), "x86_64"))
        return time.perf_counter() - started, sum(step.duration_s for step in result.steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    defaults = AdjutantSettings()
    parser.add_argument("--image", default=defaults.task_image_default)
    parser.add_argument("--podman-url", default=defaults.podman_url)
    args = parser.parse_args()
    settings = Settings(adjutant=AdjutantSettings(
        worker_name="adjutant-bench", podman_url=args.podman_url, task_image_default=args.image))
    context = TaskContext.from_settings(settings)
    host_rpmbuild(SAMPLE)  # warm caches for both sides before measuring
    container_rebuild(context, SAMPLE)
    host, container, in_steps = [], [], []
    for _ in range(args.rounds):  # interleaved, so drift in machine load hits both alike
        host.append(host_rpmbuild(SAMPLE))
        total, steps = container_rebuild(context, SAMPLE)
        container.append(total)
        in_steps.append(steps)
    host_median, container_median = statistics.median(host), statistics.median(container)
    steps_median = statistics.median(in_steps)
    print(f"rounds: {args.rounds}")
    print(f"baseline host rpmbuild --rebuild --nodeps   median {host_median:.3f}s")
    print(f"adjutant container rebuild                  median {container_median:.3f}s")
    print(f"  of which in steps (exec)                  median {steps_median:.3f}s")
    print(f"ratio container / host: {container_median / host_median:.2f}")
    outside_ratio = (container_median - steps_median) / host_median
    print(f"ratio container outside steps / host: {outside_ratio:.2f}")


if __name__ == "__main__":
    main()
