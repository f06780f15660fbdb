"""FakeBackend: an in-memory ContainerBackend for unit tests of the code that drives containers.

It records every call, keeps containers (spec, state, labels, files) in memory and answers
``exec`` from scripted results. It mirrors the real backend's error contract (missing
container -> ContainerNotFound, missing image -> ImageMissing, network only in a bridged
container, ...) but runs nothing; tests/integration/test_backend_contract.py holds it and
PodmanBackend to the same suite.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from adjutant.container.backend import (
    ContainerInfo,
    ContainerSpec,
    ExecResult,
    ImageInfo,
    NetworkMode,
    OutputSink,
    PullPolicy,
    emit,
)
from adjutant.errors import ContainerError, ContainerNotFound, ImageMissing


@dataclass(frozen=True)
class Call:
    """One recorded backend call: the method name and its arguments by name."""

    method: str
    args: Mapping[str, Any]


@dataclass
class ExecScript:
    """What ``exec`` does for argv starting with ``prefix``.

    ``writes`` puts files into the container (as if the command produced them); ``error``
    is raised instead of returning a result (e.g. ContainerTimeout).
    """

    prefix: tuple[str, ...]
    exit_code: int = 0
    output: bytes = b""
    writes: Mapping[str, bytes] = field(default_factory=dict)
    error: ContainerError | None = None
    once: bool = False


@dataclass
class FakeContainer:
    id: str
    spec: ContainerSpec
    status: str = "created"
    # Files inside the container: absolute POSIX path -> content.
    files: dict[str, bytes] = field(default_factory=dict)
    networked: bool = False  # whether the last command ran with network

    @property
    def info(self) -> ContainerInfo:
        return ContainerInfo(
            id=self.id,
            name=self.spec.container_name,
            image=self.spec.image,
            status=self.status,
            labels=self.spec.labels,
        )


class FakeBackend:
    """ContainerBackend double: scripted, recording, in memory."""

    def __init__(self, images: Sequence[str] = ()) -> None:
        self.calls: list[Call] = []
        self.images: dict[str, ImageInfo] = {}
        self.committed: dict[str, dict[str, bytes]] = {}  # image -> files of its container
        self.pullable: set[str] = set()
        self.containers: dict[str, FakeContainer] = {}
        self.scripts: list[ExecScript] = []
        self.build_output = b"STEP 1/1: FROM base\n"
        self._failures: dict[str, list[ContainerError]] = {}
        self._ids = itertools.count(1)
        for image in images:
            self.add_image(image)

    # -- scripting ----------------------------------------------------------------------

    def add_image(self, image: str, labels: Mapping[str, str] | None = None) -> ImageInfo:
        number = next(self._ids)
        info = ImageInfo(
            id=f"{number:064x}",
            digest=f"sha256:{number:064x}",
            tags=(image,),
            labels=dict(labels or {}),
        )
        self.images[image] = info
        return info

    def on_exec(
        self,
        prefix: Sequence[str],
        *,
        exit_code: int = 0,
        output: bytes = b"",
        writes: Mapping[str, bytes] | None = None,
        error: ContainerError | None = None,
        once: bool = False,
    ) -> None:
        """Script ``exec`` of argv starting with ``prefix``; later scripts win over earlier."""
        script = ExecScript(tuple(prefix), exit_code, output, dict(writes or {}), error, once)
        self.scripts.insert(0, script)

    def fail_next(self, method: str, error: ContainerError) -> None:
        """Make the next call of ``method`` raise ``error`` (after recording the call)."""
        self._failures.setdefault(method, []).append(error)

    def calls_to(self, method: str) -> list[Mapping[str, Any]]:
        return [call.args for call in self.calls if call.method == method]

    # -- ContainerBackend ---------------------------------------------------------------

    def image_exists(self, image: str) -> bool:
        self._record("image_exists", image=image)
        return image in self.images

    def ensure_image(self, image: str, policy: PullPolicy, timeout_s: float) -> str:
        self._record("ensure_image", image=image, policy=policy, timeout_s=timeout_s)
        present = image in self.images
        if policy is PullPolicy.NEVER and not present:
            raise ImageMissing(f"image {image} is not present and the pull policy is never")
        if policy is PullPolicy.ALWAYS or not present:
            if image not in self.pullable:
                raise ImageMissing(f"cannot pull image {image}: not in the fake registry")
            if not present:
                self.add_image(image)
        return self.images[image].id

    def inspect_image(self, image: str) -> ImageInfo:
        self._record("inspect_image", image=image)
        return self._image(image)

    def commit(self, container_id: str, image: str, labels: Mapping[str, str]) -> str:
        """The new image keeps the container's files: containers created from it start
        with them (as a committed podman image would)."""
        self._record("commit", container_id=container_id, image=image, labels=dict(labels))
        container = self._container(container_id)
        info = self.add_image(image, labels)
        self.committed[image] = dict(container.files)
        return info.id

    def remove_image(self, image: str) -> None:
        self._record("remove_image", image=image)
        if any(c.spec.image == image for c in self.containers.values()):
            raise ContainerError(f"image {image} is in use by a container")
        self.images.pop(image, None)
        self.committed.pop(image, None)

    def build_image(
        self,
        context_dir: Path,
        containerfile: str,
        tag: str,
        *,
        labels: Mapping[str, str],
        build_args: Mapping[str, str],
        output: OutputSink | None,
        timeout_s: float,
    ) -> str:
        self._record(
            "build_image",
            context_dir=context_dir,
            containerfile=containerfile,
            tag=tag,
            labels=dict(labels),
            build_args=dict(build_args),
            timeout_s=timeout_s,
        )
        emit(output, self.build_output)
        return self.add_image(tag, labels).id

    def create(self, spec: ContainerSpec) -> str:
        self._record("create", spec=spec)
        self._image(spec.image)
        if any(c.spec.container_name == spec.container_name for c in self.containers.values()):
            raise ContainerError(f"the container name {spec.container_name!r} is already in use")
        container_id = f"{next(self._ids):064x}"
        self.containers[container_id] = FakeContainer(
            container_id, spec, networked=spec.network is NetworkMode.BRIDGE
        )
        self.containers[container_id].files.update(self.committed.get(spec.image, {}))
        return container_id

    def start(self, container_id: str) -> None:
        self._record("start", container_id=container_id)
        self._container(container_id).status = "running"

    def exec(
        self,
        container_id: str,
        argv: Sequence[str],
        *,
        output: OutputSink | None = None,
        user: str | None = None,
        workdir: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        network: bool = False,
    ) -> ExecResult:
        command = tuple(argv)
        self._record(
            "exec",
            container_id=container_id,
            argv=command,
            user=user,
            workdir=workdir,
            env=dict(env or {}),
            timeout_s=timeout_s,
            network=network,
        )
        container = self._container(container_id)
        if container.status != "running":
            raise ContainerError(f"container {container_id[:12]} is not running")
        if network and container.spec.network is not NetworkMode.BRIDGE:
            raise ContainerError(
                f"{container_id[:12]}: the container was created without a bridge, so no "
                "command in it can have network"
            )
        container.networked = network
        script = next((s for s in self.scripts if command[: len(s.prefix)] == s.prefix), None)
        if script is None:
            return ExecResult(command, 0, 0.0)
        if script.once:
            self.scripts.remove(script)
        if script.output:
            emit(output, script.output)
        container.files.update(script.writes)
        if script.error is not None:
            raise script.error
        return ExecResult(command, script.exit_code, 0.0)

    def copy_in(self, container_id: str, source: Path, target_dir: str) -> None:
        self._record("copy_in", container_id=container_id, source=source, target_dir=target_dir)
        container = self._container(container_id)
        base = PurePosixPath(target_dir)
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    relative = path.relative_to(source.parent).as_posix()
                    container.files[str(base / relative)] = path.read_bytes()
        else:
            container.files[str(base / source.name)] = source.read_bytes()

    def copy_out(self, container_id: str, source: str, target_dir: Path) -> None:
        self._record("copy_out", container_id=container_id, source=source, target_dir=target_dir)
        container = self._container(container_id)
        root = PurePosixPath(source)
        found = False
        for path, content in container.files.items():
            pure = PurePosixPath(path)
            if pure != root and root not in pure.parents:
                continue
            found = True
            destination = target_dir / root.name / pure.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
        if not found:
            raise ContainerError(f"copy {source} out of {container_id[:12]}: no such file")

    def remove(self, container_id: str) -> None:
        self._record("remove", container_id=container_id)
        del self.containers[self._container(container_id).id]

    def list(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        self._record("list", labels=dict(labels))
        return [
            c.info
            for c in self.containers.values()
            if all(c.spec.labels.get(key) == value for key, value in labels.items())
        ]

    # -- internals ----------------------------------------------------------------------

    def _record(self, method: str, **args: Any) -> None:
        self.calls.append(Call(method, args))
        pending = self._failures.get(method)
        if pending:
            raise pending.pop(0)

    def _container(self, container_id: str) -> FakeContainer:
        # Like podman, accept the id or the name.
        for container in self.containers.values():
            if container_id in (container.id, container.spec.container_name):
                return container
        raise ContainerNotFound(
            f"no container with name or ID {container_id!r} found: no such container"
        )

    def _image(self, image: str) -> ImageInfo:
        """By name or, as podman also takes, by id."""
        found = self.images.get(image) or next(
            (info for info in self.images.values() if info.id == image), None
        )
        if found is None:
            raise ImageMissing(f"{image}: image not known")
        return found
