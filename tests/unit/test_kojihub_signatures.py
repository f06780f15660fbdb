"""The signature deriver reads koji's hub source as the hub registers it: export classes with
their prefixes, aliases to module functions, and auth.py's session calls."""

from __future__ import annotations

from pathlib import Path

from tests.support.kojihub_signatures import derive

KOJIHUB = """
def get_thing(thingInfo, strict=False, event=None):
    pass

class RootExports(object):
    getThing = staticmethod(get_thing)
    listThings = staticmethod(repos.list_things)

    def makeThing(self, name, *args, **opts):
        pass

    def _private(self):
        pass

class HostExports(object):
    def doWork(self, task_id, data=None):
        pass
"""
REPOS = """
def list_things(tag, opts={'a': 1}):
    pass

class RepoExports:
    def request(self, tag, min_event=None):
        pass
"""
SCHEDULER = "class SchedulerExports:\n    def doRun(self, force=False):\n        pass\n"
AUTH = """
class Session:
    def sslLogin(self, proxyuser=None, renew=False):
        pass

    def makeExclusive(self, force=False):
        pass

    def login(self, user, password, opts=None):
        pass

def login(*args, **opts):
    pass

def sslLogin(*args, **opts):
    pass

def logout(session_id=None):
    pass

def subsession():
    pass

def logoutChild(session_id):
    pass

def exclusiveSession(*args, **opts):
    pass

def sharedSession():
    pass
"""


def test_derive_reads_exports_aliases_prefixes_and_session_calls(tmp_path: Path) -> None:
    hub = tmp_path / "kojihub"
    hub.mkdir()
    for name, text in (("kojihub.py", KOJIHUB), ("repos.py", REPOS),
                       ("scheduler.py", SCHEDULER), ("auth.py", AUTH)):  # fmt: skip
        (hub / name).write_text(text)

    table = derive(tmp_path)

    assert table["getThing"] == {
        "params": [["thingInfo", None], ["strict", "False"], ["event", "None"]],
        "varargs": False, "varkw": False,
    }  # fmt: skip
    assert table["listThings"]["params"] == [["tag", None], ["opts", "{'a': 1}"]]
    assert table["makeThing"] == {"params": [["name", None]], "varargs": True, "varkw": True}
    assert table["host.doWork"]["params"] == [["task_id", None], ["data", "None"]]
    assert table["repo.request"]["params"] == [["tag", None], ["min_event", "None"]]
    assert table["scheduler.doRun"]["params"] == [["force", "False"]]
    assert table["sslLogin"]["params"] == [["proxyuser", "None"], ["renew", "False"]]
    assert table["exclusiveSession"]["params"] == [["force", "False"]]
    assert table["logout"]["params"] == [["session_id", "None"]]
    assert "_private" not in table
