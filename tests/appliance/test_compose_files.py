"""The compose files as podman-compose reads them: the koji-boxed overlay merged with a
stand-in of koji-boxed's own file, and compose/.env.example against every variable used."""

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
OVERLAY = ROOT / "compose" / "koji-boxed.yml"
STAND_IN = ROOT / "tests" / "data" / "compose" / "koji-boxed-stand-in.yml"
ENV_EXAMPLE = ROOT / "compose" / ".env.example"
COMPOSE_FILES = (OVERLAY, ROOT / "podman-compose.yml")
PROJECT = "koji-boxed"
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?-[^}]*)?\}")


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    """`podman-compose -p koji-boxed -f <koji-boxed> -f compose/koji-boxed.yml config`."""
    tool = Path(sys.executable).parent / "podman-compose"  # the test extras install it
    if not tool.exists():
        pytest.fail(f"{tool} is missing: bash scripts/setup-venv installs podman-compose",
                    pytrace=False)  # fmt: skip
    result = subprocess.run(
        [str(tool), "-p", PROJECT, "-f", str(STAND_IN), "-f", str(OVERLAY), "config"],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT / "compose",
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},  # no ADJUTANT_* from the caller
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


def test_the_worker_joins_koji_network_and_mounts_koji_storage(merged: dict[str, Any]) -> None:
    worker = merged["services"]["adjutant"]
    assert list(worker["networks"]) == ["koji-network"]
    assert "koji_storage:/mnt/koji" in worker["volumes"]
    assert "/run/podman/podman.sock:/run/podman/podman.sock" in worker["volumes"]
    # volumes and network are koji-boxed's own (compose prefixes them with the project)
    assert merged["volumes"]["koji_storage"] == {"driver": "local"}
    env = worker["environment"]
    assert env["KOJI_ADJUTANT_HOST_VOLUME_MAP"] == f"/mnt/koji={PROJECT}_koji_storage"
    assert env["KOJI_ADJUTANT_BUILDROOT_NETWORK"] == f"{PROJECT}_koji-network"


def test_the_worker_waits_for_a_healthy_hub_and_orch(merged: dict[str, Any]) -> None:
    assert merged["services"]["adjutant"]["depends_on"] == {
        "koji-hub": {"condition": "service_healthy"},
        "orch-service": {"condition": "service_healthy"},
    }


def test_the_dashboard_is_published_on_loopback_away_from_nginx(merged: dict[str, Any]) -> None:
    worker = merged["services"]["adjutant"]
    assert worker["ports"] == ["127.0.0.1:8090:8090"]
    assert worker["environment"]["KOJI_ADJUTANT_DASHBOARD_PORT"] == "8090"
    assert worker["healthcheck"]["test"] == ["CMD", "adjutant", "healthcheck"]


def test_the_environment_alone_is_a_valid_configuration(
    merged: dict[str, Any], tmp_path: Path
) -> None:
    worker = merged["services"]["adjutant"]
    assert not any("/etc/kojid" in volume for volume in worker["volumes"])
    settings = config.load(environ={"KOJI_ADJUTANT_CONFIG": str(tmp_path),  # no config files
                                    **worker["environment"]}, check_paths=False)  # fmt: skip
    assert settings.warnings == ()
    assert settings.adjutant.orch_resource == "033dbe9b-d003-47eb-8383-fcc6babc2619"
    assert settings.adjutant.krb5_realm == "KOJI.BOX"


def test_env_example_lists_exactly_the_variables_the_compose_files_read() -> None:
    used = {name for path in COMPOSE_FILES for name in VARIABLE.findall(path.read_text())}
    listed = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert listed == used
