"""`adjutant config show|check` through the command line, with a controlled environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adjutant.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reads the process environment: keep ours out of it."""
    import os

    for name in list(os.environ):
        if name.startswith("KOJI_ADJUTANT_"):
            monkeypatch.delenv(name)


def test_check_on_a_broken_file_exits_2_and_names_every_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = DATA / "kojid-broken.conf"

    status = main(["config", "check", "--config", str(broken)])

    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("invalid configuration, 7 problems:\n")
    for key, value in [
        ("server", "hub.example.org/kojihub"),
        ("maxjobs", "ten"),
        ("use_createrepo_c", "perhaps"),
        ("image_pull_policy", "sometimes"),
        ("container_ulimits", "nofile=1024"),
        ("dashboard_port", "70000"),
    ]:
        assert f"{broken} [" in err
        assert f"] {key} = '{value}': " in err
    assert f"{broken} [kojid] maxjob: unknown option" in err


def test_check_on_a_good_config_reports_ok_and_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "kojid.conf"
    conf.write_text(
        "[kojid]\nserver = https://hub/kojihub\ntopurl = https://hub/kojifiles\n"
        f"workdir = {tmp_path}/work\nmockdir = {tmp_path}/mock\npkgurl = http://old/\n"
        f"[adjutant]\nstate_db = {tmp_path}/state.db\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KOJI_ADJUTANT_CONFIG", str(conf))

    assert main(["config", "check"]) == 0

    out = capsys.readouterr().out
    assert out == (
        f"warning: {conf} [kojid] pkgurl: obsolete, ignored (kojid no longer reads it; topurl"
        f" names the hub's files)\nconfiguration OK ({conf})\n"
    )


def test_check_applies_path_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "kojid.conf"
    conf.write_text(
        "[kojid]\nserver = https://hub/kojihub\ntopurl = https://hub/kojifiles\n"
        f"cert = {tmp_path}/missing.crt\n",
        encoding="utf-8",
    )

    assert main(["config", "check", "-c", str(conf)]) == 2

    assert f"[kojid] cert = '{tmp_path}/missing.crt': does not exist" in capsys.readouterr().err


def test_show_prints_values_with_sources_and_redacts_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOJI_ADJUTANT_KOJID_PASSWORD", "hunter2")
    monkeypatch.setenv("KOJI_ADJUTANT_KOJID_MAXJOBS", "3")
    sample = DATA / "kojid-sample.conf"

    assert main(["config", "show", "--config", str(sample)]) == 0

    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert f"# config files read: {sample}\n" in out
    assert "\n[kojid]\n" in out and "\n[adjutant]\n" in out
    lines = out.splitlines()
    assert any(
        line.startswith("maxjobs ") and line.endswith("= 3    # env KOJI_ADJUTANT_KOJID_MAXJOBS")
        for line in lines
    )
    assert any(line.startswith("password ") and "= <redacted>    # env" in line for line in lines)
    assert any(
        line.startswith("sleeptime ") and line.endswith(f"= 20    # {sample} [kojid]")
        for line in lines
    )
    assert "warning: " in out  # krbservice is obsolete


def test_show_json_is_machine_readable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOJI_ADJUTANT_KOJID_SERVER", "https://u:hunter2@hub/kojihub")
    monkeypatch.setenv("KOJI_ADJUTANT_KOJID_TOPURL", "https://hub/kojifiles")

    assert main(["config", "show", "--json", "--config", str(DATA / "adjutant-sample.conf")]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["files"] == [str(DATA / "adjutant-sample.conf")]
    assert document["warnings"] == []
    assert document["kojid"]["server"] == {
        "value": "https://u:<redacted>@hub/kojihub",
        "source": "env KOJI_ADJUTANT_KOJID_SERVER",
    }
    assert document["adjutant"]["image_pull_policy"]["value"] == "always"


def test_show_on_an_invalid_config_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show", "--config", str(DATA / "kojid-broken.conf")]) == 2
    assert "invalid configuration" in capsys.readouterr().err
