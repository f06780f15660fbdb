"""Hub behaviours devhub once got wrong, against a devhub process over the wire (the same
scenarios run against a real hub in tests/live/test_live_hub.py)."""

from __future__ import annotations

from tests.scenarios import hub_fidelity
from tests.support.hub_endpoint import HubEndpoint


def test_cancel_task_answers_none_and_refuses_strangers(endpoint: HubEndpoint) -> None:
    hub_fidelity.cancel_task_answers_none_and_refuses_strangers(endpoint)


def test_logged_in_user_has_authtype_and_krb_principal(endpoint: HubEndpoint) -> None:
    hub_fidelity.logged_in_user_has_authtype_and_krb_principal(endpoint)


def test_upload_file_checks_size_and_digest_before_the_path(endpoint: HubEndpoint) -> None:
    hub_fidelity.upload_file_checks_size_and_digest_before_the_path(endpoint)


def test_tag_without_arches_stays_arch_less(endpoint: HubEndpoint) -> None:
    hub_fidelity.tag_without_arches_stays_arch_less(endpoint)
