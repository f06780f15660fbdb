"""kojid's arch selection for builds and noarch subtasks, on real SRPM headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.tasks.arch_list import build_arches, noarch_task_arch
from adjutant.tasks.build import check_build_opts
from tests.support.srpms import build_srpm, simple_spec


def _header(tmp_path: Path, extra: str = "") -> Any:
    spec = simple_spec("archy").replace("License: MIT\n", f"License: MIT\n{extra}")
    return koji.get_rpm_header(str(build_srpm(spec, tmp_path)))


CONFIG = {"id": 1, "name": "t", "arches": "x86_64 aarch64 i686", "extra": {}}


def test_tag_arches_plus_extra_arches_canonical_only(tmp_path: Path) -> None:
    header = _header(tmp_path)
    assert build_arches(CONFIG, header, "ppc64le", None) == ["x86_64", "aarch64", "i686"]
    assert build_arches({**CONFIG, "arches": "x86_64"}, header, "i686", None) == ["x86_64"]


def test_exclusive_and_exclude_arch_filter(tmp_path: Path) -> None:
    assert build_arches(
        CONFIG, _header(tmp_path / "a", "ExclusiveArch: aarch64 i686\n"), None, None
    ) == ["aarch64", "i686"]
    assert build_arches(CONFIG, _header(tmp_path / "b", "ExcludeArch: aarch64\n"), None, None) == [
        "x86_64",
        "i686",
    ]


def test_buildarch_noarch_builds_once(tmp_path: Path) -> None:
    header = _header(tmp_path, "BuildArch: noarch\n")
    assert build_arches(CONFIG, header, None, None) == ["noarch"]


def test_scratch_override_and_nothing_left(tmp_path: Path) -> None:
    header = _header(tmp_path)
    assert build_arches(CONFIG, header, None, "aarch64") == ["aarch64"]
    with pytest.raises(koji.BuildError, match="No matching arches"):
        build_arches(CONFIG, header, None, "s390x")
    with pytest.raises(koji.BuildError, match="No arches for tag t"):
        build_arches({**CONFIG, "arches": None}, header, None, None)


def test_noarch_subtasks_get_an_arch_only_when_narrowed(tmp_path: Path) -> None:
    assert noarch_task_arch(CONFIG, None) == []
    narrowed = {**CONFIG, "extra": {"noarch_arches": "aarch64"}}
    assert noarch_task_arch(narrowed, None) == ["aarch64"]
    header = _header(tmp_path, "ExcludeArch: x86_64 i686\n")
    assert noarch_task_arch(CONFIG, header) == ["aarch64"]
    with pytest.raises(koji.BuildError, match="No valid arches"):
        noarch_task_arch({**CONFIG, "extra": {"noarch_arches": "s390x"}}, None)


@pytest.mark.parametrize(("opts", "message"), [
    ({"arch_override": "x86_64"}, "only allowed for scratch"),
    ({"custom_user_metadata": ["x"]}, "JSON object"),
    ({"custom_user_metadata": {"x": object()}}, "not JSON serializable"),
    ({"scratch": "yes"}, "option scratch must be a boolean"),
    ({"wait_builds": "foo-1-1"}, "wait_builds must be a list"),
    ("nope", "opts must be a mapping"),
])  # fmt: skip
def test_bad_build_options_are_named(opts: object, message: str) -> None:
    with pytest.raises(koji.BuildError, match=message):
        check_build_opts(opts)


def test_good_build_options_pass_through() -> None:
    opts = {"scratch": True, "arch_override": "x86_64", "custom_user_metadata": {"a": 1}}
    assert check_build_opts(opts) == opts and check_build_opts(None) == {}
