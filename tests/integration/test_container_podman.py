"""PodmanBackend against a real (private) podman service: what containers really get."""

from __future__ import annotations

import contextlib
import io
import queue
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adjutant.container.backend import (
    ContainerSpec,
    ExecResult,
    NetworkMode,
    PullPolicy,
    ResourceLimits,
    Ulimit,
)
from adjutant.container.podman import PodmanBackend
from adjutant.errors import ContainerError, ContainerNotFound, ContainerTimeout, ImageMissing

pytestmark = pytest.mark.integration

# Prints each argument's "path=content" when the file exists; paths arrive as arguments.
READ_FILES = 'for f in "$@"; do if [ -r "$f" ]; then echo "$f=$(cat "$f")"; fi; done'
# PID 1 that ignores SIGTERM, so only the stop timeout's SIGKILL ends it.
IGNORE_TERM = 'trap "" TERM; while :; do sleep 1; done'
# Prints a line, then waits for the file named by $1 to appear.
PRINT_THEN_WAIT = 'echo started; while [ ! -e "$1" ]; do sleep 0.05; done; echo finished'
# Command lines of all processes, one per line.
LIST_PROCESSES = 'for p in /proc/[0-9]*; do tr "\\0" " " < "$p/cmdline"; echo; done'
MAIN_PRINTS_READY = "echo ready; exec sleep infinity"


def unique_task_id() -> int:
    """Task ids unique per test, so default names never collide across concurrent runs."""
    return secrets.randbelow(10**9) + 10**9


def make_spec(base_image: str, worker: str, **fields: object) -> ContainerSpec:
    values: dict[str, object] = {"task_id": unique_task_id(), "role": "test"}
    values.update(fields)
    return ContainerSpec(image=base_image, worker=worker, **values)  # type: ignore[arg-type]


@contextlib.contextmanager
def running(backend: PodmanBackend, spec: ContainerSpec) -> Iterator[str]:
    """A started container from ``spec``, removed afterwards whatever happens."""
    container_id = backend.create(spec)
    try:
        backend.start(container_id)
        yield container_id
    finally:
        backend.remove(container_id)


def run(
    backend: PodmanBackend, container_id: str, *argv: str, network: bool = False
) -> tuple[ExecResult, str]:
    chunks: list[bytes] = []
    result = backend.exec(container_id, argv, output=chunks.append, timeout_s=60,
                          network=network)  # fmt: skip
    return result, b"".join(chunks).decode(errors="replace")


def wait_for(predicate: object, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.05)


def test_network_none_has_only_loopback_and_bridge_has_eth0(
    podman_backend: PodmanBackend, base_image: str, worker_label: str
) -> None:
    with running(podman_backend, make_spec(base_image, worker_label)) as container_id:
        _, devices = run(podman_backend, container_id, "cat", "/proc/net/dev")
    interfaces = {line.split(":")[0].strip() for line in devices.splitlines()[2:]}
    assert interfaces == {"lo"}

    bridged = make_spec(base_image, worker_label, role="net", network=NetworkMode.BRIDGE)
    with running(podman_backend, bridged) as container_id:
        _, devices = run(podman_backend, container_id, "cat", "/proc/net/dev", network=True)
    assert "eth0" in {line.split(":")[0].strip() for line in devices.splitlines()[2:]}


def test_ulimits_pids_memory_and_cpu_limits_are_applied(
    podman_backend: PodmanBackend, base_image: str, worker_label: str
) -> None:
    spec = make_spec(
        base_image,
        worker_label,
        ulimits=(Ulimit("nofile", 1024, 2048), Ulimit("nproc", 4096, 4096)),
        limits=ResourceLimits(memory_bytes=256 * 1024 * 1024, cpus=0.5, pids=64),
    )
    with running(podman_backend, spec) as container_id:
        _, limits = run(podman_backend, container_id, "cat", "/proc/1/limits")
        _, cgroup = run(
            podman_backend,
            container_id,
            "bash",
            "-c",
            READ_FILES,
            "-",
            "/sys/fs/cgroup/pids/pids.max",
            "/sys/fs/cgroup/pids.max",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory.max",
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
            "/sys/fs/cgroup/cpu.max",
        )
    rows = {line[:26].strip(): line[26:].split()[:2] for line in limits.splitlines()[1:]}
    assert rows["Max open files"] == ["1024", "2048"]
    assert rows["Max processes"] == ["4096", "4096"]
    values = dict(line.split("=", 1) for line in cgroup.splitlines())
    pids = values.get("/sys/fs/cgroup/pids/pids.max") or values.get("/sys/fs/cgroup/pids.max")
    memory = values.get("/sys/fs/cgroup/memory/memory.limit_in_bytes") or values.get(
        "/sys/fs/cgroup/memory.max"
    )
    cpu = values.get("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") or values.get("/sys/fs/cgroup/cpu.max")
    assert pids == "64", cgroup
    assert memory == str(256 * 1024 * 1024), cgroup
    assert cpu is not None and cpu.split()[0] == "50000", cgroup


def test_exec_returns_non_zero_exit_codes_as_results(
    podman_backend: PodmanBackend, base_image: str, worker_label: str
) -> None:
    with running(podman_backend, make_spec(base_image, worker_label)) as container_id:
        result, output = run(
            podman_backend, container_id, "bash", "-c", "echo out; echo err >&2; exit 7"
        )
        missing, _ = run(podman_backend, container_id, "no-such-binary")
        names: list[bytes] = []
        podman_backend.exec(container_id, ("id", "-un"), user="nobody", output=names.append)
    assert result.exit_code == 7
    assert "out\n" in output and "err\n" in output
    assert missing.exit_code == 127
    assert b"".join(names) == b"nobody\n"


def test_exec_streams_output_before_the_command_ends(
    podman_backend: PodmanBackend, podman_url: str, base_image: str, worker_label: str
) -> None:
    chunks: queue.Queue[bytes] = queue.Queue()
    results: list[ExecResult] = []
    with running(podman_backend, make_spec(base_image, worker_label)) as container_id:
        command = ("bash", "-c", PRINT_THEN_WAIT, "-", "/tmp/go")
        worker = threading.Thread(
            target=lambda: results.append(
                podman_backend.exec(container_id, command, output=chunks.put, timeout_s=60)
            )
        )
        worker.start()
        try:
            first = chunks.get(timeout=30)
            # The command is still waiting for /tmp/go, yet its first line has arrived.
            assert first == b"started\n"
            assert worker.is_alive()
        finally:
            touched = PodmanBackend(podman_url).exec(
                container_id, ("touch", "/tmp/go"), timeout_s=30
            )
            assert touched.exit_code == 0
            worker.join(timeout=60)
    assert results and results[0].exit_code == 0
    assert chunks.get(timeout=5) == b"finished\n"


def test_exec_past_its_deadline_is_killed_and_raises_timeout(
    podman_backend: PodmanBackend, base_image: str, worker_label: str
) -> None:
    with running(podman_backend, make_spec(base_image, worker_label)) as container_id:
        started = time.monotonic()
        with pytest.raises(ContainerTimeout, match="deadline"):
            podman_backend.exec(container_id, ("sleep", "300"), timeout_s=1)
        assert time.monotonic() - started < 60
        _, processes = run(podman_backend, container_id, "bash", "-c", LIST_PROCESSES)
    assert "sleep 300" not in processes


def test_removing_a_missing_container_raises_not_found(podman_backend: PodmanBackend) -> None:
    with pytest.raises(ContainerNotFound, match="no container with name or ID"):
        podman_backend.remove("adjutant-no-such-container")


def test_create_from_a_missing_image_raises_image_missing(
    podman_backend: PodmanBackend, worker_label: str
) -> None:
    spec = make_spec("localhost/adjutant/no-such-image:1", worker_label)
    with pytest.raises(ImageMissing, match="no-such-image"):
        podman_backend.create(spec)


def test_ensure_image_honours_the_pull_policy(
    podman_backend: PodmanBackend, base_image: str
) -> None:
    image_id = podman_backend.inspect_image(base_image).id
    assert podman_backend.ensure_image(base_image, PullPolicy.NEVER, 30) == image_id
    assert podman_backend.ensure_image(base_image, PullPolicy.IF_NOT_PRESENT, 30) == image_id
    with pytest.raises(ImageMissing, match="localhost/adjutant/no-such-image:1"):
        podman_backend.ensure_image("localhost/adjutant/no-such-image:1", PullPolicy.NEVER, 30)
    # Nothing listens on port 1: the pull fails fast and the reason is podman's.
    with pytest.raises(ImageMissing, match="localhost:1/no-such-image"):
        podman_backend.ensure_image("localhost:1/no-such-image:1", PullPolicy.IF_NOT_PRESENT, 30)


@pytest.fixture
def test_image_tag(worker_label: str) -> Iterator[str]:
    tag = f"localhost/adjutant-test/{worker_label}:latest"
    yield tag
    subprocess.run(["podman", "rmi", "--force", tag], capture_output=True, timeout=120, check=False)


def test_build_image_streams_output_and_labels_are_readable(
    podman_backend: PodmanBackend, base_image: str, test_image_tag: str, tmp_path: Path
) -> None:
    (tmp_path / "greeting.txt").write_text("from the context\n")
    (tmp_path / "Containerfile").write_text(
        f"FROM {base_image}\nARG GREETING\nCOPY greeting.txt /greeting.txt\n"
        'RUN echo "$GREETING" >> /greeting.txt\n'
    )
    chunks: list[bytes] = []
    image_id = podman_backend.build_image(
        tmp_path,
        "Containerfile",
        test_image_tag,
        labels={"org.example.purpose": "adjutant test"},
        build_args={"GREETING": "from a build arg"},
        output=chunks.append,
        timeout_s=300,
    )
    info = podman_backend.inspect_image(test_image_tag)
    assert info.id == image_id
    assert info.labels["org.example.purpose"] == "adjutant test"
    assert b"STEP" in b"".join(chunks)
    shown = subprocess.run(
        ["podman", "run", "--rm", "--network=none", test_image_tag, "cat", "/greeting.txt"],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shown.stdout == b"from the context\nfrom a build arg\n"


def test_build_image_failure_keeps_podmans_message(
    podman_backend: PodmanBackend, base_image: str, test_image_tag: str, tmp_path: Path
) -> None:
    (tmp_path / "Containerfile").write_text(f"FROM {base_image}\nRUN exit 3\n")
    before = build_containers()
    with pytest.raises(ContainerError, match="exit status 3|exit code 3|status 3"):
        podman_backend.build_image(
            tmp_path,
            "Containerfile",
            test_image_tag,
            labels={},
            build_args={},
            output=None,
            timeout_s=300,
        )
    assert build_containers() == before  # the failed step's working container is removed


def build_containers() -> set[str]:
    """Containers podman keeps for builds (not shown by the API's container list)."""
    listing = subprocess.run(
        ["podman", "ps", "--all", "--external", "--format", "{{.ID}} {{.Names}}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(listing.stdout.split("\n")) - {""}


def interfaces(backend: PodmanBackend, container_id: str, *, network: bool) -> list[str]:
    listing = io.BytesIO()
    backend.exec(container_id, ("cat", "/proc/net/dev"), output=listing, timeout_s=30,
                 network=network)  # fmt: skip
    return [line.split(":")[0].strip() for line in listing.getvalue().decode().splitlines()[2:]]


def test_a_bridged_container_has_network_only_in_commands_that_ask_for_it(
    podman_backend: PodmanBackend, podman_url: str, base_image: str, worker_label: str
) -> None:
    spec = make_spec(base_image, worker_label, network=NetworkMode.BRIDGE)
    with running(podman_backend, spec) as container_id:
        assert interfaces(podman_backend, container_id, network=False) == ["lo"]
        assert interfaces(podman_backend, container_id, network=False) == ["lo"]
        assert "eth0" in interfaces(podman_backend, container_id, network=True)
        # Another backend (a new process) finds the state out from podman.
        fresh = PodmanBackend(podman_url)
        assert "eth0" in interfaces(fresh, container_id, network=True)
        assert interfaces(fresh, container_id, network=False) == ["lo"]


def test_the_stop_timeout_of_the_spec_reaches_podman(
    podman_backend: PodmanBackend, base_image: str, worker_label: str
) -> None:
    spec = make_spec(base_image, worker_label, stop_timeout_s=7)
    with running(podman_backend, spec) as container_id:
        shown = subprocess.run(
            ["podman", "container", "inspect", "--format", "{{.Config.StopTimeout}}",
             container_id], capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    assert shown.stdout.strip() == "7"


def test_a_committed_container_is_an_image_with_its_files_and_labels(
    podman_backend: PodmanBackend, base_image: str, worker_label: str
) -> None:
    image = f"localhost/adjutant-test-commit:{secrets.token_hex(6)}"
    try:
        with running(podman_backend, make_spec(base_image, worker_label)) as container_id:
            wrote, _ = run(podman_backend, container_id, "sh", "-c", "echo kept > /tmp/kept")
            assert wrote.exit_code == 0
            podman_backend.commit(container_id, image, {"io.adjutant.test": "yes"})
        info = podman_backend.inspect_image(image)
        assert info.labels["io.adjutant.test"] == "yes" and info.size_bytes > 0
        with running(podman_backend, make_spec(image, worker_label)) as container_id:
            assert run(podman_backend, container_id, "cat", "/tmp/kept")[1] == "kept\n"
    finally:
        podman_backend.remove_image(image)
    assert not podman_backend.image_exists(image)
    podman_backend.remove_image(image)  # already gone: fine
