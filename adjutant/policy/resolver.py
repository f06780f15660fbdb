"""Resolve the task image for (tag, arch, task type): hub policy, cache, fallback, counters.

The build config comes from a callable (the hub's getBuildConfig, inheritance applied by the
hub), so this module makes no hub calls of its own. Results are cached per (tag, arch, task
type) for the TTL; a hub error or a bad policy falls back to the configured default and warns
once per tag per TTL rather than once per task.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import koji
import requests

from adjutant.errors import ConfigError
from adjutant.policy.rules import POLICY_KEY, parse_policy

log = logging.getLogger(__name__)

BuildConfigGetter = Callable[[int | str], Mapping[str, Any]]


@dataclass(frozen=True)
class ImageChoice:
    """The image chosen and why, in words an operator can act on (tag, rule, fallback)."""

    image: str
    reason: str
    rule: str | None = None  # e.g. "rule 2 (tag=f40-build)" when a policy rule chose it


@dataclass
class PolicyCounters:
    hits: int = 0  # answered from the cache
    misses: int = 0  # looked up on the hub
    fallbacks: int = 0  # hub error or bad policy: the configured default was used


class ImageResolver:
    """Chooses task images by the tag's ``adjutant_image_policy``; one instance per worker."""

    def __init__(
        self,
        *,
        default_image: str,
        enabled: bool,
        ttl_s: float,
        get_build_config: BuildConfigGetter,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default_image = default_image
        self.enabled = enabled
        self.ttl_s = ttl_s
        self.get_build_config = get_build_config
        self.clock = clock
        self.counters = PolicyCounters()
        self._cache: dict[tuple[int | str, str, str], tuple[float, ImageChoice]] = {}
        self._warned_until: dict[str, float] = {}

    def resolve(self, tag: int | str, arch: str, task_type: str) -> ImageChoice:
        """The image for a buildroot of ``task_type`` on ``tag`` (name or id) for ``arch``."""
        if not self.enabled:
            return ImageChoice(self.default_image, "image policy disabled: task_image_default")
        now = self.clock()
        key = (tag, arch, task_type)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            self.counters.hits += 1
            return cached[1]
        self.counters.misses += 1
        choice = self._look_up(tag, arch, task_type, now)
        self._cache[key] = (now + self.ttl_s, choice)
        return choice

    def _look_up(self, tag_ref: int | str, arch: str, task_type: str, now: float) -> ImageChoice:
        tag = str(tag_ref)
        try:
            build_config = self.get_build_config(tag_ref)
            tag = str(build_config.get("name") or tag)  # tasks may name the tag by id
            raw = (build_config.get("extra") or {}).get(POLICY_KEY)
            if raw is None:
                return ImageChoice(self.default_image, f"tag {tag} has no {POLICY_KEY}")
            rule = parse_policy(raw, tag=tag).choose(tag, arch, task_type)
        except ConfigError as exc:
            return self._fall_back(tag, f"bad policy: {exc}", now)
        except (koji.GenericError, OSError, requests.RequestException) as exc:
            return self._fall_back(tag, f"hub error reading tag {tag}: {exc}", now)
        if rule is None:
            return ImageChoice(
                self.default_image, f"no rule of tag {tag} matches {arch}/{task_type}"
            )
        return ImageChoice(rule.image, f"tag {tag} {rule.describe()}", rule.describe())

    def _fall_back(self, tag: str, why: str, now: float) -> ImageChoice:
        self.counters.fallbacks += 1
        if self._warned_until.get(tag, 0.0) <= now:
            log.warning("image policy: %s; using %s", why, self.default_image)
            self._warned_until[tag] = now + self.ttl_s
        return ImageChoice(self.default_image, f"fallback to task_image_default ({why})")
