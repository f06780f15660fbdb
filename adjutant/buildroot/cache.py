"""The buildroot cache: mock's root cache for container buildroots.

After a buildroot's build group is installed, its container is committed as a local image;
the next buildroot with the same key starts from that image and skips the install. The key is
everything the install depends on: the task image's id, the koji repo (its id fixes the
packages and the group's comps), the arch, the group, and the dnf config. A new repo is a new
key, so the cache is invalidated with the repo. Each entry's index file on the worker keeps
what the hub listing needs (the image's own packages and those the install added), so a
cached buildroot reports exactly the listing an uncached one would. Entries are removed least
recently used first once their images pass ``buildroot_cache_max_size``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from adjutant.buildroot.packages import InstalledPackage
from adjutant.container.backend import ContainerBackend
from adjutant.errors import ContainerError

log = logging.getLogger(__name__)

IMAGE_REPO = "localhost/adjutant-buildroot-cache"
LABEL_KEY = "io.adjutant.buildroot-cache.key"


@dataclass(frozen=True)
class CacheKey:
    image_id: str
    repo_id: int
    arch: str
    group: str
    dnf_conf: str

    @property
    def digest(self) -> str:
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def image(self) -> str:
        return f"{IMAGE_REPO}:{self.digest[:32]}"


@dataclass(frozen=True)
class CachedBuildroot:
    image: str
    baseline: tuple[InstalledPackage, ...]  # the task image's own packages
    installed: tuple[InstalledPackage, ...]  # the rpmdb right after the group install


class BuildrootCache:
    """Entries under ``directory`` (one JSON index file each), images in podman's storage."""

    def __init__(self, backend: ContainerBackend, directory: Path, max_size_bytes: int) -> None:
        self.backend = backend
        self.directory = directory / "buildroots"
        self.max_size_bytes = max_size_bytes

    def lookup(self, key: CacheKey) -> CachedBuildroot | None:
        """The entry for ``key`` if both its index and its image are there (marked used)."""
        index = self._index(key)
        try:
            data = json.loads(index.read_text())
        except (FileNotFoundError, ValueError):
            return None
        if not self.backend.image_exists(key.image):
            index.unlink(missing_ok=True)
            return None
        os.utime(index)  # last use, for the LRU order
        return CachedBuildroot(
            image=key.image,
            baseline=tuple(InstalledPackage(**p) for p in data["baseline"]),
            installed=tuple(InstalledPackage(**p) for p in data["installed"]),
        )

    def store(
        self,
        key: CacheKey,
        container_id: str,
        baseline: Sequence[InstalledPackage],
        installed: Sequence[InstalledPackage],
    ) -> None:
        """Commit the container as the entry for ``key``, then trim the cache.

        A failure only costs the next build its cache hit: it is logged, never raised.
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Two buildroots with one key may miss at once: the first commit wins (a second
            # would leave the first image untagged in storage).
            if not self.backend.image_exists(key.image):
                self.backend.commit(container_id, key.image, {LABEL_KEY: key.digest})
            # What the entry adds to the task image (their layers are shared).
            size = max(
                0,
                self.backend.inspect_image(key.image).size_bytes
                - self.backend.inspect_image(key.image_id).size_bytes,
            )
            data = {"key": dataclasses.asdict(key), "image": key.image, "size_bytes": size,
                    "baseline": [dataclasses.asdict(p) for p in baseline],
                    "installed": [dataclasses.asdict(p) for p in installed]}  # fmt: skip
            partial = self._index(key).with_suffix(".part")
            partial.write_text(json.dumps(data))
            partial.rename(self._index(key))
            self.trim()
        except (ContainerError, OSError) as exc:
            log.warning("cannot store buildroot cache entry %s: %s", key.image, exc)

    def trim(self) -> None:
        """Remove least recently used entries until the images fit ``max_size_bytes``."""
        with self._locked():
            entries = []
            for index in self.directory.glob("*.json"):
                try:
                    data = json.loads(index.read_text())
                    entries.append((index.stat().st_mtime, index, data["image"],
                                    int(data["size_bytes"])))  # fmt: skip
                except (OSError, ValueError, KeyError):
                    index.unlink(missing_ok=True)
            total = sum(entry[3] for entry in entries)
            for _mtime, index, image, size in sorted(entries):
                if total <= self.max_size_bytes:
                    break
                index.unlink(missing_ok=True)
                try:
                    self.backend.remove_image(image)
                except ContainerError as exc:  # in use by a running buildroot: next time
                    log.warning("cannot remove cached buildroot image %s: %s", image, exc)
                total -= size
                log.info("buildroot cache: removed %s (least recently used)", image)

    def _index(self, key: CacheKey) -> Path:
        return self.directory / f"{key.digest[:32]}.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Task processes trim concurrently; one at a time keeps the size sum right.
        with (self.directory / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
