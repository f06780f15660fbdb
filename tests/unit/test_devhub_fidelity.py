"""devhub behaves as koji's hub where adjutant's tests once relied on it not doing so.

Each case is a difference found between devhub and kojihub.py (arch-less tags, cancel rules,
getLoggedInUser, uploadFile's check order, buildroot keys, import file names); each pins the
hub's behaviour so devhub cannot drift back. docs/devhub.md "Method by method" lists the rest.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import inspect
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest

from adjutant.devhub import api, clock  # noqa: F401 (api registers every hub method)
from adjutant.devhub.rpc import API
from adjutant.devhub.tasks import make_task
from tests.support.devhub import HubHarness

HOST, OTHER = "b1.example.com", "b2.example.com"
ST = koji.TASK_STATES

# A main package, a same-arch -devel and a noarch -doc: the shape that lost subpackages.
SUBPACKAGE_SPEC = """\
Name: fid
Version: 1
Release: 1
Summary: fidelity test package
License: MIT
BuildArch: noarch

%description
main

%package doc
Summary: docs

%description doc
docs

%prep

%build

%install
mkdir -p %{buildroot}/usr/share/fid %{buildroot}/usr/share/doc/fid
echo main > %{buildroot}/usr/share/fid/main
echo doc > %{buildroot}/usr/share/doc/fid/doc

%files
/usr/share/fid/main

%files doc
/usr/share/doc/fid/doc
"""


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_host(HOST)
    harness.add_host(OTHER)
    harness.add_user("someone")
    try:
        yield harness
    finally:
        harness.close()


def _task(hub: HubHarness, owner: int = 1, **opts: object) -> int:
    with hub.db.transaction() as cur:
        return make_task(cur, "sleep", [1], owner=owner, arch="noarch", **opts)  # type: ignore[arg-type]


def _opened(hub: HubHarness, host: str = HOST, method: str = "build") -> int:
    with hub.db.transaction() as cur:
        task_id = make_task(cur, method, ["x"], owner=1, assign=host)
    hub.call(host, "host.openTask", task_id)
    return task_id


# --- tags without arches --------------------------------------------------------------------


def test_a_tag_created_without_arches_stays_arch_less_and_inherits_none(
    hub: HubHarness,
) -> None:
    hub.admin("createTag", "parent", arches="x86_64")
    hub.admin("createTag", "child", parent="parent")
    assert hub.admin("getTag", "child")["arches"] == ""
    config = hub.admin("getBuildConfig", "child")
    assert config["arches"] == ""
    assert config["config_inheritance"]["arches"] is None


def test_an_arch_less_tag_gets_a_repo_without_arch_dirs(hub: HubHarness) -> None:
    hub.admin("createTag", "parent", arches="x86_64")
    hub.admin("createTag", "child", parent="parent")
    task_id = _opened(hub, method="newRepo")
    repo_id, _event = hub.call(HOST, "host.repoInit", "child", task_id=task_id)
    repodir = Path(koji.PathInfo(str(hub.hub.topdir)).repo(repo_id, "child"))
    assert sorted(p.name for p in repodir.iterdir()) == ["groups", "repo.json"]
    hub.call(HOST, "host.repoDone", repo_id, {})
    assert hub.admin("repoInfo", repo_id)["state"] == koji.REPO_READY


def test_a_repo_reads_arches_from_its_own_tag_not_the_parents(hub: HubHarness) -> None:
    hub.admin("createTag", "parent", arches="x86_64 aarch64")
    hub.admin("createTag", "child", parent="parent", arches="x86_64 noarch")
    task_id = _opened(hub, method="newRepo")
    repo_id, _event = hub.call(HOST, "host.repoInit", "child", task_id=task_id)
    repodir = Path(koji.PathInfo(str(hub.hub.topdir)).repo(repo_id, "child"))
    assert sorted(p.name for p in repodir.iterdir()) == ["groups", "repo.json", "x86_64"]


# --- cancelTask -----------------------------------------------------------------------------


def test_cancel_task_answers_none_even_for_a_finished_task(hub: HubHarness) -> None:
    task_id = _task(hub)
    assert hub.admin("cancelTask", task_id) is None
    assert hub.admin("getTaskInfo", task_id)["state"] == ST["CANCELED"]
    assert hub.admin("cancelTask", task_id) is None  # already canceled: still None


def test_owner_running_host_and_admin_may_cancel_nobody_else(hub: HubHarness) -> None:
    someone = hub.add_user("someone")
    owned = _task(hub, owner=someone)
    assert hub.call("someone", "cancelTask", owned, exclusive=False) is None
    running = _opened(hub, HOST, method="sleep")
    for stranger in ("someone", OTHER):
        with pytest.raises(koji.ActionNotAllowed, match="Cannot cancel task, not owner"):
            hub.call(stranger, "cancelTask", running)
    with pytest.raises(koji.ActionNotAllowed, match="not owner"):  # anonymous
        hub.call(None, "cancelTask", running)
    assert hub.call(HOST, "cancelTask", running) is None  # the host that has it open
    assert hub.admin("getTaskInfo", running)["state"] == ST["CANCELED"]
    with pytest.raises(koji.GenericError, match="No such task"):
        hub.admin("cancelTask", 999999)


def test_cancel_task_full_is_for_admins_and_top_level_tasks(hub: HubHarness) -> None:
    owned = _task(hub, owner=hub.add_user("someone"))
    with pytest.raises(koji.ActionNotAllowed):  # even the owner: admin only on the hub
        hub.call("someone", "cancelTaskFull", owned, exclusive=False)
    parent = _opened(hub)
    child = hub.call(HOST, "host.subtask", "sleep", [1], parent, label="c")
    with pytest.raises(koji.GenericError, match="not top-level"):
        hub.admin("cancelTaskFull", child)
    assert hub.admin("cancelTaskFull", child, strict=False) is None
    assert {hub.admin("getTaskInfo", t)["state"] for t in (parent, child)} == {ST["CANCELED"]}


def test_cancel_task_children_needs_a_login(hub: HubHarness) -> None:
    parent = _task(hub)
    with pytest.raises(koji.ActionNotAllowed, match="logged in"):
        hub.call(None, "cancelTaskChildren", parent)


# --- users ----------------------------------------------------------------------------------


def test_logged_in_user_carries_authtype_and_krb_principal(hub: HubHarness) -> None:
    me = hub.admin("getLoggedInUser")
    assert me["authtype"] == koji.AUTHTYPES["SSL"]
    assert me["krb_principals"] == [] and me["krb_principal"] is None
    assert set(me) == {
        "id",
        "name",
        "status",
        "usertype",
        "krb_principals",
        "authtype",
        "krb_principal",
    }
    assert hub.call(None, "getLoggedInUser") is None


def test_get_user_keys_follow_krb_princs_and_groups(hub: HubHarness) -> None:
    assert "krb_principals" not in hub.admin("getUser", "kojiadmin", krb_princs=False)
    assert hub.admin("getUser", "kojiadmin", groups=True)["groups"] == []
    with pytest.raises(koji.GenericError, match="No user provided"):
        hub.call(None, "getUser")


# --- uploadFile -----------------------------------------------------------------------------


def _chunk(data: bytes) -> tuple[str, str]:
    return base64.b64encode(data).decode(), hashlib.md5(data).hexdigest()  # noqa: S324


def test_upload_file_answers_false_for_a_bad_chunk_before_any_path_check(
    hub: HubHarness,
) -> None:
    running = _opened(hub, HOST, method="sleep")
    theirs = koji.pathinfo.taskrelpath(running)  # only HOST may write here
    data, md5 = _chunk(b"hello")
    # Wrong size or digest: False, although the directory would be refused.
    assert hub.call(OTHER, "uploadFile", theirs, "a.log", 4, md5, 0, data) is False
    assert hub.call(OTHER, "uploadFile", theirs, "a.log", 5, "0" * 32, 0, data) is False
    assert hub.call(OTHER, "uploadFile", "../escape", "a.log", 4, md5, 0, data) is False
    with pytest.raises(koji.ActionNotAllowed):
        hub.call(OTHER, "uploadFile", theirs, "a.log", 5, md5, 0, data)
    with pytest.raises(koji.GenericError, match="Invalid upload directory"):
        hub.call(OTHER, "uploadFile", "../escape", "a.log", 5, md5, 0, data)


def test_upload_file_chunks_then_final_call_checks_the_whole_file(hub: HubHarness) -> None:
    running = _opened(hub, HOST, method="sleep")
    reldir = koji.pathinfo.taskrelpath(running)
    for offset, part in ((0, b"hello "), (6, b"world")):
        data, md5 = _chunk(part)
        assert hub.call(HOST, "uploadFile", reldir, "out.txt", len(part), md5, offset, data)
    whole = hashlib.md5(b"hello world").hexdigest()  # noqa: S324
    assert hub.call(HOST, "uploadFile", reldir, "out.txt", 11, whole, -1, "") is True
    assert hub.call(HOST, "uploadFile", reldir, "out.txt", 11, "0" * 32, -1, "") is False
    assert (hub.hub.topdir / "work" / reldir / "out.txt").read_bytes() == b"hello world"
    data, md5 = _chunk(b"x")
    with pytest.raises(koji.GenericError, match="file already exists"):
        hub.call(HOST, "uploadFile", reldir, "out.txt", 1, md5, 0, data)
    with pytest.raises(koji.GenericError, match="Unsupported verify type"):
        hub.call(HOST, "uploadFile", reldir, "b.txt", 1, ["crc99", "0"], 0, data)


# --- buildroots -----------------------------------------------------------------------------


def test_buildroot_entries_carry_the_repo_create_event_time(hub: HubHarness) -> None:
    hub.admin("createTag", "t", arches="x86_64")
    repo_task = _opened(hub, method="newRepo")
    repo_id, event_id = hub.call(HOST, "host.repoInit", "t", task_id=repo_task)
    task_id = _opened(hub, method="buildArch")
    br = hub.call(HOST, "host.newBuildRoot", repo_id, "x86_64", task_id=task_id)
    [entry] = hub.admin("listBuildroots", taskID=task_id)
    assert entry["repo_create_event_id"] == event_id
    created_ts = hub.admin("repoInfo", repo_id)["create_ts"]  # the create event's time
    assert entry["repo_create_event_time"] == clock.iso(created_ts)
    assert hub.admin("getBuildroot", br)["repo_create_event_time"] is not None


def test_buildroot_listings_have_the_hubs_keys(hub: HubHarness) -> None:
    hub.admin("createTag", "t", arches="x86_64")
    hub.admin("createExternalRepo", "ext", "https://example.com/x/")
    repo_task = _opened(hub, method="newRepo")
    repo_id, _event = hub.call(HOST, "host.repoInit", "t", task_id=repo_task)
    task_id = _opened(hub, method="buildArch")
    br = hub.call(HOST, "host.newBuildRoot", repo_id, "x86_64", task_id=task_id)
    external = {"name": "bash", "version": "5", "release": "1", "epoch": None,
                "arch": "x86_64", "payloadhash": "ab" * 16, "size": 1,
                "buildtime": 1700000000, "location": "ext"}  # fmt: skip
    hub.call(HOST, "host.setBuildRootList", br, [external])
    [entry] = hub.admin("getBuildrootListing", br)
    assert set(entry) == {
        "rpm_id",
        "is_update",
        "name",
        "version",
        "release",
        "epoch",
        "arch",
        "build_id",
        "draft",
        "external_repo_id",
        "external_repo_name",
    }
    [component] = hub.admin("listRPMs", componentBuildrootID=br)
    assert component["id"] == entry["rpm_id"] and component["component_buildroot_id"] == br
    assert component["is_update"] is False


# --- import: a subpackage under the wrong name ----------------------------------------------


@pytest.fixture(scope="module")
def subpackages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """fid's SRPM, fid and fid-doc, built once with the host's rpmbuild."""
    if shutil.which("rpmbuild") is None:
        raise RuntimeError("rpmbuild is missing on this host: run scripts/setup-host")
    base = tmp_path_factory.mktemp("fid")
    spec = base / "fid.spec"
    spec.write_text(SUBPACKAGE_SPEC)
    subprocess.run(
        ["rpmbuild", "-ba", "--nodeps", "--define", f"_topdir {base / 'top'}", str(spec)],
        check=True,
        capture_output=True,
    )
    found = {p.name: p for p in (base / "top").rglob("*.rpm")}
    return {
        "srpm": found["fid-1-1.src.rpm"],
        "main": found["fid-1-1.noarch.rpm"],
        "doc": found["fid-doc-1-1.noarch.rpm"],
    }


def _stage(hub: HubHarness, task_id: int, files: dict[str, Path]) -> list[str]:
    """Copy each source file into the task's work dir under the name given as key."""
    rel = koji.pathinfo.taskrelpath(task_id)
    target = hub.hub.topdir / "work" / rel
    target.mkdir(parents=True, exist_ok=True)
    for name, path in files.items():
        shutil.copy2(path, target / name)
    return [f"{rel}/{name}" for name in files]


def test_a_subpackage_under_the_main_package_name_is_refused_at_import(
    hub: HubHarness, subpackages: dict[str, Path]
) -> None:
    task_id = _opened(hub)
    build_id = hub.call(
        HOST,
        "host.initBuild",
        {"name": "fid", "version": "1", "release": "1", "epoch": None, "task_id": task_id},
    )
    # The doc subpackage came out under the main package's name (the %_rpmfilename bug).
    srpm, misnamed = _stage(
        hub,
        task_id,
        {"fid-1-1.src.rpm": subpackages["srpm"], "fid-1-1.noarch.rpm": subpackages["doc"]},
    )
    with pytest.raises(koji.GenericError) as refused:
        hub.call(HOST, "host.completeBuild", task_id, build_id, srpm, [misnamed])
    assert str(refused.value) == (
        "bad filename: fid-1-1.noarch.rpm (expected fid-doc-1-1.noarch.rpm)"
    )
    assert hub.admin("listRPMs", buildID=build_id) == []


def test_rpms_have_the_hubs_keys(hub: HubHarness, subpackages: dict[str, Path]) -> None:
    task_id = _opened(hub)
    build_id = hub.call(
        HOST,
        "host.initBuild",
        {"name": "fid", "version": "1", "release": "1", "epoch": None, "task_id": task_id},
    )
    srpm, *rpms = _stage(hub, task_id, {p.name: p for p in subpackages.values()})
    hub.call(HOST, "host.completeBuild", task_id, build_id, srpm, rpms)
    keys = {"id", "name", "version", "release", "arch", "draft", "epoch", "payloadhash", "size",
            "buildtime", "build_id", "buildroot_id", "external_repo_id", "external_repo_name",
            "metadata_only", "extra"}  # fmt: skip
    listed = hub.admin("listRPMs", buildID=build_id)
    assert {frozenset(r) for r in listed} == {frozenset(keys)}
    assert set(hub.admin("getRPM", listed[0]["id"])) == keys


def test_subpackages_under_their_own_names_are_all_imported(
    hub: HubHarness, subpackages: dict[str, Path]
) -> None:
    task_id = _opened(hub)
    build_id = hub.call(
        HOST,
        "host.initBuild",
        {"name": "fid", "version": "1", "release": "1", "epoch": None, "task_id": task_id},
    )
    srpm, *rpms = _stage(hub, task_id, {p.name: p for p in subpackages.values()})
    hub.call(HOST, "host.completeBuild", task_id, build_id, srpm, rpms)
    names = sorted(
        "{name}-{version}-{release}.{arch}".format(**r)
        for r in hub.admin("listRPMs", buildID=build_id)
    )
    assert names == ["fid-1-1.noarch", "fid-1-1.src", "fid-doc-1-1.noarch"]
    # Both live in the build's directory, named after the build's package.
    build_dir = hub.hub.topdir / "packages" / "fid" / "1" / "1" / "noarch"
    assert sorted(p.name for p in build_dir.iterdir()) == [
        "fid-1-1.noarch.rpm",
        "fid-doc-1-1.noarch.rpm",
    ]


# --- argument lists, mechanically against kojihub.py ----------------------------------------

SIGNATURES = Path(__file__).resolve().parents[1] / "data" / "kojihub_signatures.json"
# devhub methods the hub does not have: fault injection for tests, and XML-RPC introspection
# (kojixmlrpc registers it outside the export classes the table is derived from).
NOT_HUB_METHODS = {"devhub.clearFaults", "devhub.delay", "devhub.failCall", "devhub.httpErrors",
                   "devhub.refuseConnections", "system.listMethods"}  # fmt: skip
# Differences in the argument list that callers cannot see, each with its reason.
SAME_FOR_CALLERS = {
    # The hub takes (*args, **opts) and hands them to make_task(method, arglist, **opts).
    "makeTask": "explicit (method, arglist, **opts): the hub's make_task arguments",
}


def _devhub_methods() -> list[str]:
    """The methods devhub's own modules register (other tests may register test methods)."""
    return [name for name in API.names() if API.get(name).__module__.startswith("adjutant.")]


def _signature(handler: Any) -> dict[str, Any]:
    """devhub's handler as the table has it: parameters after `call`, defaults as literals."""
    params: list[list[Any]] = []
    varargs = varkw = False
    for param in list(inspect.signature(handler).parameters.values())[1:]:
        if param.kind is param.VAR_POSITIONAL:
            varargs = True
        elif param.kind is param.VAR_KEYWORD:
            varkw = True
        else:
            default = None if param.default is param.empty else repr(param.default)
            params.append([param.name, default])
    return {"params": params, "varargs": varargs, "varkw": varkw}


def _literal(text: str | None) -> str | None:
    return None if text is None else repr(ast.literal_eval(text))


def test_every_devhub_method_exists_on_the_hub_with_the_same_arguments() -> None:
    table = json.loads(SIGNATURES.read_text(encoding="utf-8"))
    table.pop("_source")
    differences = []
    for name in _devhub_methods():
        if name in NOT_HUB_METHODS:
            continue
        if name not in table:
            differences.append(f"{name}: not a hub method (the hub answers 'Invalid method')")
            continue
        if name in SAME_FOR_CALLERS:
            continue
        hub = table[name]
        hub = {**hub, "params": [[arg, _literal(default)] for arg, default in hub["params"]]}
        ours = _signature(API.get(name))
        if ours != hub:
            differences.append(f"{name}: hub {hub}, devhub {ours}")
    assert differences == []
    assert NOT_HUB_METHODS | set(SAME_FOR_CALLERS) <= set(_devhub_methods())


def test_the_signature_table_covers_every_hub_method_devhub_serves() -> None:
    table = json.loads(SIGNATURES.read_text(encoding="utf-8"))
    served = set(_devhub_methods()) - NOT_HUB_METHODS
    assert served <= set(table), "regenerate it: python -m tests.support.kojihub_signatures"


# --- return shapes and faults found by reading kojihub.py -----------------------------------


def test_session_info_has_the_hubs_keys_and_user_listing_rules(hub: HubHarness) -> None:
    mine = hub.admin("getSessionInfo")
    assert set(mine) == {"user_id", "authtype", "callnum", "exclusive", "expired", "master",
                         "start_time", "start_ts", "update_time", "update_ts", "renew_time",
                         "renew_ts"}  # fmt: skip
    assert {"id", "hostip"} <= set(hub.admin("getSessionInfo", details=True))
    assert [s["user_id"] for s in hub.admin("getSessionInfo", user_id="someone")] == []
    with pytest.raises(koji.ActionNotAllowed):
        hub.call("someone", "getSessionInfo", user_id="kojiadmin", exclusive=False)
    assert hub.call(None, "getSessionInfo") is None


def test_host_data_is_in_the_scheduler_namespace_and_task_unwait_is_not_exported(
    hub: HubHarness,
) -> None:
    hub.call(HOST, "host.updateHost", 0.0, True, data={"maxjobs": 3})
    host_id = hub.admin("getHost", HOST)["id"]
    assert hub.admin("scheduler.getHostData", hostID=host_id) == [
        {"host_id": host_id, "data": {"maxjobs": 3}}
    ]
    for gone in ("getHostData", "host.taskUnwait"):
        with pytest.raises(koji.GenericError, match="Invalid method"):
            hub.admin(gone, 1)


def test_grant_permission_refuses_what_the_hub_refuses(hub: HubHarness) -> None:
    hub.admin("grantPermission", "someone", "tag")
    with pytest.raises(koji.GenericError, match="already has permission"):
        hub.admin("grantPermission", "someone", "tag")
    with pytest.raises(koji.GenericError, match="only with create"):
        hub.admin("grantPermission", "someone", "repo", description="x")


def test_list_builds_takes_the_hubs_filters(hub: HubHarness) -> None:
    task_id = _opened(hub)
    build_id = hub.call(
        HOST,
        "host.initBuild",
        {"name": "Fid", "version": "1", "release": "2", "epoch": None, "task_id": task_id},
    )
    [listed] = hub.admin("listBuilds", pattern="fid-1-*")
    assert listed["build_id"] == build_id and "id" not in listed  # the hub lists no `id`
    assert [b["build_id"] for b in hub.admin("listBuilds", prefix="FI", taskID=-1)] == [build_id]
    assert hub.admin("listBuilds", createdBefore=1.0) == []  # 0 would be no filter, as on the hub
    assert (
        hub.admin("listBuilds", createdAfter="2000-01-01 00:00:00", queryOpts={"countOnly": True})
        == 1
    )
    assert hub.admin("listBuilds", draft=True) == []
    with pytest.raises(koji.GenericError, match="unsupported build type"):
        hub.admin("listBuilds", type="nonesuch")
    with pytest.raises(koji.ParameterError):  # an argument the hub does not take
        hub.admin("listBuilds", nonsense=1)


def test_permissions_are_the_hubs(hub: HubHarness) -> None:
    hub.admin("createTag", "t", arches="x86_64")
    hub.add_user("regen", "regen-repo")
    task_id = hub.call("regen", "newRepo", "t", src=True, exclusive=False)
    # The hub's request: the tag as given, legacy keyword options.
    assert hub.admin("getTaskRequest", task_id) == ["t", {"src": True, "__starstar": True}]
    with pytest.raises(koji.ActionNotAllowed, match="regen-repo"):
        hub.call("someone", "newRepo", "t", exclusive=False)
    hub.add_user("tagger", "tag")
    with pytest.raises(koji.GenericError, match="No such build"):  # past the permission check
        hub.call("tagger", "tagBuildBypass", "t", "nonesuch-1-1", exclusive=False)
    with pytest.raises(koji.GenericError, match="No user provided"):
        hub.call(None, "getUserPerms")
    with pytest.raises(koji.GenericError, match="Not logged-in"):
        hub.call(None, "createNotification", "someone", None, None, False)
    with pytest.raises(koji.GenericError, match="cannot create notifications for user"):
        hub.call("someone", "createNotification", "kojiadmin", None, None, False, exclusive=False)


def test_last_host_update_comes_from_the_hosts_sessions(hub: HubHarness) -> None:
    host_id = hub.admin("getHost", HOST)["id"]
    assert hub.admin("getLastHostUpdate", host_id) is None  # never called the hub
    hub.call(HOST, "host.getID")
    assert isinstance(hub.admin("getLastHostUpdate", host_id, ts=True), float)
    assert hub.admin("getLastHostUpdate", 999999) is None  # no fault for an unknown host


def test_group_packages_carry_their_group_id(hub: HubHarness) -> None:
    hub.admin("createTag", "t", arches="x86_64")
    hub.admin("groupListAdd", "t", "build")
    hub.admin("groupPackageListAdd", "t", "build", "bash")
    [group] = hub.admin("getTagGroups", "t")
    assert [p["group_id"] for p in group["packagelist"]] == [group["group_id"]]


def test_tagged_builds_and_rpms_have_the_hubs_keys(
    hub: HubHarness, subpackages: dict[str, Path]
) -> None:
    task_id = _opened(hub)
    build_id = hub.call(
        HOST,
        "host.initBuild",
        {"name": "fid", "version": "1", "release": "1", "epoch": None, "task_id": task_id},
    )
    srpm, *rpms = _stage(hub, task_id, {p.name: p for p in subpackages.values()})
    hub.call(HOST, "host.completeBuild", task_id, build_id, srpm, rpms)
    hub.admin("createTag", "t", arches="x86_64")
    hub.admin("packageListAdd", "t", "fid", owner="kojiadmin")
    hub.admin("tagBuildBypass", "t", build_id)
    build_keys = {
        "tag_id", "tag_name", "id", "build_id", "version", "release", "epoch", "state",
        "completion_time", "promotion_time", "start_time", "task_id", "draft", "owner_id",
        "owner_name", "promoter_id", "promoter_name", "creation_event_id", "creation_time",
        "volume_id", "volume_name", "package_id", "package_name", "name", "nvr", "create_event",
    }  # fmt: skip
    [build] = hub.admin("listTagged", "t")
    assert set(build) == build_keys
    assert set(hub.admin("listTagged", "t", extra=True)[0]) == build_keys | {"extra"}
    rpm_keys = {"name", "version", "release", "arch", "id", "epoch", "draft", "payloadhash",
                "size", "buildtime", "buildroot_id", "build_id", "metadata_only"}  # fmt: skip
    tagged, builds = hub.admin("listTaggedRPMS", "t")
    assert {frozenset(r) for r in tagged} == {frozenset(rpm_keys | {"extra"})}
    assert [set(b) for b in builds] == [build_keys]
    signed, _builds = hub.admin("listTaggedRPMS", "t", rpmsigs=True, extra=False)
    assert {frozenset(r) for r in signed} == {frozenset(rpm_keys | {"sigkey"})}
    # repoInit's rpmlist.jsonl holds the same entries, the subpackage under its build's dir.
    repo_task = _opened(hub, method="newRepo")
    repo_id, _event = hub.call(HOST, "host.repoInit", "t", task_id=repo_task)
    archdir = Path(koji.PathInfo(str(hub.hub.topdir)).repo(repo_id, "t")) / "x86_64"
    entries = [json.loads(line) for line in (archdir / "rpmlist.jsonl").read_text().splitlines()]
    assert {frozenset(e) for e in entries} == {frozenset(rpm_keys | {"extra"})}
    assert (
        "toplink/packages/fid/1/1/noarch/fid-doc-1-1.noarch.rpm"
        in (archdir / "pkglist").read_text().splitlines()
    )


def test_repo_requests_have_the_hubs_keys(hub: HubHarness) -> None:
    hub.admin("createTag", "t", arches="x86_64")
    request = hub.admin("repo.request", "t", force=True)["request"]
    assert set(request) == {
        "id", "create_time", "create_ts", "owner", "owner_name", "priority", "tag_id",
        "tag_name", "at_event", "min_event", "opts", "update_time", "update_ts", "active",
        "task_id", "task_state", "tries", "repo_id",
    }  # fmt: skip
    assert request["owner_name"] == "kojiadmin"
