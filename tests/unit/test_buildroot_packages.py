"""What of the buildroot's rpmdb is reported to the hub, and how it is marked."""

import gzip
from pathlib import Path
from typing import Any

import koji
import pytest
import rpm

from adjutant.buildroot.packages import (
    RPMDB_QUERY_ARGV,
    InstalledPackage,
    added_packages,
    buildroot_listing,
    index_rpms,
    origin_location,
    parse_pkgorigins,
    parse_rpmdb_listing,
    parse_rpmlist,
    render_installed_pkgs,
)
from adjutant.errors import BuildFailed, BuildrootError

DATA = Path(__file__).resolve().parents[1] / "data/buildroot"
REPO_ID = 7
EXTERNAL = {
    "external_repo_id": 3,
    "external_repo_name": "fedora-40",
    "url": "https://mirror.example.org/fedora/40/$arch/",
    "merge_mode": "koji",
    "priority": 5,
}


def image_listing() -> tuple[InstalledPackage, ...]:
    return parse_rpmdb_listing((DATA / "rpmdb-image.txt").read_text())


def built_listing() -> tuple[InstalledPackage, ...]:
    return parse_rpmdb_listing((DATA / "rpmdb-built.txt").read_text())


def repo_rpms() -> dict[str, Any]:
    return parse_rpmlist((DATA / "rpmlist.jsonl").read_text(), REPO_ID)


def package(name: str = "foo", **fields: Any) -> InstalledPackage:
    values: dict[str, Any] = {
        "name": name, "version": "1", "release": "1", "epoch": None, "arch": "x86_64",
        "size": 1, "buildtime": 2, "payloadhash": "ab" * 16,
    }  # fmt: skip
    values.update(fields)
    return InstalledPackage(**values)


def test_query_argv_asks_rpm_for_the_eight_fields_tab_separated() -> None:
    assert RPMDB_QUERY_ARGV[:3] == ("rpm", "-qa", "--qf")
    fmt = RPMDB_QUERY_ARGV[3]
    assert fmt.count("\\t") == 7 and fmt.endswith("\\n")
    for tag in ("NAME", "VERSION", "RELEASE", "EPOCH", "ARCH", "LONGSIZE", "BUILDTIME", "SIGMD5"):
        assert f"%{{{tag}}}" in fmt


def test_query_format_output_from_real_rpm_parses_like_kojis_header_reader() -> None:
    srpm = Path(__file__).resolve().parents[1] / "data/srpms/adjutant-hello-1.0-1.src.rpm"
    ts = rpm.TransactionSet()
    ts.setVSFlags(-1)
    with srpm.open("rb") as fd:
        header = ts.hdrFromFdno(fd.fileno())
    (parsed,) = parse_rpmdb_listing(header.format(RPMDB_QUERY_ARGV[3]))
    fields = koji.get_header_fields(
        header, ["name", "version", "release", "epoch", "arch", "size", "buildtime", "sigmd5"]
    )
    assert (parsed.name, parsed.version, parsed.release, parsed.epoch) == (
        fields["name"], fields["version"], fields["release"], fields["epoch"],
    )  # fmt: skip
    assert (parsed.arch, parsed.size, parsed.buildtime) == (
        fields["arch"], fields["size"], fields["buildtime"],
    )  # fmt: skip
    assert parsed.payloadhash == koji.hex_string(fields["sigmd5"])


def test_listing_parses_none_values() -> None:
    bash, glibc, pubkey = image_listing()
    assert bash == package(
        "bash", version="5.2.26", release="3.fc40", size=8228131, buildtime=1706140800,
        payloadhash="a" * 32,
    )  # fmt: skip
    assert glibc.epoch is None
    assert pubkey.arch is None and pubkey.payloadhash is None and pubkey.size == 0
    assert built_listing()[3].epoch == 1


def test_blank_lines_are_ignored() -> None:
    assert parse_rpmdb_listing("\n\n") == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("bash\t5.2\t1", "line 1: expected 8 tab-separated fields"),
        ("bash 5.2 1 (none) x86_64 1 2 ab", "expected 8 tab-separated fields"),
        ("bash\t5.2\t1\tone\tx86_64\t1\t2\tab", "line 1: invalid literal"),
        ("bash\t5.2\t1\t(none)\tx86_64\tbig\t2\tab", "invalid literal"),
    ],
)
def test_malformed_listings_are_buildroot_errors(line: str, message: str) -> None:
    with pytest.raises(BuildrootError, match=message):
        parse_rpmdb_listing(line + "\n")


def test_only_packages_the_image_did_not_bring_are_reported() -> None:
    added = added_packages(built_listing(), image_listing())
    names = [p.name for p in added]
    # bash is the image's; gpg-pubkey and buildsys-build are never reported
    assert names == ["glibc", "make", "perl-Carp"]


def test_a_package_the_koji_repo_upgraded_is_reported() -> None:
    added = added_packages(built_listing(), image_listing())
    glibc = next(p for p in added if p.name == "glibc")
    assert glibc.release == "7.fc40"


def test_same_nevra_with_another_payload_is_not_the_images() -> None:
    assert added_packages([package(payloadhash="cd" * 16)], [package()]) == (
        package(payloadhash="cd" * 16),
    )


def test_internal_packages_get_their_koji_rpm_id() -> None:
    added = [p for p in added_packages(built_listing(), image_listing()) if p.name != "perl-Carp"]
    listing = buildroot_listing(added, repo_id=REPO_ID, br_arch="x86_64", repo_rpms=repo_rpms())
    assert listing == [
        {
            "name": "glibc", "version": "2.39", "release": "7.fc40", "epoch": None,
            "arch": "x86_64", "size": 6600000, "buildtime": 1712000000,
            "payloadhash": "c" * 32, "id": 1001,
        },
        {
            "name": "make", "version": "4.4.1", "release": "6.fc40", "epoch": 1,
            "arch": "x86_64", "size": 1795000, "buildtime": 1706000000,
            "payloadhash": "d" * 32, "id": 1002,
        },
    ]  # fmt: skip


def test_external_packages_get_repo_and_location_and_internal_ones_ids() -> None:
    origins = parse_pkgorigins((DATA / "pkgorigins").read_bytes())
    listing = buildroot_listing(
        added_packages(built_listing(), image_listing()),
        repo_id=REPO_ID, br_arch="x86_64", repo_rpms=repo_rpms(),
        external_repos=[EXTERNAL], origins=origins,
    )  # fmt: skip
    by_name = {entry["name"]: entry for entry in listing}
    assert by_name["perl-Carp"]["external_repo"] == EXTERNAL
    assert by_name["perl-Carp"]["location"] == 3
    assert "id" not in by_name["perl-Carp"]
    assert by_name["glibc"]["id"] == 1001 and "external_repo" not in by_name["glibc"]


def test_payloadhash_mismatch_with_the_repo_is_a_buildroot_error() -> None:
    wrong = package("glibc", version="2.39", release="7.fc40", payloadhash="0" * 32)
    with pytest.raises(BuildrootError, match=r"RPM glibc-2.39-7.fc40.x86_64: payloadhash 0+ "):
        buildroot_listing([wrong], repo_id=REPO_ID, br_arch="x86_64", repo_rpms=repo_rpms())


def test_packages_unknown_to_the_repo_are_named() -> None:
    with pytest.raises(BuildrootError, match=r"not in repo 7 .*: foo-1-1.x86_64; see root.log"):
        buildroot_listing([package()], repo_id=REPO_ID, br_arch="x86_64", repo_rpms=repo_rpms())


def test_without_rpmlist_drafts_get_ids_and_the_rest_is_left_for_the_hub() -> None:
    drafts = index_rpms(
        [{"id": 9, "name": "bar", "version": "1", "release": "1", "arch": "x86_64",
          "payloadhash": "ab" * 16}]
    )  # fmt: skip
    listing = buildroot_listing(
        [package(), package("bar")], repo_id=REPO_ID, br_arch="x86_64",
        repo_rpms=drafts, rpmlist_complete=False,
    )  # fmt: skip
    assert "id" not in listing[0] and listing[0]["name"] == "foo"
    assert listing[1]["id"] == 9


def test_a_reported_package_without_sigmd5_is_a_buildroot_error() -> None:
    with pytest.raises(BuildrootError, match="foo-1-1.x86_64 has no SIGMD5"):
        buildroot_listing(
            [package(payloadhash=None)], repo_id=REPO_ID, br_arch="x86_64", repo_rpms={}
        )


def test_a_package_without_origin_fails_the_build() -> None:
    with pytest.raises(BuildFailed, match="No origin for foo-1-1.x86_64"):
        buildroot_listing(
            [package()], repo_id=REPO_ID, br_arch="x86_64", repo_rpms={},
            external_repos=[EXTERNAL], origins={},
        )  # fmt: skip


@pytest.mark.parametrize(
    "origin",
    [
        "https://elsewhere.example.org/repo/",
        "file:///var/tmp/koji/tasks/1/repo_8_premerge/",  # another repo's premerge dir
        "https://mirror.example.org/fedora/40/aarch64/",  # $arch of another arch
    ],
)
def test_a_package_from_an_unknown_origin_fails_the_build(origin: str) -> None:
    with pytest.raises(BuildFailed, match=f"Unknown origin for foo-1-1.x86_64: {origin}"):
        buildroot_listing(
            [package()], repo_id=REPO_ID, br_arch="x86_64", repo_rpms={},
            external_repos=[EXTERNAL], origins={"foo-1-1.x86_64": origin},
        )  # fmt: skip


def test_pkgorigins_reads_gzip_and_epoch_prefixed_names() -> None:
    plain = parse_pkgorigins((DATA / "pkgorigins").read_bytes())
    assert parse_pkgorigins(gzip.compress((DATA / "pkgorigins").read_bytes())) == plain
    assert plain["make-4.4.1-6.fc40.x86_64"].endswith("/repo_7_premerge/")
    assert len(plain) == 4


def test_bad_pkgorigins_are_buildroot_errors() -> None:
    with pytest.raises(BuildrootError, match="cannot read the repo's pkgorigins"):
        parse_pkgorigins(b"\x1f\x8bnot really gzip")
    with pytest.raises(BuildrootError, match="bad package 'nodots'"):
        parse_pkgorigins(b"nodots file:///x/\n")


def test_origin_location_is_found_in_repomd() -> None:
    assert origin_location((DATA / "repomd.xml").read_text()) == "repodata/1111-pkgorigins.gz"


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<repomd", "cannot parse the repo's repomd.xml"),
        ('<repomd xmlns="http://linux.duke.edu/metadata/repo"/>', "no 'origin' entry"),
        (
            '<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="origin"/></repomd>',
            "no 'origin' entry",
        ),
    ],
)
def test_repomd_without_origin_is_a_buildroot_error(xml: str, message: str) -> None:
    with pytest.raises(BuildrootError, match=message):
        origin_location(xml)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json\n", "repo 7 rpmlist.jsonl line 1: not JSON"),
        ('\n["a list"]\n', "line 2: expected an rpm with"),
        ('{"name": "x", "version": "1"}\n', "expected an rpm with name, version, release"),
    ],
)
def test_malformed_rpmlist_is_a_buildroot_error(text: str, message: str) -> None:
    with pytest.raises(BuildrootError, match=message):
        parse_rpmlist(text, REPO_ID)


def test_installed_pkgs_log_lists_everything_as_mock_does() -> None:
    text = render_installed_pkgs(built_listing())
    lines = text.splitlines()
    assert lines[0] == "bash-5.2.26-3.fc40.x86_64 1706140800 8228131 installed"
    assert "gpg-pubkey-a15b79cc-63d04c2c 1674595372 0 installed" in lines
    assert "make-1:4.4.1-6.fc40.x86_64 1706000000 1795000 installed" in lines
    assert len(lines) == 6 and text.endswith("\n")
