"""Concurrent writers cannot double-book: SQLite (a file database) and PostgreSQL.

Eight threads, each with its own connection, book the same specialist at the
same time (different patients) at once: exactly one commits, the other seven get
:class:`SlotTakenError` (409) naming the specialist, and the blocks table holds
exactly one appointment's set. A second round books overlapping appointments of
different lengths (15 to 60 minutes, starting 09:00 to 09:45): again exactly one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of, fresh_database_url
from tests.clinic.factories import make_patient, make_specialist, make_user
from tests.clinic.schedule.conftest import NOW

from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.schedule import availability, booking
from rhizo.clinic.schedule.models import (
    Appointment,
    AppointmentCreate,
    AppointmentKind,
    ClinicSessionCreate,
    OccupiedBlock,
    Resource,
)

WRITERS = 8
MONDAY_0900 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def own_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A freshly migrated database of this module's own (writers commit for real)."""
    urls = fresh_database_url(
        str(request.param), tmp_path_factory.mktemp("concurrent"), "rhizo_schedule_race"
    )
    url = next(urls)
    migrate.upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    next(urls, None)


def _setup(engine: Engine, writers: int) -> tuple[Actor, int, list[int]]:
    with Session(engine, expire_on_commit=False) as session:
        actor = actor_of(make_user(session, Role.CLINICIAN))
        admin = actor_of(make_user(session, Role.ADMIN))
        specialist = make_specialist(session)
        availability.create_session(
            session=session,
            actor=admin,
            data=ClinicSessionCreate(
                specialist_id=specialist.id,
                kind=AppointmentKind.CONSULTATION,
                weekday=0,
                start_local=time(9, 0),
                end_local=time(12, 0),
                slot_min=15,
                timezone="Europe/London",
                valid_from=date(2026, 1, 1),
            ),
            clinic_timezone="Europe/London",
        )
        patients = [make_patient(session).id for _ in range(writers)]
        return actor, specialist.id, patients


def _race(engine: Engine, requests: list[AppointmentCreate], actor: Actor) -> list[object]:
    barrier = threading.Barrier(len(requests))
    results: list[object] = [None] * len(requests)

    def write(i: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                results[i] = booking.book(session=session, actor=actor, data=requests[i], now=NOW)
            except Exception as error:
                results[i] = error

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _check(engine: Engine, results: list[object], specialist_id: int) -> None:
    won = [r for r in results if isinstance(r, Appointment)]
    lost = [r for r in results if isinstance(r, booking.SlotTakenError)]
    assert len(won) == 1, results
    assert len(lost) == len(results) - 1, results
    assert all(e.resource is Resource.SPECIALIST for e in lost)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(OccupiedBlock.appointment_id, sa.func.count())
            .join(Appointment, Appointment.id == OccupiedBlock.appointment_id)
            .where(Appointment.specialist_id == specialist_id)
            .group_by(OccupiedBlock.appointment_id)
        ).all()
    minutes = (won[0].ends_at - won[0].starts_at) // timedelta(minutes=5)
    assert rows == [(won[0].id, 2 * minutes)]  # patient + specialist blocks of one booking


def test_same_time_exactly_one_wins(own_engine: Engine) -> None:
    actor, specialist_id, patients = _setup(own_engine, WRITERS)
    requests = [
        AppointmentCreate(
            patient_id=p,
            specialist_id=specialist_id,
            kind=AppointmentKind.CONSULTATION,
            starts_at=MONDAY_0900,
        )
        for p in patients
    ]
    _check(own_engine, _race(own_engine, requests, actor), specialist_id)


def test_overlapping_lengths_exactly_one_wins(own_engine: Engine) -> None:
    actor, specialist_id, patients = _setup(own_engine, WRITERS)
    # every shape ends at 10:00, so every pair shares 09:45-10:00: at most one can hold it.
    shapes = [(0, 60), (15, 45), (30, 30), (45, 15), (0, 60), (15, 45), (30, 30), (45, 15)]
    requests = [
        AppointmentCreate(
            patient_id=p,
            specialist_id=specialist_id,
            kind=AppointmentKind.CONSULTATION,
            starts_at=MONDAY_0900 + timedelta(minutes=offset),
            duration_min=length,
        )
        for p, (offset, length) in zip(patients, shapes, strict=True)
    ]
    _check(own_engine, _race(own_engine, requests, actor), specialist_id)
