"""Turn a tag's build config and the host's options into a buildroot's rpm macros and environment.

Mirrors what kojid puts in a mock config: ``rpm.macro.*`` and ``rpm.env.*`` tag extras, the
vendor/packager/distribution options (tags may override them), ``%_host``/``%_host_cpu`` from
the target arch, and mock's default build environment. Pure: no hub calls, no files; the
package-manager side of the tag extra lives in ``repo_config``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from adjutant.buildroot.macros import MACRO_NAME
from adjutant.errors import ConfigError, TaskParamError

MACRO_PREFIX = "rpm.macro."
ENV_PREFIX = "rpm.env."
# mock's built-in environment for every command in the root (mockbuild.config defaults);
# kojid changes none of it, so a build sees exactly these unless the tag overrides one.
MOCK_ENVIRONMENT: Mapping[str, str] = {
    "TERM": "vt100",
    "SHELL": "/bin/bash",
    "HOME": "/builddir",
    "HOSTNAME": "mock",
    "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
    "PROMPT_COMMAND": r'printf "\033]0;<mock-chroot>\007"',
    "PS1": r"<mock-chroot> \s-\v\$ ",
    "LANG": "C.UTF-8",
}
_ARCH = re.compile(r"^[A-Za-z0-9_]+$")
_MOCKHOST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# The kinds of JSON value kojid turns into a macro or variable with str().
_SCALAR = (str, int, float, bool)


@dataclass(frozen=True)
class BuildHostOptions:
    """The [kojid] options that reach the build; defaults are kojid's."""

    vendor: str = "Koji"
    packager: str = "Koji"
    distribution: str = "Koji"
    mockhost: str = "koji-linux-gnu"
    buildhost: str = ""  # %_buildhost unless the tag sets it; empty: rpm's own (hostname)

    def __post_init__(self) -> None:
        for key in ("vendor", "packager", "distribution", "mockhost"):
            value = getattr(self, key)
            if not value or "\n" in value or "\r" in value:
                raise ConfigError(f"[kojid] {key} = {value!r}: must be one non-empty line")
        if not _MOCKHOST.fullmatch(self.mockhost):
            raise ConfigError(
                f"[kojid] mockhost = {self.mockhost!r}: use letters, digits and ._- only"
            )


@dataclass(frozen=True)
class BuildSettings:
    """What a buildroot's build steps run with."""

    tag_name: str
    target_arch: str
    macros: Mapping[str, str]  # names without the leading '%'
    environment: Mapping[str, str]


def login_environment(build_user: str) -> dict[str, str]:
    """USER and LOGNAME of the build user: mock runs rpmbuild in a login shell, whose profile
    sets them; podman's exec as that user sets neither."""
    return {"USER": build_user, "LOGNAME": build_user}


def target_arch_for(arch: str) -> str:
    """The arch rpmbuild targets for a task arch: armhfp (not an autoconf arch) becomes armv7hl.

    Raises:
        TaskParamError: ``arch`` is not a plain arch name.
    """
    if not _ARCH.fullmatch(arch):
        raise TaskParamError(f"invalid arch {arch!r}")
    return "armv7hl" if arch == "armhfp" else arch


def build_settings(
    build_config: Mapping[str, object], options: BuildHostOptions, arch: str
) -> BuildSettings:
    """Macros and environment for building for ``arch`` with a tag's ``getBuildConfig`` result.

    Precedence follows kojid: the host options give vendor/packager/distribution, tag macros
    override them, and ``%_host_cpu``/``%_host`` (like macros.FIXED_MACROS) override the tag.
    Tag variables override mock's default environment. An empty macro value becomes
    ``%{nil}``: a macros file line needs a body to define anything.

    Raises:
        TaskParamError: the arch, the tag name or an ``rpm.*`` extra is invalid; the message
            names the tag and the extra key.
    """
    tag_name = build_config.get("name")
    if not isinstance(tag_name, str) or not tag_name:
        raise TaskParamError(f"build config has no tag name: {tag_name!r}")
    extra = build_config.get("extra") or {}
    if not isinstance(extra, Mapping):
        raise TaskParamError(f"tag {tag_name}: extra is not a mapping but {type(extra).__name__}")
    target = target_arch_for(arch)
    macros: dict[str, str] = {
        "vendor": options.vendor,
        "packager": options.packager,
        "distribution": options.distribution,
    }
    if options.buildhost:
        macros["_buildhost"] = options.buildhost
    environment = dict(MOCK_ENVIRONMENT)
    for key in sorted(k for k in extra if isinstance(k, str)):
        if key.startswith(MACRO_PREFIX):
            name = key[len(MACRO_PREFIX) :]
            if not MACRO_NAME.fullmatch(name):
                raise TaskParamError(
                    f"tag {tag_name} extra {key!r}: {name!r} is not a valid rpm macro name"
                )
            macros[name] = _extra_value(tag_name, key, extra[key]) or "%{nil}"
        elif key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :]
            if not MACRO_NAME.fullmatch(name):
                raise TaskParamError(
                    f"tag {tag_name} extra {key!r}: {name!r} is not a valid variable name"
                )
            environment[name] = _extra_value(tag_name, key, extra[key])
    macros["_host_cpu"] = target
    macros["_host"] = f"{target}-{options.mockhost}"
    return BuildSettings(tag_name, target, macros, environment)


def _extra_value(tag_name: str, key: str, value: object) -> str:
    # kojid applies str() to whatever JSON the tag holds; we take the scalars it would turn
    # into something sensible and refuse lists, dicts and null, which never are.
    if not isinstance(value, _SCALAR):
        raise TaskParamError(
            f"tag {tag_name} extra {key!r}: expected a string or number, "
            f"got {type(value).__name__} {value!r}"
        )
    text = str(value)
    if "\n" in text or "\r" in text or "\0" in text:
        raise TaskParamError(f"tag {tag_name} extra {key!r}: value must be a single line")
    return text
