"""Hub behaviours devhub once got wrong, as scenarios run against devhub (tests/devhub) and a
real hub (tests/live) alike, so that devhub cannot drift from the hub unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

import koji
import pytest

from tests.support.hub_endpoint import HubEndpoint


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def cancel_task_answers_none_and_refuses_strangers(endpoint: HubEndpoint) -> None:
    """cancelTask returns None (not a bool); a host that neither owns nor runs the task, and an
    anonymous caller, get ActionNotAllowed."""
    admin = endpoint.session(endpoint.admin_cert)
    task_id = admin.makeTask("sleep", [600], arch="noarch")
    try:
        for stranger in (endpoint.session(endpoint.host_cert), endpoint.session()):
            with pytest.raises(koji.ActionNotAllowed):
                stranger.cancelTask(task_id)
    finally:
        assert admin.cancelTask(task_id) is None
    assert admin.getTaskInfo(task_id)["state"] == koji.TASK_STATES["CANCELED"]
    assert admin.cancelTask(task_id) is None  # already canceled: None again


def logged_in_user_has_authtype_and_krb_principal(endpoint: HubEndpoint) -> None:
    me = endpoint.session(endpoint.admin_cert).getLoggedInUser()
    assert me["authtype"] == koji.AUTHTYPES["SSL"]
    assert "krb_principal" in me and "krb_principals" in me
    assert me["krb_principal"] == (me["krb_principals"][0] if me["krb_principals"] else None)
    assert endpoint.session().getLoggedInUser() is None


def upload_file_checks_size_and_digest_before_the_path(endpoint: HubEndpoint) -> None:
    """A chunk with a wrong size or digest answers False even where the caller may not write;
    a good chunk there is refused (a task dir is only for the host running the task)."""
    admin = endpoint.session(endpoint.admin_cert)
    task_id = admin.makeTask("sleep", [600], arch="noarch")
    try:
        reldir = koji.pathinfo.taskrelpath(task_id)
        data = b"fidelity"
        encoded = base64.b64encode(data).decode()
        md5 = hashlib.md5(data).hexdigest()  # noqa: S324 (the hub's legacy checksum)
        assert admin.uploadFile(reldir, "x.log", len(data) + 1, md5, 0, encoded) is False
        assert admin.uploadFile(reldir, "x.log", len(data), "0" * 32, 0, encoded) is False
        with pytest.raises(koji.AuthError):  # not a host
            admin.uploadFile(reldir, "x.log", len(data), md5, 0, encoded)
    finally:
        admin.cancelTask(task_id)


def tag_without_arches_stays_arch_less(endpoint: HubEndpoint) -> None:
    """The hub stores an empty arch list for a tag created without arches: it inherits none,
    even from a parent that has them."""
    admin = endpoint.session(endpoint.admin_cert)
    tag = _unique("adjutant-archless")
    admin.createTag(tag, parent=endpoint.build_tag)
    assert admin.getBuildConfig(endpoint.build_tag)["arches"]  # the parent has arches
    assert admin.getTag(tag)["arches"] == ""
    assert admin.getBuildConfig(tag)["arches"] == ""
