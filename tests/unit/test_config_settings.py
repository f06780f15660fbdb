"""Settings: the redacted view, the object koji reads, path mapping, and schema invariants."""

from __future__ import annotations

from pathlib import Path

import koji
import pytest

from adjutant.config import (
    AdjutantSettings,
    KojidSettings,
    Layer,
    PathMapping,
    Settings,
    ShownValue,
    Source,
    env_var,
    load,
)
from adjutant.config.schema import ADJUTANT, KOJID, all_options
from adjutant.config.settings import redact_url

HUB = {
    "KOJI_ADJUTANT_KOJID_SERVER": "https://hub.example.org/kojihub",
    "KOJI_ADJUTANT_KOJID_TOPURL": "https://a.example.org/kojifiles https://b.example.org/kojifiles",
}


def test_redacted_hides_passwords_and_url_credentials() -> None:
    environ = dict(
        HUB,
        KOJI_ADJUTANT_KOJID_SERVER="https://builder:hunter2@hub.example.org/kojihub",
        KOJI_ADJUTANT_KOJID_PASSWORD="hunter2",
        KOJI_ADJUTANT_KOJID_SMTP_PASS="hunter2",
        KOJI_ADJUTANT_KOJID_YUM_PROXY="http://proxy:3128/?token=hunter2&region=eu",
        KOJI_ADJUTANT_PODMAN_URL="ssh://core:hunter2@podhost:22/run/podman/podman.sock",
    )
    settings = load([], environ, check_paths=False)

    shown = settings.redacted()

    assert "hunter2" not in repr(shown)
    assert shown["kojid"]["server"] == ShownValue(
        "https://builder:<redacted>@hub.example.org/kojihub", "env KOJI_ADJUTANT_KOJID_SERVER"
    )
    assert shown["kojid"]["password"].value == "<redacted>"
    assert shown["kojid"]["smtp_pass"].value == "<redacted>"
    assert shown["kojid"]["yum_proxy"].value == "http://proxy:3128/?token=<redacted>&region=eu"
    assert shown["adjutant"]["podman_url"].value == (
        "ssh://core:<redacted>@podhost:22/run/podman/podman.sock"
    )
    # The real values stay available to the code that needs them.
    assert settings.kojid.password == "hunter2"


def test_redacted_shows_every_option_with_its_source_as_config_text() -> None:
    environ = dict(HUB, KOJI_ADJUTANT_KOJID_RLIMIT_NOFILE="1024 2048")
    shown = load([], environ, {"maxjobs": "2"}, check_paths=False).redacted()

    assert set(shown) == {"kojid", "adjutant"}
    assert shown["kojid"]["maxjobs"] == ShownValue("2", "flag --maxjobs")
    assert shown["kojid"]["password"] == ShownValue("", "default")
    assert shown["kojid"]["topurl"].value == HUB["KOJI_ADJUTANT_KOJID_TOPURL"]
    assert shown["kojid"]["rlimit_nofile"] == ShownValue(
        "1024 2048", "env KOJI_ADJUTANT_KOJID_RLIMIT_NOFILE"
    )
    assert shown["adjutant"]["image_pull_policy"] == ShownValue("if-not-present", "default")
    assert shown["adjutant"]["podman_url"].value == "unix:///run/podman/podman.sock"
    assert shown["adjutant"]["buildroot_cache_max_size"].value == "20G"
    assert len(shown["kojid"]) + len(shown["adjutant"]) == len(all_options()) + 1


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hub/kojihub", "https://hub/kojihub"),
        ("unix:///run/podman/podman.sock", "unix:///run/podman/podman.sock"),
        (
            "https://u:p@hub:8443/x?key=k&a=1#f",
            "https://u:<redacted>@hub:8443/x?key=<redacted>&a=1#f",
        ),
        ("https://token-as-user@hub/x", "https://token-as-user@hub/x"),
        ("http://[::1", "<redacted>"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_kojid_options_have_the_attributes_koji_reads() -> None:
    environ = dict(HUB, KOJI_ADJUTANT_KOJID_PLUGIN="runroot", KOJI_ADJUTANT_KOJID_TIMEOUT="30")
    settings = load([], dict(environ, KOJI_ADJUTANT_KOJID_RLIMIT_NOFILE="4096"), check_paths=False)

    options = settings.kojid_options(single=True)

    # TaskManager
    assert options.maxjobs == 10
    assert options.minspace == 8192
    assert options.mockdir == "/var/lib/mock"
    assert options.failed_buildroot_lifetime == 14400
    assert options.buildroot_basic_cleanup_delay == 120
    assert options.buildroot_final_cleanup_delay == 86400
    assert options.single is True
    # BaseTaskHandler: paths as strings, the first topurl, and every topurl as a list
    assert options.workdir == "/var/tmp/koji"
    assert options.topdir == "/mnt/koji"
    assert options.topurl == "https://a.example.org/kojifiles"
    assert options.topurls == [
        "https://a.example.org/kojifiles",
        "https://b.example.org/kojifiles",
    ]
    assert options.plugin == ["runroot"]
    assert options.RLIMIT_NOFILE == "4096"
    assert options.cert is None


def test_kojid_options_feed_koji_session_options() -> None:
    settings = load([], dict(HUB, KOJI_ADJUTANT_KOJID_MAX_RETRIES="3"), check_paths=False)

    session_options = koji.grab_session_options(settings.kojid_options(debug_xmlrpc=True))

    assert session_options == {
        "debug": False,
        "debug_xmlrpc": True,
        "max_retries": 3,
        "retry_interval": 60,
        "offline_retry": True,
        "offline_retry_interval": 120,
        "use_fast_upload": True,
        "no_ssl_verify": False,
    }


def test_host_path_uses_the_longest_matching_mapping() -> None:
    adjutant = AdjutantSettings(
        host_path_map=(
            PathMapping(Path("/var/lib"), Path("/srv/lib")),
            PathMapping(Path("/var/lib/adjutant"), Path("/srv/adjutant")),
        )
    )

    assert adjutant.host_path(Path("/var/lib/adjutant/cache/x")) == Path("/srv/adjutant/cache/x")
    assert adjutant.host_path(Path("/var/lib/other")) == Path("/srv/lib/other")
    assert adjutant.host_path(Path("/var/lib")) == Path("/srv/lib")
    assert adjutant.host_path(Path("/var/libx")) == Path("/var/libx")
    assert AdjutantSettings().host_path(Path("/a")) == Path("/a")


def test_settings_can_be_built_directly_for_tests_of_other_modules() -> None:
    settings = Settings(kojid=KojidSettings(server="https://hub/kojihub", topurl="https://t/"))

    assert settings.source("kojid", "server") == Source(Layer.DEFAULT)
    assert settings.kojid.topurls == ("https://t/",)
    assert settings.redacted()["kojid"]["server"].value == "https://hub/kojihub"


def test_source_describes_where_an_operator_finds_the_value() -> None:
    assert Source(Layer.FILE, "/etc/kojid/kojid.conf [kojid]").describe("kojid", "maxjobs") == (
        "/etc/kojid/kojid.conf [kojid] maxjobs"
    )
    assert Source(Layer.ENV, "KOJI_ADJUTANT_X").describe("adjutant", "x") == "KOJI_ADJUTANT_X"
    assert Source(Layer.FLAG, "--maxjobs").describe("kojid", "maxjobs") == "command line --maxjobs"
    assert Source(Layer.FLAG).describe("kojid", "maxjobs") == "command line maxjobs"
    assert Source(Layer.DEFAULT).describe("kojid", "maxjobs") == "[kojid] maxjobs"
    assert str(Source(Layer.DEFAULT, "host name")) == "default (host name)"


# -- schema invariants --------------------------------------------------------------------


def test_keys_are_unique_across_sections_and_env_names_do_not_collide() -> None:
    keys = [info.key for info in all_options()]
    assert len(keys) == len(set(keys))
    variables = [info.env_var for info in all_options()]
    assert len(variables) == len(set(variables))
    # KOJI_ADJUTANT_KOJID_* and KOJI_ADJUTANT_CONFIG are reserved.
    adjutant_keys = [info.key for info in all_options() if info.section == ADJUTANT]
    assert not [key for key in adjutant_keys if key.startswith("kojid_") or key == "config"]


def test_env_var_rule() -> None:
    assert env_var(ADJUTANT, "image_pull_policy") == "KOJI_ADJUTANT_IMAGE_PULL_POLICY"
    assert env_var(KOJID, "maxjobs") == "KOJI_ADJUTANT_KOJID_MAXJOBS"


def test_every_default_renders_to_text_that_parses_back_to_it() -> None:
    for info in all_options():
        assert info.spec.help.endswith("."), info.key
        if info.spec.required or info.spec.default_doc is not None:
            continue  # no default, or one decided at load time
        text = info.spec.kind.render(info.default)
        assert info.spec.kind.parse(text) == info.default, info.key


def test_kojid_section_covers_kojids_option_table() -> None:
    kojid_keys = {info.key for info in all_options() if info.section == KOJID}
    expected = {
        "server", "topurl", "topdir", "workdir", "chroot_tmpdir", "mockdir", "mockuser",
        "maxjobs", "sleeptime", "minspace", "buildroot_basic_cleanup_delay",
        "buildroot_final_cleanup_delay", "failed_buildroot_lifetime", "rpmbuild_timeout",
        "packager", "vendor", "distribution", "mockhost", "yum_proxy", "literal_task_arches",
        "support_rpm_source_layout", "allowed_scms", "allowed_scms_use_config",
        "allowed_scms_use_policy", "allow_password_in_scm_url", "scm_credentials_dir",
        "use_createrepo_c", "createrepo_update", "createrepo_skip_stat", "distrepo_skip_stat",
        "copy_old_repodata", "mock_bootstrap_image", "log_timestamps", "use_fast_upload",
        "retry_interval", "max_retries", "offline_retry", "offline_retry_interval", "timeout",
        "no_ssl_verify", "cert", "serverca", "keytab", "krb_principal", "host_principal_format",
        "ccache", "user", "password", "smtphost", "smtp_user", "smtp_pass", "from_addr",
        "admin_emails", "log_level", "plugin", "pluginpath", "maven_repo_ignore",
        "oz_install_timeout", "xz_options", "allow_noverifyssl", "build_arch_can_fail",
        "task_avail_delay",
    }  # fmt: skip
    assert kojid_keys == expected
