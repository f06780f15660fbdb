"""The three ways a benchmark builds one SRPM: adjutant's CLI, a bare chroot, raw podman.

- adjutant: ``adjutant build SRPM [--repo DIR]``, the public entry point, as a user runs it;
- bare: what mock would be at best here: the same steps (unpack, ``rpmbuild -bs``, ``dnf
  builddep``, ``rpmbuild -bb``, copy out) in ``unshare`` + ``chroot`` of the task image's
  exported root filesystem, under a throwaway overlay (mock's root cache, without mock);
- podman: ``podman run --rm`` of the same image with the same steps, through the CLI.

The bare and podman sides run one constant script (``STEPS``) with inputs as arguments.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.inputs import ROOT

ADJUTANT = ROOT / ".venv/bin/adjutant"
# The steps adjutant's local rebuild runs, as one script: $1 SRPM, $2 repo dir or "", $3 out.
STEPS = r"""
set -euo pipefail
srpm=$1 repo=$2 out=$3 T=/builddir/build
as_user() { runuser -u kojibuilder -- env HOME=/builddir "$@"; }
cd /builddir
exec >>"$out/build.log" 2>&1
as_user rpm -i --nodeps --define "_topdir $T" "$srpm"
spec=$(ls $T/SPECS/*.spec)
as_user rpmbuild -bs --nodeps --define "_topdir $T" "$spec"
new=$(ls $T/SRPMS/*.src.rpm)
if [ -n "$repo" ]; then
    { printf '[main]\nreposdir=/dev/null\ngpgcheck=0\nkeepcache=1\ninstall_weak_deps=0\n'
      printf '[r]\nname=r\nbaseurl=file://%s\n' "$repo"; } > /etc/dnf/bench.conf
    dnf --config=/etc/dnf/bench.conf builddep -y "$new"
else
    dnf --disablerepo='*' --assumeno builddep "$new"
fi
as_user rpmbuild -bb --nodeps --define "_topdir $T" "$spec"
cp -r $T/RPMS $T/SRPMS "$out"/
"""
# Mounts the overlay and the inputs in a private mount namespace, then runs STEPS chrooted.
BARE = r"""
set -euo pipefail
lower=$1 scratch=$2 srpm_dir=$3 srpm=$4 repo_dir=$5 out=$6 steps=$7
m=$scratch/merged
mkdir -p $scratch/upper $scratch/work $m
mount -t overlay overlay -o lowerdir=$lower,upperdir=$scratch/upper,workdir=$scratch/work $m
mount -t proc proc $m/proc
mount --rbind /dev $m/dev
mkdir -p $m/mnt/srpm $m/mnt/out $m/mnt/repos/0
mount --bind -o ro $srpm_dir $m/mnt/srpm
mount --bind $out $m/mnt/out
repo=""
if [ -n "$repo_dir" ]; then mount --bind -o ro $repo_dir $m/mnt/repos/0; repo=/mnt/repos/0; fi
chroot $m bash -c "$steps" steps /mnt/srpm/$srpm "$repo" /mnt/out
"""


def _timed(argv: list[str], what: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{what} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def _check_rpms(out: Path, what: str) -> None:
    if not list(out.rglob("*.src.rpm")) or not [
        p for p in out.rglob("*.rpm") if not p.name.endswith(".src.rpm")
    ]:
        log = next(out.rglob("build.log"), None)
        tail = log.read_text(errors="replace")[-1500:] if log else ""
        raise RuntimeError(f"{what}: no RPMs in {out}\n{tail}")


def adjutant_build(srpm: Path, image: str, repo: Path | None = None) -> float:
    with tempfile.TemporaryDirectory(prefix="adjutant-bench-") as out:
        argv = [str(ADJUTANT), "build", str(srpm), "--image", image, "-o", out]
        if repo is not None:
            argv += ["--repo", str(repo)]
        elapsed = _timed(argv, f"adjutant build {srpm.name}")
        _check_rpms(Path(out), f"adjutant build {srpm.name}")
        return elapsed


def bare_build(srpm: Path, rootfs: Path, repo: Path | None = None) -> float:
    """The same steps chrooted; the overlay's upper dir is removed inside the timing, as a
    container's is."""
    with tempfile.TemporaryDirectory(prefix="adjutant-bench-") as tmp:
        scratch, out = Path(tmp) / "s", Path(tmp) / "out"
        out.mkdir()
        started = time.perf_counter()
        argv = [
            "unshare",
            "--mount",
            "--pid",
            "--fork",
            "bash",
            "-c",
            BARE,
            "bare",
            str(rootfs),
            str(scratch),
            str(srpm.parent),
            srpm.name,
            str(repo or ""),
            str(out),
            STEPS,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        shutil.rmtree(scratch)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            tail = (
                (out / "build.log").read_text(errors="replace")[-1500:]
                if (out / "build.log").exists()
                else ""
            )
            raise RuntimeError(f"bare build of {srpm.name} failed: {done.stderr[-1000:]}\n{tail}")
        _check_rpms(out, f"bare build {srpm.name}")
        return elapsed


def podman_build(srpm: Path, image: str, repo: Path | None = None) -> float:
    with tempfile.TemporaryDirectory(prefix="adjutant-bench-") as out:
        argv = [
            "podman",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            f"{srpm.parent}:/mnt/srpm:ro",
            "-v",
            f"{out}:/mnt/out",
        ]
        if repo is not None:
            argv += ["-v", f"{repo}:/mnt/repos/0:ro"]
        argv += [
            image,
            "bash",
            "-c",
            STEPS,
            "steps",
            f"/mnt/srpm/{srpm.name}",
            "/mnt/repos/0" if repo else "",
            "/mnt/out",
        ]
        elapsed = _timed(argv, f"podman run build {srpm.name}")
        _check_rpms(Path(out), f"podman run {srpm.name}")
        return elapsed
