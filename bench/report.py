"""The benchmark's report: a short text summary, and the generated tables of
docs/performance.md (between the BEGIN/END markers; the prose around them is hand-written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BEGIN = "<!-- BEGIN bench/run generated -->"
END = "<!-- END bench/run generated -->"


def _fmt(stat: dict[str, float]) -> str:
    return f"{stat['median']:.3f} | {stat['min']:.3f} | {stat['max']:.3f} | {stat['p95']:.3f}"


def _variants_table(
    title: str, figures: dict[str, Any], base: str | None, key: str = "wall"
) -> list[str]:
    lines = [
        f"**{title}**",
        "",
        "| variant | median s | min | max | p95 | ratio |",
        "|---|---|---|---|---|---|",
    ]
    base_median = figures[base][key]["median"] if base else None
    for name, stats in figures.items():
        if not isinstance(stats, dict) or key not in stats:
            continue
        ratio = f"{stats[key]['median'] / base_median:.2f}" if base_median else ""
        lines.append(f"| {name} | {_fmt(stats[key])} | {ratio} |")
    return lines + [""]


def tables(doc: dict[str, Any]) -> str:
    r = doc["results"]
    load = doc["load_average"]
    m = doc["machine"]
    out = [
        f"Command: `{doc['command']}` · date: {doc['date']} · machine: {m['cpus']} cores, "
        f"{m['memory_gib']} GiB, kernel {m['kernel']}, {m['podman']} · load average "
        f"before/after: {load['before'][0]:.1f} / {load['after'][0]:.1f} (1 min) · rounds: "
        f"{doc['rounds']} · whole run {doc['total_s']:.0f} s "
        f"(inputs {doc['inputs']['prepare_s']:.0f} s)",
        "",
        "### Targets",
        "",
        "| target | this run | target | met | guard (`--check`) |",
        "|---|---|---|---|---|",
    ]
    for t in doc["targets"]:
        guard = f"{t['guard']:.2f}" if t["guard"] is not None else "not checked (time)"
        goal = "—" if t["target"] is None else f"{t['target']:.2f} {t['unit']}"
        met = "—" if t["target"] is None else ("yes" if t["met"] else "**no**")
        out.append(f"| {t['name']} | {t['value']:.2f} {t['unit']} | {goal} | {met} | {guard} |")
    out.append("")
    if "lifecycle" in r:
        for phase in ("warm", "cold"):
            if phase in r["lifecycle"]:
                for key in ("wall", "start", "cleanup"):
                    out += _variants_table(
                        f"1. Lifecycle, {phase}: {key}", r["lifecycle"][phase], "podman_cli", key
                    )
    for number, name, title in (
        (2, "simple", "simple package (sample SRPM)"),
        (3, "zlib", "real C package (zlib from Debian's archive)"),
        (
            4,
            "complex",
            f"complex package ({doc['inputs']['complex_deps']} "
            f"BuildRequires, {doc['inputs']['complex_deps_mib']:.0f} MiB)",
        ),
    ):
        if name in r:
            out += _variants_table(f"{number}. {title}", r[name], "bare")
    if "koji" in r:
        koji = r["koji"]
        out += [
            "**5. koji buildArch on devhub (openTask → closeTask)**",
            "",
            "| package | total s | fixed s | deps s | rpmbuild s | steps |",
            "|---|---|---|---|---|---|",
        ]
        for name, stats in koji.items():
            if isinstance(stats, dict) and "wall" in stats:
                out.append(
                    f"| {name} | {stats['wall']['median']:.2f} | "
                    f"{stats['fixed']['median']:.2f} | {stats['deps']['median']:.2f} | "
                    f"{stats['rpmbuild']['median']:.2f} | {stats['steps']['median']:.0f} |"
                )
        res = koji["resources"]
        out += [
            "",
            "**8. Worker resources (during the koji builds)**",
            "",
            f"- worker daemon peak RSS: {res['worker_daemon_peak_rss_mib']:.0f} MiB",
            f"- task processes peak RSS (sum): {res['task_processes_peak_rss_mib']:.0f} MiB",
            f"- task work dir peak: {res['workdir_peak_mib']:.1f} MiB",
            "",
        ]
    if "createrepo" in r:
        cr = r["createrepo"]
        out += _variants_table(
            f"6. createrepo over {cr['packages']} RPMs (+1)",
            {k: v for k, v in cr.items() if isinstance(v, dict)},
            "scratch",
        )
    if "concurrent" in r:
        c = r["concurrent"]
        out += [
            f"**7. {c['builds']} builds at once vs one after another**",
            "",
            "| side | serial s | concurrent s | ideal s | concurrent / ideal "
            "| API ping idle / serial / concurrent (p95) ms |",
            "|---|---|---|---|---|---|",
        ]
        for side in ("adjutant", "bare"):
            s = c[side]
            out.append(
                f"| {side} | {s['serial']:.2f} | {s['concurrent']:.2f} | {s['ideal']:.2f} | "
                f"{s['concurrent_over_ideal']:.2f} | {s['ping_idle'] * 1000:.0f} / "
                f"{s['ping_serial'] * 1000:.0f} / {s['ping_concurrent'] * 1000:.0f} "
                f"({s['ping_concurrent_p95'] * 1000:.0f}) |"
            )
        out.append("")
    return "\n".join(out)


def text_summary(doc: dict[str, Any]) -> str:
    lines = [
        f"load average before/after: {doc['load_average']['before'][0]:.1f} / "
        f"{doc['load_average']['after'][0]:.1f}; total {doc['total_s']:.0f}s"
    ]
    for t in doc["targets"]:
        goal = "guard only" if t["target"] is None else f"target {t['target']:.2f}{t['unit']}"
        lines.append(
            f"  {'ok  ' if t['met'] else 'MISS'} {t['name']}: {t['value']:.2f}{t['unit']} ({goal})"
        )
    return "\n".join(lines)


def update_docs(path: Path, doc: dict[str, Any]) -> None:
    text = path.read_text()
    generated = f"{BEGIN}\n{tables(doc)}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + generated + tail
    else:
        text = text.rstrip("\n") + "\n\n## Latest `bench/run`\n\n" + generated + "\n"
    path.write_text(text)
