"""The worklist sweep: raised once, closed when satisfied, reopened only when it closed them.

Hand-computed calendar: a lumbar RF on Monday 2026-01-05 (London) has its reviews
(knowledge/outcomes.yaml via follow_up_schedule) due 2026-02-02 (4 weeks),
2026-04-05, 2026-07-05 and 2027-01-05 (3, 6 and 12 calendar months).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of
from tests.clinic.factories import make_followup, make_patient, make_specialist, make_user

from rhizo.clinic.block.models import BlockAgent, BlockType, DiagnosticBlock
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.common import ConflictError, InvalidInputError, Region, Side
from rhizo.clinic.followup.models import FollowUpSource
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus, Technique
from rhizo.clinic.schedule.models import (
    Appointment,
    AppointmentKind,
    AppointmentMode,
    AppointmentStatus,
)
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.tasks import service
from rhizo.clinic.tasks.models import TaskClose, TaskKind, TaskStatus, WorklistTask

LONDON = ZoneInfo("Europe/London")
RF_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DUE = {
    "follow-up-first": date(2026, 2, 2),
    "follow-up-3-months": date(2026, 4, 5),
    "follow-up-6-months": date(2026, 7, 5),
    "follow-up-12-months": date(2027, 1, 5),
}


def _procedure(session: Session, patient: Patient, performer: Specialist, **kw: Any) -> Procedure:
    values: dict[str, Any] = {
        "patient_id": patient.id,
        "performer_id": performer.id,
        "performed_at": RF_AT,
        "technique": Technique.CONVENTIONAL,
        "region": Region.LUMBAR,
        "side": Side.RIGHT,
        "levels": ["L4-L5"],
        "sedation": Sedation.NONE,
        "status": ProcedureStatus.COMPLETED,
    }
    values.update(kw)
    row = Procedure(**values)
    session.add(row)
    session.commit()
    return row


def _block(session: Session, patient: Patient, relief: int, on: date, **kw: Any) -> DiagnosticBlock:
    values: dict[str, Any] = {
        "patient_id": patient.id,
        "performed_on": on,
        "block_type": BlockType.MEDIAL_BRANCH,
        "levels": ["L4-L5"],
        "side": Side.RIGHT,
        "agent": BlockAgent.LIDOCAINE,
        "volume_ml": 0.5,
        "baseline_nrs": 8,
        "relief_percent": relief,
    }
    values.update(kw)
    row = DiagnosticBlock(**values)
    session.add(row)
    session.commit()
    return row


def _appointment(
    session: Session, patient: Patient, specialist: Specialist, kind: AppointmentKind, **kw: Any
) -> Appointment:
    start = kw.pop("starts_at", datetime(2026, 3, 30, 9, 0, tzinfo=UTC))
    values: dict[str, Any] = {
        "patient_id": patient.id,
        "specialist_id": specialist.id,
        "kind": kind,
        "mode": AppointmentMode.IN_PERSON,
        "starts_at": start,
        "ends_at": start + timedelta(minutes=20),
        "status": AppointmentStatus.BOOKED,
        "booked_by": "nurse1",
    }
    values.update(kw)
    row = Appointment(**values)
    session.add(row)
    session.commit()
    return row


def _tasks(session: Session, patient: Patient) -> dict[str, WorklistTask]:
    rows = session.scalars(sa.select(WorklistTask).where(WorklistTask.patient_id == patient.id))
    return {row.dedupe_key: row for row in rows}


@pytest.fixture
def people(session: Session) -> tuple[Patient, Specialist]:
    return make_patient(session), make_specialist(session)


def test_a_recorded_procedure_proposes_its_four_reviews_once(
    session: Session, people: tuple[Patient, Specialist]
) -> None:
    patient, doctor = people
    rf = _procedure(session, patient, doctor)
    first = service.refresh(session=session, today=date(2026, 1, 6), zone=LONDON)
    tasks = _tasks(session, patient)
    reviews = {t.review_id: t.due_on for t in tasks.values() if t.kind is TaskKind.BOOK_REVIEW}
    assert reviews == DUE
    assert all(t.procedure_id == rf.id for t in tasks.values())
    again = service.refresh(session=session, today=date(2026, 1, 6), zone=LONDON)
    assert (again.raised, again.closed, again.reopened) == ((), (), ())
    assert len(first.raised) == 4
    assert len(_tasks(session, patient)) == 4


def test_booking_or_recording_a_review_closes_its_task_and_cancelling_reopens_it(
    session: Session, people: tuple[Patient, Specialist]
) -> None:
    patient, doctor = people
    rf = _procedure(session, patient, doctor)
    service.refresh(session=session, today=date(2026, 1, 6), zone=LONDON)
    booked = _appointment(
        session,
        patient,
        doctor,
        AppointmentKind.REVIEW,
        procedure_id=rf.id,
        review_id="follow-up-3-months",
    )
    # The 4-week review recorded by phone on day 30 (2026-02-04, within +-30 days of 02-02).
    make_followup(
        session, patient, followed_on=date(2026, 2, 4), nrs=3, source=FollowUpSource.PHONE
    )
    result = service.refresh(session=session, today=date(2026, 2, 5), zone=LONDON)
    closed = {key.rsplit(":", 1)[1] for key in result.closed}
    assert closed == {"follow-up-3-months", "follow-up-first"}
    tasks = _tasks(session, patient)
    three = tasks[f"book_review:procedure:{rf.id}:follow-up-3-months"]
    assert (three.status, three.closed_by) == (TaskStatus.DONE, "pathway")
    assert three.appointment_id == booked.id  # the booking is linked to its task
    booked.status = AppointmentStatus.CANCELLED
    booked.cancel_reason, booked.cancelled_by = "patient unwell", "nurse1"
    booked.cancelled_at = datetime(2026, 2, 6, tzinfo=UTC)
    session.commit()
    again = service.refresh(session=session, today=date(2026, 2, 7), zone=LONDON)
    assert again.reopened == (three.dedupe_key,)
    assert three.status is TaskStatus.OPEN


def test_a_diary_score_does_not_record_a_review(
    session: Session, people: tuple[Patient, Specialist]
) -> None:
    patient, doctor = people
    _procedure(session, patient, doctor)
    make_followup(
        session, patient, followed_on=date(2026, 2, 2), nrs=3, source=FollowUpSource.DIARY
    )
    service.refresh(session=session, today=date(2026, 2, 3), zone=LONDON)
    assert len([t for t in _tasks(session, patient).values() if t.status is TaskStatus.OPEN]) == 4


def test_reviews_due_lists_due_and_overdue_but_not_booked_or_missed(
    session: Session, people: tuple[Patient, Specialist]
) -> None:
    patient, doctor = people
    rf = _procedure(session, patient, doctor)
    _appointment(
        session,
        patient,
        doctor,
        AppointmentKind.REVIEW,
        procedure_id=rf.id,
        review_id="follow-up-first",
        starts_at=datetime(2026, 2, 2, 10, tzinfo=UTC),
    )
    # 2026-04-10: the 3-month review (04-05) is 5 days overdue; its window ends 05-05.
    rows = [
        r
        for r in service.reviews_due(
            session=session, today=date(2026, 4, 10), horizon_days=90, zone=LONDON
        )
        if r.patient_id == patient.id
    ]
    assert [(r.review_id, r.due_on, r.overdue) for r in rows] == [
        ("follow-up-3-months", date(2026, 4, 5), True),
        ("follow-up-6-months", date(2026, 7, 5), False),
    ]
    later = service.reviews_due(
        session=session, today=date(2026, 5, 6), horizon_days=0, zone=LONDON
    )
    assert [r for r in later if r.patient_id == patient.id] == []
    with pytest.raises(InvalidInputError) as refused:
        service.reviews_due(session=session, today=date(2026, 4, 10), horizon_days=-1)
    assert refused.value.problems[0].field == "horizon_days"


def test_a_rising_diary_raises_pain_returned_with_repeat_eligibility(
    session: Session, people: tuple[Patient, Specialist]
) -> None:
    patient, doctor = people
    make_followup(session, patient, followed_on=date(2025, 12, 20), nrs=8)  # baseline 8
    rf = _procedure(session, patient, doctor)
    for on, nrs in [(date(2026, 2, 2), 2), (date(2026, 4, 5), 3), (date(2026, 7, 1), 6)]:
        make_followup(session, patient, followed_on=on, nrs=nrs, source=FollowUpSource.DIARY)
    key = f"pain_returned:procedure:{rf.id}"
    # One score out of relief (NRS 6 = 25 % < 30 %): not yet.
    assert key not in service.refresh(session=session, today=date(2026, 7, 2), zone=LONDON).raised
    make_followup(
        session, patient, followed_on=date(2026, 7, 14), nrs=7, source=FollowUpSource.DIARY
    )
    # 13 days apart: still not.
    assert key not in service.refresh(session=session, today=date(2026, 7, 14), zone=LONDON).raised
    make_followup(
        session, patient, followed_on=date(2026, 7, 15), nrs=7, source=FollowUpSource.DIARY
    )
    result = service.refresh(session=session, today=date(2026, 7, 15), zone=LONDON)
    assert key in result.raised
    task = _tasks(session, patient)[key]
    assert task.due_on == date(2026, 7, 15)
    # 3-month review NRS 3 = 62.5 % > 30 % and pain is back: asra-2020 supports a repeat.
    assert task.detail["repeat"]["eligible"] is True
    assert task.detail["repeat"]["policy"] == "asra-2020"
    # Booking the repeat RF day satisfies it.
    _appointment(
        session,
        patient,
        doctor,
        AppointmentKind.RF_PROCEDURE,
        starts_at=datetime(2026, 8, 3, 8, tzinfo=UTC),
    )
    assert key in service.refresh(session=session, today=date(2026, 7, 16), zone=LONDON).closed


def test_a_positive_block_raises_book_rf_day_until_the_rf_day_is_booked(
    session: Session, people: tuple[Patient, Specialist]
) -> None:
    patient, doctor = people
    _block(session, patient, 40, date(2026, 3, 1))
    service.refresh(session=session, today=date(2026, 3, 2))
    assert _tasks(session, patient) == {}  # 40 % is not positive
    positive = _block(session, patient, 50, date(2026, 3, 9))  # exactly 50 %: positive (>=)
    key = f"book_rf_day:block:{positive.id}"
    assert key in service.refresh(session=session, today=date(2026, 3, 10)).raised
    assert _tasks(session, patient)[key].due_on is None  # no rule sets the earliest day
    rf_day = _appointment(
        session,
        patient,
        doctor,
        AppointmentKind.RF_PROCEDURE,
        starts_at=datetime(2026, 4, 6, 8, tzinfo=UTC),
    )
    assert key in service.refresh(session=session, today=date(2026, 3, 11)).closed
    rf_day.status = AppointmentStatus.CANCELLED
    rf_day.cancel_reason, rf_day.cancelled_by = "list cancelled", "nurse1"
    rf_day.cancelled_at = datetime(2026, 3, 12, tzinfo=UTC)
    session.commit()
    assert key in service.refresh(session=session, today=date(2026, 3, 12)).reopened


def test_a_person_closes_a_task_and_the_sweep_leaves_it_closed(
    session: Session, people: tuple[Patient, Specialist]
) -> None:
    patient, doctor = people
    _procedure(session, patient, doctor)
    service.refresh(session=session, today=date(2026, 1, 6), zone=LONDON)
    task = next(t for t in _tasks(session, patient).values() if t.review_id == "follow-up-first")
    nurse = actor_of(make_user(session, Role.NURSE))
    with pytest.raises(InvalidInputError) as refused:
        service.close(
            session=session,
            actor=nurse,
            task_id=task.id,
            data=TaskClose(version=task.version, status=TaskStatus.DISMISSED),
        )
    assert refused.value.problems[0].field == "reason"
    closed = service.close(
        session=session,
        actor=nurse,
        task_id=task.id,
        data=TaskClose(version=task.version, status=TaskStatus.DISMISSED, reason="moved away"),
    )
    assert (closed.status, closed.closed_by, closed.close_reason) == (
        TaskStatus.DISMISSED,
        nurse.username,
        "moved away",
    )
    with pytest.raises(ConflictError):
        service.close(
            session=session,
            actor=nurse,
            task_id=task.id,
            data=TaskClose(version=closed.version, status=TaskStatus.DONE),
        )
    service.refresh(session=session, today=date(2026, 1, 7), zone=LONDON)
    assert _tasks(session, patient)[task.dedupe_key].status is TaskStatus.DISMISSED


def test_api_lists_open_tasks_for_staff_and_refuses_patients(
    session: Session,
    people: tuple[Patient, Specialist],
    client: Any,
    token_for: Callable[[User], dict[str, str]],
) -> None:
    patient, doctor = people
    # Two days ago: every review's window is still open on the real today the route uses.
    _procedure(session, patient, doctor, performed_at=datetime.now(UTC) - timedelta(days=2))
    nurse = make_user(session, Role.NURSE)
    ran = client.post("/api/v1/tasks/refresh", headers=token_for(nurse))
    assert ran.status_code == 200, ran.text
    listed = client.get(
        f"/api/v1/tasks?patient_id={patient.id}&kind=book_review", headers=token_for(nurse)
    )
    assert listed.status_code == 200
    assert sorted(item["review_id"] for item in listed.json()) == sorted(DUE)
    assert listed.json()[0]["title"] == "book the review"
    bad = client.get("/api/v1/tasks?kind=nonsense", headers=token_for(nurse))
    assert bad.status_code == 422
    assert "kind" in bad.text
    refused = client.get("/api/v1/tasks", headers=token_for(make_user(session, Role.PATIENT)))
    assert refused.status_code == 403
    task_id = listed.json()[0]["id"]
    no_reason = client.post(
        f"/api/v1/tasks/{task_id}/close",
        json={"version": 1, "status": "dismissed"},
        headers=token_for(nurse),
    )
    assert no_reason.status_code == 422
    assert "reason" in no_reason.text
