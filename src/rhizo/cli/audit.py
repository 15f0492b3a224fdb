"""``rhizo audit verify``: recompute the audit trail's hash chain.

Exit 0 with the row count and the head when every row holds; exit 1 naming
the first row that breaks the chain (altered, or a row before it deleted), or
when ``--anchor`` (a head noted earlier) is no longer in the chain; exit 2 for
a bad option or a database that cannot be read.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer

from rhizo.cli._errors import InputError, fail
from rhizo.cli.clinic import DbOption, database_url, redacted

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
_HASH = re.compile(r"^[0-9a-f]{64}$")


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            help="A head hash printed by an earlier verify and kept elsewhere: fail unless "
            "it is still in the chain (catches rows removed from the end).",
        ),
    ] = None,
) -> None:
    """Check that no audit row was altered or deleted (SHA-256 hash chain)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from rhizo.clinic.core import migrate
    from rhizo.clinic.core.audit.chain import verify_chain
    from rhizo.clinic.core.database import create_db_engine

    if anchor is not None and not _HASH.match(anchor.strip().lower()):
        fail("--anchor", anchor, "a row hash of 64 hexadecimal characters")
    url = database_url(db)
    try:
        current = migrate.current_revision(url)
    except OperationalError as error:
        first = str(error).strip().splitlines()[0]
        raise InputError(f"--db: cannot open {redacted(url)!r}: {first}") from None
    if current != migrate.head_revision():
        raise InputError(
            f"--db: {redacted(url)!r} is at revision {current}, not {migrate.head_revision()}; "
            "run 'rhizo db upgrade' first"
        )
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            report = verify_chain(
                connection, anchor=anchor.strip().lower() if anchor is not None else None
            )
    except (OperationalError, ProgrammingError) as error:
        first = str(error).strip().splitlines()[0]
        raise InputError(f"--db: cannot read the audit trail: {first}") from None
    finally:
        engine.dispose()
    if report.broken is not None:
        broken = report.broken
        sys.stderr.write(
            f"audit chain BROKEN at row id {broken.event_id} (seq {broken.seq}): "
            f"{broken.reason}; the {report.rows} rows before it verify\n"
        )
        raise typer.Exit(1)
    if report.anchor_found is False:
        sys.stderr.write(
            f"audit chain: anchor {anchor} is not in the chain of {report.rows} rows: rows "
            "after it were removed or the chain was rewritten\n"
        )
        raise typer.Exit(1)
    typer.echo(
        f"audit chain intact: {report.rows} rows; head seq {report.head_seq} "
        f"hash {report.head_hash}"
    )


def register(app: typer.Typer) -> None:
    """Add ``rhizo audit``."""
    app.add_typer(audit_app, name="audit")
