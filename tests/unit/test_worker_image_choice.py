"""The task image is resolved in the worker daemon (where the policy cache lives), per task."""

from __future__ import annotations

import types
from typing import Any

import koji

from adjutant.config import AdjutantSettings, KojidSettings, Settings
from adjutant.container.fake import FakeBackend
from adjutant.policy.resolver import ImageChoice, ImageResolver
from adjutant.state import Recorder as StateRecorder
from adjutant.tasks.build_arch import BuildArchTask
from adjutant.tasks.context import TaskContext
from adjutant.worker import AdjutantTaskManager

POLICY = {
    "rules": [
        {"tag": "f40-build", "arch": "aarch64", "image": "img-arm"},
        {"default": True, "image": "img-default"},
    ]
}


def _manager(resolver: ImageResolver | None) -> AdjutantTaskManager:
    session = types.SimpleNamespace(
        host=types.SimpleNamespace(getID=lambda: 1),
        getSessionInfo=lambda: {"start_ts": 0.0},
    )
    options = types.SimpleNamespace(workdir="/nonexistent")
    backend = FakeBackend()
    settings = Settings(KojidSettings(), AdjutantSettings(task_image_default="img-configured"))
    context = TaskContext.from_settings(settings, factory=lambda: backend)
    return AdjutantTaskManager(
        options, session, worker_name="w", backend=backend, context=context, resolver=resolver
    )


def _resolver(configs: dict[Any, dict[str, Any]], calls: list[Any]) -> ImageResolver:
    def get_build_config(tag: Any) -> dict[str, Any]:
        calls.append(tag)
        return configs[tag]

    return ImageResolver(
        default_image="img-fallback", enabled=True, ttl_s=60, get_build_config=get_build_config
    )


def _build_arch(tag: object, arch: str) -> BuildArchTask:
    params = ["cli-build/x/foo-1-1.src.rpm", tag, arch, True, {"repo_id": 5}]
    return BuildArchTask(7, "buildArch", params, None, types.SimpleNamespace(workdir="/tmp"))


def test_build_arch_gets_the_rule_for_its_tag_and_canonical_arch() -> None:
    calls: list[Any] = []
    manager = _manager(
        _resolver(
            {"f40-build": {"name": "f40-build", "extra": {"adjutant_image_policy": POLICY}}}, calls
        )
    )
    task = _build_arch("f40-build", "aarch64")
    manager.hand_context(task)
    assert task.context.image.image == "img-arm"
    assert "f40-build" in task.context.image.reason


def test_a_tag_given_by_id_matches_rules_by_its_name() -> None:
    calls: list[Any] = []
    manager = _manager(
        _resolver({12: {"name": "f40-build", "extra": {"adjutant_image_policy": POLICY}}}, calls)
    )
    task = _build_arch(12, "aarch64")
    manager.hand_context(task)
    assert task.context.image.image == "img-arm"
    assert calls == [12]


def test_choices_are_cached_in_the_daemon_across_tasks() -> None:
    calls: list[Any] = []
    manager = _manager(
        _resolver({"t": {"name": "t", "extra": {"adjutant_image_policy": POLICY}}}, calls)
    )
    for _ in range(3):
        task = _build_arch("t", "x86_64")
        manager.hand_context(task)
        assert task.context.image.image == "img-default"
    assert calls == ["t"]
    assert manager.resolver is not None and manager.resolver.counters.hits == 2


def test_without_a_resolver_tasks_get_the_configured_default_and_others_nothing() -> None:
    manager = _manager(None)
    task = _build_arch("t", "x86_64")
    manager.hand_context(task)
    assert task.context.image == ImageChoice("img-configured", "task_image_default")
    plain = types.SimpleNamespace()
    _manager(_resolver({}, [])).hand_context(plain)  # not a container task: nothing to do
    assert vars(plain) == {}


def test_bad_parameters_leave_the_fault_to_the_handler() -> None:
    calls: list[Any] = []
    manager = _manager(_resolver({}, calls))
    task = BuildArchTask(7, "buildArch", ["x"], None, types.SimpleNamespace(workdir="/tmp"))
    manager.hand_context(task)
    assert calls == []
    assert task.context.image == ImageChoice("img-configured", "task_image_default")


def test_the_worker_binds_a_context_per_task_with_its_recorder() -> None:
    recorder = StateRecorder.disabled()
    backend = FakeBackend()
    settings = Settings(KojidSettings(), AdjutantSettings(task_image_default="img-configured"))
    context = TaskContext.from_settings(settings, factory=lambda: backend, recorder=recorder)
    manager = _manager(None)
    manager.context = context
    first, second = _build_arch("t", "x86_64"), _build_arch("u", "aarch64")
    manager.hand_context(first)
    manager.hand_context(second)
    default = ImageChoice("img-configured", "task_image_default")
    assert first.context.image == second.context.image == default
    assert first.context.recorder is second.context.recorder is recorder
    assert first.context is not second.context and first.context.settings is settings
    assert first.context.make_backend() is backend
    assert context.image == default  # the worker's own context is left as it was


def test_a_task_whose_image_cannot_be_chosen_still_reaches_its_own_process() -> None:
    def unknown_tag(tag: Any) -> dict[str, Any]:
        raise koji.GenericError(f"No such tagInfo: {tag!r}")

    manager = _manager(ImageResolver(default_image="img-fallback", enabled=True, ttl_s=60,
                                     get_build_config=unknown_tag))  # fmt: skip
    task = _build_arch("t", ["x86_64"])  # type: ignore[arg-type]
    manager.hand_context(task)  # no exception: the handler will fail with a fault
    assert task.context.image == ImageChoice("img-configured", "task_image_default")
