"""Check out an SCM URL inside a buildroot container and build its SRPM there (kojid's
buildSRPMFromSCM steps), as the build user.

Where it runs and why: in the task's own buildroot container, like kojid's checkout runs in
the mock chroot, so untrusted repository content (hooks are never run: a clone with
``-n``, then ``fetch``/``reset``; the spec's shell in ``rpmbuild -bs``; the source command) gets
exactly the build's isolation — no capabilities, the unprivileged build user, only the task's
own scratch space. The network is attached for the checkout and the source command only
(they fetch), never for ``rpmbuild -bs``. A ``git+file://`` repository is bind-mounted
read-only at its own path.

URLs are parsed and checked (allowed_scms, the build_from_scm policy, passwords) by koji's
own ``koji.daemon.SCM``, extended here with ``git+file://``.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import PurePosixPath

import koji
import koji.daemon

from adjutant.buildroot.container_steps import BUILD_HOME, BUILD_LOG, ContainerSteps
from adjutant.buildroot.steps import find_files
from adjutant.errors import BuildFailed

CHECKOUT_LOG = "checkout.log"
SCM_ROOT = f"{BUILD_HOME}/scmroot"
# Spec tags a build system sets, never the packager (kojid's spec sanity check).
_FORBIDDEN_SPEC_TAG = re.compile(
    r"^\s*(%define\s+)?(packager|distribution|vendor)\b", re.IGNORECASE | re.MULTILINE
)


class SCM(koji.daemon.SCM):  # type: ignore[misc]
    """koji's SCM, also accepting local git repositories (``git+file:///path#rev``)."""

    types = {**koji.daemon.SCM.types, "GIT": (*koji.daemon.SCM.types["GIT"], "git+file://")}
    LOCAL = "git+file://"

    def __init__(self, url: str, allow_password: bool = False) -> None:
        # koji's parser knows only its own schemes: parse a local URL as git://, then
        # restore it (host empty, the repository an absolute path on this machine).
        local = url.startswith(self.LOCAL)
        try:
            super().__init__(
                "git://" + url.removeprefix(self.LOCAL) if local else url,
                allow_password=allow_password,
            )
        except koji.GenericError as exc:
            # koji's message quotes the password; the fault and the logs must not.
            password = urllib.parse.urlsplit("x://" + url.split("://", 1)[-1]).password
            text = str(exc).replace(password, "***") if password else str(exc)
            raise koji.GenericError(text) from None
        if local:
            self.url, self.scheme = url, self.LOCAL


@dataclass(frozen=True)
class Checkout:
    """What to check out and how: from a checked SCM."""

    clone_url: str
    revision: str
    module: str  # subdirectory holding the spec ('' for the top)
    name: str  # checkout directory (the repository's basename without .git)
    source_cmd: tuple[str, ...] | None
    local_repository: str | None  # host path to mount for git+file://

    @property
    def source_dir(self) -> str:
        base = f"{SCM_ROOT}/{self.name}"
        return f"{base}/{self.module}" if self.module else base


def checkout_of(scm: SCM) -> Checkout:
    """The checkout a checked git SCM describes.

    Raises:
        koji.BuildError: not a git URL (adjutant checks out git only).
    """
    if scm.scmtype not in ("GIT", "GIT+SSH"):
        raise koji.BuildError(f"adjutant checks out git repositories only, not {scm.scmtype}")
    scheme = scm.scheme.removeprefix("git+")
    user = f"{scm.user}@" if scm.user else ""
    if scm.scheme == "git+ssh://":
        clone = f"ssh://{user}{scm.host}{scm.repository}"
    else:
        clone = f"{scheme}{user}{scm.host}{scm.repository}"
    name = PurePosixPath(scm.repository).name.removesuffix(".git")
    module = scm.module.strip("/")
    if ".." in PurePosixPath(module).parts or not name:
        raise koji.BuildError(f"unusable SCM path in {scm.url}")
    source_cmd = tuple(scm.source_cmd) if scm.source_cmd else None
    local = scm.repository if scm.scheme == SCM.LOCAL else None
    return Checkout(clone, scm.revision, module, name, source_cmd, local)


def source_url(scm: SCM, commit: str) -> str:
    """The URL with its revision replaced by the commit checked out (the build's source)."""
    return f"{scm.url.rsplit('#', 1)[0]}#{commit}"


def check_out(site: ContainerSteps, checkout: Checkout, user: str) -> str:
    """Clone without running hooks, fetch and reset to the revision; returns the commit.

    Raises:
        koji.BuildError: a git step failed; see checkout.log.
    """
    repo_dir = f"{SCM_ROOT}/{checkout.name}"
    steps: list[tuple[str, tuple[str, ...], str]] = [
        ("mkdir", ("mkdir", "-p", SCM_ROOT), BUILD_HOME)
    ]
    if checkout.local_repository:
        # The mounted repository belongs to another uid; git refuses such repositories
        # unless they are named safe (bare or not). Only this one path is.
        for path in (checkout.local_repository, f"{checkout.local_repository}/.git"):
            steps.append(
                (
                    "trust-local",
                    ("git", "config", "--global", "--add", "safe.directory", path),
                    BUILD_HOME,
                )
            )
    steps += [
        ("clone", ("git", "clone", "-n", "--", checkout.clone_url, repo_dir), SCM_ROOT),
        ("fetch", ("git", "fetch", "origin", f"{checkout.revision}:KOJI_FETCH_HEAD"), repo_dir),
        ("reset", ("git", "reset", "--hard", "KOJI_FETCH_HEAD"), repo_dir),
    ]
    for name, argv, cwd in steps:
        record = site.run(f"scm-{name}", argv, CHECKOUT_LOG, user=user, workdir=cwd,
                          fetches=True)  # fmt: skip
        if record.exit_code != 0 and name == "fetch":
            # a commit id, not a ref: the clone has it, reset to it directly
            steps[-1] = ("reset", ("git", "reset", "--hard", checkout.revision), repo_dir)
            continue
        if record.exit_code != 0:
            raise koji.BuildError(
                f'Error running GIT command "{" ".join(argv)}", see {CHECKOUT_LOG} for details'
            )
    commit = site.query(("git", "-C", repo_dir, "rev-parse", "HEAD"), user=user).strip()
    if not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", commit):
        raise koji.BuildError(f"git rev-parse HEAD gave no commit id: {commit!r}")
    return commit


def find_spec(site: ContainerSteps, checkout: Checkout) -> tuple[str, str]:
    """(spec path, sources dir): a top-level spec, else SPECS/ with SOURCES/.

    Raises:
        koji.BuildError: no spec, or several and none named after the checkout.
    """
    for spec_dir, sources in (
        (checkout.source_dir, checkout.source_dir),
        (f"{checkout.source_dir}/SPECS", f"{checkout.source_dir}/SOURCES"),
    ):
        specs = find_files(site.backend, site.container_id, spec_dir, "*.spec")
        if len(specs) == 1:
            return specs[0], sources
        named = [s for s in specs if PurePosixPath(s).stem == checkout.name]
        if len(specs) > 1:
            if len(named) == 1:
                return named[0], sources
            raise koji.BuildError(f"multiple spec files found in {spec_dir}: {specs}")
    raise koji.BuildError(f"No spec file found in {checkout.source_dir}")


def check_spec(text: str, spec: str) -> None:
    """Refuse specs that set what the build system sets (Packager, Distribution, Vendor).

    Raises:
        koji.BuildError: naming the tag.
    """
    found = _FORBIDDEN_SPEC_TAG.search(text)
    if found:
        raise koji.BuildError(
            f"{PurePosixPath(spec).name} may not set {found.group(2)}: the build system sets it"
        )


def build_srpm(
    site: ContainerSteps, checkout: Checkout, spec: str, sources: str, user: str, timeout_s: float
) -> None:
    """The source command (with network), then ``rpmbuild -bs`` (without) into SRPMS/.

    Raises:
        koji.BuildError: the source command failed; BuildFailed: rpmbuild -bs failed.
    """
    if checkout.source_cmd:
        record = site.run("source-cmd", checkout.source_cmd, BUILD_LOG, user=user,
                          workdir=checkout.source_dir, fetches=True)  # fmt: skip
        if record.exit_code != 0:
            raise koji.BuildError(
                f"error running source command {list(checkout.source_cmd)} "
                f"(status {record.exit_code}); see build.log"
            )
    argv = (
        "rpmbuild",
        "-bs",
        "--nodeps",
        "--target",
        "noarch",
        "--define",
        f"_sourcedir {sources}",
        spec,
    )
    record = site.run("rpmbuild-bs", argv, BUILD_LOG, user=user, timeout_s=timeout_s)
    if record.exit_code != 0:
        raise BuildFailed(
            f"error building srpm, rpmbuild -bs exited with status "
            f"{record.exit_code}; see build.log for more information"
        )
