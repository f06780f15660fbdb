"""Checking build inputs and outputs by their RPM headers and file names."""

import shutil
from pathlib import Path

import pytest

from adjutant.errors import BuildFailed, TaskParamError
from adjutant.results import check_file_name, collect_outputs, read_srpm

SAMPLE_SRPM = Path(__file__).resolve().parents[1] / "data/srpms/adjutant-hello-1.0-1.src.rpm"


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "a/b.rpm", ".hidden.rpm", "", "x" * 256, "bad name.rpm", "a\nb"]
)
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(TaskParamError, match="invalid"):
        check_file_name(name)


def test_plain_rpm_file_names_pass() -> None:
    assert check_file_name("glibc-2.36-9+deb12u1~1^g.x86_64.rpm")


def test_sample_srpm_identity_is_read_from_its_header() -> None:
    identity = read_srpm(SAMPLE_SRPM)
    assert (identity.name, identity.version, identity.release) == ("adjutant-hello", "1.0", "1")
    assert identity.is_source and identity.file_name == SAMPLE_SRPM.name


def test_non_rpm_input_is_a_parameter_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake-1-1.src.rpm"
    fake.write_text("not an rpm")
    with pytest.raises(TaskParamError, match="not a readable RPM"):
        read_srpm(fake)
    with pytest.raises(TaskParamError, match="does not exist"):
        read_srpm(tmp_path / "missing-1-1.src.rpm")
    with pytest.raises(TaskParamError, match="must end in .src.rpm"):
        read_srpm(tmp_path / "x-1-1.x86_64.rpm")


def test_outputs_without_binary_rpms_fail_the_build(tmp_path: Path) -> None:
    (tmp_path / "SRPMS").mkdir()
    shutil.copy(SAMPLE_SRPM, tmp_path / "SRPMS")
    with pytest.raises(BuildFailed, match="no binary RPMs"):
        collect_outputs(tmp_path, read_srpm(SAMPLE_SRPM))


def test_outputs_without_an_srpm_fail_the_build(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed, match="expected one SRPM in the build results, found 0"):
        collect_outputs(tmp_path, read_srpm(SAMPLE_SRPM))


def test_rpm_that_is_not_built_from_the_srpm_is_refused(tmp_path: Path) -> None:
    (tmp_path / "SRPMS").mkdir()
    shutil.copy(SAMPLE_SRPM, tmp_path / "SRPMS")
    stray = tmp_path / "RPMS" / "adjutant-hello-1.0-1.x86_64.rpm"
    stray.parent.mkdir()
    shutil.copy(SAMPLE_SRPM, stray)  # a source package posing as a binary one
    with pytest.raises(BuildFailed, match="was not built from adjutant-hello-1.0-1.src.rpm"):
        collect_outputs(tmp_path, read_srpm(SAMPLE_SRPM))
