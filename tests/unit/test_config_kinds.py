"""Each value kind parses what operators write, rejects the rest with a reason, and renders back."""

from __future__ import annotations

from pathlib import Path

import pytest

from adjutant.config import kinds
from adjutant.config.kinds import PathMapping, RepoAccess
from adjutant.container.backend import Mount, PullPolicy, Ulimit


@pytest.mark.parametrize("text", ["1", "yes", "TRUE", "On", " true "])
def test_boolean_accepts_configparser_true_words(text: str) -> None:
    assert kinds.BOOL.parse(text) is True


@pytest.mark.parametrize("text", ["0", "no", "False", "OFF"])
def test_boolean_accepts_configparser_false_words(text: str) -> None:
    assert kinds.BOOL.parse(text) is False


def test_boolean_rejects_other_words_and_renders_lowercase() -> None:
    with pytest.raises(ValueError, match="not a boolean"):
        kinds.BOOL.parse("perhaps")
    assert kinds.BOOL.render(True) == "true"
    assert kinds.BOOL.render(False) == "false"


def test_integer_checks_type_and_range() -> None:
    kind = kinds.integer(1, 10)
    assert kind.parse(" 7 ") == 7
    assert kind.name == "integer 1..10"
    with pytest.raises(ValueError, match="not an integer"):
        kind.parse("7.5")
    with pytest.raises(ValueError, match=r"out of range \(allowed: 1..10\)"):
        kind.parse("0")
    with pytest.raises(ValueError, match="out of range"):
        kind.parse("11")
    assert kinds.integer().parse("-5") == -5
    assert kinds.integer().name == "integer"
    assert kinds.integer(0).name == "integer >= 0"


def test_number_checks_type_finiteness_and_minimum() -> None:
    kind = kinds.number(0.5)
    assert kind.parse("2.5") == 2.5
    assert kind.render(2.0) == "2"
    with pytest.raises(ValueError, match="not a number"):
        kind.parse("two")
    with pytest.raises(ValueError, match="not a finite number"):
        kind.parse("inf")
    with pytest.raises(ValueError, match="not a finite number"):
        kind.parse("nan")
    with pytest.raises(ValueError, match="out of range"):
        kind.parse("0.1")


def test_text_kinds_strip_and_non_empty_refuses_blank() -> None:
    assert kinds.TEXT.parse("  Koji  ") == "Koji"
    assert kinds.TEXT.parse("") == ""
    with pytest.raises(ValueError, match="must not be empty"):
        kinds.NON_EMPTY.parse("   ")


def test_path_must_be_absolute() -> None:
    assert kinds.PATH.parse("/var/tmp/koji") == Path("/var/tmp/koji")
    with pytest.raises(ValueError, match="absolute"):
        kinds.PATH.parse("var/tmp")


def test_optional_maps_blank_to_none_and_back() -> None:
    kind = kinds.optional(kinds.integer(1))
    assert kind.parse("") is None
    assert kind.parse("  ") is None
    assert kind.parse("3") == 3
    assert kind.render(None) == ""
    assert kind.render(3) == "3"
    assert kind.name == "integer >= 1, optional"
    with pytest.raises(ValueError):
        kind.parse("0")


def test_choice_accepts_enum_values_only() -> None:
    assert kinds.PULL_POLICY.parse("never") is PullPolicy.NEVER
    assert kinds.REPO_ACCESS.parse(" mount ") is RepoAccess.MOUNT
    with pytest.raises(ValueError, match="must be one of if-not-present, always, never"):
        kinds.PULL_POLICY.parse("sometimes")
    assert kinds.PULL_POLICY.render(PullPolicy.ALWAYS) == "always"


@pytest.mark.parametrize(
    "text",
    [
        "https://hub.example.org/kojihub",
        "http://10.0.0.1:8080/kojihub",
        "https://user:pw@hub.example.org/kojihub",
    ],
)
def test_http_url_accepts_host_urls(text: str) -> None:
    assert kinds.url("http", "https").parse(text) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hub.example.org/kojihub", "scheme must be one of http, https"),
        ("ftp://hub.example.org/", "scheme must be one of"),
        ("https:///kojihub", "names no host"),
        ("https://hub:port/", "invalid port"),
        ("https://hub/a b", "not a URL"),
        ("", "not a URL"),
    ],
)
def test_http_url_rejects_bad_forms(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        kinds.url("http", "https").parse(text)


def test_unix_and_file_urls_need_an_absolute_path() -> None:
    kind = kinds.url("unix", "file")
    assert kind.parse("unix:///run/podman/podman.sock") == "unix:///run/podman/podman.sock"
    with pytest.raises(ValueError, match=r"unix:///absolute/path"):
        kind.parse("unix://run/podman.sock")
    with pytest.raises(ValueError, match=r"file:///absolute/path"):
        kind.parse("file:relative")
    assert kind.holds_urls


def test_url_list_keeps_space_separated_urls_as_one_string() -> None:
    kind = kinds.url_list("http", "https", "file")
    assert kind.parse(" https://a/kojifiles   file:///mnt/koji ") == (
        "https://a/kojifiles file:///mnt/koji"
    )
    with pytest.raises(ValueError, match="no URL given"):
        kind.parse("  ")
    with pytest.raises(ValueError, match="scheme"):
        kind.parse("https://a/kojifiles ftp://b/kojifiles")


def test_words_split_on_whitespace() -> None:
    assert kinds.WORDS.parse(" runroot  save_failed_tree ") == ("runroot", "save_failed_tree")
    assert kinds.WORDS.render(("a", "b")) == "a b"


@pytest.mark.parametrize(
    ("text", "value"),
    [("1024", 1024), ("2G", 2 << 30), ("512M", 512 << 20), ("4k", 4096), ("1TiB", 1 << 40)],
)
def test_size_accepts_binary_suffixes(text: str, value: int) -> None:
    assert kinds.SIZE.parse(text) == value


def test_size_rejects_garbage_and_zero_and_renders_largest_unit() -> None:
    with pytest.raises(ValueError, match="not a size"):
        kinds.SIZE.parse("2 gigs")
    with pytest.raises(ValueError, match="greater than zero"):
        kinds.SIZE.parse("0G")
    assert kinds.SIZE.render(20 << 30) == "20G"
    assert kinds.SIZE.render(3 << 20) == "3M"
    assert kinds.SIZE.render(1000) == "1000"


def test_image_reference_refuses_whitespace_and_empty() -> None:
    assert kinds.IMAGE.parse("registry.example.org:5000/a/b:tag") == (
        "registry.example.org:5000/a/b:tag"
    )
    for text in ("", "two words", "-leading"):
        with pytest.raises(ValueError, match="image reference"):
            kinds.IMAGE.parse(text)


def test_address_accepts_ip_addresses_and_host_names() -> None:
    for text in ("127.0.0.1", "::", "localhost", "dash.example.org"):
        assert kinds.ADDRESS.parse(text) == text
    with pytest.raises(ValueError, match="IP address or host name"):
        kinds.ADDRESS.parse("bad_host!")


def test_mounts_parse_read_only_by_default_with_options() -> None:
    mounts = kinds.MOUNTS.parse("/srv/a:/a /srv/b:/b:rw,z /srv/c:/c:ro,Z")
    assert mounts == (
        Mount(Path("/srv/a"), "/a"),
        Mount(Path("/srv/b"), "/b", read_only=False, selinux_relabel="z"),
        Mount(Path("/srv/c"), "/c", read_only=True, selinux_relabel="Z"),
    )
    assert kinds.MOUNTS.render(mounts) == "/srv/a:/a:ro /srv/b:/b:rw,z /srv/c:/c:ro,Z"
    assert kinds.MOUNTS.parse(kinds.MOUNTS.render(mounts)) == mounts


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/srv/a", "SOURCE:TARGET"),
        ("/srv/a:/a:ro:z", "SOURCE:TARGET"),
        ("srv/a:/a", "absolute"),
        ("/srv/a:a", "target is not an absolute path"),
        ("/srv/a:/a:ro,rw", "options must be"),
        ("/srv/a:/a:z,Z", "options must be"),
        ("/srv/a:/a:exec", "options must be"),
        ("/srv/a:/a /srv/b:/a", "mounted twice"),
    ],
)
def test_mounts_reject_malformed_entries(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        kinds.MOUNTS.parse(text)


def test_ulimits_parse_soft_and_hard() -> None:
    ulimits = kinds.ULIMITS.parse("nofile=1024:4096 nproc=512 core=-1")
    assert ulimits == (
        Ulimit("nofile", 1024, 4096),
        Ulimit("nproc", 512, 512),
        Ulimit("core", -1, -1),
    )
    assert kinds.ULIMITS.render(ulimits) == "nofile=1024:4096 nproc=512:512 core=-1:-1"
    assert kinds.ULIMITS.parse("nofile=10:-1 nproc=5") == (
        Ulimit("nofile", 10, -1),
        Ulimit("nproc", 5, 5),
    )
    assert kinds.ULIMITS.parse("") == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nofile", "NAME=SOFT"),
        ("files=10 nproc=1", "NAME=SOFT"),
        ("nofile=many nproc=1", "is not an integer"),
        ("nofile=-2 nproc=1", "-1 \\(unlimited\\) or more"),
        ("nofile=10:5 nproc=1", "soft limit exceeds"),
        ("nofile=-1:5 nproc=1", "soft limit exceeds"),
        ("nofile=1 nofile=2 nproc=1", "given twice"),
        ("nofile=1024", "nofile and nproc must both be given"),
    ],
)
def test_ulimits_reject_malformed_entries(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        kinds.ULIMITS.parse(text)


def test_path_map_parses_pairs_and_refuses_bad_ones() -> None:
    value = kinds.PATH_MAP.parse("/var/lib/adjutant=/srv/adjutant /work=/srv/work")
    assert value == (
        PathMapping(Path("/var/lib/adjutant"), Path("/srv/adjutant")),
        PathMapping(Path("/work"), Path("/srv/work")),
    )
    assert kinds.PATH_MAP.render(value) == "/var/lib/adjutant=/srv/adjutant /work=/srv/work"
    with pytest.raises(ValueError, match="INSIDE=OUTSIDE"):
        kinds.PATH_MAP.parse("/a:/b")
    with pytest.raises(ValueError, match="both sides must be absolute"):
        kinds.PATH_MAP.parse("/a=b")
    with pytest.raises(ValueError, match="mapped twice"):
        kinds.PATH_MAP.parse("/a=/b /a=/c")


def test_allowed_scms_accepts_koji_forms_and_refuses_entries_koji_would_skip() -> None:
    text = "scm.example.org:/cvs/* !git.example.org:/secret git.example.org:/*:no:make,sources"
    assert kinds.ALLOWED_SCMS.parse(f"  {text} ") == text
    for bad in ("scm.example.org", ":/repo", "host:", "!host"):
        with pytest.raises(ValueError, match="host:repository"):
            kinds.ALLOWED_SCMS.parse(bad)


def test_principal_format_needs_exactly_one_host_placeholder() -> None:
    assert kinds.PRINCIPAL_FORMAT.parse("compile/%s@EXAMPLE.COM") == "compile/%s@EXAMPLE.COM"
    # kojid formats it with the host name, so a fixed principal belongs in krb_principal.
    for bad in ("fixed@EXAMPLE.COM", "compile/%s/%s@X", "compile/%d@X", "compile/%(host)s@X"):
        with pytest.raises(ValueError, match="exactly one %s"):
            kinds.PRINCIPAL_FORMAT.parse(bad)


def test_log_level_is_normalised_to_upper_case() -> None:
    assert kinds.LOG_LEVEL.parse("debug") == "DEBUG"
    assert kinds.LOG_LEVEL.parse("WARN") == "WARN"
    with pytest.raises(ValueError, match="not a logging level"):
        kinds.LOG_LEVEL.parse("chatty")


def test_rlimit_takes_one_or_two_integers() -> None:
    assert kinds.RLIMIT.parse(" 4096   8192 ") == "4096 8192"
    assert kinds.RLIMIT.parse("-1") == "-1"
    for bad in ("", "1 2 3", "lots"):
        with pytest.raises(ValueError, match="SOFT or SOFT HARD"):
            kinds.RLIMIT.parse(bad)


def test_rlimit_keys_must_name_a_known_resource() -> None:
    assert kinds.is_rlimit_key("rlimit_nofile")
    assert not kinds.is_rlimit_key("rlimit_bogus")
    assert not kinds.is_rlimit_key("nofile")
