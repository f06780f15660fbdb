"""docs/configuration.md, rendered from the schema so the reference cannot drift from the code.

Run ``python -m adjutant.config.doc`` to rewrite the file; a unit test fails while the
committed file differs from ``render()``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from adjutant.config.layers import DEFAULT_PATHS
from adjutant.config.schema import (
    ADJUTANT,
    CONFIG_ENV,
    ENV_PREFIX,
    KOJID,
    KOJID_ALIASES,
    OBSOLETE_KOJID_KEYS,
    PLANNED_PREFIX,
    OptionInfo,
    env_var,
    options,
)

DOC_PATH = Path("docs/configuration.md")

_INTRO = f"""\
# Configuration

<!-- Generated from adjutant/config/schema.py by `python -m adjutant.config.doc`; do not edit. -->

adjutant reads kojid's configuration: the `[kojid]` section keeps kojid's option names, types
and defaults, so an existing `kojid.conf` works unchanged. Options of adjutant's own live in an
`[adjutant]` section of the same files. Stock kojid refuses every section but `[kojid]` and
does not read `conf.d/`, so a host that may still run kojid keeps `[adjutant]` under `conf.d/`.

## Where values come from

Each layer overrides the one before it:

1. the defaults listed below;
2. config files: `{DEFAULT_PATHS[0]}`, then every `*.conf` in `{DEFAULT_PATHS[1]}` in name
   order; a later file overrides an earlier one. `--config PATH` (repeatable) or
   `{CONFIG_ENV}` (paths separated by `:`) replace that list; each path may be a file or a
   directory, and a path named this way must exist. Files are read without `%` interpolation;
3. environment variables: `{ENV_PREFIX}<KEY>` for a key of `[adjutant]` and
   `{env_var(KOJID, "<KEY>")}` for a key of `[kojid]` (key in upper case, for example
   `{env_var(ADJUTANT, "image_pull_policy")}`, `{env_var(KOJID, "maxjobs")}`). Values are
   parsed exactly like file values. An empty value unsets an optional key;
4. command-line flags of the command being run.

`adjutant config show` prints every effective value with its source, passwords and URL
credentials redacted. `adjutant config check` validates only. Both exit with status 2 on an
invalid configuration, listing every problem with its file and section or variable and the
bad value. Unknown keys and `{ENV_PREFIX}*` variables are refused, as kojid refuses unknown
options: a misspelt key would otherwise run silently with the default of the key meant.
Unknown sections are reported as warnings.

`config check` (and the worker at startup) also checks paths: writable directories must exist
or be creatable, readable files must exist. `topdir` is checked only with
`repo_access = mount`, `buildroot_cache_dir` only with `buildroot_cache = true`, `keytab` only
when set explicitly, and every `container_mounts` source must exist.

Some `[kojid]` options exist so that a kojid.conf works unchanged although adjutant has no use
for them (mock roots, builder plugins, maven and image tasks), and a few `[adjutant]` options
belong to features not built yet. Their rows say "Not read by adjutant" and why; setting them
changes nothing.

## Value formats

- boolean: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0` (any case).
- size: bytes, or a number with a `K`, `M`, `G` or `T` suffix (binary multiples; `2G`, `512MiB`).
- mounts: `SOURCE:TARGET[:OPTIONS]` entries separated by spaces; options are `ro` (default) or
  `rw`, optionally with `z` or `Z` for SELinux relabelling, comma-separated:
  `/srv/cache:/var/cache/dnf:rw,z /etc/pki/extra:/etc/pki/extra`.
- ulimits: `NAME=SOFT[:HARD]` entries separated by spaces, `-1` for unlimited:
  `nofile=20000:40000 nproc=8192`. Once any is given, podman replaces all its defaults, so
  `nofile` and `nproc` must both be given.
- path pairs (`host_path_map`): `INSIDE=OUTSIDE` entries separated by spaces. When the worker
  runs in a container, `INSIDE` is a directory as the worker sees it and `OUTSIDE` the same
  data's path on the container host; bind mounts are made with the host path.
- `RLIMIT_<NAME>` keys of `[kojid]` (for example `RLIMIT_NOFILE = 4096 8192`) set the worker
  process's resource limits as kojid does; their variables are `{env_var(KOJID, "RLIMIT_<NAME>")}`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if text else "(none)"


def _meaning(info: OptionInfo) -> str:
    """The help text, plus why adjutant ignores the option when it does."""
    reason = info.spec.unused
    if reason is None:
        return info.spec.help
    if reason.startswith(PLANNED_PREFIX):
        return f"{info.spec.help} Not read by adjutant yet: {reason.removeprefix(PLANNED_PREFIX)}."
    return f"{info.spec.help} Not read by adjutant: {reason}."


def _row(info: OptionInfo) -> str:
    default = info.default_text
    shown = default if info.spec.default_doc or info.spec.required else _code(default)
    cells = (
        f"`{info.key}`",
        f"`{info.env_var}`",
        info.spec.kind.name + (" (secret)" if info.spec.secret else ""),
        shown,
        _meaning(info),
    )
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _table(section: str) -> list[str]:
    lines = [
        "| Key | Environment variable | Type | Default | Meaning |",
        "|---|---|---|---|---|",
    ]
    lines.extend(_row(info) for info in options(section))
    return lines


def render() -> str:
    """The full text of docs/configuration.md."""
    lines = [_INTRO, f"## [{KOJID}]", ""]
    lines.extend(_table(KOJID))
    lines.append("")
    for alias, key in sorted(KOJID_ALIASES.items()):
        lines.append(f"`{alias}` is accepted as another spelling of `{key}`.")
    for key, reason in sorted(OBSOLETE_KOJID_KEYS.items()):
        lines.append(f"`{key}` is accepted and ignored with a warning: {reason}.")
    lines.extend(["", f"## [{ADJUTANT}]", ""])
    lines.extend(_table(ADJUTANT))
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write the reference to the path given (default docs/configuration.md)."""
    target = Path(argv[0]) if argv else DOC_PATH
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
