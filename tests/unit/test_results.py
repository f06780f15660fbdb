"""Checking build inputs and outputs by their RPM headers and file names."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from adjutant.errors import BuildFailed, TaskParamError
from adjutant.results import check_file_name, collect_outputs, read_srpm
from tests.support.srpms import build_all, subpackage_spec

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


def test_an_srpm_named_after_another_nvr_is_a_parameter_error(tmp_path: Path) -> None:
    renamed = tmp_path / "adjutant-other-2.0-7.src.rpm"
    renamed.write_bytes(SAMPLE_SRPM.read_bytes())
    with pytest.raises(TaskParamError, match="header is adjutant-hello-1.0-1, so its file"):
        read_srpm(renamed)


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


LIBFOO = "adjutant-libfoo"


@pytest.fixture(scope="module")
def libfoo_packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The SRPM and three binary RPMs of a library with -devel and noarch -doc, by file name."""
    built = build_all(subpackage_spec(LIBFOO), tmp_path_factory.mktemp("libfoo"))
    return {path.name: path for path in built}


@pytest.fixture
def result_dir(tmp_path: Path, libfoo_packages: dict[str, Path]) -> Callable[..., Path]:
    """Lay out a result dir as rpmbuild does, optionally with a package under another name."""

    def make(renamed: dict[str, str] | None = None) -> Path:
        for name, path in libfoo_packages.items():
            sub = "SRPMS" if name.endswith(".src.rpm") else "RPMS"
            (tmp_path / sub).mkdir(exist_ok=True)
            shutil.copy(path, tmp_path / sub / (renamed or {}).get(name, name))
        return tmp_path

    return make


def _source(libfoo_packages: dict[str, Path]) -> Path:
    return libfoo_packages[f"{LIBFOO}-2.10-1.src.rpm"]


def test_subpackages_named_by_their_headers_are_collected(
    result_dir: Callable[..., Path], libfoo_packages: dict[str, Path]
) -> None:
    outputs = collect_outputs(result_dir(), read_srpm(_source(libfoo_packages)))
    assert sorted(p.name for p in outputs.rpms) == [
        f"{LIBFOO}-2.10-1.x86_64.rpm",
        f"{LIBFOO}-devel-2.10-1.x86_64.rpm",
        f"{LIBFOO}-doc-2.10-1.noarch.rpm",
    ]
    assert [p.name for p in outputs.srpms] == [f"{LIBFOO}-2.10-1.src.rpm"]


def test_a_subpackage_under_the_main_package_name_fails_naming_both(
    result_dir: Callable[..., Path], libfoo_packages: dict[str, Path]
) -> None:
    # what a %_rpmfilename with single-% tags makes of a noarch -doc subpackage
    layout = result_dir({f"{LIBFOO}-doc-2.10-1.noarch.rpm": f"{LIBFOO}-2.10-1.noarch.rpm"})
    with pytest.raises(BuildFailed) as caught:
        collect_outputs(layout, read_srpm(_source(libfoo_packages)))
    assert str(caught.value).startswith(
        f"the build wrote {LIBFOO}-2.10-1.noarch.rpm holding the header of "
        f"{LIBFOO}-doc-2.10-1.noarch.rpm"
    )


def test_a_same_arch_subpackage_that_overwrote_another_fails_the_build(
    result_dir: Callable[..., Path], libfoo_packages: dict[str, Path]
) -> None:
    # -devel written over the main package's file: one survivor, under the wrong name
    layout = result_dir()
    main = layout / "RPMS" / f"{LIBFOO}-2.10-1.x86_64.rpm"
    (layout / "RPMS" / f"{LIBFOO}-devel-2.10-1.x86_64.rpm").replace(main)
    with pytest.raises(BuildFailed, match=f"holding the header of {LIBFOO}-devel-2.10-1.x86_64"):
        collect_outputs(layout, read_srpm(_source(libfoo_packages)))


def test_an_unreadable_output_package_fails_the_build(
    result_dir: Callable[..., Path], libfoo_packages: dict[str, Path]
) -> None:
    layout = result_dir()
    (layout / "RPMS" / f"{LIBFOO}-devel-2.10-1.x86_64.rpm").write_bytes(b"not an rpm")
    with pytest.raises(BuildFailed, match=f"unreadable package: {LIBFOO}-devel-2.10-1.x86_64"):
        collect_outputs(layout, read_srpm(_source(libfoo_packages)))
