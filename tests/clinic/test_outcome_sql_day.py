"""The SQL "performed on or before the clinic day" filter against the Python procedure day.

The outcome queries select completed procedures "as of" a clinic day by one
comparison of the stored UTC instant (:func:`end_of_clinic_day`). That must
pick exactly the procedures whose :func:`rhizo.pathway.clinic_day.procedure_day`
is on or before the day: checked here on SQLite and PostgreSQL for instants a
minute either side of every local midnight of 2024-2025 around the DST
changes and month ends, in London, New York and Lord Howe (a 30-minute DST
shift), and hypothesis-drawn instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from tests.clinic.factories import make_patient, make_specialist

from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.outcomes.queries import completed_by, end_of_clinic_day
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus, Technique
from rhizo.pathway.clinic_day import procedure_day

ZONES = ("Europe/London", "America/New_York", "Australia/Lord_Howe")
#: Days around the 2024-2025 DST changes of the three zones, and month ends.
DAYS = sorted(
    {date(2024, 3, 9) + timedelta(days=k) for k in range(4)}
    | {date(2024, 3, 30) + timedelta(days=k) for k in range(3)}
    | {date(2024, 4, 6) + timedelta(days=k) for k in range(2)}
    | {date(2024, 10, 5) + timedelta(days=k) for k in range(3)}
    | {date(2024, 10, 26) + timedelta(days=k) for k in range(3)}
    | {date(2024, 11, 2) + timedelta(days=k) for k in range(3)}
    | {date(2025, m, 1) - timedelta(days=1) for m in range(2, 13)}
    | {date(2024, 2, 29), date(2024, 12, 31)}
)


def _add(session: Session, patient_id: int, performer_id: int, at: datetime) -> int:
    procedure = Procedure(
        patient_id=patient_id,
        performer_id=performer_id,
        performed_at=at,
        technique=Technique.CONVENTIONAL,
        region=Region.LUMBAR,
        side=Side.RIGHT,
        levels=["L4-L5"],
        sedation=Sedation.NONE,
        status=ProcedureStatus.COMPLETED,
    )
    session.add(procedure)
    session.flush()
    return procedure.id


def _selected(session: Session, day: date, zone: ZoneInfo) -> set[int]:
    return set(session.scalars(sa.select(Procedure.id).where(*completed_by(day, zone))))


@pytest.mark.parametrize("zone_name", ZONES)
def test_sql_filter_is_the_procedure_day(session: Session, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    patient = make_patient(session).id
    performer = make_specialist(session).id
    instants: dict[int, datetime] = {}
    for day in DAYS:
        midnight = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        for minutes in (-61, -31, -1, 0, 1, 29, 31, 61):
            at = midnight + timedelta(minutes=minutes)
            instants[_add(session, patient, performer, at)] = at
    session.commit()
    for day in DAYS:
        expected = {pid for pid, at in instants.items() if procedure_day(at, zone) <= day}
        assert _selected(session, day, zone) & set(instants) == expected, day


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(ZONES),
)
def test_end_of_clinic_day_splits_at_the_local_date(moment: datetime, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    day = procedure_day(moment, zone)
    assert moment < end_of_clinic_day(day, zone)
    assert moment >= end_of_clinic_day(day - timedelta(days=1), zone)
