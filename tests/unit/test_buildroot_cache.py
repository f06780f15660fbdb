"""The buildroot cache (mock's root cache): a buildroot whose key was seen starts from the
committed image, skips the group install, and reports exactly the listing an uncached one does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from adjutant.buildroot.cache import IMAGE_REPO, BuildrootCache, CacheKey
from adjutant.buildroot.packages import RPMDB_QUERY_ARGV
from adjutant.container.backend import ContainerSpec
from adjutant.container.fake import FakeBackend
from tests.support.fake_hub import (
    BUILDREQUIRES_PKGS,
    GROUP_PKGS,
    IMAGE_PKGS,
    rpmdb,
    script_buildroot,
)
from tests.unit.test_koji_buildroot import IMAGE, Setup


def cached_setup(tmp_path: Path, **adjutant: Any) -> Setup:
    return Setup(tmp_path, buildroot_cache=True, buildroot_cache_dir=tmp_path / "cache",
                 **adjutant)  # fmt: skip


def group_installs(setup: Setup) -> int:
    return sum(1 for argv, _ in setup.execs() if "@build" in argv)


def hub_listings(setup: Setup) -> list[Any]:
    return [c.args for c in setup.hub.calls if c.method == "host.setBuildRootList"]


def test_second_buildroot_starts_from_the_cache_and_reports_the_same_listing(
    tmp_path: Path,
) -> None:
    setup = cached_setup(tmp_path)
    setup.build()
    (commit,) = setup.backend.calls_to("commit")
    assert commit["image"].startswith(f"{IMAGE_REPO}:") and group_installs(setup) == 1
    first_listing = hub_listings(setup)[-1][1]

    # The same task image, repo, arch, group and dnf config: a hit.
    script_buildroot(setup.backend)
    setup.backend.on_exec(
        RPMDB_QUERY_ARGV, once=True, output=rpmdb(*IMAGE_PKGS, *GROUP_PKGS, *BUILDREQUIRES_PKGS)
    )
    for path in (setup.work_dir / "logs").iterdir():
        path.unlink()
    setup.build()
    creates = setup.backend.calls_to("create")
    assert [c["spec"].image for c in creates] == [IMAGE, commit["image"]]
    assert group_installs(setup) == 1  # not again
    assert len(setup.backend.calls_to("commit")) == 1
    assert hub_listings(setup)[-1][1] == first_listing
    assert f"buildroot cache: started from {commit['image']}" in setup.log("image.log")
    assert "installed from the buildroot cache" in setup.log("mock_output.log")


def test_another_repo_is_another_key(tmp_path: Path) -> None:
    key = CacheKey("sha256:1", 7, "x86_64", "build", "[main]\n")
    assert CacheKey("sha256:1", 8, "x86_64", "build", "[main]\n").image != key.image
    assert CacheKey("sha256:2", 7, "x86_64", "build", "[main]\n").image != key.image
    assert CacheKey("sha256:1", 7, "x86_64", "srpm-build", "[main]\n").image != key.image
    assert CacheKey("sha256:1", 7, "x86_64", "build", "[main]\n").image == key.image


def test_least_recently_used_entries_go_once_past_the_size_limit(tmp_path: Path) -> None:
    backend = FakeBackend([IMAGE])
    container = backend.create(ContainerSpec(image=IMAGE, task_id=1, worker="w", role="r"))
    cache = BuildrootCache(backend, tmp_path / "cache", max_size_bytes=2)
    image_id = backend.images[IMAGE].id
    keys = [CacheKey(image_id, repo, "x86_64", "build", "") for repo in (1, 2, 3)]
    for age, key in enumerate(keys):
        cache.store(key, container, (), ())
        index = next(p for p in cache.directory.glob("*.json") if key.digest[:32] in p.name)
        index.write_text(index.read_text().replace('"size_bytes": 0', '"size_bytes": 1'))
        os.utime(index, (1000 + age, 1000 + age))
    cache.lookup(keys[0])  # used now: the most recent
    cache.trim()
    assert cache.lookup(keys[1]) is None and keys[1].image not in backend.images
    assert cache.lookup(keys[0]) is not None and cache.lookup(keys[2]) is not None
