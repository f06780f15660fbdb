"""Run tests/live against a devhub standing in for a real hub (`scripts/live-on-devhub`).

No real koji hub is reachable from here, so the live tests would only ever be skipped. This
gives them one: a devhub seeded like the integration site, listening on this machine's
address (buildroot containers on podman's bridge reach it there, not on loopback), its
topdir shared with the worker, an external yum repo and git repositories served from
containers — and every ADJUTANT_LIVE_* variable set to match. It shows the live tests work,
not that a real hub agrees: that still needs a real hub.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from adjutant.devhub import package_lists, tags
from tests.support import devhub_site
from tests.support.devhub_process import DevHubProcess
from tests.support.git_repos import git_repo, publish_bare
from tests.support.http_container import served_over_http
from tests.support.processes import stop_process
from tests.support.srpms import build_rpm, simple_spec

TASK_IMAGE = "localhost/adjutant/debian-bookworm:latest"
EXTERNAL_PACKAGE = "adjutant-live-extpkg"


def host_address() -> str:
    """This machine's address on its default route (reachable from bridged containers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
        return str(probe.getsockname()[0])


def _external_repo(base: Path) -> Path:
    """A yum repo with EXTERNAL_PACKAGE under base/srv/ext/x86_64."""
    arch_dir = base / "srv" / "ext" / "x86_64"
    arch_dir.mkdir(parents=True)
    rpm = build_rpm(simple_spec(EXTERNAL_PACKAGE), base / "ext-build")
    rpm.rename(arch_dir / rpm.name)
    subprocess.run(["createrepo_c", "-q", str(arch_dir)], check=True)
    return base / "srv"


def _git_urls(srv: Path, base: Path) -> dict[str, str]:
    """Git repos for the SCM tests: one package, and a chain whose second needs the first."""
    names = {
        "single": ("adjutant-live-git", "adjutant-dep"),
        "chain1": ("adjutant-live-chain-a", "adjutant-dep"),
        "chain2": ("adjutant-live-chain-b", "adjutant-live-chain-a"),
    }
    paths = {}
    for key, (name, requires) in names.items():
        source = git_repo(base / "git-src", name, build_requires=requires)
        publish_bare(source, srv / "git" / f"{name}.git")
        paths[key] = f"git/{name}.git"
    return paths


def _fit_for_chain_builds(hub: DevHubProcess) -> None:
    """`koji chain-build` wants the build tag to inherit the destination tag, and the chain's
    packages listed there, as a real site's target would have them."""
    with hub.admin.admin_call() as call:
        build_tag = tags.find_tag(call.db, devhub_site.BUILD_TAG, strict=True)
        assert build_tag is not None
        tags.add_inheritance(call.db, build_tag["id"], devhub_site.DEST_TAG, 20)
        for name in ("adjutant-live-chain-a", "adjutant-live-chain-b"):
            package_lists.add_package(call.db, devhub_site.DEST_TAG, name, call.session.user_id)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack: hub, containers, temp dir


def main(pytest_args: list[str]) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # Started in the background SIGINT may be ignored, and pytest would inherit that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    address = host_address()
    with ExitStack() as stack:
        base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="live-on-devhub-")))
        hub = DevHubProcess(base / "devhub", bind="0.0.0.0", address=address)
        stack.callback(hub.close)
        devhub_site.seed_site(hub.admin, base / "seed")
        _fit_for_chain_builds(hub)
        devhub_site.make_repo(hub.admin)
        srv = _external_repo(base)
        git = _git_urls(srv, base)
        hub.start()
        url = stack.enter_context(served_over_http(srv, TASK_IMAGE))
        env = dict(
            os.environ,
            ADJUTANT_LIVE_SERVER=hub.server, ADJUTANT_LIVE_TOPURL=hub.topurl,
            ADJUTANT_LIVE_SERVERCA=str(hub.serverca),
            ADJUTANT_LIVE_ADMIN_CERT=str(hub.admin_cert),
            ADJUTANT_LIVE_HOST_CERT=str(hub.admin.client_cert(devhub_site.HOST)),
            ADJUTANT_LIVE_HOST_NAME=devhub_site.HOST, ADJUTANT_LIVE_TARGET=devhub_site.TARGET,
            ADJUTANT_LIVE_TAG=devhub_site.BUILD_TAG, ADJUTANT_LIVE_TASK_IMAGE=TASK_IMAGE,
            ADJUTANT_LIVE_TOPDIR=str(hub.admin.topdir),
            ADJUTANT_LIVE_EXTERNAL_REPO_URL=f"{url}/ext/$arch/",
            ADJUTANT_LIVE_EXTERNAL_PACKAGE=EXTERNAL_PACKAGE,
            ADJUTANT_LIVE_GIT_URL=f"git+{url}/{git['single']}#main",
            ADJUTANT_LIVE_CHAIN_URLS=f"git+{url}/{git['chain1']}#main "
                                     f"git+{url}/{git['chain2']}#main",
        )  # fmt: skip
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "tests/live",
            "-p",
            "no:cacheprovider",
            *pytest_args,
        ]
        child = subprocess.Popen(argv, env=env)
        try:
            return child.wait()
        finally:
            # SIGINT, not SIGTERM: pytest then tears its fixtures down (the worker stops).
            stop_process(child, timeout_s=120, sig=signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
