"""Render the package-manager config a buildroot installs from: the koji repo and kojid's settings.

Like kojid's mock config, there is one file, written over the image's ``/etc/dnf/dnf.conf``:
``[main]`` with the settings kojid fixes and ``reposdir=/dev/null``, so repo files the image
brought (``/etc/yum.repos.d``, ``/etc/distro.repos.d``, dnf5's ``/usr/share/dnf5/repos.d``) are
never read, and one repo ``[build]`` with a baseurl per topurl. The container reaches the repo
either over HTTP (topurls) or through the koji topdir bind-mounted read-only; localhost inside
a container is not the host, so a topurl on a loopback address is refused in favour of the mount.
Pure rendering: fetching, mounting and writing are the buildroot's job.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from adjutant.config.kinds import RepoAccess
from adjutant.container.backend import Mount
from adjutant.errors import ConfigError, TaskParamError

DNF_CONF_PATH = "/etc/dnf/dnf.conf"
# Where the koji topdir appears inside the container in mount mode (kojid's default topdir).
TOPDIR_MOUNT_TARGET = "/mnt/koji"
REPO_NAME = "build"
_TAG_NAME = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9_.+-]*$")
_ARCH = re.compile(r"^[A-Za-z0-9_]+$")
_RELEASEVER = re.compile(r"^[A-Za-z0-9_.+-]+$")
_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h", "socks4", "socks4a")
# kojid's fixed [main] settings (koji.genMockConfig), minus the yum-only cachedir/logfile:
# dnf keeps its logs in /var/log (dnf*.log), which the buildroot uploads.
FIXED_MAIN_SETTINGS: Mapping[str, str] = {
    "debuglevel": "1",
    "reposdir": "/dev/null",
    "retries": "20",
    "obsoletes": "1",
    "gpgcheck": "0",
    "assumeyes": "1",
    "keepcache": "1",
    "install_weak_deps": "0",
    "strict": "1",
}


# What mock adds to every dnf call (its dnf4_common_opts and dnf4_disable_plugins): no
# delta RPMs, packages may change vendor or be replaced to satisfy a request.
MOCK_DNF_OPTIONS = (
    "--setopt=deltarpm=False",
    "--setopt=allow_vendor_change=yes",
    "--allowerasing",
    "--disableplugin=local",
    "--disableplugin=spacewalk",
    "--disableplugin=versionlock",
)


@dataclass(frozen=True)
class RepoLocation:
    """Where the koji tree is, as the container sees it. Validated on creation.

    Raises:
        ConfigError: no topurl in topurl mode, a topurl that is not a plain http(s) URL or
            points at the host's loopback, or a relative topdir in mount mode.
    """

    access: RepoAccess
    topurls: tuple[str, ...] = ()
    topdir: Path | None = None  # the host's topdir; mount mode only

    def __post_init__(self) -> None:
        if self.access is RepoAccess.TOPURL:
            if not self.topurls:
                raise ConfigError("repo access 'topurl' needs at least one topurl in [kojid]")
            object.__setattr__(self, "topurls", tuple(_check_topurl(u) for u in self.topurls))
        elif self.topdir is None or not self.topdir.is_absolute():
            raise ConfigError(
                f"repo access 'mount' needs an absolute [kojid] topdir, got {self.topdir!r}"
            )


@dataclass(frozen=True)
class RepoConfig:
    """The rendered config and how to run the package manager with it."""

    baseurls: tuple[str, ...]
    dnf_conf: str  # the text for DNF_CONF_PATH
    dnf_options: tuple[str, ...]  # options every dnf invocation in the buildroot takes


def topdir_mount(location: RepoLocation) -> Mount:
    """The read-only bind mount mount mode needs; the whole topdir, because repo package
    hrefs go through the repo's ``toplink`` symlink back up to ``packages/``.

    Raises:
        ConfigError: ``location`` is not in mount mode.
    """
    if location.access is not RepoAccess.MOUNT or location.topdir is None:
        raise ConfigError("a topdir mount exists only in repo access mode 'mount'")
    return Mount(source=location.topdir, target=TOPDIR_MOUNT_TARGET, read_only=True)


def repo_baseurls(
    location: RepoLocation, tag_name: str, repo_id: int, br_arch: str
) -> tuple[str, ...]:
    """``<top>/repos/<tag>/<repo_id>/<br_arch>`` for each topurl, or the one ``file://`` URL.

    Raises:
        TaskParamError: the tag name, repo id or arch would not make a safe path.
    """
    if not isinstance(tag_name, str) or not _TAG_NAME.fullmatch(tag_name):
        raise TaskParamError(f"invalid tag name {tag_name!r} for a repo path")
    if isinstance(repo_id, bool) or not isinstance(repo_id, int) or repo_id <= 0:
        raise TaskParamError(f"invalid repo id {repo_id!r}: expected a positive integer")
    if not isinstance(br_arch, str) or not _ARCH.fullmatch(br_arch):
        raise TaskParamError(f"invalid buildroot arch {br_arch!r}")
    tail = f"repos/{tag_name}/{repo_id}/{br_arch}"
    if location.access is RepoAccess.MOUNT:
        return (f"file://{TOPDIR_MOUNT_TARGET}/{tail}",)
    return tuple(f"{top}/{tail}" for top in location.topurls)


def repo_config(
    location: RepoLocation,
    *,
    tag_name: str,
    repo_id: int,
    br_arch: str,
    extra: Mapping[str, object],
    yum_proxy: str | None = None,
) -> RepoConfig:
    """The dnf config for a buildroot of ``tag_name`` on repo ``repo_id``.

    From the tag extra: ``mock.yum.best`` sets ``best`` (written as given, 0 or 1; kojid
    only ever writes 1, and puts it in the repo section, where dnf does not read it),
    ``mock.yum.module_hotfixes`` sets the repo's ``module_hotfixes=1``, and
    ``mock.releasever`` becomes ``--releasever`` (mock passes it on the command line too).

    Raises:
        TaskParamError: bad tag name, repo id, arch, or a ``mock.*`` extra of the wrong kind.
        ConfigError: ``yum_proxy`` is not a proxy URL.
    """
    baseurls = repo_baseurls(location, tag_name, repo_id, br_arch)
    main = dict(FIXED_MAIN_SETTINGS)
    if yum_proxy:
        main = {"proxy": _check_proxy(yum_proxy), **main}
    if "mock.yum.best" in extra:
        main["best"] = str(_flag(tag_name, "mock.yum.best", extra["mock.yum.best"]))
    lines = [
        "# written by adjutant: the koji repo this buildroot installs from",
        f"# koji tag: {tag_name}, repo id: {repo_id}, arch: {br_arch}",
        "[main]",
        *(f"{key}={value}" for key, value in main.items()),
        "",
        f"[{REPO_NAME}]",
        f"name={REPO_NAME}",
        f"baseurl={baseurls[0]}",
        # dnf reads further baseurls from indented continuation lines, as kojid writes them.
        *(f"        {url}" for url in baseurls[1:]),
        "skip_if_unavailable=0",
    ]
    hotfixes = extra.get("mock.yum.module_hotfixes")
    if hotfixes is not None and _flag(tag_name, "mock.yum.module_hotfixes", hotfixes):
        lines.append("module_hotfixes=1")
    options = [f"--config={DNF_CONF_PATH}", *MOCK_DNF_OPTIONS]
    if "mock.releasever" in extra:
        options.append(f"--releasever={_releasever(tag_name, extra['mock.releasever'])}")
    return RepoConfig(baseurls, "\n".join(lines) + "\n", tuple(options))


def _check_topurl(url: str) -> str:
    if not isinstance(url, str) or any(c.isspace() for c in url):
        raise ConfigError(f"[kojid] topurl {_shown(url)!r}: not a URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"[kojid] topurl {_shown(url)!r}: expected an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ConfigError(f"[kojid] topurl {_shown(url)!r}: must not have a query or fragment")
    if is_loopback_host(parts.hostname):
        raise ConfigError(
            f"[kojid] topurl {_shown(url)!r}: {parts.hostname} inside a container is the "
            "container, not this host; use repo access 'mount' for a local topdir"
        )
    return url.rstrip("/")


def _shown(url: object) -> object:
    # A topurl may carry credentials; error messages name the URL without its password.
    if isinstance(url, str) and "@" in url:
        return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)
    return url


def is_loopback_host(host: str) -> bool:
    """True for names and addresses a container cannot reach the host by (its own loopback)."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_proxy(url: str) -> str:
    parts = urlsplit(url)
    if any(c.isspace() for c in url) or parts.scheme not in _PROXY_SCHEMES or not parts.hostname:
        # The value may hold credentials: name the key and the problem, not the URL.
        raise ConfigError(
            f"[kojid] yum_proxy: expected a proxy URL ({', '.join(_PROXY_SCHEMES)}://host[:port])"
        )
    return url


def _flag(tag_name: str, key: str, value: object) -> int:
    # kojid applies int(); accept what that turns into 0 or 1 and nothing vaguer.
    if isinstance(value, bool | int) and int(value) in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value)
    raise TaskParamError(f"tag {tag_name} extra {key!r}: expected 0 or 1, got {value!r}")


def _releasever(tag_name: str, value: object) -> str:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    if text is None or not _RELEASEVER.fullmatch(text):
        raise TaskParamError(
            f"tag {tag_name} extra 'mock.releasever': expected a release like '40', got {value!r}"
        )
    return text
