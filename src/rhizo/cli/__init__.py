"""The ``rhizo`` command line: one typer app, each domain registering its commands.

Each module in :data:`COMMAND_MODULES` defines ``register(app)``; keeping them
apart lets the physics, pathway, planning and clinic commands grow separately.
``main`` turns every usage error into one line on stderr and exit code 2.

``rhizo <command> ...`` imports only the module that registers ``<command>``
(:data:`COMMAND_HOMES`; tests/cli/test_command_homes.py checks the table against
what each module registers): the others' imports cost a CLI call 0.3-0.5 s of
CPU it does not use. ``rhizo --help``, an unknown command and :data:`app` (the
full application, built on first use) register every module.
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
    "reminders",
    "sweep",
)

#: The module (of :data:`COMMAND_MODULES`) that registers each top-level command or group.
COMMAND_HOMES: dict[str, str] = {
    "lesion": "lesion",
    "lesion-table": "lesion_table",
    "lesion3d": "lesion3d",
    **dict.fromkeys(
        ("screen", "premed", "compare", "aftercare", "faq", "learn", "score"), "pathway"
    ),
    "gate": "gate",
    "knowledge": "knowledge",
    **dict.fromkeys(("capture", "recommend", "next-lesion"), "planning"),
    **dict.fromkeys(("db", "user"), "clinic"),
    **dict.fromkeys(("serve", "demo"), "web"),
    "audit": "audit",
    "reminders": "reminders",
    "sweep": "sweep",
}


def version() -> None:
    """Print rhizo's version and the decision-support notice."""
    from rhizo import DISCLAIMER, __version__

    typer.echo(f"rhizo {__version__}")
    typer.echo(DISCLAIMER)


def build_app(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The ``rhizo`` application with ``version`` and the commands of ``modules``."""
    built = typer.Typer(
        name="rhizo",
        help="rhizo: radiofrequency rhizotomy lesion physics, planning, care pathway and clinic.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    built.command("version")(version)
    for module_name in modules:
        importlib.import_module(f"rhizo.cli.{module_name}").register(built)
    return built


_FULL: list[typer.Typer] = []


def __getattr__(name: str) -> typer.Typer:
    """``rhizo.cli.app``: every command, built (and every command module imported) once."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not _FULL:
        _FULL.append(build_app())
    return _FULL[0]


def _app_for(args: list[str]) -> typer.Typer:
    """Only the invoked command's module when the first argument names a known command."""
    home = COMMAND_HOMES.get(args[0]) if args else None
    return build_app((home,)) if home is not None else __getattr__("app")


def _click_exceptions(command: object) -> ModuleType:
    """The exceptions module of the click typer runs on (typer >= 0.29 vendors a copy)."""
    for klass in type(command).__mro__:
        module = klass.__module__
        if module.endswith("click.core"):
            return importlib.import_module(module.rsplit(".", 1)[0] + ".exceptions")
    raise RuntimeError("typer's click package not found")  # pragma: no cover


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; usage errors become one line and exit code 2 (no traceback)."""
    args = sys.argv[1:] if argv is None else list(argv)
    command = typer.main.get_command(_app_for(args))
    clicks = _click_exceptions(command)
    try:
        result = command.main(args=args, prog_name="rhizo", standalone_mode=False)
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
