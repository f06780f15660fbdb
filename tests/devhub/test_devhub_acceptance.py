"""devhub against unmodified koji clients: the stock CLI and the stock TaskManager."""

from __future__ import annotations

from pathlib import Path

from tests.scenarios import hub_protocol
from tests.support.hub_endpoint import HubEndpoint
from tests.support.srpms import SAMPLE_SRPM


def test_stock_koji_cli_hello_lists_build_and_taskinfo(
    endpoint: HubEndpoint, tmp_path: Path
) -> None:
    hub_protocol.cli_basics(endpoint, SAMPLE_SRPM, tmp_path)


def test_stock_task_manager_runs_the_library_test_tasks(
    endpoint: HubEndpoint, tmp_path: Path
) -> None:
    hub_protocol.stock_task_manager(endpoint, tmp_path)
