"""Booking the RF day with a plan: the plan's day, holds and status follow the booking.

The RF list is Mondays 08:00-12:00 Europe/London; 2026-04-06 08:00 BST is 07:00 UTC,
so the clinic date is 2026-04-06 (and stays so for a booking at 00:30 London, which
is the day before in UTC: the date is read on the session's clock).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of
from tests.clinic.factories import make_patient, make_specialist, make_user

from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import InvalidInputError, Side
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.lifecycle import PlanStatus
from rhizo.clinic.plan.models import Plan, PlanCreate, PlanUpdate
from rhizo.clinic.schedule import availability, booking
from rhizo.clinic.schedule.models import (
    Appointment,
    AppointmentCreate,
    AppointmentKind,
    AppointmentMode,
    ClinicSessionCreate,
    RoomCreate,
)
from rhizo.clinic.specialist.models import Specialist
from rhizo.pathway.hold_reminders import planned_reminders
from rhizo.pathway.patient_plan import patient_plan
from rhizo.pathway.premed import RiskFactor
from rhizo.pathway.premed_models import DrugHold, Instruction

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
RF_START = datetime(2026, 4, 6, 7, 0, tzinfo=UTC)  # 08:00 BST
RF_DAY = date(2026, 4, 6)


@pytest.fixture
def clinic(session: Session) -> tuple[Actor, Patient, Specialist]:
    admin = actor_of(make_user(session, Role.ADMIN))
    doctor = make_specialist(session)
    room = availability.create_room(
        session=session,
        actor=admin,
        data=RoomCreate(name=f"RF suite {id(session)}", fluoroscopy=True),
    )
    availability.create_session(
        session=session,
        actor=admin,
        clinic_timezone="Europe/London",
        data=ClinicSessionCreate(
            specialist_id=doctor.id,
            kind=AppointmentKind.RF_PROCEDURE,
            mode=AppointmentMode.IN_PERSON,
            room_id=room.id,
            weekday=0,
            start_local=time(0, 0),
            end_local=time(12, 0),
            slot_min=60,
            timezone="Europe/London",
            valid_from=date(2026, 1, 1),
        ),
    )
    patient = make_patient(session)
    session.add(Medication(patient_id=patient.id, name="clopidogrel", active=True))
    session.commit()
    return admin, patient, doctor


def _plan(session: Session, actor: Actor, patient: Patient, day: date) -> Plan:
    return plan_service.create(
        session=session,
        actor=actor,
        patient_id=patient.id,
        data=PlanCreate(
            procedure="lumbar-facet-rf",
            planned_date=day,
            side=Side.RIGHT,
            levels=["L4-L5"],
            risk_factors=[RiskFactor.OLDER_AGE],
        ),
    )


def _book(
    session: Session, actor: Actor, patient: Patient, doctor: Specialist, **kw: object
) -> Appointment:
    values: dict[str, object] = {
        "patient_id": patient.id,
        "specialist_id": doctor.id,
        "kind": AppointmentKind.RF_PROCEDURE,
        "starts_at": RF_START,
    }
    values.update(kw)
    return booking.book(
        session=session, actor=actor, data=AppointmentCreate.model_validate(values), now=NOW
    )


def test_booking_the_rf_day_sets_the_plans_day_recomputes_holds_and_schedules_it(
    session: Session, clinic: tuple[Actor, Patient, Specialist]
) -> None:
    admin, patient, doctor = clinic
    plan = _plan(session, admin, patient, date(2026, 3, 2))
    before = [h["last_dose_date"] for h in plan.holds if h["drug"] == "clopidogrel"]
    appointment = _book(session, admin, patient, doctor, plan_id=plan.id)
    session.refresh(plan)
    assert plan.planned_date == RF_DAY
    assert plan.status is PlanStatus.SCHEDULED
    # The second computation: a plan created for the RF day directly has the same holds.
    fresh = _plan(session, admin, patient, RF_DAY)
    assert plan.holds == fresh.holds
    assert plan.instructions == fresh.instructions
    after = [h["last_dose_date"] for h in plan.holds if h["drug"] == "clopidogrel"]
    # Intermediate risk (older age): clopidogrel held 7 days, counted back from each day.
    assert (before, after) == (["2026-02-23"], ["2026-03-30"])
    # Cancelling: the plan stays scheduled on its day (no scheduled -> draft in the lifecycle).
    booking.cancel(
        session=session,
        actor=admin,
        appointment_id=appointment.id,
        version=appointment.version,
        reason="patient unwell",
        now=NOW,
    )
    session.refresh(plan)
    assert (plan.status, plan.planned_date) == (PlanStatus.SCHEDULED, RF_DAY)


def test_a_done_or_cancelled_plan_refuses_the_booking_and_nothing_is_written(
    session: Session, clinic: tuple[Actor, Patient, Specialist]
) -> None:
    admin, patient, doctor = clinic
    plan = _plan(session, admin, patient, date(2026, 3, 2))
    plan_service.update(
        session=session,
        actor=admin,
        patient_id=patient.id,
        plan_id=plan.id,
        data=PlanUpdate(
            version=plan.version, status=PlanStatus.CANCELLED, cancel_reason="pain settled"
        ),
    )
    with pytest.raises(InvalidInputError) as refused:
        _book(session, admin, patient, doctor, plan_id=plan.id)
    assert refused.value.problems[0].field == "plan_id"
    session.refresh(plan)
    assert plan.planned_date == date(2026, 3, 2)


def _hold(drug: str, last: date | None, hold: str = "yes") -> DrugHold:
    return DrugHold(
        drug=drug,
        drug_class="x",
        hold=hold,
        hold_days=7,
        last_dose_date=last,
        restart_after_hours=24,
        note="",
        source="Narouze 2018",
        verified=True,
    )


def test_reminders_go_two_days_before_each_last_dose_and_before_the_day() -> None:
    transport = Instruction(
        topic="transport", text="Arrange a lift home.", source="s", verified=True
    )
    fasting = Instruction(
        topic="fasting", text="Nothing to eat for 6 hours.", source="s", verified=True
    )
    plan = patient_plan(
        holds=[
            _hold("clopidogrel", date(2026, 3, 30)),
            _hold("apixaban", date(2026, 4, 3)),
            _hold("aspirin", None, hold="no"),
        ],
        instructions=[transport, fasting],
        sedation=False,
    )
    reminders = planned_reminders(plan=plan, procedure_on=RF_DAY)
    assert [(r.key, r.send_on, r.send_at_local) for r in reminders] == [
        ("last-dose-2026-03-30", date(2026, 3, 28), time(9, 0)),
        ("last-dose-2026-04-03", date(2026, 4, 1), time(9, 0)),
        ("preparation", date(2026, 4, 4), time(9, 0)),
    ]
    assert [step.drug for step in reminders[0].medicines] == ["clopidogrel"]
    # Without sedation the fasting line is dropped (patient_plan), transport kept.
    assert [item.topic for item in reminders[0].preparation] == ["transport"]
    assert len(reminders[-1].medicines) == 3
    assert RF_DAY - timedelta(days=2) == reminders[-1].send_on


def test_booking_queues_the_hold_reminders_with_the_plans_dates_and_cancelling_withdraws_them(
    session: Session, clinic: tuple[Actor, Patient, Specialist], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rhizo.clinic.core.outbox.models import OutboxMessage, OutboxStatus
    from rhizo.clinic.schedule import effects

    # The booking's clock: the RF day is ahead (the reminders are only queued before it).
    monkeypatch.setattr(effects, "utcnow", lambda: NOW)
    admin, patient, doctor = clinic
    patient.email = "ann@example.org"
    session.commit()
    plan = _plan(session, admin, patient, date(2026, 3, 2))
    appointment = _book(session, admin, patient, doctor, plan_id=plan.id)
    rows = session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.appointment_id == appointment.id)
        .where(OutboxMessage.template == "rf_day_holds")
        .order_by(OutboxMessage.send_after)
    ).all()
    # Clopidogrel's last dose 2026-03-30 (7 days before 04-06): reminder 03-28 09:00 London,
    # still GMT (the clocks change on 03-29) = 09:00 UTC; the preparation reminder 04-04
    # 09:00 BST = 08:00 UTC.
    assert [(r.dedupe_key.rsplit(":", 1)[1], r.send_after) for r in rows] == [
        ("last-dose-2026-03-30", datetime(2026, 3, 28, 9, 0, tzinfo=UTC)),
        ("preparation", datetime(2026, 4, 4, 8, 0, tzinfo=UTC)),
    ]
    first = rows[0].context
    assert [m["drug"] for m in first["medicines"]] == ["clopidogrel"]
    assert first["medicines"][0]["last_dose_date"] == "2026-03-30"
    assert first["medicines"][0]["restart_after_hours"] == 12
    assert any(item["topic"] == "transport" for item in first["preparation"])
    booking.cancel(
        session=session,
        actor=admin,
        appointment_id=appointment.id,
        version=appointment.version,
        reason="patient unwell",
        now=NOW,
    )
    for row in rows:
        session.refresh(row)
    assert {row.status for row in rows} == {OutboxStatus.CANCELLED}
