"""The task-image contract as declared by Containerfiles, and the image build decisions."""

from pathlib import Path

import pytest

from adjutant import images
from adjutant.container.fake import FakeBackend
from adjutant.errors import ConfigError

REPO_IMAGES = Path(__file__).resolve().parents[2] / "images"

GOOD_CONTAINERFILE = """\
ARG BASE_IMAGE=example/base
FROM ${BASE_IMAGE}
# a comment between instructions
LABEL io.adjutant.image.contract="1" \\
      io.adjutant.image.name="demo" \\
      io.adjutant.image.family="debian" \\
      io.adjutant.image.build-user="kojibuilder" \\
      io.adjutant.image.build-home="/builddir" \\
      io.adjutant.image.package-manager="dnf" \\
      io.adjutant.image.arches="x86_64 aarch64" \\
      io.adjutant.image.manifest="/usr/share/adjutant/image-manifest.txt"
RUN true
"""


def make_folder(tmp_path: Path, text: str, name: str = "demo") -> images.ImageFolder:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "Containerfile").write_text(text)
    return images.ImageFolder(name, folder)


@pytest.mark.parametrize("folder", images.discover(REPO_IMAGES), ids=lambda f: f.name)
def test_every_shipped_containerfile_meets_the_contract(folder: images.ImageFolder) -> None:
    assert images.contract_problems(folder) == []


def test_shipped_images_include_the_offline_debian_image() -> None:
    names = [folder.name for folder in images.discover(REPO_IMAGES)]
    assert {"debian-bookworm", "almalinux-10", "fedora"} <= set(names)


def test_labels_are_read_across_continuation_lines(tmp_path: Path) -> None:
    labels = images.read_labels(make_folder(tmp_path, GOOD_CONTAINERFILE).containerfile)
    assert labels["io.adjutant.image.arches"] == "x86_64 aarch64"
    assert labels["io.adjutant.image.manifest"] == "/usr/share/adjutant/image-manifest.txt"
    assert images.contract_problems(make_folder(tmp_path, GOOD_CONTAINERFILE, "other")) == [
        "other: io.adjutant.image.name is 'demo' but the folder is 'other'"
    ]


def test_missing_labels_are_each_named(tmp_path: Path) -> None:
    text = GOOD_CONTAINERFILE.replace('io.adjutant.image.arches="x86_64 aarch64" \\\n', "")
    text = text.replace('      io.adjutant.image.family="debian" \\\n', "")
    problems = images.contract_problems(make_folder(tmp_path, text))
    assert problems == [
        "demo: label io.adjutant.image.family is missing",
        "demo: label io.adjutant.image.arches is missing",
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('contract="1"', 'contract="2"', "io.adjutant.image.contract is '2', not '1'"),
        ('family="debian"', 'family="arch"', "io.adjutant.image.family 'arch' is not one of"),
        ('build-user="kojibuilder"', 'build-user="root"', "build-user must not be root"),
        ("FROM ${BASE_IMAGE}", "", "no FROM instruction"),
    ],
)
def test_contract_violations_are_reported(tmp_path: Path, old: str, new: str, problem: str) -> None:
    problems = images.contract_problems(make_folder(tmp_path, GOOD_CONTAINERFILE.replace(old, new)))
    assert len(problems) == 1 and problem in problems[0]


def test_source_digest_changes_with_any_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, GOOD_CONTAINERFILE)
    first = images.source_digest(folder)
    assert images.source_digest(folder) == first
    (folder.path / "extra.spec").write_text("Name: x\n")
    assert images.source_digest(folder) != first


def test_find_names_known_images_when_missing(tmp_path: Path) -> None:
    make_folder(tmp_path, GOOD_CONTAINERFILE)
    with pytest.raises(ConfigError, match=r"no task image 'nope' .* \(known: demo\)"):
        images.find(tmp_path, "nope")
    with pytest.raises(ConfigError, match="does not exist"):
        images.discover(tmp_path / "missing")


def test_build_skips_an_image_whose_digest_matches(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, GOOD_CONTAINERFILE)
    backend = FakeBackend()
    tag = images.build(backend, folder)
    assert tag == "localhost/adjutant/demo:latest"
    labels = backend.inspect_image(tag).labels
    assert labels[images.LABEL_SOURCE_DIGEST] == images.source_digest(folder)
    assert len(backend.calls_to("build_image")) == 1
    images.build(backend, folder)
    assert len(backend.calls_to("build_image")) == 1
    images.build(backend, folder, force=True)
    assert len(backend.calls_to("build_image")) == 2


def test_build_refuses_a_containerfile_that_breaks_the_contract(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, GOOD_CONTAINERFILE.replace('contract="1"', 'contract="0"'))
    backend = FakeBackend()
    with pytest.raises(ConfigError, match="breaks the contract"):
        images.build(backend, folder)
    assert backend.calls_to("build_image") == []
