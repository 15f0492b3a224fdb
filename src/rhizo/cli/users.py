"""``rhizo user unlock``: clear a user's failed logins and lockout
(rhizo.clinic.core.auth.throttle)."""

from __future__ import annotations

from typing import Annotated

import typer

from rhizo.cli._errors import fail


def user_unlock(
    username: Annotated[str, typer.Argument(help="Login name of the locked-out user.")],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL; default RHIZO_DATABASE_URL."),
    ] = None,
) -> None:
    """Let a locked-out user log in again at once (audited as the system)."""
    from sqlalchemy.exc import OperationalError

    from rhizo.cli.clinic import _connect_error, database_url
    from rhizo.clinic.core.auth import service
    from rhizo.clinic.core.auth.models import SYSTEM_ACTOR
    from rhizo.clinic.core.database import create_db_engine, create_session_factory

    url = database_url(db)
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine)() as session:
            user = service.get_by_username(session=session, username=username.strip())
            if user is None:
                fail("USERNAME", username, "the username of an existing user")
            had = service.unlock(session=session, actor=SYSTEM_ACTOR, user_id=user.id)
    except OperationalError as error:
        raise _connect_error(url, error) from None
    finally:
        engine.dispose()
    state = "failed logins cleared" if had else "had no failed logins"
    typer.echo(f"user {username}: {state}; they can log in now")
