"""The devhub acceptance scenarios against a real koji hub (see conftest for the variables).

Keep this file in step with tests/devhub: every end-to-end scenario runs in both places.
"""

from __future__ import annotations

from pathlib import Path

from tests.scenarios import hub_protocol
from tests.support.hub_endpoint import HubEndpoint
from tests.support.srpms import SAMPLE_SRPM


def test_stock_koji_cli_against_the_live_hub(live_endpoint: HubEndpoint,
                                             tmp_path: Path) -> None:
    hub_protocol.cli_basics(live_endpoint, SAMPLE_SRPM, tmp_path)


def test_stock_task_manager_against_the_live_hub(live_endpoint: HubEndpoint,
                                                 tmp_path: Path) -> None:
    hub_protocol.stock_task_manager(live_endpoint, tmp_path)
