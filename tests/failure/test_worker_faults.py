"""A running worker under faults: the hub failing or going away, builds running out of memory,
containers removed from outside, secrets in SCM URLs, bad task input and huge logs.

Each test checks what the hub ends up with (task state, fault text, uploaded logs) and that
the task leaves no container or scratch dir behind; the worker serves every test of the module,
so each one also shows it survived the previous.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import koji
import pytest

from tests.failure.conftest import MEMORY_LIMIT
from tests.scenarios.worker_builds import build_succeeds, fault_of
from tests.support import devhub_site
from tests.support.devhub_worker import DevhubSite
from tests.support.processes import children_of, command_of, rss_mib
from tests.support.srpms import build_rpm, build_srpm, simple_spec

pytestmark = pytest.mark.integration

FAILED = koji.TASK_STATES["FAILED"]
CLOSED = koji.TASK_STATES["CLOSED"]
# One stream (rpmbuild's xtrace is on stderr, a separate frame stream), lines in order.
QUIET = "set +x; exec 1>&2; "


def numbered_lines(count: int, pause_every: int, pause_s: float) -> str:
    """A build script printing "n <i>" for i in 1..count, pausing now and then."""
    return (
        QUIET + f'i=0; while [ $i -lt {count} ]; do i=$((i+1)); echo "n $i"; '
        f"[ $((i % {pause_every})) -eq 0 ] && sleep {pause_s}; done; true"
    )


def hub_log(site: DevhubSite, task_id: int, name: str = "build.log") -> bytes:
    return bytes(site.admin.downloadTaskOutput(task_id, name))


def assert_numbered(log: bytes, count: int) -> None:
    numbers = [line[2:] for line in log.splitlines() if line.startswith(b"n ")]
    assert numbers == [str(i).encode() for i in range(1, count + 1)], (
        f"{len(numbers)} numbered lines, first differences: "
        f"{[(i, n) for i, n in enumerate(numbers, 1) if n != str(i).encode()][:5]}"
    )


def wait_for_container(site: DevhubSite, task_id: int, timeout_s: float = 300) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        names = [n for n in site.containers(task_id) if n.endswith("-buildroot")]
        if names:
            return names[0]
        time.sleep(0.2)
    raise AssertionError(f"task {task_id}: no buildroot container after {timeout_s}s")


def wait_for_log_text(site: DevhubSite, task_id: int, text: bytes, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if "build.log" in site.admin.listTaskOutput(task_id) and text in hub_log(site, task_id):
            return
        time.sleep(0.3)
    raise AssertionError(f"task {task_id}: {text!r} not in the hub's build.log")


def test_hub_answering_5xx_mid_build_loses_and_duplicates_no_log_bytes(site: DevhubSite) -> None:
    task_id = site.submit("adjutant-hub-5xx", build_script=numbered_lines(3000, 300, 0.3))
    wait_for_log_text(site, task_id, b"n 300\n")
    # This test's own session may meet some of the errors: let it retry soon (koji's
    # default waits 20 s between retries).
    site.admin.opts["retry_interval"] = 1
    site.admin.devhub.httpErrors(503, 6)  # the next six requests, whoever makes them
    time.sleep(3)  # no calls of ours meanwhile: the worker's calls meet the errors
    assert site.wait(task_id)["state"] == CLOSED, fault_of(site.admin, task_id)
    assert_numbered(hub_log(site, task_id), 3000)
    site.assert_clean(task_id)


def test_hub_down_mid_build_resumes_uploads_and_close(site: DevhubSite) -> None:
    task_id = site.submit("adjutant-hub-down", build_script=numbered_lines(4000, 200, 0.25))
    wait_for_log_text(site, task_id, b"n 200\n")
    site.admin.devhub.refuseConnections(12)
    time.sleep(12)  # the outage itself: the hub refuses everyone, this test too
    assert site.wait(task_id)["state"] == CLOSED, fault_of(site.admin, task_id)
    assert_numbered(hub_log(site, task_id), 4000)
    site.assert_clean(task_id)
    build_succeeds(site, "adjutant-after-outage")


def test_a_build_over_the_memory_limit_fails_naming_out_of_memory_and_the_limit(
    site: DevhubSite,
) -> None:
    # dd allocates and fills one block of the given size: far past the buildroot's limit.
    task_id = site.submit("adjutant-oom", build_script="dd if=/dev/zero of=/dev/null bs=1G count=1")
    assert site.wait(task_id)["state"] == FAILED
    fault = str(fault_of(site.admin, task_id))
    assert "ran out of memory" in fault, fault
    assert f"memory limit of {MEMORY_LIMIT[:-1]} MiB" in fault, fault
    assert "container_memory" in fault
    site.assert_clean(task_id)


def test_a_container_removed_from_outside_fails_its_task_and_the_worker_goes_on(
    site: DevhubSite,
) -> None:
    task_id = site.submit("adjutant-removed", build_script=QUIET + "echo started; sleep 300")
    wait_for_log_text(site, task_id, b"started\n")
    name = wait_for_container(site, task_id)
    site.backend.remove(name)
    assert site.wait(task_id)["state"] == FAILED
    fault = fault_of(site.admin, task_id)
    assert isinstance(fault, koji.BuildrootError | koji.BuildError), repr(fault)
    assert "Traceback" not in str(fault)
    site.assert_clean(task_id)
    build_succeeds(site, "adjutant-after-removal")


def test_a_failing_clone_never_shows_the_scm_password(site: DevhubSite) -> None:
    url = "git+http://alice:S3cr3tPw@127.0.0.1:9/allowed/x.git#main"
    task_id = int(
        site.admin.makeTask("buildSRPMFromSCM", [url, site.build_tag, {"repo_id": site.repo_id}])
    )
    assert site.wait(task_id)["state"] == FAILED
    fault = str(fault_of(site.admin, task_id))
    assert "S3cr3tPw" not in fault and "alice:***@127.0.0.1" in fault, fault
    for name in site.admin.listTaskOutput(task_id):
        assert b"S3cr3tPw" not in site.admin.downloadTaskOutput(task_id, name), name
    assert site.worker_log is not None
    assert "S3cr3tPw" not in site.worker_log.read_text(errors="replace")
    site.assert_clean(task_id)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param([42, "x86_64", True, {}], id="pkg-not-a-path"),
        pytest.param(["cli-build/x/a.src.rpm", ["x86_64"], True, {}], id="arch-a-list"),
        pytest.param(["cli-build/x/a.src.rpm", "x86_64", True, "opts"], id="opts-text"),
        pytest.param(["cli-build/../../etc/passwd", "x86_64", True, {}], id="dotdot-path"),
    ],
)
def test_task_params_of_the_wrong_shape_fail_with_a_parameter_fault(
    site: DevhubSite, params: list[Any]
) -> None:
    params = [params[0], site.build_tag, *params[1:]]  # a real tag: kojid's checkHost reads it
    task_id = int(site.admin.makeTask("buildArch", params, arch="x86_64"))
    assert site.wait(task_id)["state"] == FAILED
    fault = fault_of(site.admin, task_id)
    assert isinstance(fault, koji.ParameterError | koji.GenericError), repr(fault)
    assert "Traceback" not in str(fault), str(fault)
    site.assert_clean(task_id)


def _bad_srpm(kind: str, tmp_path: Path) -> Path:
    """An input that is named like an SRPM and is not a usable one."""
    junk = tmp_path / f"adjutant-{kind}-1-1.src.rpm"
    if kind == "text":
        junk.write_bytes(b"this is not an rpm\n" * 100)
    elif kind == "binary":
        junk.write_bytes(build_rpm(simple_spec("adjutant-binary"), tmp_path / "b").read_bytes())
    else:  # truncated: the lead and part of the header of a real SRPM
        real = build_srpm(simple_spec("adjutant-truncated"), tmp_path / "t").read_bytes()
        junk.write_bytes(real[: len(real) // 3])
    return junk


@pytest.mark.parametrize("kind", ["text", "binary", "truncated"])
def test_an_srpm_that_is_not_one_fails_naming_the_file(
    site: DevhubSite, tmp_path: Path, kind: str
) -> None:
    junk = _bad_srpm(kind, tmp_path)
    upload = f"cli-build/junk-{time.time_ns()}"
    site.admin.uploadWrapper(str(junk), upload)
    task_id = int(site.admin.makeTask("buildArch", [f"{upload}/{junk.name}", site.build_tag,
                                                    "x86_64", True, {"repo_id": site.repo_id}],
                                      arch="x86_64"))  # fmt: skip
    assert site.wait(task_id)["state"] == FAILED
    fault = str(fault_of(site.admin, task_id))
    assert junk.name in fault and "Traceback" not in fault, fault
    site.assert_clean(task_id)


def test_a_200_mb_log_is_uploaded_whole_while_the_task_process_memory_stays_flat(
    site: DevhubSite,
) -> None:
    # 200 MB (200,000 lines of 1,000 bytes) printed as fast as the container can.
    script = QUIET + "yes \"$(printf '%0999d' 0)\" | head -n 200000"
    peak: dict[str, float] = {"rss": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            for pid in children_of(site.worker_pid):
                if "adjutant" in command_of(pid):  # the worker's forked task processes
                    peak["rss"] = max(peak["rss"], rss_mib(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        task_id = site.submit("adjutant-huge-log", build_script=script.replace("%", "%%"))
        assert site.wait(task_id)["state"] == CLOSED, fault_of(site.admin, task_id)
    finally:
        stop.set()
        sampler.join(5)
    # podman reads a command's stdout and stderr from two pipes: rpmbuild's next
    # "Executing(%install): ..." (stderr) can land inside a line still draining from stdout.
    # Taken out, every byte of stdout must be there once, in order.
    log = re.sub(
        rb"Executing\(%\w+\): /bin/sh -e /var/tmp/rpm-tmp\.\w+\n", b"", hub_log(site, task_id)
    )
    line = b"0" * 999
    odd = [
        (i, len(x), x[:80]) for i, x in enumerate(log.splitlines()) if x[:1] == b"0" and x != line
    ]
    assert log.count(line + b"\n") == 200_000, f"{len(log)} bytes; lines not as printed: {odd[:5]}"
    # The whole log passed through the task process: it must not have held it.
    assert 0 < peak["rss"] < 150, f"task process peaked at {peak['rss']:.0f} MiB"
    site.assert_clean(task_id)


# Parses on the host (where build_srpm packs it with %dist empty) and not in the buildroot,
# where the tag's macros package sets %dist: an unknown tag is a spec parse error.
UNPARSABLE_IN_BUILDROOT = """\
%if "%{?dist}" != ""
Nonsense-Tag: adjutant
%endif
"""


def test_an_srpm_whose_spec_does_not_parse_fails_pointing_at_the_logs(site: DevhubSite) -> None:
    spec = UNPARSABLE_IN_BUILDROOT + simple_spec("adjutant-unparsable")
    task_id = site.submit_srpm(build_srpm(spec, site.scratch / f"unparsable-{time.time_ns()}"))
    assert site.wait(task_id)["state"] == FAILED
    fault = fault_of(site.admin, task_id)
    assert isinstance(fault, koji.BuildError | koji.BuildrootError), repr(fault)
    assert "Traceback" not in str(fault), str(fault)
    # As kojid: the fault points at the log that holds rpm's own complaint.
    logs = {name: hub_log(site, task_id, name) for name in ("build.log", "root.log")
            if name in site.admin.listTaskOutput(task_id)}  # fmt: skip
    named = [name for name in logs if name in str(fault)]
    assert named, f"fault names no uploaded log: {fault}; uploaded: {sorted(logs)}"
    assert b"Nonsense-Tag" in logs[named[0]], logs[named[0]][-2000:]
    site.assert_clean(task_id)


def test_shell_in_a_spec_runs_only_inside_the_buildroot(site: DevhubSite) -> None:
    # The macro's touch runs wherever the spec is parsed; %dist is empty on the host that
    # packs the SRPM and ".adj9" in the buildroot, so the two leave different files.
    probe = Path("/tmp") / f"adjutant-escape-{time.time_ns()}"
    inside = Path(f"{probe}{devhub_site.DIST}")
    spec = f"%global escape_probe %(touch {probe}%{{?dist}} && echo ran)\n" + simple_spec(
        "adjutant-shell-macro", build_script=f"test -e {inside} && echo probe-%{{escape_probe}}"
    )
    try:
        srpm = build_srpm(spec, site.scratch / f"shell-macro-{time.time_ns()}")
        task_id = site.submit_srpm(srpm)
        # rpm runs %(...) as it parses: the build closes, and %build saw the file in /tmp.
        assert site.wait(task_id)["state"] == CLOSED, fault_of(site.admin, task_id)
        assert b"probe-ran" in hub_log(site, task_id)
        assert not inside.exists(), f"{inside} appeared on the host"
        site.assert_clean(task_id)
    finally:
        probe.unlink(missing_ok=True)  # made by the host's rpmbuild -bs above
        inside.unlink(missing_ok=True)


def test_an_srpm_renamed_to_another_nvr_fails_with_a_parameter_fault(
    site: DevhubSite, tmp_path: Path
) -> None:
    real = build_srpm(simple_spec("adjutant-real-name"), tmp_path / "real")
    renamed = tmp_path / "adjutant-other-name-2-7.src.rpm"
    renamed.write_bytes(real.read_bytes())
    task_id = site.submit_srpm(renamed)
    assert site.wait(task_id)["state"] == FAILED
    fault = fault_of(site.admin, task_id)
    assert isinstance(fault, koji.ParameterError), repr(fault)
    text = str(fault)
    assert renamed.name in text and "adjutant-real-name-1-1" in text, text
    assert "Traceback" not in text, text
    site.assert_clean(task_id)
