"""Providing the chosen task image: build ours, pull others by policy, name the culprit."""

from __future__ import annotations

from pathlib import Path

import pytest

from adjutant.container.backend import PullPolicy
from adjutant.container.fake import FakeBackend
from adjutant.errors import BuildrootError, ContainerUnavailable
from adjutant.policy import ImageChoice
from adjutant.policy.provision import our_image_folder, provide_image

REPO_IMAGES = Path(__file__).resolve().parents[2] / "images"
OURS = ImageChoice("localhost/adjutant/debian-bookworm:latest", "tag f40-build rule 0 (default)")
THEIRS = ImageChoice("registry.example.com/builders/f40:1", "tag f40-build rule 1 (tag=f40-build)")


def provide(backend: FakeBackend, choice: ImageChoice, policy: PullPolicy) -> str:
    info = provide_image(backend, choice, pull_policy=policy, images_dir=REPO_IMAGES,
                         timeout_s=60, retry_delay_s=0)  # fmt: skip
    return info.id


def test_our_images_are_recognised_by_name() -> None:
    assert our_image_folder("localhost/adjutant/debian-bookworm:latest", REPO_IMAGES) is not None
    assert our_image_folder("localhost/adjutant/fedora", REPO_IMAGES) is not None
    assert our_image_folder("localhost/adjutant/unknown:1", REPO_IMAGES) is None
    assert our_image_folder("quay.io/adjutant/fedora:latest", REPO_IMAGES) is None


def test_missing_own_image_is_built_not_pulled() -> None:
    backend = FakeBackend()
    assert provide(backend, OURS, PullPolicy.IF_NOT_PRESENT) == backend.images[OURS.image].id
    assert [c for c in backend.calls_to("build_image")][0]["tag"] == OURS.image
    assert backend.calls_to("ensure_image") == []


def test_present_own_image_is_used_as_it_is() -> None:
    backend = FakeBackend([OURS.image])
    provide(backend, OURS, PullPolicy.IF_NOT_PRESENT)
    assert backend.calls_to("build_image") == []


def test_other_images_are_pulled_by_policy() -> None:
    backend = FakeBackend()
    backend.pullable.add(THEIRS.image)
    provide(backend, THEIRS, PullPolicy.ALWAYS)
    assert backend.calls_to("ensure_image")[0]["policy"] is PullPolicy.ALWAYS


@pytest.mark.parametrize("choice", [OURS, THEIRS], ids=["ours", "theirs"])
def test_missing_image_with_pull_policy_never_names_tag_rule_and_image(
    choice: ImageChoice,
) -> None:
    with pytest.raises(BuildrootError) as refused:
        provide(FakeBackend(), choice, PullPolicy.NEVER)
    message = str(refused.value)
    assert choice.image in message and choice.reason in message and "never" in message


def test_transient_build_failures_are_retried_then_reported() -> None:
    backend = FakeBackend()
    backend.fail_next("build_image", ContainerUnavailable("podman restarting"))
    provide(backend, OURS, PullPolicy.IF_NOT_PRESENT)
    assert len(backend.calls_to("build_image")) == 2
    other = FakeBackend()
    for _ in range(3):
        other.fail_next("build_image", ContainerUnavailable("podman down"))
    with pytest.raises(ContainerUnavailable, match="podman down"):  # the task refuses it
        provide(other, OURS, PullPolicy.IF_NOT_PRESENT)
