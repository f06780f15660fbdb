"""The devhub acceptance scenarios against a real koji hub (see conftest for the variables).

Keep this file in step with tests/devhub: every end-to-end scenario runs in both places.
"""

from __future__ import annotations

from pathlib import Path

from tests.scenarios import hub_fidelity, hub_protocol
from tests.support.hub_endpoint import HubEndpoint
from tests.support.srpms import SAMPLE_SRPM


def test_stock_koji_cli_against_the_live_hub(live_endpoint: HubEndpoint, tmp_path: Path) -> None:
    hub_protocol.cli_basics(live_endpoint, SAMPLE_SRPM, tmp_path)


def test_stock_task_manager_against_the_live_hub(
    live_endpoint: HubEndpoint, tmp_path: Path
) -> None:
    hub_protocol.stock_task_manager(live_endpoint, tmp_path)


def test_live_cancel_task_answers_none_and_refuses_strangers(live_endpoint: HubEndpoint) -> None:
    hub_fidelity.cancel_task_answers_none_and_refuses_strangers(live_endpoint)


def test_live_logged_in_user_has_authtype_and_krb_principal(live_endpoint: HubEndpoint) -> None:
    hub_fidelity.logged_in_user_has_authtype_and_krb_principal(live_endpoint)


def test_live_upload_file_checks_size_and_digest_before_the_path(
    live_endpoint: HubEndpoint,
) -> None:
    hub_fidelity.upload_file_checks_size_and_digest_before_the_path(live_endpoint)


def test_live_tag_without_arches_stays_arch_less(live_endpoint: HubEndpoint) -> None:
    hub_fidelity.tag_without_arches_stays_arch_less(live_endpoint)
