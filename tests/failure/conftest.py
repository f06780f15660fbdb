"""tests/failure: the worker under faults, against real podman and a devhub process.

Reuses the integration fixtures (private podman service, task image, worker label and the
leak check that fails a test leaving a container with our labels).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import (  # noqa: F401 (fixtures)
    base_image,
    no_leftover_containers,
    podman_backend,
    podman_url,
    task_image,
    worker_label,
)
from tests.support.devhub_worker import DevhubSite, devhub_worker_site

# Small enough for a test to run into, large enough for dnf and rpmbuild of a tiny package.
MEMORY_LIMIT = "384M"


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    podman_url: str,  # noqa: F811 (the imported fixture, requested by name)
    task_image: str,  # noqa: F811
    worker_label: str,  # noqa: F811
) -> Iterator[DevhubSite]:
    """devhub and one worker (maxjobs 2, hub retries every 2 s up to 10 times)."""
    kojid = {"allowed_scms": "*:*/allowed/*:no:", "allow_password_in_scm_url": "true"}
    adjutant = {"container_memory": MEMORY_LIMIT}
    with devhub_worker_site(tmp_path_factory.mktemp("failure"), podman_url, task_image,
                            worker_label, kojid, adjutant) as site:  # fmt: skip
        yield site
