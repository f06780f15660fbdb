"""devhub groundwork: store, dispatch with koji's faults and marshalling, fault injection."""

from __future__ import annotations

import time
from pathlib import Path

import koji
import pytest
from koji.xmlrpcplus import Fault

from adjutant.devhub.db import Database
from adjutant.devhub.faults import FaultPlan
from adjutant.devhub.rpc import API, Call, HubConfig, dispatch, encode_result, fault_of


@API.export("test.add")
def _add(call: Call, a: int, b: int = 0) -> int:
    return a + b


@API.export("test.record")
def _record(call: Call, name: str) -> int:
    return call.db.run("INSERT INTO packages (name) VALUES (?)", (name,))


def make_call(tmp_path: Path) -> tuple[Database, HubConfig]:
    return Database(tmp_path / "hub.db"), HubConfig(topdir=tmp_path)


def test_unknown_methods_and_bad_arguments_give_the_real_hubs_faults(tmp_path: Path) -> None:
    db, config = make_call(tmp_path)
    with db.transaction() as cursor:
        call = Call(cursor, config, session=None)
        assert dispatch(call, "test.add", (2, {"b": 3, "__starstar": True})) == 5
        with pytest.raises(koji.GenericError, match="Invalid method: nope"):
            dispatch(call, "nope", ())
        with pytest.raises(koji.ParameterError):
            dispatch(call, "test.add", (1, 2, 3))


def test_multicall_rolls_back_only_the_failing_call(tmp_path: Path) -> None:
    db, config = make_call(tmp_path)
    with db.transaction() as cursor:
        calls = [
            {"methodName": "test.record", "params": ["bash"]},
            {"methodName": "test.record", "params": ["bash"]},  # UNIQUE violation
            {"methodName": "nope", "params": []},
        ]
        results = dispatch(Call(cursor, config, session=None), "multiCall", (calls,))
    assert results[0] == [1]
    assert results[1]["faultCode"] == 1 and "UNIQUE" in results[1]["faultString"]
    assert results[2]["faultString"] == "Invalid method: nope"
    with db.transaction() as cursor:
        assert cursor.rows("SELECT name FROM packages") == [{"name": "bash"}]


def test_a_failed_transaction_leaves_nothing_and_the_store_survives_reopening(
    tmp_path: Path,
) -> None:
    db, _ = make_call(tmp_path)
    with pytest.raises(RuntimeError), db.transaction() as cursor:
        cursor.run("INSERT INTO packages (name) VALUES ('lost')")
        raise RuntimeError("handler failed")
    with db.transaction() as cursor:
        cursor.run("INSERT INTO packages (name) VALUES ('kept')")
        event = cursor.last_event()["id"]
    db.close()
    reopened = Database(tmp_path / "hub.db")
    with reopened.transaction() as cursor:
        assert cursor.rows("SELECT name FROM packages") == [{"name": "kept"}]
        assert cursor.last_event()["id"] == event


def test_faults_and_large_ints_encode_as_koji_does() -> None:
    assert fault_of(koji.ActionNotAllowed("no")) == (koji.ActionNotAllowed.faultCode, "no")
    assert fault_of(ValueError("x")) == (1, "<class 'ValueError'>: x")
    assert "<i8>" in encode_result(2**40) and "<nil/>" in encode_result(None)


def test_fault_plan_fails_exactly_the_nth_call_of_a_method() -> None:
    plan = FaultPlan()
    plan.fail_call("host.openTask", 2, Fault(1000, "injected"))
    assert plan.fault_for("host.openTask") is None
    injected = plan.fault_for("host.openTask")
    assert injected is not None and injected.faultString == "injected"
    assert plan.fault_for("host.openTask") is None
    plan.http_errors(502, count=1)
    assert plan.next_http_error() == 502 and plan.next_http_error() is None


def test_a_bounded_delay_of_the_fault_plan_ends_on_its_own() -> None:
    plan = FaultPlan()
    plan.delay(5.0, 0.2)
    assert plan.delay_s() == 5.0
    deadline = time.monotonic() + 10
    while plan.delay_s() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert plan.delay_s() == 0.0
    plan.delay(1.0)  # unbounded: stays until turned off
    assert plan.delay_s() == 1.0
    plan.clear()
    assert plan.delay_s() == 0.0
