"""``rhizo db backup PATH`` and ``rhizo db restore PATH``: consistent copies of the registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rhizo.cli._errors import InputError
from rhizo.cli.clinic import DbOption, database_url, redacted

if TYPE_CHECKING:
    from rhizo.clinic.core.backup import BackupReport

PathArgument = Annotated[Path, typer.Argument(help="The backup file.")]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace an existing file (backup) or a database that holds rows (restore)."
    ),
]


def _run(
    action: Callable[..., BackupReport], path: Path, db: str | None, force: bool
) -> tuple[str, BackupReport]:
    """(the database URL, the report) of ``action`` (backup or restore) on ``path``; a
    BackupError is an InputError on PATH."""
    from rhizo.clinic.core.backup import BackupError

    url = database_url(db)
    try:
        return url, action(url, path, force=force)
    except BackupError as error:
        raise InputError(f"PATH: {error}") from None


def db_backup(path: PathArgument, db: DbOption = None, force: ForceOption = False) -> None:
    """Write a consistent copy of the database (SQLite online backup, or pg_dump)."""
    from rhizo.clinic.core.backup import backup

    url, report = _run(backup, path, db, force)
    typer.echo(
        f"backed up {redacted(url)} (revision {report.revision}, {report.rows} rows) "
        f"to {report.path} ({report.size_bytes} bytes, mode 0600)"
    )


def db_restore(path: PathArgument, db: DbOption = None, force: ForceOption = False) -> None:
    """Replace the database by a backup, after checking it is a rhizo database."""
    from rhizo.clinic.core import migrate
    from rhizo.clinic.core.backup import restore

    url, report = _run(restore, path, db, force)
    typer.echo(
        f"restored {path} into {redacted(url)} (revision {report.revision}, {report.rows} rows)"
    )
    head = migrate.head_revision()
    if report.revision != head:
        typer.echo(
            f"the backup is at revision {report.revision}, not {head}: run 'rhizo db upgrade'"
        )
