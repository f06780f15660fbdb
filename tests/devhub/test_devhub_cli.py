"""`adjutant devhub` seeding commands: what they create and how they report bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import koji

from tests.support.devhub import HubHarness
from tests.support.srpms import build_rpm, build_srpm, simple_spec


def devhub(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adjutant", "devhub", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_seed_a_site_and_import_rpms_into_a_tag(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    cert = ok(
        devhub(home, "add-host", "b1.example.com", "--arch", "x86_64", "--channel", "createrepo")
    ).strip()
    assert Path(cert).is_file()
    ok(
        devhub(
            home,
            "add-tag",
            "base",
            "--arches",
            "x86_64",
            "-x",
            "rpm.macro.dist=.b1",
            "-x",
            'adjutant_image_policy={"rules": []}',
        )
    )
    ok(devhub(home, "add-tag", "base-build", "--arches", "x86_64", "--parent", "base"))
    ok(devhub(home, "add-target", "base-target", "base-build", "base"))
    ok(devhub(home, "add-group", "base-build", "build", "bash", "gcc"))
    spec = simple_spec("seeded")
    srpm = build_srpm(spec, tmp_path / "s")
    rpm = build_rpm(spec, tmp_path / "r")
    imported = ok(devhub(home, "import", "base", str(rpm), str(srpm)))
    assert "seeded-1-1" in imported
    task_id = int(ok(devhub(home, "submit", "sleep", "5", "--arch", "x86_64")))

    hub = HubHarness(home)
    try:
        config = hub.admin("getBuildConfig", "base-build")
        assert config["arches"] == "x86_64"
        assert config["extra"]["rpm.macro.dist"] == ".b1"
        assert config["extra"]["adjutant_image_policy"] == {"rules": []}  # JSON decoded
        assert hub.admin("getBuildTarget", "base-target")["dest_tag_name"] == "base"
        groups = {g["name"]: g for g in hub.admin("getTagGroups", "base-build")}
        assert [p["package"] for p in groups["build"]["packagelist"]] == ["bash", "gcc"]
        [build] = hub.admin("listTagged", "base")
        assert build["nvr"] == "seeded-1-1"
        arches = sorted(r["arch"] for r in hub.admin("listRPMs", buildID=build["id"]))
        assert arches == ["src", "x86_64"]
        assert hub.admin("getTaskRequest", task_id) == [5]
        assert "createrepo" in [c["name"] for c in hub.admin("listChannels", "b1.example.com")]
    finally:
        hub.close()


def test_bad_input_is_named_and_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    bad_extra = devhub(home, "add-tag", "t", "-x", "novalue")
    assert bad_extra.returncode == 1
    assert "KEY=VALUE" in bad_extra.stderr and "novalue" in bad_extra.stderr
    missing_tag = devhub(home, "add-target", "tgt", "no-such-tag")
    assert missing_tag.returncode == 1 and "no-such-tag" in missing_tag.stderr
    not_rpm = tmp_path / "junk-1-1.noarch.rpm"
    not_rpm.write_text("not an rpm")
    ok(devhub(home, "add-tag", "t2", "--arches", "x86_64"))
    bad_import = devhub(home, "import", "t2", str(not_rpm))
    assert bad_import.returncode == 1 and "junk-1-1.noarch.rpm" in bad_import.stderr
    hub = HubHarness(home)
    try:
        assert [t["name"] for t in hub.admin("listTags")] == ["t2"]
        assert hub.admin("listTagged", "t2") == []
        assert not list((home / "topdir/work").rglob("*.rpm"))  # staging removed
    finally:
        hub.close()


def test_client_config_is_a_koji_config_with_an_issued_cert(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    text = ok(devhub(home, "client-config", "kojiadmin", "--server", "https://h:1/kojihub"))
    config_file = tmp_path / "koji.conf"
    config_file.write_text(text)
    parsed = koji.read_config_files([str(config_file)])
    assert parsed.get("koji", "server") == "https://h:1/kojihub"
    assert parsed.get("koji", "authtype") == "ssl"
    assert Path(parsed.get("koji", "cert")).is_file()
    assert Path(parsed.get("koji", "serverca")).is_file()
