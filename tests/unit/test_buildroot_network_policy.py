"""Build-step network: config default, per-tag `adjutant.network` override, bad values."""

from __future__ import annotations

import pytest

from adjutant.buildroot.network_policy import build_network
from adjutant.errors import BuildrootError


@pytest.mark.parametrize("default", [True, False])
def test_without_the_tag_key_the_config_decides(default: bool) -> None:
    assert build_network({"other": 1}, default, "t") is default


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), ("on", True), ("OFF", False), ("yes", True), ("0", False),
    (1, True), (0, False),
])  # fmt: skip
def test_the_tag_overrides_the_config(value: object, expected: bool) -> None:
    assert build_network({"adjutant.network": value}, not expected, "t") is expected


@pytest.mark.parametrize("value", ["maybe", 2, None, ["on"], {"x": 1}])
def test_a_bad_value_names_the_tag_and_the_value(value: object) -> None:
    with pytest.raises(BuildrootError, match=r"tag f40-build: extra adjutant.network") as err:
        build_network({"adjutant.network": value}, False, "f40-build")
    assert repr(value) in str(err.value)
