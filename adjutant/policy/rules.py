"""Parse and match the image policy a tag carries in its extra under ``adjutant_image_policy``.

The value is a JSON object (or a JSON string holding one) with a ``rules`` list; each rule
names an ``image`` and matches on any of ``tag``, ``arch`` and ``task_type``, or is the
policy's ``default``. Precedence, most specific first: tag+arch, tag, task_type, arch, default.
Within one rank the rule listed first wins. Validation happens here, where the policy enters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adjutant.errors import ConfigError

POLICY_KEY = "adjutant_image_policy"
_RULE_KEYS = frozenset({"tag", "arch", "task_type", "default", "image"})
_MATCH_KEYS = ("tag", "arch", "task_type")
# An image reference: registry/name[:tag][@digest], no whitespace or shell metacharacters.
_IMAGE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*")


@dataclass(frozen=True)
class ImageRule:
    image: str
    index: int
    tag: str | None = None
    arch: str | None = None
    task_type: str | None = None
    default: bool = False

    @property
    def rank(self) -> int:
        """Lower is more specific: tag+arch 0, tag 1, task_type 2, arch 3, default 4."""
        if self.default:
            return 4
        if self.tag is not None:
            return 0 if self.arch is not None else 1
        return 2 if self.task_type is not None else 3

    def matches(self, tag: str, arch: str, task_type: str) -> bool:
        wanted = {"tag": tag, "arch": arch, "task_type": task_type}
        return all(getattr(self, key) in (None, wanted[key]) for key in _MATCH_KEYS)

    def describe(self) -> str:
        if self.default:
            return f"rule {self.index} (default)"
        fields = ", ".join(f"{key}={getattr(self, key)}" for key in _MATCH_KEYS
                           if getattr(self, key) is not None)  # fmt: skip
        return f"rule {self.index} ({fields})"


@dataclass(frozen=True)
class ImagePolicy:
    rules: tuple[ImageRule, ...]

    def choose(self, tag: str, arch: str, task_type: str) -> ImageRule | None:
        """The most specific matching rule, or None when none matches."""
        candidates = [rule for rule in self.rules if rule.matches(tag, arch, task_type)]
        return min(candidates, key=lambda rule: (rule.rank, rule.index), default=None)


def parse_policy(value: object, *, tag: str) -> ImagePolicy:
    """Validate a tag's policy value (object or JSON text) into an ImagePolicy.

    Raises:
        ConfigError: the value is not valid JSON or breaks the rule schema; the message names
            the tag, the extra key and the offending rule.
    """
    where = f"tag {tag} extra {POLICY_KEY}"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not valid JSON ({exc})") from exc
    if (
        not isinstance(value, Mapping)
        or not isinstance(value.get("rules"), Sequence)
        or isinstance(value.get("rules"), str)
    ):
        raise ConfigError(f"{where}: expected an object with a 'rules' list")
    rules = tuple(_parse_rule(raw, index, where) for index, raw in enumerate(value["rules"]))
    if sum(rule.default for rule in rules) > 1:
        raise ConfigError(f"{where}: more than one rule has default: true")
    return ImagePolicy(rules)


def _parse_rule(raw: object, index: int, where: str) -> ImageRule:
    here = f"{where} rule {index}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{here}: expected an object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise ConfigError(f"{here}: unknown keys {unknown} (allowed: {sorted(_RULE_KEYS)})")
    image = raw.get("image")
    if not isinstance(image, str) or not _IMAGE_REFERENCE.fullmatch(image):
        raise ConfigError(f"{here}: 'image' must be an image reference, got {image!r}")
    default = raw.get("default", False)
    if not isinstance(default, bool):
        raise ConfigError(f"{here}: 'default' must be true or false, got {default!r}")
    fields: dict[str, str] = {}
    for key in _MATCH_KEYS:
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise ConfigError(f"{here}: {key!r} must be a non-empty string, got {raw[key]!r}")
            fields[key] = raw[key]
    if default and fields:
        raise ConfigError(f"{here}: a default rule cannot also match on {sorted(fields)}")
    if not default and not fields:
        raise ConfigError(f"{here}: matches nothing: give tag, arch, task_type or default: true")
    return ImageRule(image=image, index=index, default=default, **fields)
