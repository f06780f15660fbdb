"""Uploads into <topdir>/work and reading task output back, with the real hub's rules.

Upload names may not hold a directory or start with a dot; directories are normalised and
may not climb out of work/. A `tasks/<bucket>/<id>/...` directory is writable only by the
host that has that task OPEN; any other directory is pinned to the first user who wrote to
it (a `.user` file). rawUpload truncates at the offset with overwrite, refuses to restart an
existing file without it, and answers the chunk's checksum so the client can verify it.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import koji
from koji.util import adler32_constructor

from adjutant.devhub.host_tasks import assert_task_host
from adjutant.devhub.hosts import require_host
from adjutant.devhub.rpc import API, Call
from adjutant.devhub.sessions import require_login
from adjutant.devhub.tasks import task_row

_VERIFY = {"adler32": adler32_constructor, "md5": hashlib.md5, "sha256": hashlib.sha256}


def work_dir(call: Call) -> Path:
    return call.config.topdir / "work"


def upload_path(call: Call, reldir: str, name: str, create: bool) -> Path:
    """The file an upload of `name` into `reldir` writes, after the hub's checks."""
    head, base = os.path.split(name)
    if head or not base or base.startswith("."):
        raise koji.GenericError(f"Invalid upload filename: {name}")
    norm = os.path.normpath(reldir or "")
    if not reldir or norm in (".", "") or norm.startswith("..") or os.path.isabs(norm):
        raise koji.GenericError(f"Invalid upload directory: {reldir}")
    parts = norm.split("/")
    directory = work_dir(call) / norm
    if create and parts[0] == "tasks":
        if len(parts) < 3 or not parts[2].isdigit():
            raise koji.GenericError(f"Invalid task upload directory: {reldir}")
        host = require_host(call)
        assert_task_host(call.db, int(parts[2]), host["id"])
    elif create:
        session = require_login(call)
        directory.mkdir(parents=True, exist_ok=True)
        owner_file = directory / ".user"
        if owner_file.exists():
            if int(owner_file.read_text()) != session.user_id:
                raise koji.GenericError(f"Invalid upload directory, not owner: {reldir}")
        else:
            owner_file.write_text(str(session.user_id))
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    return directory / base


def _check_destination(path: Path) -> os.stat_result | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise koji.GenericError(f"destination is a symlink: {path}")
    if not stat.S_ISREG(st.st_mode):
        raise koji.GenericError(f"destination not a file: {path}")
    return st


def raw_upload(call: Call, query: str, body: bytes) -> dict[str, Any]:
    """Handle a fast-upload POST (the query names the file; the body is the chunk)."""
    require_login(call)
    try:
        args = parse_qs(query, strict_parsing=True)
        name = args["filename"][0]
        offset = int(args.get("offset", ["0"])[0])
    except (KeyError, ValueError) as exc:
        raise koji.GenericError(f"bad upload request: {exc}") from None
    reldir = args.get("filepath", [""])[0]
    verify = args.get("fileverify", ["adler32"])[0] or "adler32"
    overwrite = bool(args.get("overwrite", [""])[0])
    if verify not in _VERIFY:
        raise koji.GenericError(f"Unsupported verify type: {verify}")
    path = upload_path(call, reldir, name, create=True)
    st = _check_destination(path)
    if st is not None and offset == 0 and not overwrite:
        raise koji.GenericError(f"upload path exists: {path}")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise koji.LockError(str(exc)) from None
        if offset == -1:
            offset = os.lseek(fd, 0, os.SEEK_END)
        elif overwrite:
            os.ftruncate(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
        else:
            os.lseek(fd, offset, os.SEEK_SET)
        os.write(fd, body)
        if not overwrite:
            size_now = os.fstat(fd).st_size
            if size_now != offset + len(body):
                raise koji.GenericError(
                    f"Incorrect upload length for {path}: got {size_now}, "
                    f"expected {offset + len(body)}"
                )
    finally:
        os.close(fd)
    digest = _VERIFY[verify]()
    digest.update(body)
    return {
        "size": len(body),
        "fileverify": verify,
        "offset": offset,
        "hexdigest": digest.hexdigest(),
    }


@API.export("checkUpload")
def check_upload(
    call: Call,
    path: str,
    name: str,
    verify: str | None = None,
    tail: int | None = None,
    volume: Any = None,
) -> dict[str, Any] | None:
    target = upload_path(call, path, name, create=False)
    st = _check_destination(target)
    if st is None:
        return None
    info: dict[str, Any] = {"size": st.st_size, "mtime": st.st_mtime}
    if verify:
        if verify not in _VERIFY:
            raise koji.GenericError(f"Unsupported verify type: {verify}")
        digest = _VERIFY[verify]()
        with target.open("rb") as stream:
            if tail is not None:
                stream.seek(max(0, st.st_size - int(tail)))
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        info["sumlength"] = st.st_size if tail is None else min(st.st_size, int(tail))
        info["hexdigest"] = digest.hexdigest()
    return info


@API.export("uploadFile")
def upload_file(
    call: Call,
    path: str,
    name: str,
    size: Any,
    md5sum: Any,
    offset: Any,
    data: str,
    volume: Any = None,
    checksum: Any = None,
) -> bool:
    """Legacy base64 upload, in the hub's order: a chunk whose size or digest is wrong answers
    False before the directory is even looked at; offset -1 ends the file (truncated to
    `size`) and answers whether the whole file's digest matches."""
    require_login(call)
    chunk = base64.b64decode(data)
    # Sizes and offsets may arrive as strings (xmlrpc's int limit), as on the hub.
    offset = koji.decode_int(offset)
    size = koji.decode_int(size) if size is not None else None
    wanted = md5sum if checksum is None else checksum
    kind: str | None
    if isinstance(wanted, str):
        kind, expected = "md5", wanted
    elif wanted is None:
        kind, expected = None, None
    else:
        kind, expected = wanted
    if kind is not None and kind not in _VERIFY:
        raise koji.GenericError(f"Unsupported verify type: {kind}")
    if offset != -1:
        if size is not None and size != len(chunk):
            return False
        if kind is not None and _VERIFY[kind](chunk).hexdigest() != expected:
            return False
    target = upload_path(call, path, name, create=True)
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise koji.GenericError(f"destination not a file: {target}")
        # .log files may start over: kojid re-uploads logs while a task runs.
        if offset == 0 and not name.endswith(".log"):
            raise koji.GenericError(f"file already exists: {target}")
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if offset == 0 or (offset == -1 and size == len(chunk)):
            os.ftruncate(fd, 0)
        if offset == -1:
            os.lseek(fd, 0, os.SEEK_END)
        else:
            os.lseek(fd, offset, os.SEEK_SET)
        os.write(fd, chunk)
        if offset == -1:
            if size is not None:
                os.ftruncate(fd, size)
            if kind is not None:
                digest = _VERIFY[kind]()
                os.lseek(fd, 0, os.SEEK_SET)
                for block in iter(lambda: os.read(fd, 1 << 20), b""):
                    digest.update(block)
                if digest.hexdigest() != expected:
                    return False
    finally:
        os.close(fd)
    return True


def _task_dir(call: Call, task_id: int) -> Path:
    task_row(call.db, task_id)
    return work_dir(call) / str(koji.pathinfo.taskrelpath(task_id))


@API.export("listTaskOutput")
def list_task_output(
    call: Call, taskID: int, stat: bool = False, all_volumes: bool = False, strict: bool = False
) -> Any:
    base = _task_dir(call, taskID)
    names: list[str] = []
    if base.is_dir():
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                names.append(str(path.relative_to(base)))
    if not stat and not all_volumes:
        return names
    out: dict[str, Any] = {}
    for name in names:
        st = (base / name).stat()
        info = {
            "st_size": str(st.st_size),
            "st_atime": st.st_atime,
            "st_mtime": st.st_mtime,
            "st_ctime": st.st_ctime,
        }
        if all_volumes:
            out[name] = {"DEFAULT": info} if stat else ["DEFAULT"]
        else:
            out[name] = info
    return out


@API.export("downloadTaskOutput")
def download_task_output(
    call: Call, taskID: int, fileName: str, offset: int = 0, size: int = -1, volume: Any = None
) -> str:
    base = _task_dir(call, taskID)
    rel = os.path.normpath(fileName)
    if os.path.isabs(rel) or rel.startswith(".."):
        raise koji.GenericError(f"Invalid file name: {fileName}")
    target = base / rel
    if not target.is_file():
        raise koji.GenericError(f"no file {fileName} output by task {taskID}")
    with target.open("rb") as stream:
        stream.seek(int(offset))
        data = stream.read() if int(size) < 0 else stream.read(int(size))
    return base64.b64encode(data).decode()
