"""Macros and environment a buildroot gets from the tag's build config and the host options."""

import json
from pathlib import Path
from typing import Any

import pytest

from adjutant.buildroot.build_config import (
    MOCK_ENVIRONMENT,
    BuildHostOptions,
    build_settings,
    login_environment,
    target_arch_for,
)
from adjutant.buildroot.macros import render_macros
from adjutant.errors import ConfigError, TaskParamError

DATA = Path(__file__).resolve().parents[1] / "data/buildroot"


def sample_config(**extra: object) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((DATA / "build_config.json").read_text())
    config["extra"].update(extra)
    return config


def test_tag_macros_and_host_options_combine_as_kojid_does() -> None:
    options = BuildHostOptions(packager="Build Team <bt@example.org>", distribution="Example")
    settings = build_settings(sample_config(), options, "x86_64")
    assert settings.macros["dist"] == ".fc40"
    assert settings.macros["fedora"] == "40"
    # the tag overrides the host's vendor; the options fill the rest
    assert settings.macros["vendor"] == "Fedora Project"
    assert settings.macros["packager"] == "Build Team <bt@example.org>"
    assert settings.macros["distribution"] == "Example"
    assert settings.tag_name == "f40-build"


def test_host_macros_follow_the_target_arch_and_mockhost() -> None:
    settings = build_settings(sample_config(), BuildHostOptions(mockhost="redhat-linux"), "i686")
    assert settings.macros["_host_cpu"] == "i686"
    assert settings.macros["_host"] == "i686-redhat-linux"


def test_tags_cannot_override_host_macros() -> None:
    config = sample_config(**{"rpm.macro._host": "evil", "rpm.macro._host_cpu": "evil"})
    settings = build_settings(config, BuildHostOptions(), "x86_64")
    assert settings.macros["_host"] == "x86_64-koji-linux-gnu"
    assert settings.macros["_host_cpu"] == "x86_64"


def test_armhfp_builds_target_armv7hl() -> None:
    assert target_arch_for("armhfp") == "armv7hl"
    assert target_arch_for("aarch64") == "aarch64"
    settings = build_settings(sample_config(), BuildHostOptions(), "armhfp")
    assert settings.target_arch == "armv7hl"
    assert settings.macros["_host"] == "armv7hl-koji-linux-gnu"


def test_defaults_are_kojids_when_the_tag_sets_nothing() -> None:
    settings = build_settings({"id": 1, "name": "t", "extra": {}}, BuildHostOptions(), "noarch")
    assert {k: settings.macros[k] for k in ("vendor", "packager", "distribution")} == {
        "vendor": "Koji",
        "packager": "Koji",
        "distribution": "Koji",
    }
    assert settings.environment == MOCK_ENVIRONMENT


def test_environment_is_mocks_plus_tag_variables() -> None:
    config = sample_config(**{"rpm.env.LANG": "en_US.UTF-8"})
    environment = build_settings(config, BuildHostOptions(), "x86_64").environment
    assert environment["HOME"] == "/builddir"
    assert environment["PATH"] == "/usr/bin:/bin:/usr/sbin:/sbin"
    assert environment["TERM"] == "vt100" and environment["SHELL"] == "/bin/bash"
    assert environment["PS1"] == r"<mock-chroot> \s-\v\$ "
    assert environment["SOURCE_DATE_EPOCH_FROM_CHANGELOG"] == "1"
    assert environment["LANG"] == "en_US.UTF-8"


def test_empty_macro_value_becomes_nil() -> None:
    settings = build_settings(sample_config(**{"rpm.macro.dist": ""}), BuildHostOptions(), "x86_64")
    assert settings.macros["dist"] == "%{nil}"


def test_settings_render_into_a_macros_file() -> None:
    settings = build_settings(sample_config(), BuildHostOptions(), "x86_64")
    lines = render_macros(settings.macros).splitlines()
    assert "%dist .fc40" in lines
    assert "%_host x86_64-koji-linux-gnu" in lines
    assert "%_topdir /builddir/build" in lines


def test_missing_extra_counts_as_empty() -> None:
    settings = build_settings({"id": 1, "name": "t", "extra": None}, BuildHostOptions(), "x86_64")
    assert settings.macros["vendor"] == "Koji"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"rpm.macro.bad name": "x"}, r"tag f40-build extra 'rpm.macro.bad name': .*macro name"),
        ({"rpm.macro.": "x"}, r"extra 'rpm.macro.': '' is not a valid rpm macro name"),
        ({"rpm.macro.%dist": "x"}, "not a valid rpm macro name"),
        ({"rpm.macro.dist": ".fc40\n%_topdir /"}, r"extra 'rpm.macro.dist': .*single line"),
        ({"rpm.macro.dist": "a\rb"}, "single line"),
        ({"rpm.macro.dist": ["a"]}, r"extra 'rpm.macro.dist': expected a string or number"),
        ({"rpm.macro.dist": None}, "expected a string or number, got NoneType"),
        ({"rpm.env.1BAD": "x"}, r"extra 'rpm.env.1BAD': .*variable name"),
        ({"rpm.env.A-B": "x"}, "not a valid variable name"),
        ({"rpm.env.FOO": "a\nb"}, r"extra 'rpm.env.FOO': value must be a single line"),
        ({"rpm.env.FOO": "a\0b"}, "single line"),
        ({"rpm.env.FOO": {"x": 1}}, "expected a string or number, got dict"),
    ],
)
def test_bad_tag_extras_are_refused_naming_the_key(extra: dict[str, object], message: str) -> None:
    with pytest.raises(TaskParamError, match=message):
        build_settings(sample_config(**extra), BuildHostOptions(), "x86_64")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"id": 1, "extra": {}}, "no tag name"),
        ({"id": 1, "name": "", "extra": {}}, "no tag name"),
        ({"id": 1, "name": "t", "extra": ["x"]}, "extra is not a mapping"),
    ],
)
def test_malformed_build_configs_are_refused(config: dict[str, object], message: str) -> None:
    with pytest.raises(TaskParamError, match=message):
        build_settings(config, BuildHostOptions(), "x86_64")


@pytest.mark.parametrize("arch", ["", "x86 64", "../x", "x86_64\n"])
def test_bad_arches_are_refused(arch: str) -> None:
    with pytest.raises(TaskParamError, match="invalid arch"):
        build_settings(sample_config(), BuildHostOptions(), arch)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"vendor": ""}, r"\[kojid\] vendor = '': must be one non-empty line"),
        ({"packager": "a\nb"}, r"\[kojid\] packager"),
        ({"distribution": "a\rb"}, r"\[kojid\] distribution"),
        ({"mockhost": "koji linux"}, r"\[kojid\] mockhost = 'koji linux'"),
        ({"mockhost": "-x"}, "mockhost"),
    ],
)
def test_bad_host_options_are_config_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BuildHostOptions(**options)


def test_buildhost_is_the_hosts_unless_the_tag_sets_it() -> None:
    options = BuildHostOptions(buildhost="builder-7.example.org")
    assert build_settings(sample_config(), options, "x86_64").macros["_buildhost"] == (
        "builder-7.example.org"
    )
    tagged = sample_config(**{"rpm.macro._buildhost": "reproducible"})
    assert build_settings(tagged, options, "x86_64").macros["_buildhost"] == "reproducible"
    assert "_buildhost" not in build_settings(sample_config(), BuildHostOptions(), "x86_64").macros


def test_login_environment_names_the_build_user() -> None:
    assert login_environment("kojibuilder") == {"USER": "kojibuilder", "LOGNAME": "kojibuilder"}
