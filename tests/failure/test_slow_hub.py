"""A hub that answers too slowly: the worker's calls time out and koji's ClientSession
retries them (kojid's `timeout`, `retry_interval`, `max_retries`), with no retry layer of ours.

A module of its own because the worker needs a short hub-call timeout, which the shared
failure site must not have (its 200 MB log upload would meet it on a busy machine).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import koji
import pytest

from tests.failure.test_worker_faults import (
    assert_numbered,
    hub_log,
    numbered_lines,
    wait_for_log_text,
)
from tests.scenarios.worker_builds import build_succeeds, fault_of
from tests.support.devhub_worker import DevhubSite, devhub_worker_site

pytestmark = pytest.mark.integration

CALL_TIMEOUT_S = 2
# Each request is held this long while the spell lasts: every worker call times out.
HUB_DELAY_S = 3
SLOW_SPELL_S = 6


@pytest.fixture(scope="module")
def slow_site(
    tmp_path_factory: pytest.TempPathFactory, podman_url: str, task_image: str, worker_label: str
) -> Iterator[DevhubSite]:
    """devhub and one worker whose hub calls time out after 2 s, retried every 2 s."""
    kojid = {"timeout": str(CALL_TIMEOUT_S), "retry_interval": "2", "max_retries": "20"}
    with devhub_worker_site(tmp_path_factory.mktemp("slow-hub"), podman_url, task_image,
                            worker_label, kojid) as site:  # fmt: skip
        yield site


def worker_log_from(site: DevhubSite, offset: int) -> str:
    assert site.worker_log is not None
    with site.worker_log.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def test_hub_calls_timing_out_are_retried_by_koji_and_the_task_ends_right(
    slow_site: DevhubSite,
) -> None:
    site = slow_site
    task_id = site.submit("adjutant-slow-hub", build_script=numbered_lines(3000, 200, 0.2))
    wait_for_log_text(site, task_id, b"n 200\n")
    assert site.worker_log is not None
    log_offset = site.worker_log.stat().st_size
    site.admin.devhub.delay(HUB_DELAY_S, SLOW_SPELL_S)
    # The spell itself (plus the held request of the call that started it): no calls of ours.
    time.sleep(SLOW_SPELL_S + HUB_DELAY_S)
    assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], fault_of(site.admin, task_id)
    # Uploads retried after a timeout at the same offset: no byte lost or written twice.
    assert_numbered(hub_log(site, task_id), 3000)
    during = worker_log_from(site, log_offset)
    assert "timed out" in during, "no worker call met the slow hub:\n" + during[-3000:]
    site.assert_clean(task_id)
    build_succeeds(site, "adjutant-after-slow-hub")
