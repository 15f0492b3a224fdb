"""``rhizo db upgrade`` and ``rhizo user add``: the clinic registry (``rhizo serve``: web.py)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from rhizo.cli._errors import InputError, fail, fail_from_validation

db_app = typer.Typer(help="The clinic database.", no_args_is_help=True)
user_app = typer.Typer(help="Clinic users.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///path or postgresql://...); default RHIZO_DATABASE_URL, "
        "else a SQLite file in the user data directory.",
    ),
]


def database_url(db: str | None) -> str:
    """The database URL from ``--db`` or the environment (one line and exit 2 if bad)."""
    from pydantic import ValidationError

    from rhizo.clinic.core.config import DatabaseSettings, normalise_database_url

    if db is not None:
        url = normalise_database_url(db.strip())
    else:
        try:
            url = DatabaseSettings().database_url
        except ValidationError as error:
            fail_from_validation(error, {"database_url": "RHIZO_DATABASE_URL"})
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        fail("--db", db if db is not None else url, "a sqlite:/// or postgresql:// URL")
    return url


def redacted(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def _connect_error(url: str, error: Exception) -> InputError:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return InputError(f"--db: cannot open {redacted(url)!r}: {first}")


@db_app.command("upgrade")
def db_upgrade(
    db: DbOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create or upgrade the clinic schema (Alembic migrations)."""
    from sqlalchemy.exc import OperationalError

    from rhizo.clinic.core import migrate

    url = database_url(db)
    try:
        reached = migrate.upgrade(url, revision)
    except OperationalError as error:
        raise _connect_error(url, error) from None
    typer.echo(f"database {redacted(url)} is at revision {reached}")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    role: Annotated[
        str,
        typer.Option("--role", help="admin, clinician, nurse, patient, researcher or auditor."),
    ],
    full_name: Annotated[str | None, typer.Option("--full-name", help="Display name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a user; the password is prompted for (or read from stdin), never an argument."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from rhizo.clinic.core.auth import service
    from rhizo.clinic.core.auth.models import SYSTEM_ACTOR, Role, UserCreate
    from rhizo.clinic.core.common import ConflictError
    from rhizo.clinic.core.database import create_db_engine, create_session_factory

    if role not in {r.value for r in Role}:
        fail("--role", role, "one of " + ", ".join(r.value for r in Role))
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(
            username=username, password=password, role=Role(role), full_name=full_name
        )
    except ValidationError as error:
        first = error.errors()[0]
        if first["loc"] == ("password",):  # never echo a password
            raise InputError(f"password: refused; {first['msg']}") from None
        fail_from_validation(error, {"username": "USERNAME", "full_name": "--full-name"})
    url = database_url(db)
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine)() as session:
            user = service.create(session=session, actor=SYSTEM_ACTOR, data=data)
    except ConflictError:
        fail("USERNAME", username, "a username that is not taken yet")
    except OperationalError as error:
        raise _connect_error(url, error) from None
    finally:
        engine.dispose()
    typer.echo(f"added user {user.username} (id {user.id}, role {user.role.value})")


def register(app: typer.Typer) -> None:
    """Add this layer's commands to the main app."""
    from rhizo.cli import backup, users

    user_app.command("unlock")(users.user_unlock)
    db_app.command("backup")(backup.db_backup)
    db_app.command("restore")(backup.db_restore)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
