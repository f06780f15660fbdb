"""The offline Debian task image: built from images/, meets the contract, rebuilds real SRPMs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from adjutant import cli, images
from adjutant.config import AdjutantSettings, KojidSettings, Settings
from adjutant.container.backend import LABEL_WORKER
from adjutant.container.podman import PodmanBackend
from adjutant.errors import BuildFailed, BuildrootError
from adjutant.localbuild import LOCAL_WORKER, LocalRebuild, rebuild
from adjutant.tasks.context import TaskContext
from tests.support.images import TASK_IMAGE_NAME
from tests.support.srpms import SAMPLE_SRPM, build_rpm, build_srpm, simple_spec, subpackage_spec

pytestmark = pytest.mark.integration


def local_context(
    podman_url: str, task_image: str, worker_label: str, rpmbuild_timeout_s: int = 86400
) -> TaskContext:
    """A local rebuild's context on the test's podman, under the test's worker label."""
    settings = Settings(
        KojidSettings(rpmbuild_timeout=rpmbuild_timeout_s),
        AdjutantSettings(worker_name=worker_label, podman_url=podman_url,
                         task_image_default=task_image),
    )  # fmt: skip
    return TaskContext.from_settings(settings)


def rpm_query(path: Path, query_format: str) -> str:
    return subprocess.run(
        ["rpm", "-qp", "--qf", query_format, str(path)], capture_output=True, text=True, check=True
    ).stdout


def test_built_image_carries_the_contract_labels_and_digest(
    podman_backend: PodmanBackend, task_image: str
) -> None:
    labels = podman_backend.inspect_image(task_image).labels
    assert labels[images.LABEL_NAME] == TASK_IMAGE_NAME
    folder = images.find(images.default_images_dir(), TASK_IMAGE_NAME)
    assert labels[images.LABEL_SOURCE_DIGEST] == images.source_digest(folder)


def test_dnf_local_plugin_is_off_as_in_mock_roots(task_image: str) -> None:
    conf = subprocess.run(
        ["podman", "run", "--rm", "--network", "none", task_image,
         "cat", "/etc/dnf/plugins/local.conf"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    assert "enabled = false" in conf.splitlines()


def test_task_image_meets_the_contract_when_run(
    podman_backend: PodmanBackend, task_image: str, worker_label: str
) -> None:
    assert images.verify_image(podman_backend, task_image, worker=worker_label) == []


def test_sample_srpm_rebuilds_into_a_valid_rpm_with_a_working_binary(
    podman_url: str, task_image: str, worker_label: str, tmp_path: Path
) -> None:
    request = LocalRebuild(SAMPLE_SRPM, tmp_path / "out", "x86_64", defines=(("dist", ".adj1"),))
    result = rebuild(local_context(podman_url, task_image, worker_label), request)

    (rpm_path,) = result.outputs.rpms
    (srpm_path,) = result.outputs.srpms
    assert rpm_path.name == "adjutant-hello-1.0-1.adj1.x86_64.rpm"
    assert srpm_path.name == "adjutant-hello-1.0-1.adj1.src.rpm"
    assert rpm_query(rpm_path, "%{NAME} %{ARCH} %{SOURCERPM}") == (
        f"adjutant-hello x86_64 {srpm_path.name}"
    )
    assert "/usr/bin/adjutant-hello" in rpm_query(rpm_path, "[%{FILENAMES}\n]").split()
    extract = tmp_path / "extract"
    extract.mkdir()
    subprocess.run(
        f"rpm2cpio {rpm_path} | cpio -idm --quiet", shell=True, cwd=extract, check=True
    )  # test-only pipeline over a path the test made
    hello = subprocess.run([extract / "usr/bin/adjutant-hello"], capture_output=True, text=True)
    assert hello.stdout.strip() == "Hello from an adjutant buildroot"
    steps = [step.name for step in result.steps]
    assert steps[-4:] == ["unpack-srpm", "rpmbuild-bs", "builddep", "rpmbuild-bb"]
    assert all(step.exit_code == 0 for step in result.steps)
    state = (tmp_path / "out" / "state.log").read_text()
    assert "step rpmbuild-bb starting as kojibuilder: rpmbuild -bb" in state
    assert result.buildroot.states == ["INIT", "BUILDING", "EXPIRED"]


def test_failing_build_fails_with_a_build_log_hint(
    podman_url: str, task_image: str, worker_label: str, tmp_path: Path
) -> None:
    spec = simple_spec("adjutant-fails", build_script="echo compiler-says-no; exit 3")
    srpm = build_srpm(spec, tmp_path / "srpm")
    request = LocalRebuild(srpm, tmp_path / "out", "x86_64")
    with pytest.raises(BuildFailed, match="rpmbuild -bb exited with status 1; see build.log"):
        rebuild(local_context(podman_url, task_image, worker_label), request)
    assert "compiler-says-no" in (tmp_path / "out" / "build.log").read_text()


def test_missing_build_requires_are_named(
    podman_url: str, task_image: str, worker_label: str, tmp_path: Path
) -> None:
    spec = simple_spec("adjutant-needs", build_requires="adjutant-no-such-package >= 2")
    srpm = build_srpm(spec, tmp_path / "srpm")
    request = LocalRebuild(srpm, tmp_path / "out", "x86_64")
    with pytest.raises(BuildrootError, match="adjutant-no-such-package"):
        rebuild(local_context(podman_url, task_image, worker_label), request)
    assert "adjutant-no-such-package" in (tmp_path / "out" / "root.log").read_text()


def test_rpmbuild_past_its_timeout_fails_the_build(
    podman_url: str, task_image: str, worker_label: str, tmp_path: Path
) -> None:
    srpm = build_srpm(simple_spec("adjutant-slow", build_script="sleep 300"), tmp_path / "srpm")
    context = local_context(podman_url, task_image, worker_label, rpmbuild_timeout_s=3)
    with pytest.raises(BuildFailed, match=r"ran past its 3s limit \(rpmbuild_timeout\)"):
        rebuild(context, LocalRebuild(srpm, tmp_path / "out", "x86_64"))


def test_build_command_prints_packages_and_logs(
    podman_url: str, task_image: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(
        ["build", str(SAMPLE_SRPM), "--image", task_image, "--podman-url", podman_url,
         "--output", str(tmp_path)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0
    packages = [line.split()[1] for line in printed.splitlines() if line.startswith("package:")]
    assert sorted(Path(p).name for p in packages) == [
        "adjutant-hello-1.0-1.src.rpm", "adjutant-hello-1.0-1.x86_64.rpm",
    ]  # fmt: skip
    assert all(Path(p).is_file() for p in packages)
    assert PodmanBackend(podman_url).list({LABEL_WORKER: LOCAL_WORKER}) == []


def test_subpackages_each_come_out_under_their_own_header_name(
    podman_url: str, task_image: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    srpm = build_srpm(subpackage_spec("adjutant-libfoo"), tmp_path / "srpm")
    status = cli.main(
        ["build", str(srpm), "--image", task_image, "--podman-url", podman_url,
         "--define", "dist .adj1", "--output", str(tmp_path / "out")]
    )  # fmt: skip
    printed = capsys.readouterr()
    assert status == 0, printed.out + printed.err
    packages = [Path(line.split()[1]) for line in printed.out.splitlines()
                if line.startswith("package:")]  # fmt: skip
    binaries = sorted(p for p in packages if not p.name.endswith(".src.rpm"))
    assert [p.name for p in binaries] == [
        "adjutant-libfoo-2.10-1.adj1.x86_64.rpm",
        "adjutant-libfoo-devel-2.10-1.adj1.x86_64.rpm",
        "adjutant-libfoo-doc-2.10-1.adj1.noarch.rpm",
    ]
    for path in binaries:
        assert rpm_query(path, "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm") == path.name


def test_build_requires_install_from_a_local_repo_directory(
    podman_url: str, task_image: str, worker_label: str, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    dependency = build_rpm(simple_spec("adjutant-dep"), tmp_path / "dep")
    dependency.rename(repo / dependency.name)
    subprocess.run(["createrepo_c", "--quiet", str(repo)], check=True)
    needs_it = simple_spec(
        "adjutant-needs-dep",
        build_requires="adjutant-dep",
        build_script='test "$(cat /usr/share/adjutant-dep/marker)" = adjutant-dep',
    )
    srpm = build_srpm(needs_it, tmp_path / "srpm")
    request = LocalRebuild(srpm, tmp_path / "out", "x86_64", repos=(str(repo),))
    result = rebuild(local_context(podman_url, task_image, worker_label), request)
    assert [p.name for p in result.outputs.rpms] == ["adjutant-needs-dep-1-1.x86_64.rpm"]
    root_log = (tmp_path / "out" / "root.log").read_text()
    assert "adjutant-dep" in root_log and "Complete!" in root_log
