"""``rhizo reminders run``: the outbox worker (rhizo.clinic.core.outbox.worker).

``--once`` sends every message due now and exits; without it the worker keeps
going, looking for due messages every ``--interval-s``. Each cycle that did
something prints one summary line (or one JSON object with ``--json``). The
pathway's worklist sweep (:func:`rhizo.clinic.tasks.service.refresh`: reviews due,
pain returned, RF days to book) runs at the start and then every
``--sweep-every-s``, so tasks raised by the calendar's own passing (a review
falling due, a diary entry sent through the REST API) appear without a page
visit; its line says what it raised and closed. Bad
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
    sweep_every_s: Annotated[
        float,
        typer.Option("--sweep-every-s", help="Seconds between worklist sweeps (60-86400)."),
    ] = 3600.0,
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
    if not 60 <= sweep_every_s <= 86400:
        fail("--sweep-every-s", sweep_every_s, "60 to 86400 seconds")

    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from rhizo.cli._errors import InputError, settings_error
    from rhizo.cli.clinic import _connect_error, database_url
    from rhizo.clinic.core.clinic_settings.service import effective
    from rhizo.clinic.core.config import Settings
    from rhizo.clinic.core.database import create_db_engine, create_session_factory, utcnow
    from rhizo.clinic.core.outbox.settings import OutboxSettings
    from rhizo.clinic.core.outbox.transports import transports_for
    from rhizo.clinic.core.outbox.worker import Worker, pending_counts
    from rhizo.clinic.schedule import reminders as _templates  # noqa: F401 - registers them
    from rhizo.clinic.tasks import service as tasks_service
    from rhizo.pathway.clinic_day import procedure_day

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

    def sweep() -> None:
        with factory() as session:
            today = procedure_day(utcnow(), settings.clinic_zone)
            done = tasks_service.refresh(session=session, today=today, zone=settings.clinic_zone)
        line = {
            "tasks_today": today.isoformat(),
            "tasks_raised": len(done.raised),
            "tasks_closed": len(done.closed),
            "tasks_reopened": len(done.reopened),
        }
        if as_json:
            typer.echo(json.dumps(line, sort_keys=True))
        else:
            typer.echo(
                f"tasks ({today.isoformat()}): raised {len(done.raised)}, closed "
                f"{len(done.closed)}, reopened {len(done.reopened)}"
            )

    try:
        last_sweep = float("-inf")
        while True:
            if time.monotonic() - last_sweep >= sweep_every_s:
                sweep()
                last_sweep = time.monotonic()
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
