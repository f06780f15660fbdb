"""The buildroot cache on real podman, through devhub and a running `adjutant worker`: the
second build from the same repo starts from the committed image, skips the group install,
says so in image.log, and the hub's buildroot listings of both builds are the same."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import koji
import pytest

from tests.support.devhub_worker import DevhubSite, devhub_worker_site

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, podman_url: str, task_image: str, worker_label: str
) -> Iterator[DevhubSite]:
    base = tmp_path_factory.mktemp("buildroot-cache")
    cache = {"buildroot_cache": "true", "buildroot_cache_dir": str(base / "cache")}
    try:
        with devhub_worker_site(
            base, podman_url, task_image, worker_label, adjutant_extra=cache
        ) as site:
            yield site
    finally:
        for index in (base / "cache").glob("buildroots/*.json"):
            image = json.loads(index.read_text())["image"]
            subprocess.run(["podman", "rmi", "-f", image], capture_output=True, timeout=120,
                           check=False)  # fmt: skip


def listing(site: DevhubSite, task_id: int) -> set[str]:
    (root,) = site.admin.listBuildroots(taskID=task_id)
    return {
        f"{r['name']}-{r['version']}-{r['release']}.{r['arch']}"
        for r in site.admin.getBuildrootListing(root["id"])
    }


def test_second_build_from_a_repo_starts_from_the_cache_with_the_same_listing(
    site: DevhubSite,
) -> None:
    first = site.submit("adjutant-cache-one")
    assert site.wait(first)["state"] == koji.TASK_STATES["CLOSED"]
    second = site.submit("adjutant-cache-two")
    assert site.wait(second)["state"] == koji.TASK_STATES["CLOSED"]

    first_image_log = site.admin.downloadTaskOutput(first, "image.log").decode()
    second_image_log = site.admin.downloadTaskOutput(second, "image.log").decode()
    assert "buildroot cache" not in first_image_log
    assert "buildroot cache: started from localhost/adjutant-buildroot-cache:" in second_image_log
    second_state = site.admin.downloadTaskOutput(second, "state.log").decode()
    assert "install-group" in site.admin.downloadTaskOutput(first, "state.log").decode()
    assert "install-group" not in second_state
    assert listing(site, first) == listing(site, second)
    assert any(n.startswith("adjutant-test-macros-") for n in listing(site, second))
