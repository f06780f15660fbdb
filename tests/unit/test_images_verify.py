"""`adjutant images verify`: a built image is run and checked against the task image contract,
and every broken promise is reported (never only the first), with the container removed."""

from __future__ import annotations

import pytest

from adjutant import images
from adjutant.container.fake import FakeBackend
from adjutant.errors import ConfigError

IMAGE = "localhost/adjutant/demo:latest"
LABELS = {key: "x" for key in images.REQUIRED_LABELS} | {
    images.LABEL_BUILD_USER: "builder",
    images.LABEL_BUILD_HOME: "/home/builder",
    images.LABEL_MANIFEST: "/usr/share/adjutant/manifest",
}


def test_an_image_that_keeps_the_contract_has_no_problems() -> None:
    backend = FakeBackend()
    backend.add_image(IMAGE, LABELS)
    assert images.verify_image(backend, IMAGE, worker="w1") == []
    execs = backend.calls_to("exec")
    assert ("test", "-s", "/usr/share/adjutant/manifest") in [e["argv"] for e in execs]
    as_builder = [e["argv"] for e in execs if e["user"] == "builder"]
    assert ("test", "-w", "/home/builder") in as_builder
    assert backend.containers == {}  # the verify container is removed


def test_every_broken_promise_is_reported() -> None:
    backend = FakeBackend()
    labels = dict(LABELS)
    del labels["io.adjutant.image.arches"]
    backend.add_image(IMAGE, labels)
    backend.on_exec(("bash", "-c", 'command -v "$1"', "-", "createrepo_c"), exit_code=1)
    backend.on_exec(("dnf", "-q", "builddep"), exit_code=1)
    backend.on_exec(("bash", "-c", 'test "$(id -u)" != 0'), exit_code=1)
    problems = images.verify_image(backend, IMAGE, worker="w1")
    assert problems == [
        "label io.adjutant.image.arches is missing",
        "binary createrepo_c is not on PATH",
        "dnf has no builddep plugin",
        "build user builder is root or missing",
    ]
    assert backend.containers == {}


def test_build_args_must_be_key_value_pairs() -> None:
    assert images._parse_build_args(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(ConfigError, match="'NOVALUE' is not KEY=VALUE"):
        images._parse_build_args(["NOVALUE"])
    with pytest.raises(ConfigError, match="not KEY=VALUE"):
        images._parse_build_args(["=1"])
