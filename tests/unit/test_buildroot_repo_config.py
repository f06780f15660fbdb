"""The dnf config a buildroot installs from: the koji repo, kojid's fixed settings, tag extras."""

import configparser
from pathlib import Path

import pytest

from adjutant.buildroot.repo_config import (
    DNF_CONF_PATH,
    MOCK_DNF_OPTIONS,
    TOPDIR_MOUNT_TARGET,
    RepoAccess,
    RepoLocation,
    repo_baseurls,
    repo_config,
    topdir_mount,
)
from adjutant.errors import ConfigError, TaskParamError

HTTP = RepoLocation(RepoAccess.TOPURL, topurls=("https://kojipkgs.example.org/kojifiles/",))
MOUNT = RepoLocation(RepoAccess.MOUNT, topdir=Path("/srv/koji"))


def parse(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_one_baseurl_per_topurl_under_the_repo_arch_dir() -> None:
    location = RepoLocation(
        RepoAccess.TOPURL, topurls=("https://a.example.org/kojifiles", "http://b.example.org/k/")
    )
    assert repo_baseurls(location, "f40-build", 7, "x86_64") == (
        "https://a.example.org/kojifiles/repos/f40-build/7/x86_64",
        "http://b.example.org/k/repos/f40-build/7/x86_64",
    )


def test_mount_mode_reads_the_repo_from_the_read_only_topdir_mount() -> None:
    assert repo_baseurls(MOUNT, "f40-build", 7, "i386") == (
        f"file://{TOPDIR_MOUNT_TARGET}/repos/f40-build/7/i386",
    )
    mount = topdir_mount(MOUNT)
    assert mount.source == Path("/srv/koji") and mount.target == TOPDIR_MOUNT_TARGET
    assert mount.read_only and mount.selinux_relabel == ""


def test_no_topdir_mount_in_topurl_mode() -> None:
    with pytest.raises(ConfigError, match="only in repo access mode 'mount'"):
        topdir_mount(HTTP)


def test_config_holds_kojids_fixed_settings_and_ignores_image_repos() -> None:
    config = repo_config(HTTP, tag_name="f40-build", repo_id=7, br_arch="x86_64", extra={})
    main = parse(config.dnf_conf)["main"]
    assert main["reposdir"] == "/dev/null"
    expected = {
        "gpgcheck": "0",
        "assumeyes": "1",
        "retries": "20",
        "obsoletes": "1",
        "install_weak_deps": "0",
        "strict": "1",
        "keepcache": "1",
    }
    assert {key: main[key] for key in expected} == expected
    assert "proxy" not in main and "best" not in main
    assert config.dnf_options == (f"--config={DNF_CONF_PATH}", *MOCK_DNF_OPTIONS)


def test_the_only_repo_is_build_with_every_baseurl() -> None:
    location = RepoLocation(
        RepoAccess.TOPURL, topurls=("https://a.example.org", "https://b.example.org")
    )
    config = repo_config(location, tag_name="f40-build", repo_id=7, br_arch="x86_64", extra={})
    parser = parse(config.dnf_conf)
    assert parser.sections() == ["main", "build"]
    assert parser["build"]["name"] == "build"
    assert parser["build"]["baseurl"].split() == list(config.baseurls)
    assert len(config.baseurls) == 2
    assert "module_hotfixes" not in parser["build"]


def test_proxy_comes_from_yum_proxy() -> None:
    config = repo_config(
        HTTP, tag_name="t", repo_id=1, br_arch="x86_64", extra={},
        yum_proxy="http://proxy.example.org:3128",
    )  # fmt: skip
    assert parse(config.dnf_conf)["main"]["proxy"] == "http://proxy.example.org:3128"


def test_tag_extras_set_best_hotfixes_and_releasever() -> None:
    extra = {"mock.yum.best": 1, "mock.yum.module_hotfixes": True, "mock.releasever": "40"}
    config = repo_config(HTTP, tag_name="t", repo_id=1, br_arch="x86_64", extra=extra)
    parser = parse(config.dnf_conf)
    assert parser["main"]["best"] == "1"
    assert parser["build"]["module_hotfixes"] == "1"
    assert "--releasever=40" in config.dnf_options


def test_best_zero_is_written_and_hotfixes_off_is_left_out() -> None:
    extra = {"mock.yum.best": "0", "mock.yum.module_hotfixes": 0}
    parser = parse(
        repo_config(HTTP, tag_name="t", repo_id=1, br_arch="x86_64", extra=extra).dnf_conf
    )
    assert parser["main"]["best"] == "0"
    assert "module_hotfixes" not in parser["build"]


@pytest.mark.parametrize(
    ("topurl", "message"),
    [
        ("ftp://koji.example.org/kojifiles", "expected an http:// or https:// URL"),
        ("kojipkgs.example.org/kojifiles", "expected an http:// or https:// URL"),
        ("https:///kojifiles", "expected an http:// or https:// URL"),
        ("https://koji.example.org/k?x=1", "must not have a query or fragment"),
        ("https://koji.example.org/k#top", "must not have a query or fragment"),
        ("https://koji.example.org/a b", "not a URL"),
        ("http://localhost/kojifiles", "use repo access 'mount'"),
        ("http://127.0.0.1:8080/kojifiles", "inside a container is the container"),
        ("http://[::1]/kojifiles", "not this host"),
        ("http://koji.localhost/kojifiles", "not this host"),
    ],
)
def test_bad_topurls_are_config_errors(topurl: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RepoLocation(RepoAccess.TOPURL, topurls=(topurl,))


def test_topurl_mode_needs_a_topurl() -> None:
    with pytest.raises(ConfigError, match="needs at least one topurl"):
        RepoLocation(RepoAccess.TOPURL)


@pytest.mark.parametrize("topdir", [None, Path("relative/koji")])
def test_mount_mode_needs_an_absolute_topdir(topdir: Path | None) -> None:
    with pytest.raises(ConfigError, match="needs an absolute"):
        RepoLocation(RepoAccess.MOUNT, topdir=topdir)


@pytest.mark.parametrize(
    ("tag_name", "repo_id", "arch", "message"),
    [
        ("../etc", 7, "x86_64", "invalid tag name"),
        ("f40/build", 7, "x86_64", "invalid tag name"),
        ("", 7, "x86_64", "invalid tag name"),
        ("f40 build", 7, "x86_64", "invalid tag name"),
        ("f40-build\n", 7, "x86_64", "invalid tag name"),
        ("f40-build", 0, "x86_64", "invalid repo id 0"),
        ("f40-build", True, "x86_64", "invalid repo id True"),
        ("f40-build", "7", "x86_64", "invalid repo id '7'"),
        ("f40-build", 7, "x86/64", "invalid buildroot arch"),
        ("f40-build", 7, "", "invalid buildroot arch"),
    ],
)
def test_bad_repo_coordinates_are_task_param_errors(
    tag_name: str, repo_id: int, arch: str, message: str
) -> None:
    with pytest.raises(TaskParamError, match=message):
        repo_config(HTTP, tag_name=tag_name, repo_id=repo_id, br_arch=arch, extra={})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"mock.yum.best": "true"}, r"tag t extra 'mock.yum.best': expected 0 or 1, got 'true'"),
        ({"mock.yum.best": 2}, "expected 0 or 1"),
        ({"mock.yum.best": None}, "expected 0 or 1"),
        ({"mock.yum.module_hotfixes": "yes"}, r"extra 'mock.yum.module_hotfixes': expected 0 or 1"),
        ({"mock.releasever": "40\n[evil]"}, r"extra 'mock.releasever': expected a release"),
        ({"mock.releasever": ["40"]}, "expected a release"),
        ({"mock.releasever": True}, "expected a release"),
    ],
)
def test_bad_mock_extras_are_refused_naming_the_key(extra: dict[str, object], message: str) -> None:
    with pytest.raises(TaskParamError, match=message):
        repo_config(HTTP, tag_name="t", repo_id=1, br_arch="x86_64", extra=extra)


@pytest.mark.parametrize(
    "proxy", ["proxy.example.org:3128", "ftp://proxy.example.org", "http://", "http://a b"]
)
def test_bad_proxies_are_config_errors_that_do_not_echo_the_value(proxy: str) -> None:
    with pytest.raises(ConfigError, match=r"\[kojid\] yum_proxy: expected a proxy URL") as info:
        repo_config(HTTP, tag_name="t", repo_id=1, br_arch="x86_64", extra={}, yum_proxy=proxy)
    assert proxy not in str(info.value)


def test_topurl_errors_do_not_echo_passwords() -> None:
    with pytest.raises(ConfigError, match=r"http://koji:\*\*\*@localhost/k") as info:
        RepoLocation(RepoAccess.TOPURL, topurls=("http://koji:s3cret@localhost/k",))
    assert "s3cret" not in str(info.value)
