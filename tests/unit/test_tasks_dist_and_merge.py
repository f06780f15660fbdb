"""External-repo merging (merge_repos) and dist repos (createdistrepo, distRepo)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import types
from pathlib import Path
from typing import Any

import koji
import pytest
from koji.tasks import RefuseTask

from adjutant.errors import TaskParamError
from adjutant.tasks import create_dist_repo, merge_repos
from adjutant.tasks.create_dist_repo import CreateDistRepoTask
from adjutant.tasks.dist_repo import NewDistRepoTask
from adjutant.tasks.dist_repo_content import (
    compat_arches,
    missing_signatures_log,
    package_path,
    pick_key,
    pkglists,
    select_copies,
)
from adjutant.tasks.merge_repos import (
    merge_argv,
    merge_mode,
    mergerepo_version,
    repo_urls,
    run_merge,
)
from tests.support.srpms import build_rpm, simple_spec

# --- merge_repos -------------------------------------------------------------------------


def _fake_run(stdout: str = "", returncode: int = 0, exc: Exception | None = None) -> Any:
    calls: list[list[str]] = []

    def run(argv: list[str], **_kw: Any) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        if exc is not None:
            raise exc
        return subprocess.CompletedProcess(argv, returncode, stdout=stdout, stderr="")

    run.calls = calls  # type: ignore[attr-defined]
    return run


def test_mergerepo_version_parses_the_version_line(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _fake_run("Version: 0.17.3 (Features: DeltaRPM LegacyWeakdeps )\n")
    monkeypatch.setattr(merge_repos.subprocess, "run", run)
    assert mergerepo_version() == (0, 17, 3)
    assert run.calls == [["mergerepo_c", "--version"]]


@pytest.mark.parametrize(
    "run",
    [
        _fake_run("mergerepo_c, some other build\n"),
        _fake_run("Version: 0.17.3 (Features: )\n", returncode=1),
        _fake_run(exc=FileNotFoundError("mergerepo_c")),
        _fake_run(exc=subprocess.TimeoutExpired("mergerepo_c", 30)),
    ],
    ids=["garbage", "nonzero-exit", "not-installed", "timeout"],
)
def test_mergerepo_version_is_none_when_unknown(monkeypatch: pytest.MonkeyPatch, run: Any) -> None:
    monkeypatch.setattr(merge_repos.subprocess, "run", run)
    assert mergerepo_version() is None


def test_merge_mode_is_the_single_mode_with_koji_as_default() -> None:
    assert merge_mode([{"merge_mode": "simple"}, {"merge_mode": "simple"}]) == "simple"
    assert merge_mode([{"url": "u"}, {"merge_mode": None}]) == "koji"
    assert merge_mode([{"merge_mode": "bare"}]) == "bare"


def test_mixed_merge_modes_are_refused() -> None:
    with pytest.raises(koji.GenericError, match="Found multiple merge modes"):
        merge_mode([{"merge_mode": "simple"}, {}])


def test_an_unknown_merge_mode_is_refused() -> None:
    with pytest.raises(koji.GenericError, match="No such merge mode: fancy"):
        merge_mode([{"merge_mode": "fancy"}])


def test_repo_urls_put_premerge_first_expand_arch_and_skip_other_arches() -> None:
    external = [
        {"url": "https://m.example/$arch/os/"},
        {"url": "https://arm.example/$arch/", "arches": "aarch64 ppc64le"},
        {"url": "https://x.example/$arch/", "arches": "i686 x86_64"},
        {"url": "https://plain.example/repo/", "arches": None},
    ]
    assert repo_urls(Path("/w/repo_7_premerge"), external, "x86_64") == [
        "file:///w/repo_7_premerge/",
        "https://m.example/x86_64/os/",
        "https://x.example/x86_64/",
        "https://plain.example/repo/",
    ]


def test_koji_mode_argv_has_blocklist_arch_expand_groups_and_repos() -> None:
    argv = merge_argv(
        "koji",
        ["file:///p/", "https://e/"],
        "x86_64",
        Path("/out"),
        Path("/w/blocklist"),
        Path("/w/comps.xml"),
        (0, 17, 3),
    )
    assert argv == [
        "mergerepo_c",
        "--koji",
        "-b",
        "/w/blocklist",
        "-a",
        "x86_64",
        "-o",
        "/out",
        "--arch-expand",
        "-g",
        "/w/comps.xml",
        "-r",
        "file:///p/",
        "-r",
        "https://e/",
    ]


def test_bare_mode_keeps_all_versions_with_pkgorigins_and_no_blocklist() -> None:
    argv = merge_argv(
        "bare", ["file:///p/"], "aarch64", Path("/out"), Path("/w/blocklist"), None, (0, 15, 11)
    )
    assert argv == [
        "mergerepo_c",
        "--pkgorigins",
        "--all",
        "-a",
        "aarch64",
        "-o",
        "/out",
        "--arch-expand",
        "-r",
        "file:///p/",
    ]


def test_simple_mode_on_an_old_mergerepo_skips_arch_expand() -> None:
    argv = merge_argv(
        "simple", ["file:///p/"], "x86_64", Path("/out"), Path("/b"), None, (0, 15, 10)
    )
    assert argv[:5] == ["mergerepo_c", "--koji", "--simple", "-b", "/b"]
    assert "--arch-expand" not in argv and "-g" not in argv


@pytest.mark.parametrize("version", [(0, 12, 9), None])
def test_simple_mode_needs_mergerepo_0_13(version: tuple[int, int, int] | None) -> None:
    with pytest.raises(koji.GenericError, match=r"0\.13\.0 needed for --simple"):
        merge_argv("simple", [], "x86_64", Path("/o"), Path("/b"), None, version)


def test_run_merge_logs_output_with_tmpdir_in_the_workdir(tmp_path: Path) -> None:
    status = run_merge(["sh", "-c", "echo tmp=$TMPDIR; echo oops >&2; exit 3"], tmp_path)
    assert status == 3
    assert (tmp_path / "mergerepos.log").read_text() == f"tmp={tmp_path}\noops\n"


# --- dist_repo_content -------------------------------------------------------------------


def test_compat_arches_of_a_repo_arch_and_an_unknown_one() -> None:
    assert "noarch" in compat_arches("x86_64") and "i686" not in compat_arches("x86_64")
    assert compat_arches("src") == ("src",)
    with pytest.raises(koji.GenericError, match="unknown repo arch 'vax'"):
        compat_arches("vax")


def test_pick_key_prefers_the_earliest_wanted_key() -> None:
    assert pick_key(["aaaa", "bbbb", "cccc"], ["cccc", "bbbb"]) == "bbbb"
    assert pick_key(["aaaa"], ["", "zzzz"]) is None


def _rpm(
    rpm_id: int, name: str, sigkey: str | None, arch: str = "noarch", build_id: int = 1
) -> dict[str, Any]:
    return {
        "id": rpm_id,
        "name": name,
        "version": "1",
        "release": "1",
        "epoch": None,
        "arch": arch,
        "build_id": build_id,
        "sigkey": sigkey,
    }


def test_select_copies_chooses_one_copy_per_rpm_by_key_order() -> None:
    rpms = [
        _rpm(1, "a", "bbbb"),
        _rpm(1, "a", "AAAA"),
        _rpm(2, "b", None),
        _rpm(3, "c", "cccc"),
        _rpm(4, "d", "BBBB"),
    ]
    sel = select_copies(rpms, ["aaaa", "BBBB"])
    assert sel.chosen[1]["sigkey"] == "aaaa" and sel.chosen[1]["best_key"] == "aaaa"
    assert sel.chosen[4]["sigkey"] == "bbbb"
    assert sel.unsigned == [2, 3]
    assert sel.chosen[2]["sigkey"] is None and "best_key" not in sel.chosen[2]
    assert sel.chosen[3]["sigkey"] is None and sel.available[3] == ["cccc"]
    assert sorted(sel.chosen) == [1, 2, 3, 4]


def test_missing_signatures_log_lists_unsigned_rpms_and_their_keys() -> None:
    sel = select_copies(
        [_rpm(3, "zed", "cccc"), _rpm(2, "abc", None, arch="x86_64"), _rpm(1, "ok", "aaaa")],
        ["aaaa"],
    )
    text = missing_signatures_log(sel, ["aaaa"], skipped=True)
    assert text == (
        "Some rpms were missing requested signatures.\n"
        "The skip_missing_signatures option was specified, so these files were excluded.\n"
        "Requested keys: ['aaaa']\n\n# RPM name: available keys\n"
        "abc-1-1.x86_64: ['']\n"
        "zed-1-1.noarch: ['cccc']\n"
    )
    assert "skip_missing_signatures" not in missing_signatures_log(sel, ["aaaa"], False)


def test_package_path_is_the_signed_copy_or_the_primary() -> None:
    signed = dict(_rpm(1, "foo", "abcd"), sigkey="abcd")
    assert (
        package_path(signed, "/t/packages/foo/1/1")
        == "/t/packages/foo/1/1/data/signed/abcd/noarch/foo-1-1.noarch.rpm"
    )
    assert (
        package_path(dict(signed, sigkey=None), "/t/packages/foo/1/1")
        == "/t/packages/foo/1/1/noarch/foo-1-1.noarch.rpm"
    )


def test_pkglists_put_debuginfo_in_a_debug_subrepo_only_when_split() -> None:
    kojipkgs = {
        "Foo-1-1.x86_64.rpm": {"name": "Foo"},
        "foo-debuginfo-1-1.x86_64.rpm": {"name": "foo-debuginfo"},
    }
    assert pkglists(kojipkgs, split_debuginfo=True) == {
        "": ["Packages/f/Foo-1-1.x86_64.rpm"],
        "debug": ["../Packages/f/foo-debuginfo-1-1.x86_64.rpm"],
    }
    assert pkglists(kojipkgs, split_debuginfo=False) == {
        "": ["Packages/f/Foo-1-1.x86_64.rpm", "Packages/f/foo-debuginfo-1-1.x86_64.rpm"]
    }


# --- createdistrepo ----------------------------------------------------------------------

TASK_ID = 321
UPLOADPATH = koji.pathinfo.taskrelpath(TASK_ID)
OPTS = {"event": 100, "latest": True, "inherit": False}


class _Result:
    def __init__(self, error: str | None) -> None:
        self.error = error

    @property
    def result(self) -> bool:
        if self.error:
            raise koji.GenericError(self.error)
        return True


class _Multicall:
    def __init__(self, hub: _DistHub) -> None:
        self.host = types.SimpleNamespace(writeSignedRPM=self._write)
        self.hub = hub

    def _write(self, rpm_id: int, key: str) -> _Result:
        self.hub.written.append((rpm_id, key))
        return _Result(self.hub.write_errors.get(rpm_id))

    def __enter__(self) -> _Multicall:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _DistHub:
    """repoInfo/getRepo/listTaggedRPMS/uploadWrapper, uploads copied under ``uploads``."""

    def __init__(
        self,
        uploads: Path,
        rpms: list[dict[str, Any]],
        builds: list[dict[str, Any]],
        state: int = koji.REPO_INIT,
        old_repo: dict[str, Any] | None = None,
    ) -> None:
        self.uploads, self.rpms, self.builds = uploads, rpms, builds
        self.state, self.old_repo = state, old_repo
        self.listed: list[dict[str, Any]] = []
        self.written: list[tuple[int, str]] = []
        self.write_errors: dict[int, str] = {}

    def repoInfo(self, repo_id: int, strict: bool = False) -> dict[str, Any]:  # noqa: N802
        return {"id": repo_id, "state": self.state, "tag_name": "dist-tag", "tag_id": 9}

    def getRepo(self, tag: Any, **kw: Any) -> dict[str, Any] | None:  # noqa: N802
        assert kw == {"dist": True, "state": koji.REPO_READY}
        return self.old_repo

    def listTaggedRPMS(self, tag: Any, **kw: Any) -> tuple[list[Any], list[Any]]:  # noqa: N802
        self.listed.append(kw)
        rpms = [dict(r) for r in self.rpms if r["arch"] == kw["arch"]]
        build_ids = {r["build_id"] for r in rpms}
        return rpms, [b for b in self.builds if b["id"] in build_ids]

    def multicall(self, batch: int | None = None) -> _Multicall:
        return _Multicall(self)

    def uploadWrapper(
        self,
        localfile: str,
        path: str,
        name: str | None = None,  # noqa: N802
        **_kw: Any,
    ) -> None:
        dest = self.uploads / path / (name or Path(localfile).name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(localfile, dest)

    def uploaded(self) -> set[str]:
        root = self.uploads / UPLOADPATH
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}

    def text(self, rel: str) -> str:
        return (self.uploads / UPLOADPATH / rel).read_text()


def _build(build_id: int, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": build_id,
        "name": name,
        "version": "1",
        "release": "1",
        "nvr": f"{name}-1-1",
        **extra,
    }


def _place(
    topdir: Path,
    build: dict[str, Any],
    rpm: dict[str, Any],
    source: Path | None = None,
    sigkey: str | None = None,
) -> Path:
    """Put an rpm file where the hub keeps it (primary or signed copy)."""
    rel = koji.pathinfo.signed(rpm, sigkey) if sigkey else koji.pathinfo.rpm(rpm)
    path = Path(koji.PathInfo(str(topdir)).build(build)) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if source is None:
        path.write_bytes(b"not really an rpm")
    else:
        shutil.copyfile(source, path)
    return path


def _task(
    tmp_path: Path, hub: _DistHub, repo_layout: bool = True, **options: Any
) -> CreateDistRepoTask:
    """The task, with repo 5 of dist-tag laid out in the topdir as distRepo leaves it."""
    opts = types.SimpleNamespace(
        topdir=str(tmp_path / "top"),
        workdir=str(tmp_path / "work"),
        createrepo_update=True,
        distrepo_skip_stat=False,
    )
    vars(opts).update(options)
    if repo_layout:
        Path(koji.PathInfo(opts.topdir).distrepo(5, "dist-tag"), "x86_64").mkdir(
            parents=True, exist_ok=True
        )
    return CreateDistRepoTask(TASK_ID, "createdistrepo", [], hub, opts)


def test_createdistrepo_refuses_when_the_topdir_is_not_mounted(tmp_path: Path) -> None:
    hub = _DistHub(tmp_path / "up", [], [])
    with pytest.raises(RefuseTask, match="No access to dist repos dir"):
        _task(tmp_path, hub, repo_layout=False).handler("t", 5, "x86_64", [], OPTS)


def test_createdistrepo_fails_when_the_hub_made_no_repo_dir(tmp_path: Path) -> None:
    hub = _DistHub(tmp_path / "up", [], [])
    (tmp_path / "top" / "repos-dist").mkdir(parents=True)
    with pytest.raises(koji.GenericError, match="Repo directory missing"):
        _task(tmp_path, hub, repo_layout=False).handler("t", 5, "x86_64", [], OPTS)


@pytest.mark.parametrize(
    ("repo_id", "arch", "keys", "opts"),
    [
        ("5", "x86_64", [], OPTS),
        (5, "x86-64", [], OPTS),
        (5, "x86_64", "abcd", OPTS),
        (5, "x86_64", [0xABCD], OPTS),
        (5, "x86_64", [], {"event": 1, "latest": True}),
    ],
    ids=["repo-id", "arch", "keys-str", "keys-int", "opts-missing-inherit"],
)
def test_createdistrepo_rejects_bad_params(
    tmp_path: Path, repo_id: Any, arch: Any, keys: Any, opts: Any
) -> None:
    task = _task(tmp_path, _DistHub(tmp_path / "up", [], []))
    with pytest.raises(TaskParamError):
        task.handler("t", repo_id, arch, keys, opts)


def test_createdistrepo_refuses_delta_rpms_and_dict_dir_without_zck(tmp_path: Path) -> None:
    task = _task(tmp_path, _DistHub(tmp_path / "up", [], []))
    with pytest.raises(koji.GenericError, match="delta"):
        task.handler("t", 5, "x86_64", [], dict(OPTS, delta=["/old"]))
    with pytest.raises(koji.GenericError, match="without --zck"):
        task.handler("t", 5, "x86_64", [], dict(OPTS, zck_dict_dir="/dicts"))


def test_createdistrepo_needs_the_repo_in_init(tmp_path: Path) -> None:
    hub = _DistHub(tmp_path / "up", [], [], state=koji.REPO_READY)
    with pytest.raises(koji.GenericError, match="not in INIT state"):
        _task(tmp_path, hub).handler("t", 5, "x86_64", [], OPTS)


def test_a_draft_build_is_refused(tmp_path: Path) -> None:
    hub = _DistHub(tmp_path / "up", [_rpm(1, "foo", None)], [_build(1, "foo", draft=True)])
    with pytest.raises(koji.BuildError, match="Draft build: foo-1-1"):
        _task(tmp_path, hub).handler("t", 5, "x86_64", [], OPTS)


def test_missing_rpm_files_are_logged_and_fail_the_task(tmp_path: Path) -> None:
    build = _build(1, "foo")
    rpms = [_rpm(1, "foo", "abcd"), _rpm(2, "foo-extra", "abcd")]
    _place(tmp_path / "top", build, rpms[0], sigkey="abcd")
    hub = _DistHub(tmp_path / "up", rpms, [build])
    with pytest.raises(koji.GenericError, match="Packages missing from the filesystem"):
        _task(tmp_path, hub).handler("t", 5, "x86_64", ["ABCD"], OPTS)
    log = hub.text("missing_files.log")
    assert log.endswith(
        f"{tmp_path}/top/packages/foo/1/1/data/signed/abcd/noarch/foo-extra-1-1.noarch.rpm\n"
    )
    assert "foo-1-1.noarch" not in log
    assert [kw["arch"] for kw in hub.listed] == list(compat_arches("x86_64"))


def test_unsigned_rpms_fail_without_allow_or_skip(tmp_path: Path) -> None:
    build = _build(1, "foo")
    rpms = [_rpm(1, "foo", None)]
    _place(tmp_path / "top", build, rpms[0])
    hub = _DistHub(tmp_path / "up", rpms, [build])
    with pytest.raises(koji.GenericError, match="Unsigned packages found"):
        _task(tmp_path, hub).handler("t", 5, "x86_64", ["abcd"], OPTS)
    assert "foo-1-1.noarch: ['']" in hub.text("missing_signatures.log")
    assert "missing_files.log" not in hub.uploaded()


def test_skipped_unsigned_rpms_leave_an_empty_marked_repo(tmp_path: Path) -> None:
    rpms = [_rpm(1, "foo", None)]
    hub = _DistHub(tmp_path / "up", rpms, [_build(1, "foo")])
    _task(tmp_path, hub).handler(
        "t", 5, "x86_64", ["abcd"], dict(OPTS, skip_missing_signatures=True)
    )
    uploaded = hub.uploaded()
    assert "these files were excluded" in hub.text("missing_signatures.log")
    assert json.loads(hub.text("kojipkgs")) == {}
    assert hub.text("pkglist") == ""
    assert "repodata/repomd.xml" in uploaded and "repodata/EMPTY_REPO" in uploaded
    assert "repodata/EMPTY_REPO" in json.loads(hub.text("repo_manifest"))


def _recording_run(monkeypatch: pytest.MonkeyPatch, status: int = 0) -> list[list[str]]:
    calls: list[list[str]] = []

    def run(argv: list[str], **_kw: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(list(argv))
        Path(argv[-1], "repodata").mkdir(exist_ok=True)
        return subprocess.CompletedProcess(argv, status)

    monkeypatch.setattr(create_dist_repo.subprocess, "run", run)
    return calls


def test_the_previous_dist_repo_seeds_an_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = tmp_path / "top"
    repos = Path(koji.PathInfo(str(top)).distrepo(4, "dist-tag"))
    (repos / "x86_64" / "repodata").mkdir(parents=True)
    (repos / "x86_64" / "repodata" / "repomd.xml").write_text("<old/>")
    (repos / "x86_64" / "repodata" / "pkgorigins.gz").write_text("old origins")
    comps = Path(koji.PathInfo(str(top)).distrepo(5, "dist-tag")) / "groups" / "comps.xml"
    comps.parent.mkdir(parents=True)
    comps.write_text("<comps/>")
    calls = _recording_run(monkeypatch)
    hub = _DistHub(tmp_path / "up", [], [], old_repo={"id": 4})
    _task(tmp_path, hub).handler("t", 5, "x86_64", [], dict(OPTS, createrepo_skip_stat=True))
    repodir = str(Path(tmp_path, "work", UPLOADPATH, "repo"))
    assert calls == [
        [
            "createrepo_c",
            "--error-exit-val",
            "-vd",
            "-i",
            f"{repodir}/pkglist",
            "-g",
            str(comps),
            "--update",
            "--skip-stat",
            repodir,
        ]
    ]
    assert hub.text("repodata/repomd.xml") == "<old/>"
    assert "repodata/pkgorigins.gz" not in hub.uploaded()


def test_a_failing_createrepo_fails_the_task_after_uploading_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _recording_run(monkeypatch, status=2)
    hub = _DistHub(tmp_path / "up", [], [])
    with pytest.raises(koji.GenericError, match="exited with status 2; see createrepo.log"):
        _task(tmp_path, hub, distrepo_skip_stat=True).handler("t", 5, "x86_64", [], OPTS)
    assert "--update" not in calls[0] and "--skip-stat" not in calls[0]
    assert "createrepo.log" in hub.uploaded()
    assert "repo_manifest" not in hub.uploaded()


def test_write_signed_rpms_asks_the_hub_and_logs_each_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _recording_run(monkeypatch)
    build = _build(1, "foo")
    rpms = [_rpm(1, "foo", "abcd"), _rpm(2, "foo-extra", "beef"), _rpm(3, "bar", None)]
    for rpm in rpms:
        _place(tmp_path / "top", build, rpm, sigkey=rpm["sigkey"])
    hub = _DistHub(tmp_path / "up", rpms, [build])
    hub.write_errors = {2: "no sig cached"}
    _task(tmp_path, hub).handler(
        "t",
        5,
        "x86_64",
        ["beef", "abcd"],
        dict(OPTS, write_signed_rpms=True, allow_missing_signatures=True),
    )
    assert sorted(hub.written) == [(1, "abcd"), (2, "beef")]
    assert hub.text("written_signed_rpms.log") == (
        "Signed RPM 1 is written with abcd key.\n"
        "FAILED: Signed RPM 2 is not written with beef key, error: no sig cached\n"
    )
    kojipkgs = json.loads(hub.text("kojipkgs"))
    assert {k: v["sigkey"] for k, v in kojipkgs.items()} == {
        "foo-1-1.noarch.rpm": "abcd",
        "foo-extra-1-1.noarch.rpm": "beef",
        "bar-1-1.noarch.rpm": None,
    }


@pytest.fixture(scope="module")
def real_rpms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("rpms")
    return {
        name: build_rpm(simple_spec(name), out / name)
        for name in ("distfoo", "distfoo-debuginfo", "distbar")
    }


def _entry(rpm_id: int, path: Path, sigkey: str | None) -> dict[str, Any]:
    name, version, release, arch = re.fullmatch(
        r"(.+)-([^-]+)-([^-]+)\.([^.]+)\.rpm", path.name
    ).groups()  # type: ignore[union-attr]
    return {
        "id": rpm_id,
        "name": name,
        "version": version,
        "release": release,
        "epoch": None,
        "arch": arch,
        "build_id": 1,
        "sigkey": sigkey,
    }


def _primary_names(repodata: Path) -> list[str]:
    (primary,) = repodata.glob("*primary.xml.gz")
    return sorted(re.findall(r"<name>([^<]+)</name>", gzip.open(primary).read().decode()))


def test_a_dist_repo_arch_is_made_with_createrepo_and_uploaded_with_a_manifest(
    tmp_path: Path, real_rpms: dict[str, Path]
) -> None:
    top = tmp_path / "top"
    build = _build(1, "distfoo")
    foo = _entry(1, real_rpms["distfoo"], "abcd")
    debug = _entry(2, real_rpms["distfoo-debuginfo"], "abcd")
    bar = _entry(3, real_rpms["distbar"], None)
    _place(top, build, foo, real_rpms["distfoo"], sigkey="abcd")
    _place(top, build, debug, real_rpms["distfoo-debuginfo"], sigkey="abcd")
    _place(top, build, bar, real_rpms["distbar"])
    hub = _DistHub(tmp_path / "up", [foo, debug, bar], [build])
    arch = foo["arch"]
    _task(tmp_path, hub).handler(
        "t", 5, arch, ["ABCD"], dict(OPTS, split_debuginfo=True, allow_missing_signatures=True)
    )
    uploaded = hub.uploaded()
    manifest = json.loads(hub.text("repo_manifest"))
    assert {
        "kojipkgs",
        "pkglist",
        "repodata/repomd.xml",
        "debug/pkglist",
        "debug/repodata/repomd.xml",
    } <= set(manifest)
    logs = {"createrepo.log", "createrepo_debug.log", "missing_signatures.log", "repo_manifest"}
    assert set(manifest) == uploaded - logs and len(manifest) == len(set(manifest))
    assert not any(p.startswith("Packages/") for p in uploaded)
    assert sorted(hub.text("pkglist").splitlines()) == [
        f"Packages/d/distbar-1-1.{arch}.rpm",
        f"Packages/d/distfoo-1-1.{arch}.rpm",
    ]
    assert hub.text("debug/pkglist") == f"../Packages/d/distfoo-debuginfo-1-1.{arch}.rpm\n"
    kojipkgs = json.loads(hub.text("kojipkgs"))
    assert kojipkgs[f"distfoo-1-1.{arch}.rpm"]["_pkgpath"].endswith(
        f"/data/signed/abcd/{arch}/distfoo-1-1.{arch}.rpm"
    )
    assert kojipkgs[f"distbar-1-1.{arch}.rpm"]["sigkey"] is None
    root = tmp_path / "up" / UPLOADPATH
    assert _primary_names(root / "repodata") == ["distbar", "distfoo"]
    assert _primary_names(root / "debug" / "repodata") == ["distfoo-debuginfo"]
    assert "repodata/EMPTY_REPO" not in uploaded


# --- distRepo ----------------------------------------------------------------------------


class _ParentHub:
    def __init__(self, tag_arches: str | None) -> None:
        self.tag_arches = tag_arches
        self.calls: list[tuple[Any, ...]] = []
        self.host = types.SimpleNamespace(
            subtask=self._subtask, distRepoMove=self._move, repoDone=self._done
        )

    def getTag(self, tag: Any, strict: bool = False, event: Any = None) -> dict[str, Any]:  # noqa: N802
        self.calls.append(("getTag", tag, event))
        return {"id": 9, "name": tag, "arches": self.tag_arches}

    def _subtask(self, **kw: Any) -> int:
        self.calls.append(("subtask", kw))
        return 1000 + sum(1 for c in self.calls if c[0] == "subtask")

    def _move(self, repo_id: int, uploadpath: str, arch: str) -> None:
        self.calls.append(("distRepoMove", repo_id, uploadpath, arch))

    def _done(self, repo_id: int, data: dict[str, Any]) -> None:
        self.calls.append(("repoDone", repo_id, data))


def _parent(hub: _ParentHub, waited: list[Any]) -> NewDistRepoTask:
    opts = types.SimpleNamespace(topdir="/top", workdir="/tmp")
    task = NewDistRepoTask(77, "distRepo", [], hub, opts)

    def wait(subtasks: list[int], all: bool = False, failany: bool = False) -> dict[int, Any]:
        hub.calls.append(("wait", subtasks, all, failany))
        waited.append(subtasks)
        return {t: None for t in subtasks}

    task.wait = wait  # type: ignore[method-assign]
    return task


def test_distrepo_refuses_multilib() -> None:
    hub = _ParentHub("x86_64")
    with pytest.raises(koji.GenericError, match="multilib"):
        _parent(hub, []).handler("t", 5, [], {"event": 1, "multilib": True})
    assert not any(c[0] == "subtask" for c in hub.calls)


def test_distrepo_needs_arches_from_opts_or_tag() -> None:
    with pytest.raises(koji.GenericError, match="No arches specified nor for the tag!"):
        _parent(_ParentHub(None), []).handler("t", 5, [], {"event": 1, "arch": []})


def test_distrepo_rejects_a_bad_repo_id() -> None:
    with pytest.raises(TaskParamError):
        _parent(_ParentHub("x86_64"), []).handler("t", "5", [], {"event": 1})


def test_distrepo_runs_one_subtask_per_canonical_arch_then_moves_and_finishes() -> None:
    hub = _ParentHub("i686 x86_64 i386")
    waited: list[Any] = []
    opts: dict[str, Any] = {"event": 12, "arch": []}
    result = _parent(hub, waited).handler("t", 5, ["abcd"], opts)
    assert result == "Dist repository #5 successfully generated"
    assert opts["arch"] == ["i686", "x86_64", "i386"]
    subtasks = [c[1] for c in hub.calls if c[0] == "subtask"]
    assert [(s["label"], s["arglist"][2]) for s in subtasks] == [
        ("i386", "i386"),
        ("x86_64", "x86_64"),
    ]
    assert all(
        s["method"] == "createdistrepo"
        and s["parent"] == 77
        and s["arch"] == "noarch"
        and s["arglist"][:2] == ["t", 5]
        and s["arglist"][3:] == [["abcd"], opts]
        for s in subtasks
    )
    assert hub.calls[0] == ("getTag", "t", 12)
    assert hub.calls[3:] == [
        ("wait", [1001, 1002], True, True),
        ("distRepoMove", 5, koji.pathinfo.taskrelpath(1001), "i386"),
        ("distRepoMove", 5, koji.pathinfo.taskrelpath(1002), "x86_64"),
        ("repoDone", 5, {}),
    ]
    assert waited == [[1001, 1002]]


def test_distrepo_arches_in_opts_override_the_tags() -> None:
    hub = _ParentHub("x86_64 ppc64le")
    _parent(hub, []).handler("t", 5, [], {"event": None, "arch": ["aarch64"]})
    assert [c[1]["label"] for c in hub.calls if c[0] == "subtask"] == ["aarch64"]
