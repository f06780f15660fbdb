"""`adjutant worker` end to end: devhub as the hub, real podman and the Debian task image.

One devhub process and one worker process (maxjobs 2) serve the module. The scenarios are
shared with tests/live (tests/scenarios/worker_builds.py); the devhub site also lets us check
exactly what the buildroot listing and the RPM must be.
"""

from __future__ import annotations

import email
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest
from aiosmtpd.controller import Controller

from adjutant.container.backend import LABEL_WORKER
from adjutant.devhub import hosts, package_lists, tags, targets
from tests.scenarios import worker_builds
from tests.scenarios.worker_builds import WorkerSite
from tests.support import devhub_site
from tests.support.devhub_process import free_port
from tests.support.devhub_worker import POLICY_TTL_S, DevhubSite, devhub_worker_site
from tests.support.git_repos import git_repo, publish_bare
from tests.support.http_container import served_over_http
from tests.support.hub_endpoint import KOJI_CLI
from tests.support.srpms import build_rpm, build_srpm, simple_spec, subpackage_spec
from tests.support.worker_process import running_worker

pytestmark = pytest.mark.integration

# A second name for the task image: what a policy rule picks for "another image".
ALT_IMAGE = "localhost/adjutant-test/policy-alt:1"


class MailSink:
    """Keeps every message an SMTP client delivers (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[tuple[str, MailSink]]:
    """A local mail server for the worker's smtphost."""
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"127.0.0.1:{port}", sink
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    podman_url: str,
    task_image: str,
    worker_label: str,
    smtp_sink: tuple[str, MailSink],
) -> Iterator[DevhubSite]:
    extra = {
        # git repositories under any .../allowed/ dir; no common repo, no source command
        "allowed_scms": "*:*/allowed/*:no:",
        "smtphost": smtp_sink[0],
        "from_addr": "Koji Build System <buildsys@example.com>",
    }
    with devhub_worker_site(
        tmp_path_factory.mktemp("worker-devhub"), podman_url, task_image, worker_label, extra
    ) as site:
        yield site


def test_builds_with_a_buildrequires_only_the_tag_repo_has(
    site: WorkerSite, tmp_path: Path
) -> None:
    result = worker_builds.build_succeeds(
        site,
        "adjutant-needs-dep",
        build_requires="adjutant-dep",
        build_script='test "$(cat /usr/share/adjutant-dep/marker)" = adjutant-dep',
    )
    upload = koji.pathinfo.taskrelpath(result["task_id"])
    rpm = f"adjutant-needs-dep-1-1{devhub_site.DIST}.x86_64.rpm"
    assert result["rpms"] == [f"{upload}/{rpm}"]  # %dist from the build group's package
    assert result["srpms"] == [f"{upload}/adjutant-needs-dep-1-1{devhub_site.DIST}.src.rpm"]
    listing = {
        (r["name"], r["is_update"]) for r in site.admin.getBuildrootListing(result["brootid"])
    }
    # koji's own rpms only: the build group at init, the BuildRequires after it
    assert listing == {("adjutant-test-macros", False), ("adjutant-dep", True)}
    assert site.admin.getBuildroot(result["brootid"])["container_type"] == "chroot"
    local = tmp_path / rpm
    local.write_bytes(site.admin.downloadTaskOutput(result["task_id"], rpm))
    query = ["rpm", "-qp", "--qf", "%{RELEASE} %{SOURCERPM}", str(local)]
    release = subprocess.run(query, capture_output=True, text=True, check=True).stdout
    assert release == f"1{devhub_site.DIST} adjutant-needs-dep-1-1{devhub_site.DIST}.src.rpm"


def test_failing_build_fails_the_task_pointing_at_build_log(site: WorkerSite) -> None:
    worker_builds.failing_build_points_at_build_log(site)


def test_missing_buildrequires_names_the_dependency(site: WorkerSite) -> None:
    worker_builds.missing_buildrequires_is_named(site)


def test_cancel_during_build_removes_the_container_within_stop_grace(site: WorkerSite) -> None:
    gone_after = worker_builds.cancel_stops_the_container_within_stop_grace(site)
    print(f"cancel: container gone {gone_after:.2f}s after the cancel call")
    # kojid's task process is killed and uploads nothing more; ours stops uploading too. An
    # upload already on its way between the hub's cancel and the task's signal may meet the
    # hub's refusal once: that ends the uploads quietly (no warning, no retry, no final pass).
    assert site.worker_log is not None
    refused = [line for line in site.worker_log.read_text().splitlines()
               if "does not own task" in line]  # fmt: skip
    assert len(refused) <= 1 and all(" INFO " in line for line in refused), refused


def test_two_tasks_run_at_once_in_separate_containers(site: WorkerSite) -> None:
    worker_builds.two_tasks_run_at_once(site)


# --- image policy (tag extra adjutant_image_policy) -------------------------------------


@pytest.fixture(scope="module")
def alt_image(task_image: str) -> Iterator[str]:
    subprocess.run(["podman", "tag", task_image, ALT_IMAGE], check=True, capture_output=True)
    yield ALT_IMAGE
    subprocess.run(["podman", "rmi", ALT_IMAGE], check=False, capture_output=True)


def _policy_tag(site: DevhubSite, name: str, policy: object) -> int:
    """A build tag inheriting the site's, with this policy; returns its repo id."""
    hub = site.hub_admin
    assert hub is not None
    with hub.admin_call() as call:
        tags.create_tag(
            call.db, name, "x86_64", {"adjutant_image_policy": policy}, [devhub_site.BUILD_TAG]
        )
    return devhub_site.make_repo(hub, name)


def _set_policy(site: DevhubSite, tag: str, policy: object) -> None:
    assert site.hub_admin is not None
    with site.hub_admin.admin_call() as call:
        tags.edit_tag2(call, tag, extra={"adjutant_image_policy": policy})


def _wait_for_image_log(site: WorkerSite, task_id: int, timeout_s: float = 120) -> None:
    """Until the task's image choice is on the hub (image.log, written after the choice)."""
    deadline = time.monotonic() + timeout_s
    while "image.log" not in site.admin.listTaskOutput(task_id):
        assert time.monotonic() < deadline, f"task {task_id} recorded no image choice"
        time.sleep(0.2)


def _image_of(site: WorkerSite, task_id: int) -> tuple[str, str]:
    """The image a task's buildroot ran and why, from its uploaded image.log."""
    text = site.admin.downloadTaskOutput(task_id, "image.log").decode()
    fields = dict(line.split(": ", 1) for line in text.splitlines()[:6] if ": " in line)
    return fields["image"], fields["chosen by"]


def test_two_tags_with_different_policies_build_at_once_with_different_images(
    site: DevhubSite, task_image: str, alt_image: str
) -> None:
    repo_a = _policy_tag(site, "adj-pol-a", {"rules": [{"default": True, "image": task_image}]})
    repo_b = _policy_tag(
        site,
        "adj-pol-b",
        json.dumps(  # a JSON string works too
            {
                "rules": [
                    {"tag": "adj-pol-b", "arch": "x86_64", "image": alt_image},
                    {"default": True, "image": task_image},
                ]
            }
        ),
    )
    first = site.submit("adjutant-pol-a", "sleep 3", tag="adj-pol-a", repo_id=repo_a)
    second = site.submit("adjutant-pol-b", "sleep 3", tag="adj-pol-b", repo_id=repo_b)
    for task_id in (first, second):
        assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
            site.admin, task_id
        )
    assert _image_of(site, first)[0] == task_image
    image, reason = _image_of(site, second)
    assert image == alt_image and "adj-pol-b" in reason and "arch=x86_64" in reason


def test_an_edited_policy_takes_effect_after_the_cache_ttl(
    site: DevhubSite, task_image: str, alt_image: str
) -> None:
    repo = _policy_tag(site, "adj-pol-ttl", {"rules": [{"default": True, "image": task_image}]})
    # Taken before the first resolution can happen, so "now - resolved_at" never undercounts
    # the cache's age; the edit waits for the recorded choice (image.log), not for OPEN: the
    # worker resolves the image after openTask, so an edit at OPEN could win the race.
    resolved_at = time.monotonic()
    first = site.submit("adjutant-ttl-1", tag="adj-pol-ttl", repo_id=repo)
    _wait_for_image_log(site, first)
    _set_policy(site, "adj-pol-ttl", {"rules": [{"default": True, "image": alt_image}]})
    cached = site.submit("adjutant-ttl-2", tag="adj-pol-ttl", repo_id=repo)
    _wait_for_image_log(site, cached)
    assert time.monotonic() - resolved_at < POLICY_TTL_S, "too slow to observe the cache"
    time.sleep(max(0.0, POLICY_TTL_S + 1 - (time.monotonic() - resolved_at)))
    fresh = site.submit("adjutant-ttl-3", tag="adj-pol-ttl", repo_id=repo)
    for task_id in (first, cached, fresh):
        assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"]
    assert [_image_of(site, t)[0] for t in (first, cached, fresh)] == [
        task_image,
        task_image,
        alt_image,
    ]


def test_a_malformed_policy_falls_back_warns_once_and_builds(
    site: DevhubSite, task_image: str
) -> None:
    repo = _policy_tag(site, "adj-pol-bad", '{"rules": [ not json')
    tasks_ = [site.submit(f"adjutant-bad-{n}", tag="adj-pol-bad", repo_id=repo) for n in (1, 2)]
    for task_id in tasks_:
        assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"]
        image, reason = _image_of(site, task_id)
        assert image == task_image and "fallback" in reason
    assert site.worker_log is not None
    warnings = [
        line
        for line in site.worker_log.read_text().splitlines()
        if "WARNING" in line and "image policy" in line and "adj-pol-bad" in line
    ]
    assert len(warnings) == 1, warnings


def test_a_missing_image_with_pull_policy_never_names_tag_rule_and_image(
    site: DevhubSite,
) -> None:
    missing = "localhost/adjutant-test/not-built:1"
    repo = _policy_tag(
        site, "adj-pol-missing", {"rules": [{"tag": "adj-pol-missing", "image": missing}]}
    )
    task_id = site.submit("adjutant-no-image", tag="adj-pol-missing", repo_id=repo)
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    fault = str(worker_builds.fault_of(site.admin, task_id))
    assert missing in fault and "adj-pol-missing" in fault and "rule" in fault
    assert site.admin.listBuildroots(taskID=task_id) == []  # failed before any buildroot
    site.assert_clean(task_id)


# --- repos: regen-repo -> newRepo/createrepo on the worker -------------------------------


def test_regen_repo_makes_a_repo_buildroots_install_the_new_package_from(
    site: DevhubSite, tmp_path: Path
) -> None:
    assert site.hub_admin is not None
    fresh = build_rpm(simple_spec("adjutant-fresh"), tmp_path / "fresh")
    devhub_site.import_into(site.hub_admin, devhub_site.BASE_TAG, [fresh])
    before = site.admin.getRepo(devhub_site.BUILD_TAG)["id"]
    request = site.admin.repo.request(devhub_site.BUILD_TAG, force=True)["request"]
    deadline = time.monotonic() + 120
    while (repo := site.admin.repo.checkRequest(request["id"])["repo"]) is None:
        assert time.monotonic() < deadline, site.admin.repo.checkRequest(request["id"])
        time.sleep(1)
    assert repo["id"] != before and repo["state"] == koji.REPO_READY
    # the repo is READY at repoDone; the newRepo task closes just after
    new_repo_task = site.wait(repo["task_id"])
    assert new_repo_task["method"] == "newRepo"
    assert new_repo_task["state"] == koji.TASK_STATES["CLOSED"]
    [child] = site.admin.getTaskChildren(repo["task_id"])
    assert (child["method"], child["label"]) == ("createrepo", "x86_64")
    assert "createrepo.log" in site.admin.listTaskOutput(child["id"])
    assert site.admin.getTaskResult(repo["task_id"]) == [repo["id"], repo["create_event"]]
    worker_builds.build_succeeds(
        site,
        "adjutant-needs-fresh",
        build_requires="adjutant-fresh",
        build_script="test -f /usr/share/adjutant-fresh/marker",
        repo_id=repo["id"],
    )


# --- koji build: the whole pipeline (build, rebuildSRPM, buildArch, tagBuild) ---------------


def _koji_build(
    site: DevhubSite,
    tmp_path: Path,
    name: str,
    *extra: str,
    build_script: str = "true",
    spec: str | None = None,
) -> int:
    """`koji build [extra] TARGET SRPM --nowait` with the stock CLI; returns the task id.
    The SRPM is of ``spec``, or by default of a one-file package needing adjutant-dep."""
    assert site.hub_admin is not None
    with site.hub_admin.admin_call() as call:
        package_lists.add_package(call.db, devhub_site.DEST_TAG, name, call.session.user_id)
    spec = spec or simple_spec(name, build_requires="adjutant-dep", build_script=build_script)
    srpm = build_srpm(spec, tmp_path / name)
    config = tmp_path / "koji.conf"
    config.write_text(
        f"[koji]\nserver = {site.admin.baseurl}\nauthtype = ssl\n"
        f"cert = {site.hub_admin.client_cert('kojiadmin')}\n"
        f"serverca = {site.hub_admin.ca.cert}\n"
    )
    done = subprocess.run(
        [
            *KOJI_CLI,
            "-c",
            str(config),
            "-p",
            "koji",
            "build",
            "--nowait",
            *extra,
            devhub_site.TARGET,
            str(srpm),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return int(done.stdout.split("Created task:")[1].split()[0])


def _children(site: WorkerSite, task_id: int) -> dict[str, dict[str, object]]:
    return {c["label"]: c for c in site.admin.getTaskChildren(task_id)}


def test_koji_build_from_an_srpm_completes_imports_and_tags(
    site: DevhubSite, tmp_path: Path
) -> None:
    task_id = _koji_build(site, tmp_path, "adjutant-full")
    info = site.wait(task_id)
    assert info["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(site.admin, task_id)
    children = _children(site, task_id)
    assert {label: c["method"] for label, c in children.items()} == {
        "srpm": "rebuildSRPM",
        "x86_64": "buildArch",
        "tag": "tagBuild",
    }
    assert all(c["state"] == koji.TASK_STATES["CLOSED"] for c in children.values())
    [build] = site.admin.listBuilds(taskID=task_id)
    nvr = f"adjutant-full-1-1{devhub_site.DIST}"
    assert build["nvr"] == nvr and build["state"] == koji.BUILD_STATES["COMPLETE"]
    assert [
        b["nvr"] for b in site.admin.listTagged(devhub_site.DEST_TAG, package="adjutant-full")
    ] == [nvr]
    rpms = {r["arch"]: r for r in site.admin.listRPMs(buildID=build["build_id"])}
    assert set(rpms) == {"src", "x86_64"}
    assert rpms["x86_64"]["buildroot_id"] is not None  # from the buildArch buildroot
    assert site.hub_admin is not None
    build_dir = site.hub_admin.topdir / "packages/adjutant-full/1" / f"1{devhub_site.DIST}"
    assert (build_dir / "x86_64" / f"{nvr}.x86_64.rpm").is_file()
    assert (build_dir / "src" / f"{nvr}.src.rpm").is_file()
    assert (build_dir / "data/logs/x86_64/build.log").is_file()
    assert site.containers() == []


def test_koji_build_imports_every_subpackage_under_its_own_name(
    site: DevhubSite, tmp_path: Path
) -> None:
    name = "adjutant-libfoo"
    task_id = _koji_build(site, tmp_path, name, spec=subpackage_spec(name))
    site.wait(task_id)
    worker_builds.subpackages_are_imported_under_their_own_names(
        site.admin, task_id, f"{name}-2.10-1{devhub_site.DIST}"
    )
    assert site.containers() == []


def test_a_scratch_build_keeps_its_results_out_of_the_build_records(
    site: DevhubSite, tmp_path: Path
) -> None:
    task_id = _koji_build(site, tmp_path, "adjutant-scratchy", "--scratch")
    assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"]
    assert site.admin.listBuilds(taskID=task_id) == []
    assert "tag" not in _children(site, task_id)
    assert site.hub_admin is not None
    scratch = site.hub_admin.topdir / "scratch/kojiadmin" / f"task_{task_id}"
    assert sorted(p.name for p in scratch.glob("*.rpm")) == [
        f"adjutant-scratchy-1-1{devhub_site.DIST}.src.rpm",
        f"adjutant-scratchy-1-1{devhub_site.DIST}.x86_64.rpm",
    ]


def test_a_buildarch_failure_fails_the_parent_and_the_build(
    site: DevhubSite, tmp_path: Path
) -> None:
    task_id = _koji_build(site, tmp_path, "adjutant-breaks", build_script="exit 1")
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    assert _children(site, task_id)["x86_64"]["state"] == koji.TASK_STATES["FAILED"]
    [build] = site.admin.listBuilds(taskID=task_id)
    assert build["state"] == koji.BUILD_STATES["FAILED"]
    assert "build.log" in str(worker_builds.fault_of(site.admin, task_id))
    assert site.admin.listTagged(devhub_site.DEST_TAG, package="adjutant-breaks") == []


# --- koji build from git (buildSRPMFromSCM) -------------------------------------------------


def _koji_cli(site: DevhubSite, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert site.hub_admin is not None
    config = tmp_path / "koji.conf"
    config.write_text(
        f"[koji]\nserver = {site.admin.baseurl}\nauthtype = ssl\n"
        f"cert = {site.hub_admin.client_cert('kojiadmin')}\n"
        f"serverca = {site.hub_admin.ca.cert}\n"
    )
    return subprocess.run(
        [*KOJI_CLI, "-c", str(config), "-p", "koji", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _scm_build(site: DevhubSite, tmp_path: Path, url: str) -> int:
    done = _koji_cli(site, tmp_path, "build", "--nowait", devhub_site.TARGET, url)
    assert done.returncode == 0, done.stdout + done.stderr
    return int(done.stdout.split("Created task:")[1].split()[0])


def test_koji_build_from_git_checks_out_in_the_buildroot_and_completes(
    site: DevhubSite, tmp_path: Path
) -> None:
    assert site.hub_admin is not None
    with site.hub_admin.admin_call() as call:
        package_lists.add_package(
            call.db, devhub_site.DEST_TAG, "adjutant-scm", call.session.user_id
        )
    repo = git_repo(tmp_path / "allowed", "adjutant-scm")
    commit = subprocess.run(
        ["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    url = f"git+file://{repo}#main"
    task_id = _scm_build(site, tmp_path, url)
    assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
        site.admin, task_id
    )
    srpm_task = _children(site, task_id)["srpm"]
    assert srpm_task["method"] == "buildSRPMFromSCM"
    result = site.admin.getTaskResult(srpm_task["id"])
    assert result["source"] == {"url": url, "source": f"git+file://{repo}#{commit}"}
    assert "checkout.log" in site.admin.listTaskOutput(srpm_task["id"])
    [build] = site.admin.listBuilds(taskID=task_id)
    assert build["state"] == koji.BUILD_STATES["COMPLETE"]
    assert build["source"] == f"git+file://{repo}#{commit}"
    assert build["nvr"] == f"adjutant-scm-1-1{devhub_site.DIST}"
    assert site.containers() == []


def test_a_disallowed_scm_is_refused_with_kojids_fault(site: DevhubSite, tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "denied", "adjutant-denied")
    task_id = _scm_build(site, tmp_path, f"git+file://{repo}#main")
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    fault = worker_builds.fault_of(site.admin, _children(site, task_id)["srpm"]["id"])
    assert "is not in the list of allowed SCMs" in str(fault)
    assert site.admin.listBuilds(taskID=task_id) == []


def test_a_password_in_the_scm_url_is_refused(site: DevhubSite, tmp_path: Path) -> None:
    task_id = _scm_build(site, tmp_path, "git+https://joe:secret@git.example.com/x.git#main")
    assert site.wait(task_id)["state"] == koji.TASK_STATES["FAILED"]
    fault = str(worker_builds.fault_of(site.admin, _children(site, task_id)["srpm"]["id"]))
    assert "username:password format not supported: joe:***" in fault
    assert "secret" not in fault  # kojid quotes the password; adjutant does not


@pytest.fixture
def git_http_url(tmp_path: Path, task_image: str) -> Iterator[str]:
    """The package's repository served over plain HTTP (git's dumb protocol) from a
    container on podman's default bridge, where a buildroot's checkout step can reach it."""
    source = git_repo(tmp_path / "src", "adjutant-http")
    publish_bare(source, tmp_path / "srv" / "allowed" / "adjutant-http.git")
    with served_over_http(tmp_path / "srv", task_image) as base_url:
        yield f"git+{base_url}/allowed/adjutant-http.git#main"


def test_koji_build_from_git_over_http(site: DevhubSite, tmp_path: Path, git_http_url: str) -> None:
    assert site.hub_admin is not None
    with site.hub_admin.admin_call() as call:
        package_lists.add_package(
            call.db, devhub_site.DEST_TAG, "adjutant-http", call.session.user_id
        )
    task_id = _scm_build(site, tmp_path, git_http_url)
    assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
        site.admin, task_id
    )
    [build] = site.admin.listBuilds(taskID=task_id)
    assert build["state"] == koji.BUILD_STATES["COMPLETE"]
    assert build["source"].startswith(git_http_url.rsplit("#", 1)[0] + "#")
    assert [
        b["nvr"] for b in site.admin.listTagged(devhub_site.DEST_TAG, package="adjutant-http")
    ] == [build["nvr"]]


def test_a_chain_build_waits_for_the_repo_between_levels(site: DevhubSite, tmp_path: Path) -> None:
    """The second package BuildRequires the first: it can only build once the first is in
    the build tag's repo (a waitrepo subtask, a repo request, newRepo on a worker).

    A chain build holds three task slots while a level builds (chainbuild, build, the SRPM
    task), and koji counts waiting parents against maxjobs: a second host with maxjobs 4
    joins for this test, as a real site has several builders."""
    hub = site.hub_admin
    assert hub is not None and site.kojid_conf is not None
    second_host = "adjutant-chain-host.example.com"
    with hub.admin_call() as call:
        hosts.add_host(call.db, second_host, ["x86_64"], capacity=6.0)
        hosts.add_host_to_channel(call, second_host, "createrepo")
    conf = (
        site.kojid_conf.read_text()
        .replace(str(hub.client_cert(devhub_site.HOST)), str(hub.client_cert(second_host)))
        .replace("maxjobs = 2", "maxjobs = 4")
        .replace(f"worker_name = {site.worker_label}", f"worker_name = {site.worker_label}-chain")
    )
    (tmp_path / "work2").mkdir()
    conf = conf.replace(f"workdir = {site.workdir}", f"workdir = {tmp_path / 'work2'}")
    (tmp_path / "kojid2.conf").write_text(conf)
    with hub.admin_call() as call:
        tags.create_tag(call.db, "adj-chain-dest", "x86_64", {}, [devhub_site.BASE_TAG])
        tags.create_tag(
            call.db, "adj-chain-build", "x86_64", {}, ["adj-chain-dest", devhub_site.BUILD_TAG]
        )
        targets.create_target(call.db, "adj-chain", "adj-chain-build", "adj-chain-dest")
        for name in ("adjutant-chain-a", "adjutant-chain-b"):
            package_lists.add_package(call.db, "adj-chain-dest", name, call.session.user_id)
    devhub_site.make_repo(hub, "adj-chain-build")
    first = git_repo(tmp_path / "allowed", "adjutant-chain-a")
    second = git_repo(
        tmp_path / "allowed",
        "adjutant-chain-b",
        build_requires="adjutant-chain-a",
        build_script="test -f /usr/share/adjutant-chain-a/marker",
    )
    with running_worker(tmp_path / "kojid2.conf", tmp_path / "worker2.log"):
        done = _koji_cli(
            site,
            tmp_path,
            "chain-build",
            "--nowait",
            "adj-chain",
            f"git+file://{first}#main",
            ":",
            f"git+file://{second}#main",
        )
        assert done.returncode == 0, done.stdout + done.stderr
        task_id = int(done.stdout.split("Created task:")[1].split()[0])
        assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"], worker_builds.fault_of(
            site.admin, task_id
        )
    assert site.backend.list({LABEL_WORKER: f"{site.worker_label}-chain"}) == []
    children = {c["label"]: c for c in site.admin.getTaskChildren(task_id)}
    assert {k: c["method"] for k, c in children.items()} == {
        "build 0,0": "build",
        "wait 1": "waitrepo",
        "build 1,0": "build",
    }
    tagged = {b["name"] for b in site.admin.listTagged("adj-chain-dest")}
    assert {"adjutant-chain-a", "adjutant-chain-b"} <= tagged


# --- notifications: the hub makes the tasks, the worker mails through smtphost --------------


def test_build_and_tag_notifications_are_mailed(
    site: DevhubSite, tmp_path: Path, smtp_sink: tuple[str, MailSink]
) -> None:
    sink = smtp_sink[1]
    site.admin.createNotification("kojiadmin", None, None, False)  # every package, every tag
    try:
        task_id = _koji_build(site, tmp_path, "adjutant-notify")
        assert site.wait(task_id)["state"] == koji.TASK_STATES["CLOSED"]
        [build] = site.admin.listBuilds(taskID=task_id)
        deadline = time.monotonic() + 60
        while not any(build["nvr"] in str(m["Subject"]) for m in sink.messages):
            assert time.monotonic() < deadline, [m["Subject"] for m in sink.messages]
            time.sleep(0.5)
        [mail] = [m for m in sink.messages if build["nvr"] in str(m["Subject"])]
        assert mail["To"] == "kojiadmin@devhub.invalid"
        assert mail["X-Koji-Status"] == "complete" and mail["X-Koji-Tag"] == devhub_site.DEST_TAG
        assert f"taskinfo?taskID={task_id}" in mail.get_payload()
        assert site.hub_admin is not None
        with site.hub_admin.admin_call() as call:
            package_lists.add_package(
                call.db, devhub_site.BASE_TAG, "adjutant-notify", call.session.user_id
            )
        tagged = _koji_cli(
            site, tmp_path, "tag-build", "--nowait", devhub_site.BASE_TAG, build["nvr"]
        )
        assert tagged.returncode == 0, tagged.stdout + tagged.stderr
        while not any("tagged into" in str(m["Subject"]) for m in sink.messages):
            assert time.monotonic() < deadline + 60, [m["Subject"] for m in sink.messages]
            time.sleep(0.5)
        [tag_mail] = [m for m in sink.messages if "tagged into" in str(m["Subject"])]
        assert f"into {devhub_site.BASE_TAG}" in str(tag_mail["Subject"])
    finally:
        assert site.hub_admin is not None
        with site.hub_admin.admin_call() as call:
            call.db.run("DELETE FROM build_notifications")
