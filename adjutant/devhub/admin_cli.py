"""`adjutant devhub ...`: run a development hub and seed it (users, hosts, tags, targets,
groups, package lists, RPM imports, tasks, repo requests).

Seeding commands work directly on the hub's home directory, through the same hub functions
and checks as the XML-RPC calls, so they work whether or not `serve` is running. The stock
`koji` CLI works too, with the admin certificate (`adjutant devhub client-config kojiadmin`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import threading
import uuid
from pathlib import Path
from typing import Any

import koji

from adjutant.devhub import (
    builds,
    groups,
    hosts,
    package_lists,
    repos,
    rpm_import,
    tags,
    targets,
    tasks,
)
from adjutant.devhub.app import DevHub, DevHubOptions
from adjutant.devhub.sessions import create_user, get_user, grant_perm
from adjutant.errors import AdjutantError

DEFAULT_HOME = Path("devhub")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        default=DEFAULT_HOME,
        help="devhub home directory (database, CA, topdir); default ./devhub",
    )
    sub = parser.add_subparsers(dest="devhub_command", required=True, metavar="ACTION")

    serve = sub.add_parser("serve", help="run the hub until interrupted")
    serve.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8443, help="HTTPS port (hub)")
    serve.add_argument(
        "--http-port",
        type=int,
        default=8080,
        help="plain-HTTP port for the topurl files (-1: none)",
    )
    serve.add_argument(
        "--hostname",
        action="append",
        default=[],
        help="extra name for the server certificate (repeatable)",
    )
    serve.add_argument(
        "--no-repo-loop",
        action="store_true",
        help="do not turn repo requests into newRepo tasks (run kojira)",
    )
    serve.add_argument(
        "--keytab",
        type=Path,
        help="HTTP/<host> service keytab: take Kerberos logins at /kojihub/ssllogin",
    )

    user = sub.add_parser("add-user", help="create a user and its client certificate")
    user.add_argument("name")
    user.add_argument("--perm", action="append", default=[], help="permission (repeatable)")

    host = sub.add_parser("add-host", help="register a build host and its certificate")
    host.add_argument("name")
    host.add_argument("--arch", action="append", required=True, help="arch (repeatable)")
    host.add_argument("--capacity", type=float, default=2.0)
    host.add_argument("--channel", action="append", default=[], help="extra channel")
    host.add_argument("--krb-principal", help="Kerberos principal the host logs in with")

    tag = sub.add_parser("add-tag", help="create a tag")
    tag.add_argument("name")
    tag.add_argument("--arches", help='space-separated arches, e.g. "x86_64"')
    tag.add_argument("--parent", action="append", default=[], help="inherit from (in order)")
    tag.add_argument(
        "-x",
        "--extra",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="tag extra (VALUE as JSON when it parses)",
    )

    edit = sub.add_parser("edit-tag", help="set or remove tag extra keys")
    edit.add_argument("name")
    edit.add_argument("-x", "--extra", action="append", default=[], metavar="KEY=VALUE")
    edit.add_argument("-r", "--remove-extra", action="append", default=[], metavar="KEY")

    target = sub.add_parser("add-target", help="create a build target")
    target.add_argument("name")
    target.add_argument("build_tag")
    target.add_argument("dest_tag", nargs="?")

    group = sub.add_parser("add-group", help="add a group (and packages) to a tag")
    group.add_argument("tag")
    group.add_argument("group")
    group.add_argument("packages", nargs="*")

    pkg = sub.add_parser("add-pkg", help="add packages to a tag's package list")
    pkg.add_argument("tag")
    pkg.add_argument("packages", nargs="+")
    pkg.add_argument("--block", action="store_true")

    imp = sub.add_parser("import", help="import RPM files and tag their builds")
    imp.add_argument("tag")
    imp.add_argument("rpms", nargs="+", type=Path)

    submit = sub.add_parser("submit", help="create a task owned by the admin user")
    submit.add_argument("method")
    submit.add_argument("args", nargs="*", help="positional arguments, each as JSON")
    submit.add_argument("--kwargs", default="{}", help="keyword arguments as a JSON object")
    submit.add_argument("--arch", default="noarch")
    submit.add_argument("--channel")
    submit.add_argument("--priority", type=int)

    regen = sub.add_parser("regen-repo", help="request a new repo for a tag")
    regen.add_argument("tag")

    cfg = sub.add_parser("client-config", help="print a koji client config for a user/host")
    cfg.add_argument("name")
    cfg.add_argument("--server", help="hub URL (default: https://localhost:8443/kojihub)")
    cfg.add_argument("--topurl", help="files URL (default: http://localhost:8080/kojifiles)")


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _extras(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise AdjutantError(f"tag extra must be KEY=VALUE, got {pair!r}")
        out[key] = _value(value)
    return out


def _serve(hub: DevHub, args: argparse.Namespace) -> int:
    hub.options.bind = args.bind
    hub.options.https_port = args.port
    hub.options.http_port = None if args.http_port < 0 else args.http_port
    hub.options.hostnames += args.hostname
    if args.no_repo_loop:
        hub.options.repo_loop_interval_s = None
    hub.options.keytab = args.keytab
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with hub:
        print(f"devhub: server = {hub.hub_url}", flush=True)
        print(f"devhub: topurl = {hub.topurl}", flush=True)
        print(f"devhub: serverca = {hub.ca.cert}", flush=True)
        done.wait()
    return 0


def import_files(hub: DevHub, tag_name: str, files: list[Path]) -> list[str]:
    """Copy the files into work/, import SRPMs first (a binary rpm without its SRPM gets an
    empty build made from its SOURCERPM), add the packages to the tag's list and tag every
    build; returns one "file -> NVR" line per file. The staging dir is always removed."""
    staging = f"cli-import/{uuid.uuid4().hex}"
    workdir = hub.topdir / "work" / staging
    workdir.mkdir(parents=True)
    nvrs: list[str] = []
    try:
        for path in files:
            if not path.is_file():
                raise AdjutantError(f"no such file: {path}")
            shutil.copy2(path, workdir / path.name)
        ordered = sorted(files, key=lambda p: not p.name.endswith(".src.rpm"))
        with hub.admin_call() as call:
            tag = tags.find_tag(call.db, tag_name, strict=True)
            assert tag is not None
            for path in ordered:
                info = rpm_import.import_rpm_creating_build(call, staging, path.name)
                build = builds.find_build(call.db, info["build_id"], strict=True)
                assert build is not None
                package_lists.add_package(call.db, tag["id"], build["name"], call.session.user_id)
                builds.tag_build(call.db, tag["id"], build["id"])
                nvrs.append(f"{path.name} -> {build['name']}-{build['version']}-{build['release']}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return nvrs


def _client_config(hub: DevHub, args: argparse.Namespace) -> str:
    cert = hub.client_cert(args.name)
    server = args.server or "https://localhost:8443/kojihub"
    topurl = args.topurl or "http://localhost:8080/kojifiles"
    return (
        f"[koji]\nserver = {server}\ntopurl = {topurl}\nauthtype = ssl\n"
        f"cert = {cert}\nserverca = {hub.ca.cert}\n"
    )


def run(args: argparse.Namespace) -> int:
    hub = DevHub(DevHubOptions(home=args.home))
    action = args.devhub_command
    if action == "serve":
        return _serve(hub, args)
    try:
        return _admin(hub, action, args)
    except koji.GenericError as exc:
        raise AdjutantError(f"devhub {action}: {exc}") from None
    finally:
        hub.stop()


def _admin(hub: DevHub, action: str, args: argparse.Namespace) -> int:
    if action == "client-config":
        print(_client_config(hub, args), end="")
        return 0
    if action == "import":
        for line in import_files(hub, args.tag, args.rpms):
            print(line)
        return 0
    with hub.admin_call() as call:
        db = call.db
        if action == "add-user":
            user = get_user(db, args.name)
            user_id = user["id"] if user else create_user(db, args.name)
            for perm in args.perm:
                grant_perm(db, user_id, perm)
        elif action == "add-host":
            host_id = hosts.add_host(
                db, args.name, args.arch, args.capacity, krb_principal=args.krb_principal
            )
            for channel in args.channel:
                db.run(
                    "INSERT OR IGNORE INTO host_channels (host_id, channel_id) VALUES (?, ?)",
                    (host_id, hosts.ensure_channel(db, channel)),
                )
        elif action == "add-tag":
            print(tags.create_tag(db, args.name, args.arches, _extras(args.extra), args.parent))
        elif action == "edit-tag":
            tags.edit_tag2(
                call, args.name, extra=_extras(args.extra), remove_extra=args.remove_extra
            )
        elif action == "add-target":
            targets.create_target(db, args.name, args.build_tag, args.dest_tag or args.name)
        elif action == "add-group":
            groups.add_group(db, args.tag, args.group, args.packages)
        elif action == "add-pkg":
            for name in args.packages:
                package_lists.add_package(db, args.tag, name, call.session.user_id, args.block)
        elif action == "submit":
            kwargs = json.loads(args.kwargs)
            arglist = list(koji.encode_args(*[_value(a) for a in args.args], **kwargs))
            print(
                tasks.make_task(
                    db,
                    args.method,
                    arglist,
                    owner=call.session.user_id,
                    arch=args.arch,
                    channel=args.channel,
                    priority=args.priority,
                )
            )
        elif action == "regen-repo":
            result = repos.request_repo(call, args.tag, force=True)
            print(json.dumps(result["request"], default=str))
    if action in ("add-user", "add-host"):
        print(hub.client_cert(args.name))
    return 0
