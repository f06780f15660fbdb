"""The JSON API, health and metrics on a store that real buildArch runs filled."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient

from adjutant.errors import BuildFailed
from adjutant.state import store
from adjutant.web import create_app
from tests.support.fake_hub import TAG_NAME
from tests.web.conftest import FAILED_TASK_ID, IMAGE, TASK_ID, TOKEN, Site

OPENAPI = json.loads(resources.files("adjutant.web").joinpath("openapi.json").read_text())


def check_against_openapi(path: str, status: int, body: Any) -> None:
    """Validate ``body`` against the schema the OpenAPI document gives for path/status."""
    operation = OPENAPI["paths"][path]["get"]
    content = operation["responses"][str(status)]
    if "$ref" in content:
        content = OPENAPI["components"]["responses"][content["$ref"].rsplit("/", 1)[1]]
    schema = content["content"]["application/json"]["schema"]
    resolver_doc = {"components": OPENAPI["components"], **schema}
    jsonschema.validate(body, resolver_doc, cls=jsonschema.Draft202012Validator)


def test_task_detail_shows_steps_containers_image_and_result_of_a_real_build(
    client: FlaskClient,
) -> None:
    reply = client.get(f"/api/v1/tasks/{TASK_ID}")
    assert reply.status_code == 200
    task = reply.get_json()
    check_against_openapi("/api/v1/tasks/{task_id}", 200, task)
    assert task["state"] == "CLOSED" and task["method"] == "buildArch"
    assert task["arch"] == "x86_64" and task["parent"] == 7 and task["tag"] == TAG_NAME
    assert task["buildroot_id"] == task["result"]["brootid"] == 501
    assert task["image"] == IMAGE and task["image_reason"] == "task_image_default"
    assert task["image_digest"]
    names = [step["name"] for step in task["steps"]]
    # Where the time went, in order: image, container, preparation, build, results, cleanup.
    assert names[:2] == ["provide-image", "start-container"]
    assert names[-3:] == ["upload-outputs", "remove-container", "upload-logs"]
    assert {"install-group", "rpmbuild-bb", "copy-out"} <= set(names)
    install = task["steps"][names.index("install-group")]
    assert install["argv"][0] == "dnf" and install["exit_code"] == 0
    assert all(s["ended_at"] >= s["started_at"] for s in task["steps"])
    (container,) = task["containers"]
    assert container["role"] == "buildroot" and container["removed_at"] is not None
    assert container["image_digest"] == task["image_digest"]
    assert {"root.log", "build.log", "state.log"} <= set(task["logs"])


def test_failed_build_records_the_fault_the_hub_gets(site: Site, client: FlaskClient) -> None:
    with pytest.raises(BuildFailed) as failure:
        site.run_build(FAILED_TASK_ID, fail_rpmbuild=True)
    task = client.get(f"/api/v1/tasks/{FAILED_TASK_ID}").get_json()
    assert task["state"] == "FAILED"
    assert task["fault"] == str(failure.value) and "build.log" in task["fault"]
    assert task["result"] is None


def test_task_list_filters_and_pages(site: Site, client: FlaskClient) -> None:
    with pytest.raises(BuildFailed):
        site.run_build(FAILED_TASK_ID, fail_rpmbuild=True)
    everything = client.get("/api/v1/tasks").get_json()
    check_against_openapi("/api/v1/tasks", 200, everything)
    assert [t["id"] for t in everything["tasks"]] == [FAILED_TASK_ID, TASK_ID]
    failed = client.get("/api/v1/tasks?state=failed").get_json()
    assert [t["id"] for t in failed["tasks"]] == [FAILED_TASK_ID] and failed["total"] == 1
    page = client.get("/api/v1/tasks?limit=1&offset=1").get_json()
    assert [t["id"] for t in page["tasks"]] == [TASK_ID] and page["total"] == 2
    assert client.get("/api/v1/tasks?method=newRepo").get_json()["tasks"] == []


@pytest.mark.parametrize("url, status, error", [
    ("/api/v1/tasks/999", 404, "not_found"),
    ("/api/v1/tasks?limit=0", 400, "bad_request"),
    ("/api/v1/tasks?offset=x", 400, "bad_request"),
    (f"/api/v1/tasks/{TASK_ID}/logs/..", 400, "bad_request"),
    (f"/api/v1/tasks/{TASK_ID}/logs/.hidden", 400, "bad_request"),
    (f"/api/v1/tasks/{TASK_ID}/logs/passwd", 404, "not_found"),
    (f"/api/v1/tasks/{TASK_ID}/logs/%2Fetc%2Fpasswd", 404, None),
    ("/api/v1/containers/nope", 404, "not_found"),
    ("/api/v1/nothing", 404, "not_found"),
])  # fmt: skip
def test_errors_are_json_with_the_right_status(client: FlaskClient, url: str, status: int,
                                               error: str | None) -> None:  # fmt: skip
    reply = client.get(url)
    assert reply.status_code == status
    body = reply.get_json()
    check_against_openapi("/api/v1/tasks/{task_id}", 404, body)  # the one Error schema
    assert set(body) == {"error", "message"} and body["message"]
    if error:
        assert body["error"] == error


def test_log_ranges_of_a_finished_task_come_from_the_hubs_copy(
    site: Site, tmp_path: Path, client: FlaskClient
) -> None:
    # koji removed the task's work dir; the worker uploaded build.log to the hub, which
    # serves it under topurl. A tiny HTTP server stands in for the hub's file server.
    import http.server
    import threading
    from functools import partial

    import koji

    top = tmp_path / "topurl"
    for (relpath, name), data in site.hub.uploads.items():
        (top / relpath).mkdir(parents=True, exist_ok=True)
        (top / relpath / name).write_bytes(data)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(top))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        site.recorder.heartbeat(topurl=f"http://127.0.0.1:{server.server_port}")
        whole = site.hub.uploaded("build.log")
        assert whole
        reply = client.get(f"/api/v1/tasks/{TASK_ID}/logs/build.log?offset=2")
        assert reply.status_code == 200 and reply.data == whole[2:]
        assert reply.headers["X-Next-Offset"] == str(len(whole))
        stream = client.get(f"/api/v1/tasks/{TASK_ID}/logs/build.log/stream")
        assert b"event: end" in stream.data and b'"CLOSED"' in stream.data
    finally:
        server.shutdown()
    assert koji.pathinfo.taskrelpath(TASK_ID) in str(site.hub.uploads)


def test_containers_list_and_prefix_lookup(client: FlaskClient) -> None:
    listing = client.get("/api/v1/containers").get_json()
    check_against_openapi("/api/v1/containers", 200, listing)
    (container,) = listing["containers"]
    one = client.get(f"/api/v1/containers/{container['id'][:8]}").get_json()
    check_against_openapi("/api/v1/containers/{container_id}", 200, one)
    assert one == container
    assert client.get("/api/v1/containers?live=1").get_json()["containers"] == []


def test_status_and_readiness_follow_the_worker_heartbeat(site: Site, client: FlaskClient) -> None:
    reply = client.get("/readyz")
    assert reply.status_code == 503
    check_against_openapi("/readyz", 503, reply.get_json())
    assert "has not written its status" in reply.get_json()["reasons"][0]
    site.recorder.heartbeat(started_at=1.0, hub_ok=1, podman_ok=1, podman_version="4.3.1",
                            running=0, maxjobs=10)  # fmt: skip
    reply = client.get("/readyz")
    assert reply.status_code == 200, reply.get_json()
    check_against_openapi("/readyz", 200, reply.get_json())
    site.recorder.heartbeat(hub_ok=0, hub_error="connection refused")
    reply = client.get("/readyz")
    assert reply.status_code == 503
    assert reply.get_json()["reasons"] == ["the hub session is not alive: connection refused"]
    status = client.get("/api/v1/status").get_json()
    check_against_openapi("/api/v1/status", 200, status)
    assert status["worker"] == "web-worker" and status["podman"]["version"] == "4.3.1"
    assert status["tasks"]["by_state"] == {"CLOSED": 1}
    assert client.get("/livez").status_code == 200


def test_metrics_are_prometheus_text_from_the_store(client: FlaskClient) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    reply = client.get("/metrics")
    assert reply.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(reply.data.decode())}
    tasks = families["adjutant_tasks"].samples
    assert [(s.labels, s.value) for s in tasks if s.name == "adjutant_tasks_total"] == [
        ({"method": "buildArch", "outcome": "closed"}, 1.0)
    ]
    steps = families["adjutant_step_duration_seconds"].samples
    assert {s.labels["step"] for s in steps} >= {"install-group", "provide-image", "hw-info"}
    ops = {s.labels["operation"] for s in families["adjutant_container_operation_seconds"].samples}
    assert ops == {"create", "start", "remove"}
    assert all("task" not in s.labels for f in families.values() for s in f.samples)


def test_openapi_document_is_served_and_valid(client: FlaskClient) -> None:
    from jsonschema.validators import Draft202012Validator

    reply = client.get("/api/v1/openapi.json")
    assert reply.get_json() == OPENAPI
    assert reply.headers["Content-Security-Policy"].startswith("default-src 'self'")
    for schema in OPENAPI["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_config_view_is_redacted(site: Site) -> None:
    settings = Site(site.state_db.parent.parent / "other", dashboard_token=TOKEN).settings
    client = create_app(settings).test_client()
    assert client.get("/api/v1/config").status_code == 401
    reply = client.get("/api/v1/config", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200
    check_against_openapi("/api/v1/config", 200, reply.get_json())
    check_against_openapi("/api/v1/config", 401, client.get("/api/v1/config").get_json())
    assert TOKEN not in reply.get_data(as_text=True)
    assert reply.get_json()["adjutant"]["dashboard_token"]["value"] != TOKEN
    assert client.get("/livez").status_code == 200  # health checks need no token
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "adjutant_token" in page.headers["Set-Cookie"]


def test_store_prunes_tasks_past_retention(site: Site) -> None:
    site.run_build()
    conn = store.connect(site.state_db, timeout_s=1)
    assert store.task(conn, TASK_ID) is not None
    with store.transaction(conn):
        assert store.prune(conn, before=9e12) == 1
    assert store.task(conn, TASK_ID) is None and store.steps(conn, TASK_ID) == []
    assert store.counters(conn)  # totals stay


def test_secrets_in_faults_argv_and_worker_logs_are_redacted(
    site: Site, tmp_path: Path, client: FlaskClient
) -> None:
    secret = "hunter2"
    task = site.recorder.for_task(77)
    log_path = tmp_path / "checkout.log"
    log_path.write_text(
        f"cloning https://bob:{secret}@git.example.com/repo.git\npassword={secret}\n"
    )
    task.started("buildSRPMFromSCM", arch="noarch", tag="t", parent=None, work_dir=tmp_path)
    task.log_file("checkout.log", log_path)
    url = f"https://bob:{secret}@git.example.com/r"
    step = task.step_started("git-clone", ("git", "clone", url))
    task.step_ended(step, exit_code=128, error=f"fatal: https://bob:{secret}@git.example.com/r")
    ranged = client.get("/api/v1/tasks/77/logs/checkout.log")
    assert ranged.status_code == 200 and b"bob:" in ranged.data
    assert ranged.headers["X-Next-Offset"] == str(log_path.stat().st_size)
    task.ended("FAILED", fault=f"cannot clone https://bob:{secret}@git.example.com/r")
    streamed = client.get("/api/v1/tasks/77/logs/checkout.log/stream")
    detail = client.get("/api/v1/tasks/77")
    for reply in (ranged, streamed, detail):
        assert secret not in reply.get_data(as_text=True)
    assert "bob" in detail.get_json()["fault"] and detail.get_json()["steps"][0]["error"]


def test_the_dashboard_reads_while_the_worker_holds_the_write_lock(
    site: Site, client: FlaskClient
) -> None:
    writer = store.connect(site.state_db, timeout_s=1)
    writer.execute("BEGIN IMMEDIATE")
    try:
        for url in ("/api/v1/status", "/api/v1/tasks", f"/api/v1/tasks/{TASK_ID}", "/metrics"):
            assert client.get(url).status_code == 200, url
    finally:
        writer.execute("ROLLBACK")
    # and the web never writes: the store's files stay as the worker left them
    before = site.state_db.stat().st_mtime_ns
    client.get("/api/v1/tasks")
    assert site.state_db.stat().st_mtime_ns == before


def test_a_store_the_worker_has_not_made_yet_answers_empty(tmp_path: Path) -> None:
    settings = Site(tmp_path / "fresh").settings
    client = create_app(settings).test_client()
    assert client.get("/api/v1/tasks").get_json()["tasks"] == []
    assert client.get("/readyz").status_code == 503
