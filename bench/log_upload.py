"""Benchmark: how fast a task's log reaches the hub (LogUploader against a devhub process).

What it measures: MB/s of uploading one large log (default 200 MB of build-like text) with
each chunk size given, through koji's rawUpload against a devhub on loopback, and checks that
the hub's copy equals the file. Baseline: koji.daemon's 64 KiB chunk size, in the same run.

    .venv/bin/python bench/log_upload.py --mb 200 --chunks 65536 1048576
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import uuid
from pathlib import Path

import koji

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from adjutant.task_logs import LogUploader  # noqa: E402
from tests.support.devhub_process import DevHubProcess  # noqa: E402

LINE = b"gcc -O2 -g -c src/module_%06d.c -o obj/module_%06d.o -Wall -Wextra -fPIC\n"


def write_log(path: Path, megabytes: int) -> None:
    with path.open("wb") as out:
        block = b"".join(LINE % (n, n) for n in range(10_000))
        while out.tell() < megabytes * 1_000_000:
            out.write(block)


def upload(hub: DevHubProcess, log_path: Path, chunk_bytes: int) -> tuple[float, bool]:
    session = koji.ClientSession(hub.server, {"serverca": str(hub.serverca)})
    session.ssl_login(str(hub.admin_cert), None, str(hub.serverca))
    upload_path = f"cli-build/bench-{uuid.uuid4().hex[:8]}"
    uploader = LogUploader(session, upload_path, chunk_bytes=chunk_bytes, retry_delay_s=0.5)
    uploader.watch(log_path, "build.log")
    started = time.perf_counter()
    uploader.sync(final=True)
    elapsed = time.perf_counter() - started
    uploader.close()
    remote = hub.home / "topdir" / "work" / upload_path / "build.log"
    same = _digest(remote) == _digest(log_path) if remote.exists() else False
    session.logout()
    return elapsed, same


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--chunks", type=int, nargs="+", default=[65536, 1 << 20])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="adjutant-bench-") as tmp:
        home = Path(tmp)
        log_path = home / "build.log"
        write_log(log_path, args.mb)
        size_mb = log_path.stat().st_size / 1e6
        hub = DevHubProcess(home / "hub", repo_loop=False).start()
        try:
            for chunk in args.chunks:
                elapsed, same = upload(hub, log_path, chunk)
                print(f"chunk {chunk:>8} B: {size_mb:.0f} MB in {elapsed:.1f} s = "
                      f"{size_mb / elapsed:.1f} MB/s, hub copy identical: {same}")  # fmt: skip
        finally:
            hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
