"""image.log: what the buildroot's image brought, recorded beside the hub's listing."""

from pathlib import Path

from adjutant.buildroot.packages import parse_rpmdb_listing
from adjutant.buildroot.provenance import IMAGE_LOG, render_image_log
from adjutant.container.backend import ImageInfo

DATA = Path(__file__).resolve().parents[1] / "data/buildroot"
IMAGE = ImageInfo(
    id="f" * 64,
    digest="sha256:" + "1" * 64,
    tags=("registry.example.org/koji/f40-build:1",),
    labels={"org.opencontainers.image.version": "40", "io.adjutant.note": "two\nlines"},
)


def test_image_log_records_reference_id_digest_labels_and_manifest() -> None:
    manifest = parse_rpmdb_listing((DATA / "rpmdb-image.txt").read_text())
    text = render_image_log("registry.example.org/koji/f40-build:1", IMAGE, manifest)
    lines = text.splitlines()
    assert IMAGE_LOG == "image.log"
    assert "image: registry.example.org/koji/f40-build:1" in lines
    assert f"id: {'f' * 64}" in lines
    assert f"digest: sha256:{'1' * 64}" in lines
    assert "tags: registry.example.org/koji/f40-build:1" in lines
    assert "  org.opencontainers.image.version=40" in lines
    assert "packages (3):" in lines
    # sorted by NEVRA, in installed_pkgs.log form
    assert lines[-3:] == [
        "bash-5.2.26-3.fc40.x86_64 1706140800 8228131 installed",
        "glibc-2.39-5.fc40.x86_64 1711000000 6594512 installed",
        "gpg-pubkey-a15b79cc-63d04c2c 1674595372 0 installed",
    ]


def test_multi_line_labels_stay_on_one_line() -> None:
    text = render_image_log("img", IMAGE, ())
    assert "  io.adjutant.note=two\\nlines" in text.splitlines()


def test_locally_built_images_without_digest_or_tags_say_so() -> None:
    local = ImageInfo(id="e" * 64, digest="", tags=(), labels={})
    lines = render_image_log("localhost/adjutant-task:dev", local, ()).splitlines()
    assert "digest: (none: a locally built image)" in lines
    assert "tags: (none)" in lines
    assert lines[-1] == "packages (0):"


def test_the_log_says_why_this_image_was_chosen() -> None:
    text = render_image_log("img", IMAGE, (), "tag f40-build rule 1 (tag=f40-build)")
    assert "chosen by: tag f40-build rule 1 (tag=f40-build)" in text.splitlines()
    assert "chosen by: (not recorded)" in render_image_log("img", IMAGE, ()).splitlines()
