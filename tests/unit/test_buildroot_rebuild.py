"""Local rebuild input checks, before any container is made."""

from pathlib import Path

import pytest

from adjutant.buildroot.rebuild import RebuildRequest, parse_define, rebuild
from adjutant.container.fake import FakeBackend
from adjutant.errors import TaskParamError
from tests.support.srpms import SAMPLE_SRPM


def test_defines_are_name_value_pairs() -> None:
    assert parse_define("dist .el9") == ("dist", ".el9")
    assert parse_define("  _with_tests  1 ") == ("_with_tests", "1")


@pytest.mark.parametrize("text", ["dist", "dist\n .x", "1abc x", "dist .x\n%_topdir /", "a-b x"])
def test_malformed_defines_are_refused(text: str) -> None:
    with pytest.raises(TaskParamError, match="invalid macro definition"):
        parse_define(text)


@pytest.mark.parametrize("arch", ["x86_64\n", "x86 64", "../x", ""])
def test_bad_arch_is_refused_before_any_container_exists(arch: str, tmp_path: Path) -> None:
    backend = FakeBackend(["img"])
    with pytest.raises(TaskParamError, match="invalid arch"):
        rebuild(backend, RebuildRequest(SAMPLE_SRPM, "img", tmp_path, arch=arch))
    assert backend.calls_to("create") == []


def test_a_local_buildroot_gets_the_hosts_default_limits_or_the_command_lines(
    tmp_path: Path,
) -> None:
    from adjutant.container.backend import ResourceLimits
    from adjutant.errors import AdjutantError, ConfigError
    from adjutant.localbuild import limits_from

    backend = FakeBackend(["img"])
    with pytest.raises(AdjutantError):  # the fake runs no rpm: the build fails after create
        rebuild(backend, RebuildRequest(SAMPLE_SRPM, "img", tmp_path))
    assert backend.calls_to("create")[0]["spec"].limits == ResourceLimits.for_host()
    limits = limits_from("1G", "200")
    assert (limits.memory_bytes, limits.pids) == (1 << 30, 200)
    with pytest.raises(ConfigError, match="--memory"):
        limits_from("lots", None)
