"""The `demo` profile of podman-compose.yml as podman-compose reads it, checked without images
or containers: scripts/demo-compose runs it end to end (README's first command)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from adjutant import config

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "compose" / "demo"
SCRIPT = ROOT / "scripts" / "demo-compose"
DEMO_SERVICES = {"devhub", "demo-worker", "koji"}


def compose_config(*profile: str) -> dict[str, Any]:
    """`podman-compose -f podman-compose.yml [--profile P] -p adjutant-demo config`, parsed."""
    tool = Path(sys.executable).parent / "podman-compose"  # the test extras install it
    if not tool.exists():
        pytest.fail(f"{tool} is missing: bash scripts/setup-venv installs podman-compose",
                    pytrace=False)  # fmt: skip
    result = subprocess.run(
        [str(tool), "-f", "podman-compose.yml", *profile, "-p", "adjutant-demo", "config"],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return compose_config("--profile", "demo")


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """target -> source of the service's volumes."""
    out = {}
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        out[target] = source
    return out


def test_the_demo_services_start_only_with_the_demo_profile(demo: dict[str, Any]) -> None:
    assert set(compose_config()["services"]) == {"worker"}
    assert set(demo["services"]) == DEMO_SERVICES | {"worker"}
    for name in DEMO_SERVICES:
        assert demo["services"][name]["profiles"] == ["demo"]
    # scripts/demo-compose names them (else the operator's `worker` would start too)
    listed = re.search(r"^services=\(([^)]*)\)$", SCRIPT.read_text(), re.M)
    assert listed is not None and set(listed.group(1).split()) == DEMO_SERVICES


def test_the_worker_is_configured_by_environment_only(demo: dict[str, Any], tmp_path: Path) -> None:
    worker = demo["services"]["demo-worker"]
    assert not any("/etc/kojid" in volume for volume in worker["volumes"])
    settings = config.load(environ={"KOJI_ADJUTANT_CONFIG": str(tmp_path),  # no config files
                                    **worker["environment"]}, check_paths=False)  # fmt: skip
    assert settings.warnings == ()
    assert settings.kojid.server == "https://devhub:8443/kojihub"
    assert settings.adjutant.worker_name == "adjutant-demo"


def test_buildroots_mount_the_hubs_topdir_volume_by_its_name(demo: dict[str, Any]) -> None:
    worker, hub = demo["services"]["demo-worker"], demo["services"]["devhub"]
    env = worker["environment"]
    topdir = env["KOJI_ADJUTANT_KOJID_TOPDIR"]
    volume_key = mounts(worker)[topdir]
    assert mounts(hub)["/var/lib/devhub/topdir"] == volume_key  # devhub's <home>/topdir
    # named outright, so the name the worker gives podman does not depend on the project
    assert env["KOJI_ADJUTANT_HOST_VOLUME_MAP"] == f"{topdir}={demo['volumes'][volume_key]['name']}"
    assert mounts(worker)["/run/podman/podman.sock"] == "/run/podman/podman.sock"


def test_the_dashboard_is_published_on_loopback_only(demo: dict[str, Any]) -> None:
    worker = demo["services"]["demo-worker"]
    assert worker["ports"] == ["127.0.0.1:8090:8090"]
    assert worker["environment"]["KOJI_ADJUTANT_DASHBOARD_PORT"] == "8090"
    assert "http://127.0.0.1:8090" in SCRIPT.read_text()


def test_the_files_the_services_use_are_those_the_seed_writes(demo: dict[str, Any]) -> None:
    services = demo["services"]
    seed = (DEMO / "devhub.sh").read_text()
    env = services["demo-worker"]["environment"]
    # the worker's certificate and CA are where devhub.sh puts them in the shared volume
    assert f'"$home/{Path(env["KOJI_ADJUTANT_KOJID_CERT"]).name}"' in seed
    assert env["KOJI_ADJUTANT_KOJID_SERVERCA"] == "/var/lib/devhub/ca/ca.crt"
    assert mounts(services["demo-worker"])["/var/lib/devhub"] == "devhub"
    assert mounts(services["koji"])["/var/lib/devhub"] == "devhub"
    # the hub's certificate names the host the worker and the client reach it by
    assert "--hostname devhub" in seed and env["KOJI_ADJUTANT_KOJID_SERVER"].startswith(
        "https://devhub:8443/"
    )
    # the seeded build group's package is the one macros.spec builds
    spec = dict(re.findall(r"^(Name|Version|Release|BuildArch): (\S+)$",
                           (DEMO / "macros.spec").read_text(), re.M))  # fmt: skip
    rpm = f"{spec['Name']}-{spec['Version']}-{spec['Release']}.{spec['BuildArch']}.rpm"
    assert f"/seed/{rpm}" in seed and f"add-group demo-build build {spec['Name']}" in seed
    # the entrypoint scripts and the SRPM exist in the checkout the services mount
    for name in DEMO_SERVICES:
        entry = services[name].get("entrypoint", [])
        for script in (part for part in entry if part.startswith("/demo/")):
            assert (DEMO / script.removeprefix("/demo/")).is_file(), script
    srpm = re.search(r"/srpms/(\S+\.src\.rpm)", (DEMO / "koji-build.sh").read_text())
    assert srpm is not None and (ROOT / "tests" / "data" / "srpms" / srpm.group(1)).is_file()
