"""Image policy: rule precedence, validation of every bad input, cache, fallback and counters."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import koji
import pytest

from adjutant.errors import ConfigError
from adjutant.policy import POLICY_KEY, ImageResolver, parse_policy

DEFAULT = "localhost/adjutant/debian-bookworm:latest"
RULES = [
    {"default": True, "image": "img/default"},
    {"task_type": "buildSRPMFromSCM", "image": "img/scm"},
    {"arch": "aarch64", "image": "img/arm"},
    {"tag": "f40-build", "image": "img/f40"},
    {"tag": "f40-build", "arch": "x86_64", "image": "img/f40-x86"},
]


@pytest.mark.parametrize(
    ("tag", "arch", "task_type", "image"),
    [
        ("f40-build", "x86_64", "buildArch", "img/f40-x86"),  # tag+arch beats everything
        ("f40-build", "aarch64", "buildArch", "img/f40"),  # tag beats arch
        ("f40-build", "x86_64", "buildSRPMFromSCM", "img/f40-x86"),  # tag beats task type
        ("el9-build", "x86_64", "buildSRPMFromSCM", "img/scm"),  # task type beats default
        ("el9-build", "aarch64", "buildArch", "img/arm"),
        ("el9-build", "x86_64", "buildArch", "img/default"),
    ],
)
def test_precedence_goes_from_most_to_least_specific(
    tag: str, arch: str, task_type: str, image: str
) -> None:
    policy = parse_policy({"rules": RULES}, tag=tag)
    rule = policy.choose(tag, arch, task_type)
    assert rule is not None and rule.image == image


def test_first_listed_rule_wins_within_a_rank_and_json_text_is_accepted() -> None:
    text = json.dumps({"rules": [{"tag": "t", "image": "img/a"}, {"tag": "t", "image": "img/b"}]})
    rule = parse_policy(text, tag="t").choose("t", "x86_64", "buildArch")
    assert rule is not None and rule.image == "img/a" and rule.describe() == "rule 0 (tag=t)"
    default = parse_policy({"rules": RULES}, tag="x").choose("x", "s390x", "buildArch")
    assert default is not None and default.describe() == "rule 0 (default)"


def test_no_matching_rule_and_no_default_chooses_nothing() -> None:
    assert (
        parse_policy({"rules": [{"tag": "other", "image": "i"}]}, tag="t").choose(
            "t", "x86_64", "buildArch"
        )
        is None
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "not valid JSON"),
        ([], "expected an object with a 'rules' list"),
        ({"rules": "x"}, "expected an object with a 'rules' list"),
        ({"rules": ["x"]}, "rule 0: expected an object, got str"),
        ({"rules": [{"tag": "t", "image": "i", "colour": "red"}]}, "unknown keys \\['colour'\\]"),
        ({"rules": [{"tag": "t"}]}, "'image' must be an image reference, got None"),
        ({"rules": [{"tag": "t", "image": "img; rm -rf /"}]}, "must be an image reference"),
        ({"rules": [{"default": "yes", "image": "i"}]}, "'default' must be true or false"),
        ({"rules": [{"tag": "", "image": "i"}]}, "'tag' must be a non-empty string"),
        ({"rules": [{"arch": 5, "image": "i"}]}, "'arch' must be a non-empty string"),
        ({"rules": [{"default": True, "tag": "t", "image": "i"}]}, "cannot also match on"),
        ({"rules": [{"image": "i"}]}, "matches nothing"),
        ({"rules": [{"default": True, "image": "a"}, {"default": True, "image": "b"}]},
         "more than one rule has default"),
    ],
)  # fmt: skip
def test_bad_policies_are_refused_naming_tag_key_and_rule(value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        parse_policy(value, tag="f40-build")
    assert f"tag f40-build extra {POLICY_KEY}" in str(refused.value)


class Hub:
    """getBuildConfig stand-in: a tag's extra, or an error to raise."""

    def __init__(self, extra: Mapping[str, Any] | Exception) -> None:
        self.extra = extra
        self.calls = 0

    def get_build_config(self, tag: str) -> Mapping[str, Any]:
        self.calls += 1
        if isinstance(self.extra, Exception):
            raise self.extra
        return {"name": tag, "extra": self.extra}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def resolver(hub: Hub, clock: Clock, *, enabled: bool = True) -> ImageResolver:
    return ImageResolver(default_image=DEFAULT, enabled=enabled, ttl_s=60,
                         get_build_config=hub.get_build_config, clock=clock)  # fmt: skip


def test_chosen_image_names_tag_and_rule_and_is_cached_for_the_ttl() -> None:
    hub, clock = Hub({POLICY_KEY: {"rules": RULES}}), Clock()
    images = resolver(hub, clock)
    choice = images.resolve("f40-build", "x86_64", "buildArch")
    assert (choice.image, choice.rule) == ("img/f40-x86", "rule 4 (tag=f40-build, arch=x86_64)")
    assert "tag f40-build" in choice.reason
    images.resolve("f40-build", "x86_64", "buildArch")
    assert hub.calls == 1 and (images.counters.hits, images.counters.misses) == (1, 1)
    hub.extra = {POLICY_KEY: {"rules": [{"tag": "f40-build", "image": "img/edited"}]}}
    clock.now += 61
    assert images.resolve("f40-build", "x86_64", "buildArch").image == "img/edited"
    assert hub.calls == 2


def test_malformed_policy_falls_back_and_warns_once_per_tag_per_ttl(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub, clock = Hub({POLICY_KEY: "{broken"}), Clock()
    images = resolver(hub, clock)
    with caplog.at_level(logging.WARNING, logger="adjutant.policy.resolver"):
        for arch in ("x86_64", "aarch64", "ppc64le"):
            assert images.resolve("f40-build", arch, "buildArch").image == DEFAULT
        clock.now += 61
        images.resolve("f40-build", "x86_64", "buildArch")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2 and "not valid JSON" in warnings[0]
    assert images.counters.fallbacks == 4


def test_hub_errors_fall_back_to_the_default() -> None:
    images = resolver(Hub(koji.GenericError("hub down")), Clock())
    choice = images.resolve("f40-build", "x86_64", "buildArch")
    assert choice.image == DEFAULT and "hub error reading tag f40-build: hub down" in choice.reason


def test_tag_without_policy_or_disabled_policy_uses_the_default() -> None:
    hub = Hub({})
    assert resolver(hub, Clock()).resolve("t", "x86_64", "buildArch").image == DEFAULT
    disabled = Hub(koji.GenericError("must not be called"))
    assert resolver(disabled, Clock(), enabled=False).resolve("t", "x", "y").image == DEFAULT
    assert disabled.calls == 0


def test_policy_without_a_matching_rule_uses_the_default_and_says_so() -> None:
    hub = Hub({POLICY_KEY: {"rules": [{"tag": "other-build", "image": "img/other"}]}})
    choice = resolver(hub, Clock()).resolve("f40-build", "x86_64", "buildArch")
    assert choice.image == DEFAULT
    assert choice.reason == "no rule of tag f40-build matches x86_64/buildArch"
