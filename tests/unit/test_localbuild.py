"""`adjutant build` runs buildArch's buildroot behind a local stand-in hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from adjutant.buildroot.container_steps import INSTALL_CAPS, LOG_NAMES
from adjutant.config import AdjutantSettings, KojidSettings, Settings
from adjutant.container.backend import ContainerSpec, ResourceLimits
from adjutant.container.fake import FakeBackend
from adjutant.errors import BuildFailed, TaskParamError
from adjutant.localbuild import (
    LOCAL_WORKER,
    LocalRebuild,
    local_context,
    parse_define,
    rebuild,
)
from adjutant.tasks.context import TaskContext
from tests.support.fake_hub import RPM_NAMES, RPMS_DIR, SRPM_NAME, script_buildroot

IMAGE = "localhost/adjutant/test:1"
SRPM = RPMS_DIR / SRPM_NAME


def make_context(backend: FakeBackend, image: str | None = None) -> TaskContext:
    settings = Settings(
        KojidSettings(rpmbuild_timeout=600),
        AdjutantSettings(task_image_default=IMAGE, container_memory=1 << 30, container_pids=99),
    )
    return local_context(TaskContext.from_settings(settings, factory=lambda: backend), image)


def scripted_backend() -> FakeBackend:
    backend = FakeBackend([IMAGE])
    script_buildroot(backend)
    return backend


def created_spec(backend: FakeBackend) -> ContainerSpec:
    (call,) = backend.calls_to("create")
    spec: ContainerSpec = call["spec"]
    return spec


def test_local_rebuild_puts_packages_and_logs_in_the_result_dir(tmp_path: Path) -> None:
    backend = scripted_backend()
    result = rebuild(make_context(backend), LocalRebuild(SRPM, tmp_path / "out", "x86_64"))

    assert sorted(p.name for p in result.outputs.rpms) == sorted(RPM_NAMES)
    assert [p.name for p in result.outputs.srpms] == [SRPM_NAME]
    assert all(p.parent == tmp_path / "out" and p.is_file() for p in result.outputs.rpms)
    assert {p.name for p in result.logs} == set(LOG_NAMES)
    assert "rpmbuild -bb" in (tmp_path / "out" / "state.log").read_text()
    assert [s.name for s in result.steps][-2:] == ["builddep", "rpmbuild-bb"]
    assert result.buildroot.states == ["INIT", "BUILDING", "EXPIRED"]
    assert backend.containers == {}


def test_local_buildroot_has_the_spec_and_limits_of_build_arch(tmp_path: Path) -> None:
    backend = scripted_backend()
    rebuild(make_context(backend), LocalRebuild(SRPM, tmp_path / "out", "x86_64"))

    spec = created_spec(backend)
    assert spec.role == "buildroot" and spec.worker == LOCAL_WORKER
    assert spec.cap_add == INSTALL_CAPS and spec.cap_drop == ("ALL",)
    assert spec.limits == ResourceLimits(memory_bytes=1 << 30, pids=99)
    assert spec.network == "none"  # no repo to fetch from: no network at all


def test_defines_reach_the_buildroot_macros_as_tag_macros_do(tmp_path: Path) -> None:
    backend = scripted_backend()
    request = LocalRebuild(SRPM, tmp_path / "out", "x86_64", defines=(("dist", ".adj1"),))
    rebuild(make_context(backend), request)

    assert "%dist .adj1" in (tmp_path / "out" / "mock_config.log").read_text()


def test_a_failing_rpmbuild_has_build_arch_s_fault_text_and_keeps_the_logs(
    tmp_path: Path,
) -> None:
    backend = scripted_backend()
    backend.on_exec(("rpmbuild", "-bb"), exit_code=1, output=b"compiler-says-no\n")
    with pytest.raises(BuildFailed, match=r"error building package \(arch x86_64\), rpmbuild -bb "
                       "exited with status 1; see build.log"):  # fmt: skip
        rebuild(make_context(backend), LocalRebuild(SRPM, tmp_path / "out", "x86_64"))
    assert "compiler-says-no" in (tmp_path / "out" / "build.log").read_text()
    assert backend.containers == {}


def test_rebuilds_in_one_process_never_share_a_task_id(tmp_path: Path) -> None:
    names = set()
    for number in range(3):
        backend = scripted_backend()
        rebuild(make_context(backend), LocalRebuild(SRPM, tmp_path / str(number), "x86_64"))
        spec = created_spec(backend)
        names.add((spec.task_id, spec.container_name))
    assert len({task_id for task_id, _ in names}) == 3
    assert len({name for _, name in names}) == 3


def test_the_image_is_the_configured_default_unless_given(tmp_path: Path) -> None:
    backend = scripted_backend()
    backend.add_image("localhost/other:2")
    assert make_context(backend).image.image == IMAGE
    context = make_context(backend, "localhost/other:2")
    rebuild(context, LocalRebuild(SRPM, tmp_path / "out", "x86_64"))
    assert created_spec(backend).image == "localhost/other:2"


def test_defines_are_name_value_pairs() -> None:
    assert parse_define("dist .el9") == ("dist", ".el9")
    assert parse_define("  _with_tests  1 ") == ("_with_tests", "1")


@pytest.mark.parametrize("text", ["dist", "dist\n .x", "1abc x", "dist .x\n%_topdir /", "a-b x"])
def test_malformed_defines_are_refused(text: str) -> None:
    with pytest.raises(TaskParamError, match="invalid macro definition"):
        parse_define(text)


@pytest.mark.parametrize("arch", ["x86_64\n", "x86 64", "../x", ""])
def test_bad_arch_is_refused_before_any_container_exists(arch: str, tmp_path: Path) -> None:
    backend = FakeBackend([IMAGE])
    with pytest.raises(TaskParamError, match="invalid arch"):
        rebuild(make_context(backend), LocalRebuild(SRPM, tmp_path, arch))
    assert backend.calls_to("create") == []
