"""The ``rhizo`` command line: one typer app, each domain registering its commands.

Each module in :data:`COMMAND_MODULES` defines ``register(app)``; keeping them
apart lets the physics, pathway, planning and clinic commands grow separately.
``main`` turns every usage error into one line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer

COMMAND_MODULES: tuple[str, ...] = ("lesion", "pathway", "planning", "clinic")

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


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; usage errors become one line and exit code 2 (no traceback)."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="rhizo", standalone_mode=False)
    except click.UsageError as error:
        hint = f" (see 'rhizo {error.ctx.info_name} --help')" if error.ctx else ""
        if error.ctx and error.ctx.info_name == "rhizo":
            hint = " (see 'rhizo --help')"
        sys.stderr.write(f"error: {error.format_message()}{hint}\n")
        return 2
    except click.exceptions.Exit as exit_request:
        return int(exit_request.exit_code)
    except click.Abort:
        sys.stderr.write("aborted\n")
        return 1
    except click.ClickException as error:
        sys.stderr.write(f"error: {error.format_message()}\n")
        return error.exit_code
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
