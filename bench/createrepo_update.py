"""Benchmark: regenerating a 1,000-package repo, from scratch and with createrepo_update.

What it measures, for a tag of N small RPMs laid out as koji does (packages/ under a topdir,
the repo's arch dir with a toplink and a pkglist through it):

- baseline: createrepo_c from scratch (what newRepo does without createrepo_update);
- update: the next regeneration after one package was added, starting from the previous
  repodata with --update (createrepo_update), with and without --skip-stat;
- where to run it: the same from-scratch run inside a task container (topdir mounted
  read-only) against on the worker, which is what adjutant does.

Results are ratios to the baseline measured in the same run; run on an idle machine:

    .venv/bin/python bench/createrepo_update.py --packages 1000 --rounds 3
    .venv/bin/python bench/createrepo_update.py --packages 1000 --rounds 3 --payload-kb 256
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from adjutant.config import AdjutantSettings
from adjutant.tasks.createrepo import createrepo_argv


def many_packages_spec(count: int, name: str = "bench", payload_kb: int = 0) -> str:
    """One spec whose build yields `count` noarch subpackages (one rpmbuild, not N), each
    carrying `payload_kb` KiB of random (incompressible) data."""
    parts = [
        f"Name: {name}\nVersion: 1\nRelease: 1\nSummary: bench\nLicense: MIT\n"
        "BuildArch: noarch\n%description\nbench\n"
    ]
    for n in range(count):
        parts.append(
            f"%package -n {name}-p{n}\nSummary: p{n}\n%description -n {name}-p{n}\n"
            f"p{n}\n%files -n {name}-p{n}\n/usr/share/{name}/p{n}\n"
        )
    parts.append(
        f"%install\nmkdir -p %{{buildroot}}/usr/share/{name}\n"
        f"for n in $(seq 0 {count - 1}); do f=%{{buildroot}}/usr/share/{name}/p$n; "
        f"echo $n > $f; head -c {payload_kb * 1024} /dev/urandom >> $f; done\n"
        "%define _binary_payload w1.gzdio\n"
    )
    return "\n".join(parts)


def build_rpms(spec_text: str, work: Path) -> list[Path]:
    work.mkdir(parents=True)
    spec = work / "bench.spec"
    spec.write_text(spec_text)
    subprocess.run(
        ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {work / 'rb'}", str(spec)],
        check=True,
        capture_output=True,
    )
    return sorted((work / "rb" / "RPMS").rglob("*.rpm"))


def lay_out(topdir: Path, rpms: list[Path], repo_id: int) -> Path:
    """koji's layout: packages/<n>/<v>/<r>/<arch>/ and repos/bench/<id>/noarch/pkglist."""
    arch_dir = topdir / "repos" / "bench" / str(repo_id) / "noarch"
    arch_dir.mkdir(parents=True)
    (arch_dir / "toplink").symlink_to("../../../..")
    lines = []
    for rpm in rpms:
        name, version, release = rpm.name.removesuffix(".noarch.rpm").rsplit("-", 2)
        rel = Path("packages", name, version, release, "noarch", rpm.name)
        (topdir / rel).parent.mkdir(parents=True, exist_ok=True)
        if not (topdir / rel).exists():
            shutil.copy2(rpm, topdir / rel)
        lines.append(f"toplink/{rel}\n")
    (arch_dir / "pkglist").write_text("".join(lines))
    return arch_dir


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def run_round(topdir: Path, old: Path, new: Path, image: str) -> dict[str, float]:
    out = topdir / "out"
    results = {}
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    results["scratch"] = timed(createrepo_argv(out, new, new / "pkglist", None, False, False))
    for label, skip in (("update", False), ("update_skip_stat", True)):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(old / "repodata", out / "repodata")
        results[label] = timed(createrepo_argv(out, new, new / "pkglist", None, True, skip))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    results["container_scratch"] = timed(
        [
            "podman",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            f"{topdir}:{topdir}:ro",
            "-v",
            f"{out}:{out}",
            image,
            *createrepo_argv(out, new, new / "pkglist", None, False, False),
        ]
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--payload-kb",
        type=int,
        default=0,
        help="random data per package (checksumming cost grows with it)",
    )
    parser.add_argument("--image", default=AdjutantSettings().task_image_default)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-createrepo-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        rpms = build_rpms(
            many_packages_spec(args.packages, payload_kb=args.payload_kb), work / "build"
        )
        extra = build_rpms(many_packages_spec(1, "benchextra"), work / "extra")
        print(f"built {len(rpms)} + {len(extra)} rpms in {time.perf_counter() - started:.1f}s")
        topdir = work / "top"
        old = lay_out(topdir, rpms, 1)
        subprocess.run(
            createrepo_argv(old, old, old / "pkglist", None, False, False),
            check=True,
            capture_output=True,
        )
        new = lay_out(topdir, rpms + extra, 2)
        rounds = [run_round(topdir, old, new, args.image) for _ in range(args.rounds)]
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    base = medians["scratch"]
    print(f"{'':34} {'median':>9} {'ratio':>7}")
    for key, label in (
        ("scratch", "createrepo_c from scratch (baseline)"),
        ("update", "--update from previous repodata"),
        ("update_skip_stat", "--update --skip-stat"),
        ("container_scratch", "from scratch in a task container"),
    ):
        print(f"{label:34} {medians[key]:8.3f}s {medians[key] / base:7.2f}")


if __name__ == "__main__":
    main()
