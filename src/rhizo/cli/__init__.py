"""The ``rhizo`` command line: one typer app, each domain registering its commands.

Each module in :data:`COMMAND_MODULES` defines ``register(app)``; keeping them
apart lets the physics, pathway, planning and clinic commands grow separately.
``main`` turns every usage error into one line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import typer

from rhizo.cli._errors import InputError

COMMAND_MODULES: tuple[str, ...] = (
    "lesion",
    "lesion_table",
    "lesion3d",
    "pathway",
    "gate",
    "knowledge",
    "planning",
    "clinic",
    "web",
    "audit",
)

app = typer.Typer(
    name="rhizo",
    help="rhizo: radiofrequency rhizotomy lesion physics, planning, care pathway and clinic.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.command("version")
def version() -> None:
    """Print rhizo's version and the decision-support notice."""
    from rhizo import DISCLAIMER, __version__

    typer.echo(f"rhizo {__version__}")
    typer.echo(DISCLAIMER)


for _module_name in COMMAND_MODULES:
    importlib.import_module(f"rhizo.cli.{_module_name}").register(app)


def _click_exceptions(command: object) -> ModuleType:
    """The exceptions module of the click typer runs on (typer >= 0.29 vendors a copy)."""
    for klass in type(command).__mro__:
        module = klass.__module__
        if module.endswith("click.core"):
            return importlib.import_module(module.rsplit(".", 1)[0] + ".exceptions")
    raise RuntimeError("typer's click package not found")  # pragma: no cover


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; usage errors become one line and exit code 2 (no traceback)."""
    command = typer.main.get_command(app)
    clicks = _click_exceptions(command)
    try:
        result = command.main(args=argv, prog_name="rhizo", standalone_mode=False)
    except InputError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    except clicks.UsageError as error:
        context = error.ctx
        name = context.command_path if context is not None else "rhizo"
        sys.stderr.write(f"error: {error.format_message()} (see '{name} --help')\n")
        return 2
    except typer.Exit as exit_request:
        return int(exit_request.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 1
    except clicks.ClickException as error:
        sys.stderr.write(f"error: {error.format_message()}\n")
        return int(error.exit_code)
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
