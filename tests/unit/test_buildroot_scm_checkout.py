"""SCM URLs: parsed by koji's SCM (plus git+file://), turned into a git checkout plan."""

from __future__ import annotations

import koji
import pytest

from adjutant.buildroot.scm_checkout import SCM, check_spec, checkout_of, source_url


@pytest.mark.parametrize(("url", "clone"), [
    ("git+https://git.example.com/rpms/foo.git#main", "https://git.example.com/rpms/foo.git"),
    ("git://git.example.com/foo#v1", "git://git.example.com/foo"),
    ("git+http://git.example.com/foo.git#abc", "http://git.example.com/foo.git"),
    ("git+ssh://me@git.example.com/foo.git#x", "ssh://me@git.example.com/foo.git"),
    ("git+file:///srv/git/foo.git#main", "file:///srv/git/foo.git"),
])  # fmt: skip
def test_clone_urls_by_scheme(url: str, clone: str) -> None:
    checkout = checkout_of(SCM(url))
    assert checkout.clone_url == clone and checkout.name == "foo"


def test_module_revision_and_local_repository() -> None:
    checkout = checkout_of(SCM("git+file:///srv/git/foo.git?pkgs/bar#v2"))
    assert (checkout.revision, checkout.module) == ("v2", "pkgs/bar")
    assert checkout.source_dir == "/builddir/scmroot/foo/pkgs/bar"
    assert checkout.local_repository == "/srv/git/foo.git"
    assert checkout_of(SCM("git://h/foo#1")).local_repository is None


def test_the_source_names_the_commit_built() -> None:
    scm = SCM("git+https://h/foo.git#main")
    assert source_url(scm, "a" * 40) == f"git+https://h/foo.git#{'a' * 40}"


def test_passwords_are_refused_without_quoting_them() -> None:
    with pytest.raises(koji.GenericError, match=r"joe:\*\*\*") as err:
        SCM("git+https://joe:s3cret@h/foo.git#main")
    assert "s3cret" not in str(err.value)
    assert SCM("git+https://joe:s3cret@h/foo.git#main", allow_password=True).user == "joe:s3cret"


def test_non_git_and_unknown_schemes_are_refused() -> None:
    with pytest.raises(koji.BuildError, match="git repositories only"):
        checkout_of(SCM("svn://h/repo#1"))
    with pytest.raises(koji.GenericError, match="Invalid scheme"):
        SCM("ftp://h/foo#1")


def test_allowed_scms_by_config_as_kojid() -> None:
    scm = SCM("git+https://git.example.com/rpms/foo.git#main")
    scm.assert_allowed(allowed="git.example.com:/rpms/*:no:make,sources")
    assert scm.use_common is False and scm.source_cmd == ["make", "sources"]
    with pytest.raises(koji.BuildError, match="not in the list of allowed SCMs"):
        SCM("git://evil.example.com/foo#1").assert_allowed(allowed="git.example.com:*")


@pytest.mark.parametrize("line", ["Packager: me", "Vendor: x", "%define distribution y"])
def test_specs_may_not_set_what_the_build_system_sets(line: str) -> None:
    with pytest.raises(koji.BuildError, match="may not set"):
        check_spec(f"Name: foo\n{line}\n", "/x/foo.spec")
    check_spec("Name: foo\nSummary: packager tools\n", "/x/foo.spec")
