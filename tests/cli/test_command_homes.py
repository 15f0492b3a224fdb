"""``rhizo <command>`` imports only its own module; the table that says which is complete.

The reference for :data:`rhizo.cli.COMMAND_HOMES` is what each command module
actually registers on an empty application, so a new command added to a module
without its row fails here (and would otherwise fall back to the full app, not
break: that fallback is checked too).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
import typer

import rhizo.cli
from rhizo.cli import COMMAND_HOMES, COMMAND_MODULES, main


def _registered(module: str) -> set[str]:
    probe = typer.Typer()
    importlib.import_module(f"rhizo.cli.{module}").register(probe)
    names = {c.name for c in probe.registered_commands} | {g.name for g in probe.registered_groups}
    assert None not in names, f"rhizo.cli.{module} registers an unnamed command"
    return {str(name) for name in names}


def test_every_registered_command_has_its_home() -> None:
    expected = {name: module for module in COMMAND_MODULES for name in _registered(module)}
    assert expected == COMMAND_HOMES


def test_the_full_app_has_every_command() -> None:
    full = typer.main.get_command(rhizo.cli.app)
    assert set(full.commands) == set(COMMAND_HOMES) | {"version"}  # type: ignore[attr-defined]


PROBE = """
import json, sys
from rhizo.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith("rhizo.cli."))))
"""


def _cli_modules_after(argv: list[str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()[-1]
    return set(json.loads(out))


@pytest.mark.parametrize(
    ("argv", "home"), [(["recommend", "--help"], "planning"), (["screen", "--help"], "pathway")]
)
def test_a_command_imports_only_its_module(argv: list[str], home: str) -> None:
    loaded = _cli_modules_after(argv)
    assert f"rhizo.cli.{home}" in loaded
    others = {f"rhizo.cli.{m}" for m in COMMAND_MODULES if m != home}
    assert not loaded & others


def test_help_and_unknown_commands_use_the_full_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in COMMAND_HOMES)
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err
