"""The /etc/rpm macros file a buildroot gets."""

import pytest

from adjutant.buildroot.macros import render_macros
from adjutant.errors import TaskParamError


def test_fixed_macros_win_over_caller_values() -> None:
    text = render_macros({"dist": ".fc40", "_topdir": "/tmp/elsewhere"})
    lines = text.splitlines()
    assert "%dist .fc40" in lines
    assert "%_topdir /builddir/build" in lines and "%_topdir /tmp/elsewhere" not in lines
    assert "%_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" in lines


@pytest.mark.parametrize(
    ("macros", "message"),
    [
        ({"bad name": "x"}, "invalid rpm macro name 'bad name'"),
        ({"%dist": "x"}, "invalid rpm macro name"),
        ({"dist\n": "x"}, "invalid rpm macro name"),
        ({"dist": ".fc40\n%_topdir /"}, "multi-line value"),
    ],
)
def test_bad_macros_are_refused(macros: dict[str, str], message: str) -> None:
    with pytest.raises(TaskParamError, match=message):
        render_macros(macros)
