"""load(): the layers, their precedence and sources, and every class of invalid input."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from adjutant.config import DEFAULT_PATHS, InvalidConfig, Layer, RepoAccess, Settings, Source, load
from adjutant.config.kinds import PathMapping
from adjutant.config.schema import all_options
from adjutant.container.backend import Mount, PullPolicy, ResourceLimits, Ulimit
from adjutant.errors import ConfigError

DATA = Path(__file__).resolve().parent.parent / "data"
HUB = {
    "KOJI_ADJUTANT_KOJID_SERVER": "https://hub.example.org/kojihub",
    "KOJI_ADJUTANT_KOJID_TOPURL": "https://hub.example.org/kojifiles",
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(excinfo: pytest.ExceptionInfo[InvalidConfig]) -> tuple[str, ...]:
    return excinfo.value.problems


def load_hub() -> Settings:
    """Defaults plus the two required keys, without path checks."""
    return load([], HUB, check_paths=False)


# -- files koji and operators already have ------------------------------------------------


def test_kojis_sample_kojid_conf_loads_every_key() -> None:
    settings = load([DATA / "kojid-sample.conf"], {}, check_paths=False)

    kojid = settings.kojid
    assert (kojid.sleeptime, kojid.maxjobs, kojid.minspace) == (20, 6, 4096)
    assert kojid.topdir == Path("/srv/koji")
    assert kojid.workdir == Path("/srv/koji-work")
    assert kojid.chroot_tmpdir == Path("/chroot_tmp")
    assert kojid.mockdir == Path("/srv/buildroots")
    assert kojid.mockuser == "builder"
    assert kojid.packager == "Example Packager <pkg@example.org>"
    assert kojid.rpmbuild_timeout == 43200
    assert kojid.oz_install_timeout == 3600
    assert kojid.server == "https://koji.example.org/kojihub"
    assert kojid.use_createrepo_c is True
    assert kojid.allowed_scms.split()[1] == "git.example.net:/pkgs/*:no"
    assert kojid.scm_credentials_dir == Path("/etc/kojid/scm-credentials")
    assert kojid.host_principal_format == "builder/%s@EXAMPLE.ORG"
    assert kojid.keytab == Path("/etc/kojid/builder.keytab")
    assert kojid.cert == Path("/etc/kojid/builder.pem")
    assert kojid.build_arch_can_fail is False
    assert kojid.log_timestamps is True
    # krbservice is in koji's sample but no longer used: a warning, not an unknown key.
    assert [w for w in settings.warnings if "krbservice" in w] == [
        f"{DATA / 'kojid-sample.conf'} [kojid] krbservice: obsolete, ignored"
        " (koji's GSSAPI login takes the service from the hub URL)"
    ]
    assert not [w for w in settings.warnings if "unknown" in w]
    assert settings.files == (DATA / "kojid-sample.conf",)
    assert str(settings.source("kojid", "maxjobs")) == f"{DATA / 'kojid-sample.conf'} [kojid]"


def test_adjutant_section_loads_structured_values() -> None:
    settings = load(
        [DATA / "kojid-sample.conf", DATA / "adjutant-sample.conf"], {}, check_paths=False
    )

    adjutant = settings.adjutant
    assert adjutant.worker_name == "builder-01"
    assert adjutant.podman_url == "unix:///run/user/1000/podman/podman.sock"
    assert adjutant.task_image_default == "registry.example.org/adjutant/el9:2024.1"
    assert adjutant.image_pull_policy is PullPolicy.ALWAYS
    assert adjutant.policy_enabled is True
    assert adjutant.policy_cache_ttl == 60
    assert adjutant.repo_access is RepoAccess.MOUNT
    assert adjutant.network_enabled is False
    assert adjutant.container_mounts == (
        Mount(Path("/srv/cache"), "/var/cache/dnf", read_only=False, selinux_relabel="z"),
        Mount(Path("/etc/pki/extra"), "/etc/pki/extra"),
    )
    assert adjutant.container_ulimits == (
        Ulimit("nofile", 20000, 40000),
        Ulimit("nproc", 8192, 8192),
    )
    assert adjutant.resource_limits == ResourceLimits(memory_bytes=8 << 30, cpus=2.5, pids=4096)
    assert (adjutant.pull_timeout, adjutant.start_timeout, adjutant.stop_grace) == (1200, 30, 5)
    assert adjutant.buildroot_cache is True
    assert adjutant.buildroot_cache_max_size == 512 << 20
    assert adjutant.host_path_map[0] == PathMapping(
        Path("/var/lib/adjutant"), Path("/srv/adjutant")
    )
    assert (adjutant.dashboard_bind, adjutant.dashboard_port) == ("0.0.0.0", 9100)
    assert adjutant.state_db == Path("/var/lib/adjutant/worker.db")


def test_defaults_apply_when_no_layer_sets_a_key() -> None:
    settings = load_hub()

    assert settings.kojid.maxjobs == 10
    assert settings.kojid.workdir == Path("/var/tmp/koji")
    assert settings.kojid.timeout is None
    assert settings.adjutant.image_pull_policy is PullPolicy.IF_NOT_PRESENT
    assert settings.adjutant.podman_url == "unix:///run/podman/podman.sock"
    assert settings.adjutant.state_db == Path("/var/lib/adjutant/state.db")
    assert settings.adjutant.dashboard_bind == "127.0.0.1"
    assert settings.source("kojid", "maxjobs") == Source(Layer.DEFAULT)
    assert settings.files == ()
    assert settings.warnings == ()


def test_worker_name_defaults_to_the_host_name() -> None:
    settings = load_hub()

    assert settings.adjutant.worker_name == socket.gethostname()
    assert str(settings.source("adjutant", "worker_name")) == "default (host name)"


# -- precedence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("use_env", "use_flag", "expected", "source"),
    [
        (False, False, 3, "FILE"),
        (True, False, 4, "ENV"),
        (True, True, 5, "FLAG"),
        (False, True, 5, "FLAG"),
    ],
)
def test_flags_beat_environment_beats_files_beats_defaults(
    tmp_path: Path, use_env: bool, use_flag: bool, expected: int, source: str
) -> None:
    conf = write(tmp_path / "kojid.conf", "[kojid]\nmaxjobs = 3\n[adjutant]\nstop_grace = 7\n")
    environ = dict(HUB, KOJI_ADJUTANT_KOJID_MAXJOBS="4") if use_env else HUB
    overrides = {"maxjobs": "5"} if use_flag else {}

    settings = load([conf], environ, overrides, check_paths=False)

    assert settings.kojid.maxjobs == expected
    assert settings.source("kojid", "maxjobs").layer is Layer[source]
    assert settings.adjutant.stop_grace == 7
    assert settings.kojid.sleeptime == 15


def test_each_source_names_its_origin(tmp_path: Path) -> None:
    conf = write(tmp_path / "kojid.conf", "[kojid]\nmaxjobs = 3\n")
    environ = dict(HUB, KOJI_ADJUTANT_STOP_GRACE="3")

    settings = load([conf], environ, {"adjutant.pull_timeout": "60"}, check_paths=False)

    assert str(settings.source("kojid", "maxjobs")) == f"{conf} [kojid]"
    assert str(settings.source("adjutant", "stop_grace")) == "env KOJI_ADJUTANT_STOP_GRACE"
    assert str(settings.source("adjutant", "pull_timeout")) == "flag --pull-timeout"
    assert str(settings.source("kojid", "sleeptime")) == "default"
    assert settings.adjutant.pull_timeout == 60


def test_later_files_win_and_directories_read_conf_files_in_name_order(tmp_path: Path) -> None:
    main = write(tmp_path / "kojid.conf", "[kojid]\nmaxjobs = 1\nsleeptime = 1\nminspace = 1\n")
    write(tmp_path / "conf.d" / "20-b.conf", "[kojid]\nsleeptime = 20\nminspace = 20\n")
    write(tmp_path / "conf.d" / "10-a.conf", "[kojid]\nsleeptime = 10\n")
    write(tmp_path / "conf.d" / "30-c.conf.rpmsave", "[kojid]\nminspace = 99\n")

    settings = load([main, tmp_path / "conf.d"], HUB, check_paths=False)

    assert (settings.kojid.maxjobs, settings.kojid.sleeptime, settings.kojid.minspace) == (
        1,
        20,
        20,
    )
    assert settings.files == (main, tmp_path / "conf.d/10-a.conf", tmp_path / "conf.d/20-b.conf")
    assert str(settings.source("kojid", "sleeptime")) == f"{tmp_path / 'conf.d/20-b.conf'} [kojid]"


def test_config_variable_names_the_files_when_no_paths_are_given(tmp_path: Path) -> None:
    first = write(tmp_path / "a.conf", "[kojid]\nmaxjobs = 2\n")
    second = write(tmp_path / "b.conf", "[kojid]\nmaxjobs = 3\n")
    environ = dict(HUB, KOJI_ADJUTANT_CONFIG=f"{first}{os.pathsep}{second}")

    assert load(None, environ, check_paths=False).kojid.maxjobs == 3
    # Paths given by the caller (--config) replace the variable.
    assert load([first], environ, check_paths=False).kojid.maxjobs == 2
    assert load(str(first), environ, check_paths=False).kojid.maxjobs == 2


def test_default_config_paths_may_be_missing() -> None:
    # Reads the real /etc/kojid: whatever of it exists is what must have been read.
    expected = []
    for path in DEFAULT_PATHS:
        if path.is_dir():
            expected.extend(sorted(path.glob("*.conf")))
        elif path.is_file():
            expected.append(path)

    settings = load(None, dict(HUB, KOJI_ADJUTANT_CONFIG=" "), check_paths=False)

    assert list(settings.files) == expected


def test_named_config_paths_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.conf"
    with pytest.raises(InvalidConfig) as excinfo:
        load([missing], HUB, check_paths=False)
    assert problems_of(excinfo) == (f"config file {missing} (from --config) does not exist",)

    with pytest.raises(InvalidConfig) as excinfo:
        load(None, dict(HUB, KOJI_ADJUTANT_CONFIG=str(missing)), check_paths=False)
    assert problems_of(excinfo) == (
        f"config file {missing} (from KOJI_ADJUTANT_CONFIG) does not exist",
    )


# -- the environment ----------------------------------------------------------------------


def test_every_option_has_an_environment_variable_parsed_like_a_file_value() -> None:
    environ = dict(HUB)
    for info in all_options():
        text = info.spec.kind.render(info.default)
        if text:
            environ[info.env_var] = text

    settings = load([], environ, check_paths=False)

    for info in all_options():
        if info.env_var in environ:
            assert settings.source(info.section, info.key) == Source(Layer.ENV, info.env_var)
            section = settings.kojid if info.section == "kojid" else settings.adjutant
            assert getattr(section, info.key) == info.spec.kind.parse(environ[info.env_var])


def test_environment_values_use_the_same_types_as_files() -> None:
    environ = dict(
        HUB,
        KOJI_ADJUTANT_KOJID_OFFLINE_RETRY="no",
        KOJI_ADJUTANT_CONTAINER_MEMORY="2G",
        KOJI_ADJUTANT_IMAGE_PULL_POLICY="never",
        KOJI_ADJUTANT_KOJID_TIMEOUT="",
        KOJI_ADJUTANT_CONTAINER_MOUNTS="/srv/x:/x:rw",
    )

    settings = load([], environ, check_paths=False)

    assert settings.kojid.offline_retry is False
    assert settings.adjutant.container_memory == 2 << 30
    assert settings.adjutant.image_pull_policy is PullPolicy.NEVER
    assert settings.kojid.timeout is None
    assert settings.adjutant.container_mounts == (Mount(Path("/srv/x"), "/x", read_only=False),)


def test_unknown_variables_with_our_prefix_are_refused_and_others_ignored() -> None:
    environ = dict(HUB, KOJI_ADJUTANT_PULL_TIMOUT="3", KOJI_ADJUTANT_KOJID_MAXJOB="2", HOME="/root")

    with pytest.raises(InvalidConfig) as excinfo:
        load([], environ, check_paths=False)

    assert problems_of(excinfo) == (
        "KOJI_ADJUTANT_KOJID_MAXJOB: unknown option",
        "KOJI_ADJUTANT_PULL_TIMOUT: unknown option",
    )
    assert load([], dict(HUB, HOME="/root"), check_paths=False).warnings == ()


# -- keys kojid treats specially ----------------------------------------------------------


def test_plugins_is_another_spelling_of_plugin(tmp_path: Path) -> None:
    conf = write(tmp_path / "k.conf", "[kojid]\nplugins = runroot save_failed_tree\n")

    settings = load([conf], HUB, check_paths=False)

    assert settings.kojid.plugin == ("runroot", "save_failed_tree")
    assert settings.source("kojid", "plugin").layer is Layer.FILE


def test_rlimit_keys_are_collected_upper_case(tmp_path: Path) -> None:
    conf = write(tmp_path / "k.conf", "[kojid]\nRLIMIT_NOFILE = 4096 8192\n")
    environ = dict(HUB, KOJI_ADJUTANT_KOJID_RLIMIT_NPROC="512")

    settings = load([conf], environ, check_paths=False)

    assert settings.kojid.rlimits == (("RLIMIT_NOFILE", "4096 8192"), ("RLIMIT_NPROC", "512"))
    assert settings.source("kojid", "rlimit_nproc").layer is Layer.ENV
    assert settings.warnings == ()
    bogus = write(tmp_path / "b.conf", "[kojid]\nrlimit_bogus = 1\n")
    with pytest.raises(InvalidConfig) as excinfo:
        load([bogus], HUB, check_paths=False)
    assert problems_of(excinfo) == (f"{bogus} [kojid] rlimit_bogus: unknown option",)


def test_rlimit_values_must_be_integers(tmp_path: Path) -> None:
    conf = write(tmp_path / "k.conf", "[kojid]\nrlimit_nofile = lots\n")

    with pytest.raises(InvalidConfig) as excinfo:
        load([conf], HUB, check_paths=False)

    assert problems_of(excinfo) == (
        f"{conf} [kojid] rlimit_nofile = 'lots': not SOFT or SOFT HARD (integers)",
    )


def test_unknown_sections_and_obsolete_keys_are_warned_not_fatal(tmp_path: Path) -> None:
    conf = write(tmp_path / "k.conf", "[kojid]\npkgurl = http://old/\n[mock]\na = 1\n")

    settings = load([conf], HUB, check_paths=False)

    assert settings.warnings == (
        f"{conf} [kojid] pkgurl: obsolete, ignored"
        " (kojid no longer reads it; topurl names the hub's files)",
        f"{conf}: unknown section [mock] ignored",
    )


def test_a_misspelt_key_is_refused_rather_than_run_with_the_default(tmp_path: Path) -> None:
    conf = write(tmp_path / "k.conf", "[kojid]\nmaxjbos = 4\n[adjutant]\npull_timout = 3\n")

    with pytest.raises(InvalidConfig) as excinfo:
        load([conf], HUB, check_paths=False)

    assert problems_of(excinfo) == (
        f"{conf} [kojid] maxjbos: unknown option",
        f"{conf} [adjutant] pull_timout: unknown option",
    )


# -- invalid input ------------------------------------------------------------------------


def test_all_problems_are_reported_together_naming_source_key_and_value() -> None:
    broken = DATA / "kojid-broken.conf"
    with pytest.raises(InvalidConfig) as excinfo:
        load([broken], {"KOJI_ADJUTANT_STOP_GRACE": "-1"}, {"sleeptime": "0"}, check_paths=False)

    assert problems_of(excinfo) == (
        f"{broken} [kojid] maxjob: unknown option",
        f"{broken} [kojid] server = 'hub.example.org/kojihub':"
        " URL scheme must be one of http, https",
        f"{broken} [kojid] maxjobs = 'ten': not an integer",
        "command line --sleeptime = '0': out of range (allowed: >= 1)",
        f"{broken} [kojid] use_createrepo_c = 'perhaps': not a boolean"
        " (use true/false, yes/no, on/off or 1/0)",
        f"{broken} [adjutant] image_pull_policy = 'sometimes':"
        " must be one of if-not-present, always, never",
        f"{broken} [adjutant] container_ulimits = 'nofile=1024':"
        " when any ulimit is given, nofile and nproc must both be given",
        "KOJI_ADJUTANT_STOP_GRACE = '-1': out of range (allowed: >= 0)",
        f"{broken} [adjutant] dashboard_port = '70000': out of range (allowed: 1..65535)",
    )
    message = str(excinfo.value)
    assert message.startswith("invalid configuration, 9 problems:\n  - ")
    assert f"  - {broken} [kojid] maxjob: unknown option\n" in message
    assert isinstance(excinfo.value, ConfigError)


def test_missing_required_keys_name_the_variable_to_set() -> None:
    with pytest.raises(InvalidConfig) as excinfo:
        load([], {}, check_paths=False)

    assert problems_of(excinfo) == (
        "[kojid] server is required: set it in a config file or in KOJI_ADJUTANT_KOJID_SERVER",
        "[kojid] topurl is required: set it in a config file or in KOJI_ADJUTANT_KOJID_TOPURL",
    )
    assert str(excinfo.value).startswith("invalid configuration, 2 problems:")


def test_commands_without_a_hub_need_no_hub_urls() -> None:
    settings = load([], {}, check_paths=False, need_hub=False)
    assert (settings.kojid.server, settings.kojid.topurl) == ("", "")


def test_required_keys_set_empty_are_problems() -> None:
    with pytest.raises(InvalidConfig) as excinfo:
        load([], dict(HUB, KOJI_ADJUTANT_KOJID_SERVER=" "), check_paths=False)

    assert problems_of(excinfo) == ("KOJI_ADJUTANT_KOJID_SERVER is empty: it is required",)
    assert str(excinfo.value).startswith("invalid configuration, 1 problem:")


def test_bad_values_never_echo_secrets() -> None:
    environ = dict(
        HUB,
        KOJI_ADJUTANT_KOJID_SERVER="ftp://builder:hunter2@hub.example.org/kojihub",
        KOJI_ADJUTANT_KOJID_TOPURL="https://hub/kojifiles?token=hunter2 ftp://x/",
    )
    with pytest.raises(InvalidConfig) as excinfo:
        load([], environ, check_paths=False)

    assert "hunter2" not in str(excinfo.value)
    assert "ftp://builder:<redacted>@hub.example.org/kojihub" in str(excinfo.value)


def test_unknown_override_keys_are_problems() -> None:
    with pytest.raises(InvalidConfig) as excinfo:
        load([], HUB, {"max_jobs": "3", "kojid.stop_grace": "1"}, check_paths=False)

    assert problems_of(excinfo) == (
        "command line: 'max_jobs' is not a configuration option",
        "command line: 'kojid.stop_grace' is not a configuration option",
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("maxjobs = 3\n", "File contains no section headers"),
        (
            "[kojid]\nmaxjobs = 3\nmaxjobs = 4\n",
            "option 'maxjobs' in section 'kojid' already exists",
        ),
        ("[kojid]\nnot a key value line\n", "Source contains parsing errors"),
    ],
)
def test_files_that_do_not_parse_are_problems(tmp_path: Path, text: str, reason: str) -> None:
    conf = write(tmp_path / "k.conf", text)

    with pytest.raises(InvalidConfig) as excinfo:
        load([conf], HUB, check_paths=False)

    (problem,) = problems_of(excinfo)
    assert problem.startswith(f"config file {conf} cannot be parsed: ")
    assert reason in problem
    assert "\n" not in problem


def test_files_that_are_not_utf8_are_problems(tmp_path: Path) -> None:
    conf = tmp_path / "k.conf"
    conf.write_bytes(b"[kojid]\nvendor = \xff\xfe\n")

    with pytest.raises(InvalidConfig) as excinfo:
        load([conf], HUB, check_paths=False)

    assert problems_of(excinfo)[0].startswith(f"config file {conf} cannot be parsed: ")


def test_a_problem_in_one_file_does_not_hide_problems_in_others(tmp_path: Path) -> None:
    bad_syntax = write(tmp_path / "a.conf", "no header\n")
    bad_value = write(tmp_path / "b.conf", "[kojid]\nminspace = lots\n")

    with pytest.raises(InvalidConfig) as excinfo:
        load([bad_syntax, bad_value], HUB, check_paths=False)

    assert len(problems_of(excinfo)) == 2
    assert problems_of(excinfo)[1] == f"{bad_value} [kojid] minspace = 'lots': not an integer"


# -- paths --------------------------------------------------------------------------------


def dirs_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Required keys plus writable work directories under tmp_path."""
    environ = dict(
        HUB,
        KOJI_ADJUTANT_KOJID_WORKDIR=str(tmp_path / "work"),
        KOJI_ADJUTANT_KOJID_MOCKDIR=str(tmp_path / "mock"),
        KOJI_ADJUTANT_STATE_DB=str(tmp_path / "state" / "state.db"),
    )
    environ.update(extra)
    return environ


def test_paths_that_can_be_created_pass(tmp_path: Path) -> None:
    cert = write(tmp_path / "client.crt", "pem")
    (tmp_path / "mock").mkdir()

    settings = load([], dirs_env(tmp_path, KOJI_ADJUTANT_KOJID_CERT=str(cert)))

    assert settings.kojid.cert == cert
    assert not (tmp_path / "work").exists()  # checking creates nothing


def test_unusable_paths_are_problems(tmp_path: Path) -> None:
    blocker = write(tmp_path / "blocker", "a file, not a directory")
    environ = dirs_env(
        tmp_path,
        KOJI_ADJUTANT_KOJID_WORKDIR=str(blocker),
        KOJI_ADJUTANT_KOJID_MOCKDIR=str(blocker / "mock"),  # not read, so not checked
        KOJI_ADJUTANT_KOJID_CERT=str(tmp_path / "missing.crt"),
        KOJI_ADJUTANT_KOJID_SERVERCA=str(tmp_path),
        KOJI_ADJUTANT_KOJID_KEYTAB=str(tmp_path / "missing.keytab"),
        KOJI_ADJUTANT_KOJID_SCM_CREDENTIALS_DIR=str(blocker),
        KOJI_ADJUTANT_STATE_DB=str(tmp_path),
    )

    with pytest.raises(InvalidConfig) as excinfo:
        load([], environ)

    assert problems_of(excinfo) == (
        f"KOJI_ADJUTANT_KOJID_WORKDIR = '{blocker}': is not a directory;"
        " it must be a writable directory (or one that can be created)",
        f"KOJI_ADJUTANT_KOJID_SCM_CREDENTIALS_DIR = '{blocker}': is not a directory;"
        " it must be a readable directory",
        f"KOJI_ADJUTANT_KOJID_CERT = '{tmp_path}/missing.crt': does not exist;"
        " it must be a readable file",
        f"KOJI_ADJUTANT_KOJID_SERVERCA = '{tmp_path}': is not a file; it must be a readable file",
        f"KOJI_ADJUTANT_KOJID_KEYTAB = '{tmp_path}/missing.keytab': does not exist;"
        " it must be a readable file",
        f"KOJI_ADJUTANT_STATE_DB = '{tmp_path}': is a directory;"
        " it must be a file in a writable directory",
    )


def test_default_keytab_is_not_checked_but_default_work_dirs_are(tmp_path: Path) -> None:
    environ = dirs_env(tmp_path)
    del environ["KOJI_ADJUTANT_KOJID_WORKDIR"]
    blocker = write(tmp_path / "blocker", "")
    overrides = {"workdir": str(blocker)}

    with pytest.raises(InvalidConfig) as excinfo:
        load([], environ, overrides)

    (problem,) = problems_of(excinfo)
    assert problem.startswith(f"command line --workdir = '{blocker}': is not a directory")


def test_mode_dependent_paths_are_checked_only_in_their_mode(tmp_path: Path) -> None:
    environ = dirs_env(
        tmp_path,
        KOJI_ADJUTANT_KOJID_TOPDIR=str(tmp_path / "koji"),
        KOJI_ADJUTANT_BUILDROOT_CACHE_DIR=str(write(tmp_path / "f", "")),
    )
    load([], environ)

    with pytest.raises(InvalidConfig) as excinfo:
        load(
            [], dict(environ, KOJI_ADJUTANT_REPO_ACCESS="mount", KOJI_ADJUTANT_BUILDROOT_CACHE="on")
        )

    assert problems_of(excinfo) == (
        f"KOJI_ADJUTANT_KOJID_TOPDIR = '{tmp_path}/koji': does not exist;"
        " it must be a readable directory",
        f"KOJI_ADJUTANT_BUILDROOT_CACHE_DIR = '{tmp_path}/f': is not a directory;"
        " it must be a writable directory (or one that can be created)",
    )


def test_container_mount_sources_must_exist(tmp_path: Path) -> None:
    present = tmp_path / "present"
    present.mkdir()
    environ = dirs_env(
        tmp_path, KOJI_ADJUTANT_CONTAINER_MOUNTS=f"{present}:/a {tmp_path}/absent:/b"
    )

    with pytest.raises(InvalidConfig) as excinfo:
        load([], environ)

    assert problems_of(excinfo) == (
        f"KOJI_ADJUTANT_CONTAINER_MOUNTS: mount source {tmp_path}/absent does not exist",
    )


def test_a_value_that_failed_to_parse_is_not_also_path_checked(tmp_path: Path) -> None:
    environ = dirs_env(
        tmp_path,
        KOJI_ADJUTANT_KOJID_WORKDIR="relative/work",
        KOJI_ADJUTANT_CONTAINER_MOUNTS="not-a-mount",
        KOJI_ADJUTANT_REPO_ACCESS="mount",
        KOJI_ADJUTANT_KOJID_TOPDIR="relative",
    )

    with pytest.raises(InvalidConfig) as excinfo:
        load([], environ)

    assert problems_of(excinfo) == (
        "KOJI_ADJUTANT_KOJID_TOPDIR = 'relative': not an absolute path",
        "KOJI_ADJUTANT_KOJID_WORKDIR = 'relative/work': not an absolute path",
        "KOJI_ADJUTANT_CONTAINER_MOUNTS = 'not-a-mount':"
        " 'not-a-mount' is not SOURCE:TARGET[:OPTIONS]",
    )


def test_buildroot_limits_default_to_the_hosts_size_and_an_empty_value_lifts_them() -> None:
    host_memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")

    limits = load([], HUB, check_paths=False).adjutant.resource_limits

    assert limits == ResourceLimits(memory_bytes=host_memory * 3 // 4,
                                    cpus=float(os.cpu_count() or 1), pids=16384)  # fmt: skip
    lifted = load([], dict(HUB, KOJI_ADJUTANT_CONTAINER_MEMORY="", KOJI_ADJUTANT_CONTAINER_PIDS="",
                           KOJI_ADJUTANT_CONTAINER_CPUS=""), check_paths=False)  # fmt: skip
    assert lifted.adjutant.resource_limits == ResourceLimits()
    environ = dict(HUB, KOJI_ADJUTANT_CONTAINER_MEMORY="2G", KOJI_ADJUTANT_CONTAINER_PIDS="99")
    set_ = load([], environ, check_paths=False)
    assert set_.adjutant.resource_limits.memory_bytes == 2 << 30
    assert set_.adjutant.resource_limits.pids == 99
