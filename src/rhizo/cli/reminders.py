"""``rhizo reminders run``: the outbox worker (rhizo.clinic.core.outbox.worker).

``--once`` sends every message due now and exits; without it the worker keeps
going, looking for due messages every ``--interval-s``. Each cycle that did
something prints one summary line (or one JSON object with ``--json``). Bad
settings (``RHIZO_SMTP_*``, ``RHIZO_OUTBOX_*``, ``RHIZO_*`` keys) are one line
naming the variable, exit code 2.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from rhizo.cli._errors import fail

reminders_app = typer.Typer(help="Patient reminders: the outbox worker.", no_args_is_help=True)


@reminders_app.command("run")
def reminders_run(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then exit.")] = False,
    batch: Annotated[
        int, typer.Option("--batch", help="Messages claimed per cycle (1-1000).")
    ] = 50,
    interval_s: Annotated[
        float, typer.Option("--interval-s", help="Seconds between looks for due messages.")
    ] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per summary.")] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL; default RHIZO_DATABASE_URL.")
    ] = None,
) -> None:
    """Send the queued reminders (e-mail over SMTP; SMS through the configured transport)."""
    if not 1 <= batch <= 1000:
        fail("--batch", batch, "a whole number from 1 to 1000")
    if not 0.1 <= interval_s <= 3600:
        fail("--interval-s", interval_s, "0.1 to 3600 seconds")

    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from rhizo.cli._errors import InputError, settings_error
    from rhizo.cli.clinic import _connect_error, database_url
    from rhizo.clinic.core.clinic_settings.service import effective
    from rhizo.clinic.core.config import Settings
    from rhizo.clinic.core.database import create_db_engine, create_session_factory
    from rhizo.clinic.core.outbox.settings import OutboxSettings
    from rhizo.clinic.core.outbox.transports import transports_for
    from rhizo.clinic.core.outbox.worker import Worker, pending_counts
    from rhizo.clinic.schedule import reminders as _templates  # noqa: F401 - registers them

    try:
        settings = Settings()
        outbox_settings = OutboxSettings()
    except ValidationError as error:
        raise settings_error(error) from None
    try:
        transports = transports_for(outbox_settings)
    except ValueError as error:
        raise InputError(str(error)) from None
    url = database_url(db)
    engine = create_db_engine(url)
    factory = create_session_factory(engine)
    worker = Worker(
        session_factory=factory,
        transports=transports,
        settings=outbox_settings,
        contact=lambda session: effective(session=session, settings=settings),
        zone=settings.clinic_zone,
    )
    try:
        while True:
            started = time.perf_counter()
            summary = worker.run_until_empty(batch=batch)
            elapsed_s = time.perf_counter() - started
            with factory() as session:
                counts = pending_counts(session=session)
            if once or summary.claimed:
                line = {**summary.as_dict(), "elapsed_s": round(elapsed_s, 3), "now": counts}
                if as_json:
                    typer.echo(json.dumps(line, sort_keys=True))
                else:
                    typer.echo(
                        f"reminders: sent {summary.sent}, retried {summary.retried}, failed "
                        f"{summary.failed}, abandoned claims {summary.abandoned} "
                        f"({summary.claimed} claimed, {elapsed_s:.2f} s); now queued "
                        f"{counts['queued']}, sending {counts['sending']}, "
                        f"failed {counts['failed']}"
                    )
            if once:
                return
            time.sleep(interval_s)
    except OperationalError as error:
        raise _connect_error(url, error) from None
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Add ``rhizo reminders``."""
    app.add_typer(reminders_app, name="reminders")
