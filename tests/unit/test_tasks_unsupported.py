"""Methods adjutant does not run fail at once with a fault that names them."""

import koji
import pytest

from adjutant.tasks import HANDLERS
from adjutant.tasks.unsupported import UNSUPPORTED_METHODS, UnsupportedTask


@pytest.mark.parametrize("method", ["maven", "image", "livemedia", "wrapperRPM", "runroot"])
def test_unsupported_method_fails_with_a_fault_naming_it(method: str, tmp_path: object) -> None:
    task = UnsupportedTask(42, method, [], session=None, options=None, workdir=str(tmp_path))
    with pytest.raises(koji.GenericError, match=f"adjutant does not run {method} tasks"):
        task.handler("any", "params")


def test_every_registered_method_has_exactly_one_handler() -> None:
    methods = [method for handler in HANDLERS for method in handler.Methods]
    assert len(methods) == len(set(methods))
    assert set(UNSUPPORTED_METHODS) <= set(methods)
    assert {"sleep", "waittest", "dependantTask", "shutdown", "restart"} <= set(methods)
