"""The command line imports only the subcommand it runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adjutant import cli

# Modules the worker has no use for: the development hub and the dashboard's web stack.
NOT_FOR_THE_WORKER = ("adjutant.devhub", "flask", "werkzeug", "cryptography")


def modules_loaded_by(*argv: str) -> set[str]:
    """The modules a fresh interpreter has loaded after parsing ``argv`` (nothing is run)."""
    script = (
        "import json, sys\n"
        "from adjutant import cli\n"
        "cli.build_parser(cli.chosen_command(sys.argv[1:])).parse_args(sys.argv[1:])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    return set(json.loads(done.stdout))


def test_the_worker_command_loads_no_devhub_flask_or_cryptography() -> None:
    loaded = modules_loaded_by("--debug", "worker", "--fg")
    assert "adjutant.daemon" in loaded  # the parse really reached the worker's module
    unwanted = sorted(name for name in loaded if name.split(".")[0] in NOT_FOR_THE_WORKER
                      or name.startswith("adjutant.devhub"))  # fmt: skip
    assert unwanted == []


def test_the_chosen_command_is_the_first_word_that_is_not_an_option() -> None:
    assert cli.chosen_command(["--debug", "build", "x.src.rpm"]) == "build"
    assert cli.chosen_command(["--version"]) is None
    assert cli.chosen_command(["nonsense"]) is None


def test_every_subcommand_still_parses_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    for name in cli.SUBCOMMANDS:
        with pytest.raises(SystemExit) as done:
            cli.main([name, "--help"])
        assert done.value.code == 0
        assert f"usage: adjutant {name}" in capsys.readouterr().out
