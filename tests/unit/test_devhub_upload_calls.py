"""devhub's user uploads and task output calls as koji's hub answers them: uploadFile's
chunk checks and final verification, checkUpload digests, upload dir ownership, and
listTaskOutput / downloadTaskOutput."""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterator
from pathlib import Path

import koji
import pytest

from adjutant.devhub.tasks import make_task
from tests.support.devhub import HubHarness

DATA = b"0123456789" * 10


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(tmp_path / "hub")
    harness.add_user("alice")
    harness.add_user("bob")
    try:
        yield harness
    finally:
        harness.close()


def _upload(hub: HubHarness, user: str, name: str, data: bytes, offset: int, **kw: object) -> bool:
    size = kw.pop("size", len(data))
    md5 = kw.pop("md5", hashlib.md5(data).hexdigest())
    encoded = base64.b64encode(data).decode()
    result: bool = hub.call(
        user, "uploadFile", "cli-up/1", name, size, md5, offset, encoded, exclusive=False, **kw
    )
    return result


def test_chunks_then_a_final_verified_call_make_the_file(hub: HubHarness) -> None:
    assert _upload(hub, "alice", "f.src.rpm", DATA[:60], 0)
    assert _upload(hub, "alice", "f.src.rpm", DATA[60:], 60)
    whole = hashlib.md5(DATA).hexdigest()
    assert _upload(hub, "alice", "f.src.rpm", b"", -1, size=len(DATA), md5=whole)
    assert (hub.hub.config.topdir / "work" / "cli-up/1/f.src.rpm").read_bytes() == DATA
    info = hub.admin("checkUpload", "cli-up/1", "f.src.rpm", verify="md5")
    assert info["size"] == len(DATA) and info["hexdigest"] == whole
    assert (
        hub.admin("checkUpload", "cli-up/1", "f.src.rpm", verify="sha256")["hexdigest"]
        == hashlib.sha256(DATA).hexdigest()
    )
    tail = hub.admin("checkUpload", "cli-up/1", "f.src.rpm", verify="adler32", tail=10)
    assert tail["sumlength"] == 10
    assert tail["hexdigest"] == f"{zlib.adler32(DATA[-10:]) & 0xFFFFFFFF:08x}"
    assert hub.admin("checkUpload", "cli-up/1", "missing.rpm") is None
    with pytest.raises(koji.GenericError, match="Unsupported verify type"):
        hub.admin("checkUpload", "cli-up/1", "f.src.rpm", verify="crc")


def test_bad_chunks_answer_false_and_a_wrong_final_digest_too(hub: HubHarness) -> None:
    assert _upload(hub, "alice", "g.rpm", DATA, 0, size=5) is False
    assert _upload(hub, "alice", "g.rpm", DATA, 0, md5="0" * 32) is False
    assert _upload(hub, "alice", "g.rpm", DATA, 0, md5=None, checksum=["sha256",
                   hashlib.sha256(DATA).hexdigest()])  # fmt: skip
    assert _upload(hub, "alice", "g.rpm", b"", -1, size=len(DATA), md5="0" * 32) is False
    with pytest.raises(koji.GenericError, match="Unsupported verify type"):
        _upload(hub, "alice", "g.rpm", DATA, 0, md5=None, checksum=["crc", "x"])
    with pytest.raises(koji.GenericError, match="file already exists"):
        _upload(hub, "alice", "g.rpm", DATA, 0)
    assert _upload(hub, "alice", "build.log", DATA, 0)
    assert _upload(hub, "alice", "build.log", b"new", 0)  # logs may start over
    assert (hub.hub.config.topdir / "work" / "cli-up/1/build.log").read_bytes() == b"new"


def test_upload_dirs_belong_to_their_first_user_and_names_are_checked(hub: HubHarness) -> None:
    assert _upload(hub, "alice", "a.rpm", DATA, 0)
    with pytest.raises(koji.GenericError, match="not owner"):
        _upload(hub, "bob", "b.rpm", DATA, 0)
    for name in ("../x.rpm", ".hidden", "sub/x.rpm"):
        with pytest.raises(koji.GenericError, match="Invalid upload filename"):
            _upload(hub, "alice", name, DATA, 0)
    for reldir in ("../etc", "/abs", ""):
        with pytest.raises(koji.GenericError, match="Invalid upload directory"):
            hub.call("alice", "uploadFile", reldir, "x.rpm", 1, None, 0, "eA==", exclusive=False)
    with pytest.raises(koji.GenericError, match="Invalid task upload directory"):
        hub.call("alice", "uploadFile", "tasks/1/x", "x.rpm", 1, None, 0, "eA==", exclusive=False)
    with pytest.raises(koji.ActionNotAllowed):
        hub.call(None, "uploadFile", "cli-up/2", "x.rpm", 1, None, 0, "eA==")


def test_task_output_is_listed_and_downloaded_by_range(hub: HubHarness) -> None:
    with hub.db.transaction() as cur:
        task_id = make_task(cur, "buildArch", [1], owner=1)
    base = hub.hub.config.topdir / "work" / koji.pathinfo.taskrelpath(task_id)
    (base / "sub").mkdir(parents=True)
    (base / "build.log").write_bytes(DATA)
    (base / "sub" / "x.rpm").write_bytes(b"rpm")
    (base / ".hidden").write_bytes(b"no")
    assert hub.admin("listTaskOutput", task_id) == ["build.log", "sub/x.rpm"]
    stats = hub.admin("listTaskOutput", task_id, stat=True)
    assert stats["build.log"]["st_size"] == str(len(DATA))
    assert hub.admin("listTaskOutput", task_id, all_volumes=True) == {
        "build.log": ["DEFAULT"],
        "sub/x.rpm": ["DEFAULT"],
    }
    both = hub.admin("listTaskOutput", task_id, stat=True, all_volumes=True)
    assert both["sub/x.rpm"]["DEFAULT"]["st_size"] == "3"
    chunk = hub.admin("downloadTaskOutput", task_id, "build.log", offset=5, size=10)
    assert base64.b64decode(chunk) == DATA[5:15]
    assert base64.b64decode(hub.admin("downloadTaskOutput", task_id, "sub/x.rpm")) == b"rpm"
    with pytest.raises(koji.GenericError, match="Invalid file name"):
        hub.admin("downloadTaskOutput", task_id, "../../etc/passwd")
    with pytest.raises(koji.GenericError, match="no file missing.log"):
        hub.admin("downloadTaskOutput", task_id, "missing.log")
    with pytest.raises(koji.GenericError, match="No such task"):
        hub.admin("listTaskOutput", 99999)
