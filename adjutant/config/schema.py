"""The configuration schema: every option of ``[kojid]`` and ``[adjutant]``, declared once.

Each section is a frozen dataclass whose fields carry kind, help and checks as metadata;
loading, ``config show`` and docs/configuration.md all read these fields. ``[kojid]`` keeps
kojid's names, types and defaults. Past 400 lines on purpose: it is a table, one entry per option.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from adjutant.config import kinds
from adjutant.config.kinds import Kind, PathMapping, RepoAccess, VolumeMapping
from adjutant.container.backend import Mount, PullPolicy, ResourceLimits, Ulimit, VolumeMount
from adjutant.errors import ConfigError

T = TypeVar("T")

KOJID = "kojid"
ADJUTANT = "adjutant"
ENV_PREFIX = "KOJI_ADJUTANT_"
# Names the config files to read instead of the default ones.
CONFIG_ENV = "KOJI_ADJUTANT_CONFIG"

# Keys kojid's sample config mentions that no longer do anything: accepted with a warning.
OBSOLETE_KOJID_KEYS = {
    "pkgurl": "kojid no longer reads it; topurl names the hub's files",
    "krbservice": "koji's GSSAPI login takes the service from the hub URL",
}
# kojid reads "plugins" as another spelling of "plugin".
KOJID_ALIASES = {"plugins": "plugin"}


# Options a later issue will read: the issue flips them (drops ``unused``) when it lands.
PLANNED_PREFIX = "planned: "
NO_MOCK_ROOTS = (
    "a task's containers are removed as soon as it ends; there are no mock roots to clean"
)


class PathCheck(enum.Enum):
    """What a path option must point at when paths are checked."""

    READABLE_FILE = "a readable file"
    READABLE_DIR = "a readable directory"
    WRITABLE_DIR = "a writable directory (or one that can be created)"
    WRITABLE_PARENT = "a file in a writable directory"


@dataclass(frozen=True)
class OptionSpec:
    """What the schema knows about one option besides its name, type and default."""

    kind: Kind[Any]
    help: str
    required: bool = False
    secret: bool = False
    # Shown instead of the default value when the default is decided at load time.
    default_doc: str | None = None
    path_check: PathCheck | None = None
    # False: the path is only checked when someone set it (a default may go unused).
    check_default: bool = True
    # Why no code reads this option (kept for kojid.conf compatibility, or planned for a
    # later issue); None when adjutant reads it. docs/configuration.md shows the reason and
    # tests/unit/test_config_options_read.py checks the claim both ways.
    unused: str | None = None


def option(default: T, kind: Kind[T], help: str, **spec: Any) -> T:
    """Declare a dataclass field as a configuration option."""
    return field(default=default, metadata={"option": OptionSpec(kind, help, **spec)})


@dataclass(frozen=True)
class OptionInfo:
    """One option as the loader and the docs see it."""

    section: str
    key: str
    default: Any
    spec: OptionSpec

    @property
    def env_var(self) -> str:
        return env_var(self.section, self.key)

    @property
    def default_text(self) -> str:
        if self.spec.default_doc is not None:
            return self.spec.default_doc
        if self.spec.required:
            return "required"
        return str(self.spec.kind.render(self.default))


def env_var(section: str, key: str) -> str:
    """The environment variable overriding ``key`` of ``section``."""
    infix = "" if section == ADJUTANT else f"{section.upper()}_"
    return f"{ENV_PREFIX}{infix}{key.upper()}"


@dataclass(frozen=True)
class KojidSettings:
    """The ``[kojid]`` section, with kojid's option names, types and defaults."""

    server: str = option(
        "", kinds.url("http", "https"), "Hub XML-RPC URL (kojihub).", required=True
    )
    topurl: str = option(
        "",
        kinds.url_list("http", "https", "file"),
        "URL of the hub's topdir (kojifiles). Several space-separated URLs act as mirrors;"
        " the first is used for downloads.",
        required=True,
    )
    topdir: Path = option(
        Path("/mnt/koji"), kinds.PATH, "Local mount of the hub's topdir (repo tasks)."
    )
    workdir: Path = option(
        Path("/var/tmp/koji"),
        kinds.PATH,
        "Scratch space; each task works in `<workdir>/tasks/<id % 10000>/<id>`.",
        path_check=PathCheck.WRITABLE_DIR,
    )
    chroot_tmpdir: Path = option(
        Path("/chroot_tmpdir"),
        kinds.PATH,
        "Temp directory inside the buildroot.",
        unused="buildroots are containers with their own /tmp, not mock chroots",
    )
    mockdir: Path = option(
        Path("/var/lib/mock"),
        kinds.PATH,
        "Where kojid keeps mock buildroots.",
        unused="buildroots are containers, not mock roots; minspace is checked under workdir",
    )
    mockuser: str = option(
        "kojibuilder",
        kinds.NON_EMPTY,
        "Owner of SCM checkouts.",
        unused="SCM checkouts are made inside the buildroot as build_user",
    )
    maxjobs: int = option(10, kinds.integer(1), "Most tasks run at the same time.")
    sleeptime: int = option(
        15, kinds.integer(1), "Seconds to wait after a loop pass that took no task."
    )
    minspace: int = option(
        8192, kinds.integer(0), "MB that must be free under workdir to take a task."
    )
    buildroot_basic_cleanup_delay: int = option(
        120,
        kinds.integer(0),
        "Seconds after a buildroot ends before its contents are removed.",
        unused=NO_MOCK_ROOTS,
    )
    buildroot_final_cleanup_delay: int = option(
        86400,
        kinds.integer(0),
        "Seconds after a buildroot ends before its directory goes.",
        unused=NO_MOCK_ROOTS,
    )
    failed_buildroot_lifetime: int = option(
        14400,
        kinds.integer(0),
        "Seconds to keep buildroots of failed tasks, space allowing.",
        unused="buildroots of failed tasks are removed too; their logs are on the hub",
    )
    rpmbuild_timeout: int = option(86400, kinds.integer(1), "Build time limit in seconds.")
    packager: str = option("Koji", kinds.NON_EMPTY, "The %packager of built packages.")
    vendor: str = option("Koji", kinds.NON_EMPTY, "The %vendor of built packages.")
    distribution: str = option("Koji", kinds.NON_EMPTY, "The %distribution of built packages.")
    mockhost: str = option("koji-linux-gnu", kinds.NON_EMPTY, "Suffix of the %_host macro.")
    yum_proxy: str | None = option(
        None,
        kinds.optional(kinds.url("http", "https", "socks4", "socks5", "socks5h")),
        "Proxy for the buildroot's package manager.",
    )
    literal_task_arches: str = option(
        "", kinds.TEXT, "Arch patterns used verbatim as subtask arches (space-separated)."
    )
    support_rpm_source_layout: bool = option(
        True,
        kinds.BOOL,
        "Accept SPECS/ and SOURCES/ directories in SCM checkouts.",
        unused="SPECS/ and SOURCES/ in SCM checkouts are always accepted",
    )
    allowed_scms: str = option(
        "",
        kinds.ALLOWED_SCMS,
        "SCMs builds may come from: host:repository[:use_common[:source_cmd]] entries"
        " (globs; a leading ! blocks), space-separated.",
    )
    allowed_scms_use_config: bool = option(True, kinds.BOOL, "Check SCM URLs against allowed_scms.")
    allowed_scms_use_policy: bool = option(
        False, kinds.BOOL, "Check SCM URLs against the hub policy build_from_scm."
    )
    allow_password_in_scm_url: bool = option(
        False, kinds.BOOL, "Accept user:password@ in SCM URLs."
    )
    scm_credentials_dir: Path | None = option(
        None,
        kinds.optional(kinds.PATH),
        "Directory mounted at /credentials when building an SRPM from SCM.",
        path_check=PathCheck.READABLE_DIR,
        unused="not implemented: SCM checkouts get no credentials mount",
    )
    use_createrepo_c: bool = option(
        True,
        kinds.BOOL,
        "Use createrepo_c in repo tasks.",
        unused="repo tasks always run createrepo_c (kojid on Python 3 does too)",
    )
    createrepo_update: bool = option(
        True, kinds.BOOL, "Reuse the previous repodata when regenerating a repo."
    )
    createrepo_skip_stat: bool = option(
        True, kinds.BOOL, "Trust unchanged package names when updating repodata."
    )
    distrepo_skip_stat: bool = option(
        False, kinds.BOOL, "Like createrepo_skip_stat, for dist repos."
    )
    copy_old_repodata: bool = option(
        False, kinds.BOOL, "Copy the old repodata when a repo's contents did not change."
    )
    mock_bootstrap_image: bool = option(
        False,
        kinds.BOOL,
        "Honour the tag extra mock.bootstrap_image.",
        unused="there is no mock bootstrap; the image policy chooses the task image",
    )
    log_timestamps: bool = option(
        False,
        kinds.BOOL,
        "Also upload `<log>-ts.log` files with per-line time offsets.",
        unused="not implemented: no `<log>-ts.log` files are uploaded",
    )
    build_arch_can_fail: bool = option(
        False, kinds.BOOL, "A failed buildArch does not cancel its sibling tasks."
    )
    use_fast_upload: bool = option(True, kinds.BOOL, "Upload files with rawUpload.")
    retry_interval: int = option(
        60, kinds.integer(0), "Seconds between retries of a failed hub call."
    )
    max_retries: int = option(
        120,
        kinds.integer(0),
        "Retries of a failed hub call; koji's ClientSession does the retrying.",
    )
    offline_retry: bool = option(True, kinds.BOOL, "Keep retrying while the hub is offline.")
    offline_retry_interval: int = option(
        120, kinds.integer(0), "Seconds between retries while the hub is offline."
    )
    timeout: int | None = option(
        None, kinds.optional(kinds.integer(1)), "Seconds before a hub call times out."
    )
    no_ssl_verify: bool = option(False, kinds.BOOL, "Do not verify the hub's certificate.")
    cert: Path | None = option(
        None,
        kinds.optional(kinds.PATH),
        "Client certificate (with key) for SSL login.",
        default_doc="/etc/kojid/client.crt if that file exists",
        path_check=PathCheck.READABLE_FILE,
    )
    serverca: Path | None = option(
        None,
        kinds.optional(kinds.PATH),
        "CA certificate that signed the hub's certificate.",
        default_doc="/etc/kojid/serverca.crt if that file exists",
        path_check=PathCheck.READABLE_FILE,
    )
    keytab: Path = option(
        Path("/etc/kojid/kojid.keytab"),
        kinds.PATH,
        "Keytab for GSSAPI login.",
        path_check=PathCheck.READABLE_FILE,
        check_default=False,
    )
    krb_principal: str | None = option(
        None,
        kinds.optional(kinds.TEXT),
        "Principal for GSSAPI login (default: host_principal_format).",
    )
    host_principal_format: str = option(
        "compile/%s@EXAMPLE.COM",
        kinds.PRINCIPAL_FORMAT,
        "GSSAPI principal; %s becomes the host's FQDN.",
    )
    ccache: Path = option(Path("/var/tmp/kojid.ccache"), kinds.PATH, "Kerberos credential cache.")
    user: str | None = option(
        None, kinds.optional(kinds.TEXT), "User for password login (development hubs)."
    )
    password: str | None = option(
        None, kinds.optional(kinds.TEXT), "Password for password login.", secret=True
    )
    smtphost: str = option("example.com", kinds.NON_EMPTY, "Mail server for notifications.")
    smtp_user: str | None = option(None, kinds.optional(kinds.TEXT), "User on the mail server.")
    smtp_pass: str | None = option(
        None, kinds.optional(kinds.TEXT), "Password on the mail server.", secret=True
    )
    from_addr: str = option(
        "Koji Build System <buildsys@example.com>",
        kinds.NON_EMPTY,
        "Sender of notification mails.",
    )
    admin_emails: str | None = option(
        None,
        kinds.optional(kinds.TEXT),
        "Comma-separated addresses that get the koji loggers' ERROR records by mail (sent"
        " through localhost, as kojid does).",
    )
    log_level: str | None = option(
        None,
        kinds.optional(kinds.LOG_LEVEL),
        "Level of the koji.* loggers (koji's library and the task handlers); unset: adjutant's"
        " level (INFO, DEBUG with --debug, which also wins over this).",
    )
    plugin: tuple[str, ...] = option(
        (),
        kinds.WORDS,
        "Builder plugins to load (also spelt plugins).",
        unused="adjutant loads no kojid builder plugins",
    )
    pluginpath: str = option(
        "/usr/lib/koji-builder-plugins",
        kinds.NON_EMPTY,
        "Where builder plugins are found (colon-separated).",
        unused="adjutant loads no kojid builder plugins",
    )
    maven_repo_ignore: str = option(
        "*.md5 *.sha1 maven-metadata*.xml _maven.repositories _remote.repositories"
        " resolver-status.properties *.lastUpdated",
        kinds.TEXT,
        "Maven tasks: file patterns left out of repos.",
        unused="maven tasks are not supported",
    )
    oz_install_timeout: int = option(
        0,
        kinds.integer(0),
        "Image tasks: install timeout in seconds (0: oz's own).",
        unused="image tasks are not supported",
    )
    xz_options: str = option(
        "-z6T0",
        kinds.TEXT,
        "Image tasks: xz compression options.",
        unused="image tasks are not supported",
    )
    allow_noverifyssl: bool = option(
        False,
        kinds.BOOL,
        "Image tasks: allow repos without SSL verification.",
        unused="image tasks are not supported",
    )
    task_avail_delay: int = option(
        300,
        kinds.integer(0),
        "Seconds kojid waited before taking a task other hosts could take.",
        unused="the hub's scheduler assigns tasks; kojid no longer reads it either",
    )
    # RLIMIT_<NAME> keys: "SOFT [HARD]" as text, applied with koji.util.setup_rlimits.
    rlimits: tuple[tuple[str, str], ...] = ()

    @property
    def topurls(self) -> tuple[str, ...]:
        """Every URL of ``topurl``; the first is the one downloads use."""
        return tuple(self.topurl.split())


@dataclass(frozen=True)
class AdjutantSettings:
    """The ``[adjutant]`` section: containers, images, the dashboard and local state."""

    worker_name: str = option(
        "",
        kinds.NON_EMPTY,
        "Name in container labels and on the dashboard.",
        default_doc="this host's name",
    )
    podman_url: str = option(
        "unix:///run/podman/podman.sock",
        kinds.url("unix", "tcp", "ssh"),
        "The podman API service.",
    )
    podman_retry_attempts: int = option(
        3, kinds.integer(1), "Attempts of an idempotent podman call while podman is unreachable."
    )
    podman_retry_delay: float = option(2.0, kinds.number(0), "Seconds between those attempts.")
    podman_api_timeout: float = option(
        120.0, kinds.number(1), "Seconds one podman API request may take."
    )
    task_image_default: str = option(
        "localhost/adjutant/debian-bookworm:latest",
        kinds.IMAGE,
        "Task image for buildroots no image policy entry matches.",
    )
    image_pull_policy: PullPolicy = option(
        PullPolicy.IF_NOT_PRESENT, kinds.PULL_POLICY, "When task images are pulled."
    )
    images_dir: Path = option(
        Path("/usr/share/adjutant/images"),
        kinds.PATH,
        "Folders task images are built from (adjutant images).",
    )
    policy_enabled: bool = option(
        False, kinds.BOOL, "Choose task images by the image policy (else task_image_default)."
    )
    policy_cache_ttl: int = option(
        300, kinds.integer(0), "Seconds a loaded image policy is reused."
    )
    repo_access: RepoAccess = option(
        RepoAccess.TOPURL,
        kinds.REPO_ACCESS,
        "How buildroots reach koji repos: mount binds topdir read-only, topurl downloads.",
    )
    build_user: str = option(
        "kojibuilder", kinds.NON_EMPTY, "User that runs rpmbuild inside the buildroot."
    )
    network_enabled: bool = option(
        False,
        kinds.BOOL,
        "Give build steps network access (steps fetching from the koji repo always have it).",
    )
    container_mounts: tuple[Mount, ...] = option(
        (),
        kinds.MOUNTS,
        "Extra bind mounts for every buildroot (read-only unless rw).",
    )
    container_ulimits: tuple[Ulimit, ...] = option(
        (),
        kinds.ULIMITS,
        "Ulimits of buildroot containers; nofile and nproc both, if any (default: podman's).",
    )
    container_userns: bool = option(
        True,
        kinds.BOOL,
        "Run buildroots in their own user namespace (podman userns=auto; needs a range for"
        " the user containers in /etc/subuid and /etc/subgid, as scripts/setup-host writes).",
    )
    container_memory: int | None = option(
        None,
        kinds.optional(kinds.SIZE),
        "Memory limit of a buildroot container (no swap on top); empty: none.",
        default_doc="3/4 of the host's memory",
    )
    container_cpus: float | None = option(
        None,
        kinds.optional(kinds.number(0.01)),
        "CPUs a buildroot container may use; empty: no limit.",
        default_doc="the host's CPU count",
    )
    container_pids: int | None = option(
        None,
        kinds.optional(kinds.integer(1)),
        "Process limit of a buildroot container; empty: none.",
        default_doc=str(ResourceLimits.DEFAULT_PIDS),
    )
    pull_timeout: int = option(900, kinds.integer(1), "Seconds an image pull may take.")
    start_timeout: int = option(
        120,
        kinds.integer(1),
        "Seconds a container may take to start.",
        unused="not implemented: a container start is bounded by podman_api_timeout",
    )
    stop_grace: int = option(
        10, kinds.integer(0), "Seconds between SIGTERM and SIGKILL when stopping a container."
    )
    shutdown_grace: int = option(
        300,
        kinds.integer(0),
        "On SIGTERM, seconds running tasks get to finish before they are stopped and freed.",
    )
    buildroot_cache: bool = option(
        False, kinds.BOOL,
        "Start buildroots from a local image of the build group installed before (mock's root"
        " cache), keyed by task image, repo, arch, group and dnf config. Buildroots then run"
        " without their own user namespace (podman 4.3 cannot start a committed userns"
        " container with userns=auto).",
    )  # fmt: skip
    buildroot_cache_dir: Path = option(
        Path("/var/cache/adjutant"), kinds.PATH,
        "Where the buildroot cache's index lives (its images are in podman's storage).",
    )  # fmt: skip
    buildroot_cache_max_size: int = option(
        20 << 30, kinds.SIZE,
        "Size of the cached buildroot images above which the least recently used are removed.",
    )  # fmt: skip
    host_path_map: tuple[PathMapping, ...] = option(
        (),
        kinds.PATH_MAP,
        "When the worker runs in a container: its paths and the same data's paths on the"
        " container host, for bind mounts.",
    )
    orch_url: str | None = option(
        None,
        kinds.optional(kinds.url("http", "https")),
        "koji-boxed orch service (e.g. http://orch.koji.box:5000): at start the worker checks"
        " out its keytab there (into keytab) and, when serverca is unset, the hub's CA.",
    )
    orch_resource: str | None = option(
        None,
        kinds.optional(kinds.UUID),
        "UUID of this worker's keytab resource in orch (required with orch_url).",
    )
    krb5_realm: str | None = option(
        None,
        kinds.optional(kinds.NON_EMPTY),
        "Kerberos realm; with krb5_kdc, krb5_conf is written when it does not exist.",
    )
    krb5_kdc: str | None = option(
        None, kinds.optional(kinds.NON_EMPTY), "KDC of krb5_realm, as host or host:port."
    )
    krb5_conf: Path = option(
        Path("/etc/krb5.conf"),
        kinds.PATH,
        "The Kerberos client configuration the worker uses (KRB5_CONFIG of its process).",
    )
    host_volume_map: tuple[VolumeMapping, ...] = option(
        (),
        kinds.VOLUME_MAP,
        "When the worker runs in a container: its directories that are podman named volumes"
        " (e.g. /mnt/koji=koji-boxed_koji_storage); buildroots mount the volume by name.",
    )
    buildroot_network: str = option(
        "podman",
        kinds.PODMAN_NAME,
        "The podman network buildroots join while they have network (e.g. a compose"
        " project's koji-boxed_koji-network, so topurl host names resolve).",
    )
    dashboard_bind: str = option("127.0.0.1", kinds.ADDRESS, "Address the dashboard binds.")
    dashboard_port: int = option(8080, kinds.integer(1, 65535), "Port of the dashboard.")
    state_db: Path = option(
        Path("/var/lib/adjutant/state.db"),
        kinds.PATH,
        "State store shared by worker and dashboard.",
        path_check=PathCheck.WRITABLE_PARENT,
    )
    state_retention: int = option(
        7, kinds.integer(1), "Days the state store keeps finished tasks (the dashboard's history)."
    )
    dashboard_enabled: bool = option(
        True, kinds.BOOL, "adjutant worker runs the dashboard (adjutant web) beside itself."
    )
    dashboard_token: str = option(
        "",
        kinds.TEXT,
        "Bearer token the dashboard requires (Authorization: Bearer ...); empty: none.",
        secret=True,
    )

    @property
    def resource_limits(self) -> ResourceLimits:
        """The container limits as the backend takes them."""
        return ResourceLimits(
            memory_bytes=self.container_memory, cpus=self.container_cpus, pids=self.container_pids
        )

    def host_path(self, path: Path) -> Path:
        """``path`` as the container host sees it, through the longest host_path_map match."""
        best: PathMapping | None = None
        for mapping in self.host_path_map:
            if path.is_relative_to(mapping.inside) and (
                best is None or len(mapping.inside.parts) > len(best.inside.parts)
            ):
                best = mapping
        if best is None:
            return path
        return best.outside / path.relative_to(best.inside)

    def host_mount(self, mount: Mount) -> Mount | VolumeMount:
        """``mount`` as the container host can make it: a named volume when its source is a
        host_volume_map directory, else a bind mount of the host_path_map path.

        Raises:
            ConfigError: the source lies inside a mapped volume but is not its top (podman 4
                mounts whole volumes only).
        """
        for mapping in self.host_volume_map:
            if mount.source == mapping.inside:
                return VolumeMount(mapping.volume, mount.target, read_only=mount.read_only)
            if mount.source.is_relative_to(mapping.inside):
                raise ConfigError(
                    f"{mount.source} lies inside volume {mapping.volume} ([adjutant]"
                    f" host_volume_map {mapping.inside}={mapping.volume}): only a whole volume"
                    " can be mounted into a buildroot"
                )
        return dataclasses.replace(mount, source=self.host_path(mount.source))


SECTIONS: dict[str, type[KojidSettings] | type[AdjutantSettings]] = {
    KOJID: KojidSettings,
    ADJUTANT: AdjutantSettings,
}


def options(section: str) -> list[OptionInfo]:
    """Every option of ``section``, in declaration order."""
    return [
        OptionInfo(section, item.name, item.default, item.metadata["option"])
        for item in dataclasses.fields(SECTIONS[section])
        if "option" in item.metadata
    ]


def all_options() -> list[OptionInfo]:
    """Every option of every section."""
    return [info for section in SECTIONS for info in options(section)]
