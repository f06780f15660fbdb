"""The worker appliance image as operators run it: built by scripts/build-worker-image, started
with testcontainers on the host's podman socket, configured by environment variables only."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest
from testcontainers.core.container import DockerContainer

from adjutant import __version__, images
from adjutant.container.podman import PodmanBackend
from adjutant.devhub import package_lists
from tests.support import devhub_site
from tests.support.devhub_process import DevHubProcess
from tests.support.hub_endpoint import KOJI_CLI
from tests.support.images import TASK_IMAGE_NAME
from tests.support.kerberos_site import KerberosSite
from tests.support.orch_double import OrchDouble
from tests.support.srpms import build_srpm, simple_spec
from tests.support.worker_image import REPO, WORKER_IMAGE_NAME, worker_image

SOCKET = Path("/run/podman/podman.sock")
READY_DEADLINE_S = 120.0
BUILD_DEADLINE_S = 900.0
STOP_DEADLINE_S = 90


@pytest.fixture(scope="module")
def image() -> str:
    if not SOCKET.is_socket():
        pytest.fail(f"no podman API socket at {SOCKET}: run scripts/setup-host", pytrace=False)
    return worker_image()


@pytest.fixture(scope="module")
def task_image(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Debian task image in the host's storage (built unless already up to date)."""
    folder = images.find(images.default_images_dir(), TASK_IMAGE_NAME)
    with (tmp_path_factory.mktemp("task-image") / "build.log").open("wb") as output:
        return images.build(PodmanBackend(f"unix://{SOCKET}"), folder, output=output)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHubProcess]:
    base = tmp_path_factory.mktemp("appliance-hub")
    proc = DevHubProcess(base / "devhub")
    # Task ids name buildroot containers (adjutant-<task>-buildroot) on the host's podman,
    # which other devhubs' workers share: start this hub's ids somewhere of its own.
    with proc.admin.open_store().transaction() as cur:
        cur.run("INSERT INTO sqlite_sequence (name, seq) VALUES ('tasks', ?)",
                (secrets.randbelow(10**8) + 10**6,))  # fmt: skip
    devhub_site.seed_site(proc.admin, base / "seed")
    devhub_site.make_repo(proc.admin)
    proc.start()
    try:
        yield proc
    finally:
        proc.close()


def podman(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *argv], capture_output=True, text=True, timeout=120,
                          check=check)  # fmt: skip


def test_the_image_carries_version_revision_healthcheck_and_versioned_tags(image: str) -> None:
    labels = podman("image", "inspect", "--format", "{{json .Config.Labels}}", image).stdout
    health = podman("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image).stdout
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip

    assert f'"org.opencontainers.image.version":"{__version__}"' in labels
    assert f'"org.opencontainers.image.revision":"{revision}' in labels
    assert '"Test":["CMD","adjutant","healthcheck"]' in health
    same = podman("image", "inspect", "--format", "{{.Id}}", image,
                  f"{WORKER_IMAGE_NAME}:{__version__}").stdout.split()  # fmt: skip
    assert len(same) == 2 and same[0] == same[1]


def worker_env(hub: DevHubProcess, task_image: str, worker_name: str) -> dict[str, str]:
    """An operator's env-only configuration: devhub's URLs and the host's certificate."""
    return {
        "KOJI_ADJUTANT_KOJID_SERVER": hub.server,
        "KOJI_ADJUTANT_KOJID_TOPURL": hub.topurl,
        "KOJI_ADJUTANT_KOJID_TOPDIR": str(hub.admin.topdir),
        "KOJI_ADJUTANT_KOJID_CERT": str(hub.admin.client_cert(devhub_site.HOST)),
        "KOJI_ADJUTANT_KOJID_SERVERCA": str(hub.serverca),
        "KOJI_ADJUTANT_KOJID_MAXJOBS": "2",
        "KOJI_ADJUTANT_KOJID_SLEEPTIME": "1",
        "KOJI_ADJUTANT_KOJID_MINSPACE": "100",
        "KOJI_ADJUTANT_WORKER_NAME": worker_name,
        "KOJI_ADJUTANT_TASK_IMAGE_DEFAULT": task_image,
        "KOJI_ADJUTANT_IMAGE_PULL_POLICY": "never",
        "KOJI_ADJUTANT_REPO_ACCESS": "mount",
        "KOJI_ADJUTANT_SHUTDOWN_GRACE": "30",
    }


def appliance(image: str, hub: DevHubProcess, env: dict[str, str]) -> DockerContainer:
    """The worker container: host network (devhub listens on loopback), the host's podman
    socket, and devhub's topdir and CA at the same paths (buildroots bind-mount the topdir)."""
    container = (
        DockerContainer(image)
        .with_kwargs(network_mode="host")
        .with_volume_mapping(str(SOCKET), str(SOCKET), "rw")
        .with_volume_mapping(str(hub.admin.topdir), str(hub.admin.topdir), "rw")
        .with_volume_mapping(str(hub.serverca.parent), str(hub.serverca.parent), "ro")
    )
    for name, value in env.items():
        container = container.with_env(name, value)
    return container


def submit_build(hub: DevHubProcess, tmp_path: Path, name: str) -> int:
    """`koji build TARGET SRPM --nowait` with the stock CLI; the task id."""
    with hub.admin.admin_call() as call:
        package_lists.add_package(call.db, devhub_site.DEST_TAG, name, call.session.user_id)
    srpm = build_srpm(simple_spec(name, build_requires="adjutant-dep"), tmp_path / name)
    conf = tmp_path / "koji.conf"
    conf.write_text(f"[koji]\nserver = {hub.server}\nauthtype = ssl\n"
                    f"cert = {hub.admin_cert}\nserverca = {hub.serverca}\n")  # fmt: skip
    done = subprocess.run([*KOJI_CLI, "-c", str(conf), "-p", "koji", "build", "--nowait",
                           devhub_site.TARGET, str(srpm)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return int(done.stdout.split("Created task:")[1].split()[0])


def wait_for(what: str, check: object, deadline_s: float, logs: object) -> None:
    deadline = time.monotonic() + deadline_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {deadline_s:g}s; worker log:\n{logs()}")  # type: ignore[operator]
        time.sleep(0.5)


@pytest.fixture
def testcontainers_on_host_podman(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{SOCKET}")
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")  # its image cannot be pulled


@pytest.mark.usefixtures("testcontainers_on_host_podman")
def test_the_appliance_configured_by_env_builds_what_the_stock_koji_cli_submits(
    image: str, task_image: str, hub: DevHubProcess, tmp_path: Path
) -> None:
    worker_name = f"appliance-{secrets.token_hex(4)}"
    admin = koji.ClientSession(hub.server, {"serverca": str(hub.serverca)})
    admin.ssl_login(cert=str(hub.admin_cert), serverca=str(hub.serverca))
    container = appliance(image, hub, worker_env(hub, task_image, worker_name))
    container.start()
    wrapped = container.get_wrapped_container()

    def logs() -> str:
        out, err = container.get_logs()
        return (out + err).decode(errors="replace")[-6000:]

    try:
        wait_for("host ready", lambda: admin.getHost(devhub_site.HOST)["ready"],
                 READY_DEADLINE_S, logs)  # fmt: skip
        task_id = submit_build(hub, tmp_path, "adjutant-appliance")
        wait_for(f"task {task_id} finished",
                 lambda: admin.getTaskInfo(task_id)["state"] in (
                     koji.TASK_STATES["CLOSED"], koji.TASK_STATES["FAILED"],
                     koji.TASK_STATES["CANCELED"]),
                 BUILD_DEADLINE_S, logs)  # fmt: skip
        assert admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CLOSED"], logs()
        [build] = admin.listBuilds(taskID=task_id)
        assert build["state"] == koji.BUILD_STATES["COMPLETE"]
        health = podman("healthcheck", "run", wrapped.id, check=False)
        assert health.returncode == 0, health.stdout + health.stderr + logs()

        wrapped.stop(timeout=STOP_DEADLINE_S)  # SIGTERM: a graceful stop
        status = wrapped.wait(timeout=STOP_DEADLINE_S)["StatusCode"]
        assert status == 0, logs()
    finally:
        container.stop()
        admin.logout()
    left = podman("ps", "-a", "--filter", f"label=io.adjutant.worker={worker_name}",
                  "--format", "{{.Names}}").stdout.split()  # fmt: skip
    assert left == []


@pytest.mark.usefixtures("testcontainers_on_host_podman")
def test_the_appliance_logs_in_with_a_keytab_from_orch_configured_by_env_only(
    image: str, kerberos_site: KerberosSite, orch_service: OrchDouble
) -> None:
    """koji-boxed's way, in the image: keytab and CA from orch, krb5.conf written, GSSAPI."""
    (resource,) = orch_service.resources
    (name,) = orch_service.resources.values()
    host_name = name.split("/")[1]
    container = DockerContainer(image).with_kwargs(network_mode="host")
    container = container.with_volume_mapping(str(SOCKET), str(SOCKET), "rw")
    env = {
        "KOJI_ADJUTANT_KOJID_SERVER": kerberos_site.server,
        "KOJI_ADJUTANT_KOJID_TOPURL": kerberos_site.hub.topurl,
        "KOJI_ADJUTANT_KOJID_KEYTAB": "/var/lib/adjutant/kojid.keytab",
        "KOJI_ADJUTANT_KOJID_SLEEPTIME": "1",
        "KOJI_ADJUTANT_ORCH_URL": orch_service.url,
        "KOJI_ADJUTANT_ORCH_RESOURCE": resource,
        "KOJI_ADJUTANT_KRB5_REALM": kerberos_site.kdc.realm,
        "KOJI_ADJUTANT_KRB5_KDC": kerberos_site.kdc.address,
        "KOJI_ADJUTANT_WORKER_NAME": f"appliance-krb-{resource[:8]}",
    }
    for key, value in env.items():
        container = container.with_env(key, value)
    container.start()
    wrapped = container.get_wrapped_container()

    def logs() -> str:
        out, err = container.get_logs()
        return (out + err).decode(errors="replace")[-6000:]

    try:

        def ready() -> bool:
            host = kerberos_site.admin.getHost(host_name)
            return host is not None and bool(host["ready"])

        wait_for(f"host {host_name} ready", ready, READY_DEADLINE_S, logs)
        assert f"logged in to {kerberos_site.server} as {host_name}" in logs()
        wrapped.stop(timeout=STOP_DEADLINE_S)
        assert wrapped.wait(timeout=STOP_DEADLINE_S)["StatusCode"] == 0, logs()
    finally:
        container.stop()
    path = f"/api/v2/resource/{resource}"
    assert orch_service.requests == [("POST", path), ("GET", "/api/v2/ca/certificate")]
