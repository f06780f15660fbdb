"""bench/run: every adjutant benchmark in one run, each variant against its baselines.

    bench/run [--quick] [--json FILE] [--check] [--update-docs] [--only NAME ...]

Scenarios (``--only`` picks some): lifecycle, simple, zlib, complex, koji, createrepo,
concurrent (koji also reports the worker's memory and disk: scenario 8). Within a scenario the
variants are interleaved round by round; figures are medians with min, max and p95. Ratios
against the baselines of the same run are what count: this machine is shared and its load
moves absolute times. ``--check`` fails (exit 1) only when a ratio is far past its target
(bench/targets.py); never on wall-clock time. ``--update-docs`` rewrites the generated part
of docs/performance.md from this run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adjutant.config import AdjutantSettings
from adjutant.container.podman import PodmanBackend
from bench import inputs, lifecycle, load, report, sides, targets
from bench.stats import interleave, summarize

SCENARIOS = ("lifecycle", "simple", "zlib", "complex", "koji", "createrepo", "concurrent")
QUICK_SKIPS = ("koji", "createrepo")


def machine() -> dict[str, Any]:
    podman = subprocess.run(["podman", "--version"], capture_output=True, text=True).stdout
    return {"cpus": os.cpu_count(), "kernel": platform.release(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "podman": podman.strip(), "python": platform.python_version()}  # fmt: skip


def run_lifecycle(ctx: Context) -> dict[str, Any]:
    backend = PodmanBackend("unix:///run/podman/podman.sock")
    warm = summarize(interleave({
        "adjutant_backend": lambda: lifecycle.backend_lifecycle(backend, ctx.image),
        "podman_cli": lambda: lifecycle.cli_lifecycle(ctx.image),
    }, ctx.rounds))  # fmt: skip
    result: dict[str, Any] = {"warm": warm}
    if not ctx.quick:
        cold: dict[str, dict[str, list[float]]] = {"adjutant_backend": {}, "podman_cli": {}}
        for _ in range(ctx.rounds):
            for name in cold:
                tag = lifecycle.fresh_image(ctx.image)
                try:
                    if name == "adjutant_backend":
                        figures = lifecycle.backend_lifecycle(backend, tag)
                    else:
                        figures = lifecycle.cli_lifecycle(tag)
                finally:
                    lifecycle.remove_image(tag)
                for key, value in figures.items():
                    cold[name].setdefault(key, []).append(value)
        result["cold"] = summarize(cold)
    return result


def run_build(ctx: Context, srpm: Path, repo: Path | None, rounds: int) -> dict[str, Any]:
    variants: dict[str, Callable[[], float]] = {
        "bare": lambda: sides.bare_build(srpm, ctx.rootfs, repo),
        "podman_run": lambda: sides.podman_build(srpm, ctx.image, repo),
        "adjutant": lambda: sides.adjutant_build(srpm, ctx.image, repo),
    }
    if not ctx.quick:
        for build in variants.values():  # one unmeasured pass: page cache, image layers
            build()
    return summarize(interleave(variants, rounds))


def run_koji(ctx: Context) -> dict[str, Any]:
    from bench import koji_path

    srpms = {"simple": ctx.inputs.simple_srpm, "complex": ctx.inputs.complex_srpm}
    if not ctx.quick:
        srpms["zlib"] = ctx.inputs.zlib_srpm
    with (
        tempfile.TemporaryDirectory(prefix="adjutant-bench-koji-") as tmp,
        koji_path.koji_site(Path(tmp), ctx.image, ctx.inputs.dep_rpms) as site,
    ):
        sampler = koji_path.Sampler(koji_path.worker_pid(), site.workdir)
        with sampler.running():
            koji_path.build_arch(site, ctx.inputs.simple_srpm)  # unmeasured warm-up
            variants = {
                name: (lambda s=srpm: koji_path.build_arch(site, s)) for name, srpm in srpms.items()
            }
            # The heavy build group: "cold" on a repo no buildroot used yet (installs and
            # commits the cache entry), "warm" on one already seen (starts from the entry).
            warm_repo = koji_path.new_heavy_repo(site)
            simple = ctx.inputs.simple_srpm
            koji_path.build_arch(site, simple, koji_path.HEAVY_TAG, warm_repo)  # fills it
            variants["heavy_group_cold"] = lambda: koji_path.build_arch(
                site, simple, koji_path.HEAVY_TAG, koji_path.new_heavy_repo(site)
            )
            variants["heavy_group_warm"] = lambda: koji_path.build_arch(
                site, simple, koji_path.HEAVY_TAG, warm_repo
            )
            result: dict[str, Any] = summarize(interleave(variants, ctx.koji_rounds))
        result["resources"] = {
            "worker_daemon_peak_rss_mib": sampler.daemon_kib / 1024,
            "task_processes_peak_rss_mib": sampler.task_kib / 1024,
            "workdir_peak_mib": sampler.workdir_bytes / 2**20,
        }
    return result


def run_createrepo(ctx: Context) -> dict[str, Any]:
    from adjutant.tasks.createrepo import createrepo_argv
    from bench import createrepo_update as cu

    count = 300 if ctx.quick else 1000
    with tempfile.TemporaryDirectory(prefix="adjutant-bench-createrepo-") as tmp:
        work = Path(tmp)
        rpms = cu.build_rpms(cu.many_packages_spec(count), work / "build")
        extra = cu.build_rpms(cu.many_packages_spec(1, "benchextra"), work / "extra")
        topdir = work / "top"
        old = cu.lay_out(topdir, rpms, 1)
        subprocess.run(createrepo_argv(old, old, old / "pkglist", None, False, False),
                       check=True, capture_output=True)  # fmt: skip
        new = cu.lay_out(topdir, rpms + extra, 2)
        samples: dict[str, dict[str, list[float]]] = {}
        for _ in range(ctx.rounds):
            for key, value in cu.run_round(topdir, old, new, ctx.image).items():
                samples.setdefault(key, {}).setdefault("wall", []).append(value)
    return {"packages": count, **summarize(samples)}


def run_concurrent(ctx: Context) -> dict[str, Any]:
    count = 5
    srpm = ctx.inputs.simple_srpm
    return {
        "builds": count,
        "adjutant": load.concurrent_vs_serial(lambda: sides.adjutant_build(srpm, ctx.image), count),
        "bare": load.concurrent_vs_serial(lambda: sides.bare_build(srpm, ctx.rootfs), count),
    }


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.quick: bool = args.quick
        self.image: str = args.image
        self.rounds: int = 3 if args.quick else args.rounds
        self.koji_rounds: int = 2 if args.quick else args.rounds
        started = time.perf_counter()
        self.inputs = inputs.prepare(args.cache_dir, quick=args.quick)
        self.rootfs = inputs.exported_rootfs(args.cache_dir, args.image)
        self.prepare_s = time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller inputs")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--check", action="store_true", help="fail on a ratio far past target")
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help="rewrite the generated tables in docs/performance.md",
    )
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="run only these")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--image", default=AdjutantSettings().task_image_default)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "adjutant-bench",
        help="fetched and generated inputs (reused)",
    )
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("the bare baseline needs root (unshare, mount, chroot)")
    # --quick (the CI guard) leaves out what it does not check: the koji path (devhub and a
    # worker) and createrepo; --only still runs them.
    wanted = args.only or [s for s in SCENARIOS if not (args.quick and s in QUICK_SKIPS)]
    started = time.perf_counter()
    load_before = os.getloadavg()
    ctx = Context(args)
    print(f"inputs ready in {ctx.prepare_s:.1f}s (cache {args.cache_dir})", flush=True)
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "lifecycle": lambda: run_lifecycle(ctx),
        "simple": lambda: run_build(ctx, ctx.inputs.simple_srpm, None, ctx.rounds),
        "zlib": lambda: run_build(ctx, ctx.inputs.zlib_srpm, None, 1 if ctx.quick else ctx.rounds),
        "complex": lambda: run_build(
            ctx, ctx.inputs.complex_srpm, ctx.inputs.deps_repo, ctx.rounds
        ),
        "koji": lambda: run_koji(ctx),
        "createrepo": lambda: run_createrepo(ctx),
        "concurrent": lambda: run_concurrent(ctx),
    }
    results: dict[str, Any] = {}
    for name in SCENARIOS:
        if name in wanted:
            began = time.perf_counter()
            results[name] = runners[name]()
            results[name]["seconds"] = time.perf_counter() - began
            print(f"{name}: done in {results[name]['seconds']:.1f}s", flush=True)
    document = {
        "command": "bench/run"
        + (" --quick" if args.quick else "")
        + "".join(f" --only {n}" for n in args.only or ()),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "rounds": ctx.rounds,
        "inputs": {
            "prepare_s": ctx.prepare_s,
            "zlib_fetch_s": ctx.inputs.fetch_s,
            "complex_deps": len(ctx.inputs.dep_rpms),
            "complex_deps_mib": sum(p.stat().st_size for p in ctx.inputs.dep_rpms) / 2**20,
        },
        "results": results,
        "targets": targets.evaluate(results),
        "total_s": time.perf_counter() - started,
    }
    print(report.text_summary(document))
    if args.json:
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    if args.update_docs:
        report.update_docs(inputs.ROOT / "docs/performance.md", document)
    if args.check:
        failures = [t for t in document["targets"] if t["check_failed"]]
        for target in failures:
            print(
                f"CHECK FAILED: {target['name']}: {target['value']:.2f} past the guard "
                f"{target['guard']:.2f}",
                file=sys.stderr,
            )
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    shutil.which("podman") or sys.exit("bench/run: podman is missing: run scripts/setup-host")
    sys.exit(main())
