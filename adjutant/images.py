"""Task images: find the folders under images/, check them against the contract, build them.

The contract (labels, binaries, paths) is written down in images/README.md; this module holds
its machine-checkable half. Choosing an image per tag (hub policy) is not this module's job.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from adjutant import __version__
from adjutant.container.backend import ContainerBackend, ContainerSpec, OutputSink
from adjutant.container.factory import add_command_options, command_settings, make_backend
from adjutant.errors import ConfigError, ContainerError

log = logging.getLogger(__name__)

CONTAINERFILE = "Containerfile"
TAG_PREFIX = "localhost/adjutant/"
CONTRACT_VERSION = "1"
LABEL_CONTRACT = "io.adjutant.image.contract"
LABEL_NAME = "io.adjutant.image.name"
LABEL_SOURCE_DIGEST = "io.adjutant.image.source-digest"
LABEL_BUILD_USER = "io.adjutant.image.build-user"
LABEL_BUILD_HOME = "io.adjutant.image.build-home"
LABEL_MANIFEST = "io.adjutant.image.manifest"
LABEL_VERSION = "org.opencontainers.image.version"

REQUIRED_LABELS = (
    LABEL_CONTRACT,
    LABEL_NAME,
    "io.adjutant.image.family",
    LABEL_BUILD_USER,
    LABEL_BUILD_HOME,
    "io.adjutant.image.package-manager",
    "io.adjutant.image.arches",
    LABEL_MANIFEST,
)
FAMILIES = ("debian", "el", "fedora")
REQUIRED_BINARIES = (
    "bash", "rpm", "rpmbuild", "dnf", "createrepo_c", "tar", "gzip", "cpio", "git", "timeout", "id",
)  # fmt: skip
IMAGE_BUILD_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class ImageFolder:
    """One folder under images/ holding a Containerfile."""

    name: str
    path: Path

    @property
    def containerfile(self) -> Path:
        return self.path / CONTAINERFILE

    @property
    def latest_tag(self) -> str:
        return f"{TAG_PREFIX}{self.name}:latest"


def default_images_dir() -> Path:
    """images/ beside the package in a checkout, else where the worker image installs it."""
    checkout = Path(__file__).resolve().parent.parent / "images"
    return checkout if checkout.is_dir() else Path("/usr/share/adjutant/images")


def discover(images_dir: Path) -> list[ImageFolder]:
    """Every sub-folder of ``images_dir`` with a Containerfile, sorted by name.

    Raises:
        ConfigError: the directory does not exist.
    """
    if not images_dir.is_dir():
        raise ConfigError(f"images directory {images_dir} does not exist")
    return [
        ImageFolder(child.name, child)
        for child in sorted(images_dir.iterdir())
        if (child / CONTAINERFILE).is_file()
    ]


def find(images_dir: Path, name: str) -> ImageFolder:
    """The image folder called ``name``.

    Raises:
        ConfigError: no such folder; the message lists the known names.
    """
    folders = discover(images_dir)
    for folder in folders:
        if folder.name == name:
            return folder
    known = ", ".join(f.name for f in folders) or "none"
    raise ConfigError(f"no task image {name!r} in {images_dir} (known: {known})")


def read_labels(containerfile: Path) -> dict[str, str]:
    """The labels a Containerfile's LABEL instructions set (continuation lines joined)."""
    labels: dict[str, str] = {}
    for instruction in _instructions(containerfile.read_text()):
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() != "LABEL":
            continue
        for word in shlex.split(rest):
            key, sep, value = word.partition("=")
            if sep:
                labels[key] = value
    return labels


def _instructions(text: str) -> list[str]:
    """Containerfile instructions with comments dropped and backslash continuations joined."""
    instructions: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        instructions.append(current + line)
        current = ""
    if current:
        instructions.append(current)
    return instructions


def contract_problems(folder: ImageFolder) -> list[str]:
    """What the folder's Containerfile fails to declare of the contract (empty: all is well)."""
    labels = read_labels(folder.containerfile)
    problems = [f"label {key} is missing" for key in REQUIRED_LABELS if not labels.get(key)]
    if labels.get(LABEL_CONTRACT, CONTRACT_VERSION) != CONTRACT_VERSION:
        problems.append(f"{LABEL_CONTRACT} is {labels[LABEL_CONTRACT]!r}, not {CONTRACT_VERSION!r}")
    if labels.get(LABEL_NAME, folder.name) != folder.name:
        problems.append(f"{LABEL_NAME} is {labels[LABEL_NAME]!r} but the folder is {folder.name!r}")
    family = labels.get("io.adjutant.image.family")
    if family and family not in FAMILIES:
        problems.append(f"io.adjutant.image.family {family!r} is not one of {FAMILIES}")
    if labels.get(LABEL_BUILD_USER) == "root":
        problems.append(f"{LABEL_BUILD_USER} must not be root")
    keywords = {
        i.partition(" ")[0].upper() for i in _instructions(folder.containerfile.read_text())
    }
    if "FROM" not in keywords:
        problems.append("no FROM instruction")
    return [f"{folder.name}: {problem}" for problem in problems]


def source_digest(folder: ImageFolder) -> str:
    """sha256 over the folder's file names and contents: equal digests build equal images."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.path.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder.path).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def build(
    backend: ContainerBackend,
    folder: ImageFolder,
    *,
    force: bool = False,
    build_args: Mapping[str, str] | None = None,
    output: OutputSink | None = None,
    timeout_s: float = IMAGE_BUILD_TIMEOUT_S,
) -> str:
    """Build ``folder`` unless its latest tag already carries the same source digest.

    Returns the tag that names the (possibly pre-existing) image.

    Raises:
        ConfigError: the Containerfile breaks the contract.
        ContainerError: the build failed; the message keeps podman's output.
    """
    problems = contract_problems(folder)
    if problems:
        raise ConfigError("task image breaks the contract: " + "; ".join(problems))
    digest = source_digest(folder)
    tag = folder.latest_tag
    if not force and backend.image_exists(tag):
        if backend.inspect_image(tag).labels.get(LABEL_SOURCE_DIGEST) == digest:
            log.info("image %s is up to date (source digest %s)", tag, digest[:12])
            return tag
    log.info("building image %s from %s", tag, folder.path)
    backend.build_image(
        folder.path,
        CONTAINERFILE,
        tag,
        labels={LABEL_SOURCE_DIGEST: digest, LABEL_VERSION: __version__},
        build_args=dict(build_args or {}),
        output=output,
        timeout_s=timeout_s,
    )
    return tag


def verify_image(backend: ContainerBackend, image: str, *, worker: str) -> list[str]:
    """Check a built image against the contract by running it; returns the problems found."""
    labels = backend.inspect_image(image).labels
    problems = [f"label {key} is missing" for key in REQUIRED_LABELS if not labels.get(key)]
    user = labels.get(LABEL_BUILD_USER, "kojibuilder")
    home = labels.get(LABEL_BUILD_HOME, "/builddir")
    spec = ContainerSpec(image=image, task_id=0, worker=worker, role="verify")
    container_id = backend.create(spec)
    try:
        backend.start(container_id)
        checks: list[tuple[str, tuple[str, ...], str | None]] = [
            (f"binary {name} is not on PATH", ("bash", "-c", 'command -v "$1"', "-", name), None)
            for name in REQUIRED_BINARIES
        ]
        checks += [
            ("dnf has no builddep plugin", ("dnf", "-q", "builddep", "--help"), None),
            ("/etc/yum.repos.d is missing", ("test", "-d", "/etc/yum.repos.d"), None),
            ("/etc/rpm is missing", ("test", "-d", "/etc/rpm"), None),
            (f"manifest {labels.get(LABEL_MANIFEST)} is missing",
             ("test", "-s", labels.get(LABEL_MANIFEST, "/nonexistent")), None),
            (f"build user {user} is root or missing", ("bash", "-c", 'test "$(id -u)" != 0'), user),
            (f"{home} is not writable by {user}", ("test", "-w", home), user),
        ]  # fmt: skip
        for problem, argv, as_user in checks:
            if backend.exec(container_id, argv, user=as_user, timeout_s=60).exit_code != 0:
                problems.append(problem)
    finally:
        backend.remove(container_id)
    return problems


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--images-dir", type=Path, default=None, help="default: images/")
    add_command_options(parser)
    actions = parser.add_subparsers(dest="images_action", required=True, metavar="ACTION")
    actions.add_parser("list", help="list the task images and their contract problems")
    build_parser = actions.add_parser("build", help="build task images (default: all)")
    build_parser.add_argument("names", nargs="*", metavar="NAME")
    build_parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    build_parser.add_argument(
        "--build-arg", action="append", default=[], metavar="KEY=VALUE", help="podman build arg"
    )
    verify_parser = actions.add_parser("verify", help="run a built image and check the contract")
    verify_parser.add_argument("names", nargs="+", metavar="NAME")


def run(args: argparse.Namespace) -> int:
    images_dir = args.images_dir or default_images_dir()
    if args.images_action == "list":
        for folder in discover(images_dir):
            problems = contract_problems(folder)
            print(f"{folder.name:20} {folder.latest_tag:45} {'; '.join(problems) or 'ok'}")
        return 0
    backend = make_backend(command_settings(args).adjutant)
    names = args.names or [folder.name for folder in discover(images_dir)]
    folders = [find(images_dir, name) for name in names]
    if args.images_action == "verify":
        failed = 0
        for folder in folders:
            problems = verify_image(backend, folder.latest_tag, worker="adjutant-images-verify")
            print(f"{folder.latest_tag}: {'; '.join(problems) or 'meets the contract'}")
            failed += bool(problems)
        return 1 if failed else 0
    build_args = _parse_build_args(args.build_arg)
    failed = 0
    for folder in folders:
        try:
            tag = build(
                backend, folder, force=args.force, build_args=build_args, output=sys.stdout.buffer
            )
        except ContainerError as exc:
            log.error("building %s failed: %s", folder.name, exc)
            failed += 1
            continue
        print(f"image {tag} is ready")
    return 1 if failed else 0


def _parse_build_args(pairs: list[str]) -> dict[str, str]:
    """KEY=VALUE strings from --build-arg into a dict.

    Raises:
        ConfigError: a pair has no '='.
    """
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--build-arg {pair!r} is not KEY=VALUE")
        parsed[key] = value
    return parsed
