"""devhub over the wire: persistence across restarts, certificate login, uploads, faults."""

from __future__ import annotations

import time
from pathlib import Path

import koji
import pytest
import requests
from koji.xmlrpcplus import dumps

from adjutant.devhub import ca
from tests.devhub.conftest import HOST
from tests.support.devhub_process import DevHubProcess
from tests.support.hub_endpoint import HubEndpoint


def _closed_response(value: object) -> str:
    text: str = dumps((value,), methodresponse=1, allow_none=1)
    return text


def test_restart_keeps_tasks_hosts_sessions_and_uploads(
    devhub_proc: DevHubProcess, endpoint: HubEndpoint, tmp_path: Path
) -> None:
    admin = endpoint.session(endpoint.admin_cert)
    payload = tmp_path / "notes.txt"
    payload.write_bytes(b"kept across restarts\n" * 1000)
    admin.uploadWrapper(str(payload), "cli-build/restart-test")
    task_id = admin.makeTask("sleep", [1], assign=HOST)
    host = endpoint.session(endpoint.host_cert)
    host.exclusiveSession()
    host.host.updateHost(0.0, True)
    assert host.host.openTask(task_id) is not None

    devhub_proc.restart()

    assert admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["OPEN"]
    assert admin.getHost(HOST)["ready"] is True
    uploaded = admin.checkUpload("cli-build/restart-test", "notes.txt")
    assert uploaded is not None and uploaded["size"] == payload.stat().st_size
    # The host's session (and its exclusive lock) survived: it finishes the task.
    host.host.closeTask(task_id, _closed_response("done"))
    assert admin.getTaskResult(task_id) == "done"


def test_ssl_login_names_the_user_by_certificate_cn(
    devhub_proc: DevHubProcess, endpoint: HubEndpoint
) -> None:
    host = endpoint.session(endpoint.host_cert)
    assert host.getLoggedInUser()["name"] == HOST
    stranger = ca.issue_client_cert(devhub_proc.admin.ca, "nobody-registered")
    with pytest.raises(koji.AuthError):
        endpoint.session(stranger)


def test_host_calls_need_an_exclusive_session(endpoint: HubEndpoint) -> None:
    host = endpoint.session(endpoint.host_cert)
    with pytest.raises(koji.AuthError, match="exclusive session"):
        host.host.getID()
    host.exclusiveSession()
    assert host.host.getID() == host.getHost(HOST)["id"]
    # A second exclusive session for the same host is refused unless forced.
    other = endpoint.session(endpoint.host_cert)
    with pytest.raises(koji.AuthLockError):
        other.exclusiveSession()


def test_wire_types_and_faults_match_the_hub(endpoint: HubEndpoint) -> None:
    anon = endpoint.session()
    big = 2**40
    assert anon.echo(None, big, {"k": [1, "x"]}) == [None, big, {"k": [1, "x"]}]
    with pytest.raises(koji.GenericError, match="Invalid method: noSuchCall"):
        anon.noSuchCall()
    with pytest.raises(koji.ParameterError):
        anon.getTag()
    with pytest.raises(koji.ActionNotAllowed):
        anon.createTag("not-allowed")
    # multicall: each entry gets its own result or fault
    with anon.multicall() as m:
        ok = m.echo("a")
        bad = m.getTag()
    assert ok.result == ["a"]
    with pytest.raises(koji.ParameterError):
        _ = bad.result


def test_fast_upload_in_chunks_verifies_and_lands_in_work(
    devhub_proc: DevHubProcess, endpoint: HubEndpoint, tmp_path: Path
) -> None:
    admin = endpoint.session(endpoint.admin_cert)
    data = bytes(range(256)) * 5000  # 1.28 MB: two chunks at 1 MiB
    source = tmp_path / "blob.bin"
    source.write_bytes(data)
    admin.fastUpload(str(source), "cli-build/blob", blocksize=1 << 20)
    landed = devhub_proc.admin.topdir / "work/cli-build/blob/blob.bin"
    assert landed.read_bytes() == data
    with pytest.raises(koji.GenericError, match="upload path exists"):
        admin.fastUpload(str(source), "cli-build/blob")  # offset 0, no overwrite
    # another user may not write into a directory the admin created
    host = endpoint.session(endpoint.host_cert)
    with pytest.raises(koji.GenericError, match="not owner"):
        host.fastUpload(str(source), "cli-build/blob", name="other.bin")


def test_topurl_serves_files_and_stays_inside_topdir(
    devhub_proc: DevHubProcess, endpoint: HubEndpoint
) -> None:
    (devhub_proc.admin.topdir / "repos" / "hello.txt").write_text("hi\n")
    assert requests.get(f"{endpoint.topurl}/repos/hello.txt", timeout=10).text == "hi\n"
    outside = requests.get(f"{endpoint.topurl}/../devhub.sqlite", timeout=10)
    assert outside.status_code in (403, 404)
    assert requests.get(f"{endpoint.topurl}/repos/missing", timeout=10).status_code == 404


def test_fault_injection_nth_call_http_errors_delay_and_refusal(
    endpoint: HubEndpoint,
) -> None:
    admin = endpoint.session(endpoint.admin_cert)
    anon = endpoint.session()

    admin.devhub.failCall("getTag", 2, 1000, "injected: second getTag")
    assert anon.getTag("dh-base")["name"] == "dh-base"
    with pytest.raises(koji.GenericError, match="injected: second getTag"):
        anon.getTag("dh-base")
    assert anon.getTag("dh-base")["name"] == "dh-base"

    # HTTP 502 on the next request: a logged-in koji client retries and then succeeds;
    # an anonymous one does not retry (koji's anon_retry is off by default)
    admin.devhub.httpErrors(502, 1)
    assert admin.echo("after 502") == ["after 502"]
    admin.devhub.httpErrors(502, 1)
    with pytest.raises(requests.exceptions.HTTPError, match="502"):
        anon.echo("no retry")
    admin.devhub.httpErrors(500, 1)
    raw = requests.post(endpoint.server, data=b"", timeout=10, verify=str(endpoint.serverca))
    assert raw.status_code == 500

    admin.devhub.delay(0.5)
    started = time.monotonic()
    anon.echo("slow")
    assert time.monotonic() - started >= 0.5
    admin.devhub.delay(0)

    admin.devhub.refuseConnections(1.5)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(endpoint.server, data=b"", timeout=5, verify=str(endpoint.serverca))
    time.sleep(1.6)
    assert endpoint.session().echo("back") == ["back"]

    with pytest.raises(koji.ActionNotAllowed):
        anon.devhub.clearFaults()


def test_regen_repo_request_becomes_a_kojira_newrepo_task(
    endpoint: HubEndpoint, tmp_path: Path
) -> None:
    config = endpoint.write_koji_config(tmp_path)
    done = endpoint.koji_cli(config, "regen-repo", "--nowait", endpoint.build_tag)
    assert done.returncode == 0, done.stderr + done.stdout
    admin = endpoint.session(endpoint.admin_cert)
    [request] = admin.repo.queryQueue()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not admin.repo.checkRequest(request["id"]).get("task"):
        time.sleep(0.5)
    task = admin.repo.checkRequest(request["id"])["task"]
    assert task["method"] == "newRepo"
    assert admin.getUser(task["owner"])["name"] == "kojira"
    assert admin.getChannel(task["channel_id"])["name"] == "createrepo"
    assert admin.getTaskRequest(task["id"])[0]["name"] == endpoint.build_tag


def test_bad_requests_get_http_errors_or_faults_as_from_the_hub(
    devhub_proc: DevHubProcess, endpoint: HubEndpoint
) -> None:
    (devhub_proc.admin.topdir / "repos" / "hello.txt").write_text("hi\n")
    verify = str(endpoint.serverca)
    head = requests.head(f"{endpoint.topurl}/repos/hello.txt", timeout=10)
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, "3", b"")
    assert requests.head(f"{endpoint.topurl}/repos/missing", timeout=10).status_code == 404
    base = endpoint.server.rsplit("/kojihub", 1)[0]
    assert requests.head(f"{base}/elsewhere", verify=verify, timeout=10).status_code == 404
    assert requests.get(f"{base}/elsewhere", verify=verify, timeout=10).status_code == 404
    assert (
        requests.post(f"{base}/elsewhere", data=b"x", verify=verify, timeout=10).status_code == 404
    )
    too_big = requests.post(
        endpoint.server,
        data=b"",
        headers={"Content-Length": str(1 << 30)},
        verify=verify,
        timeout=10,
    )
    assert too_big.status_code == 413
    garbage = requests.post(endpoint.server, data=b"<not xml", verify=verify, timeout=10)
    assert garbage.status_code == 200
    with pytest.raises(koji.xmlrpcplus.Fault, match="could not parse request"):
        koji.xmlrpcplus.xmlrpc_client.loads(garbage.content)
    no_method = dumps((1,), allow_none=1).encode()  # params without a methodName
    answer = requests.post(endpoint.server, data=no_method, verify=verify, timeout=10)
    with pytest.raises(koji.xmlrpcplus.Fault, match="no method name"):
        koji.xmlrpcplus.xmlrpc_client.loads(answer.content)
