"""Worklist tasks: the pathway's sweep that raises and closes them, and the hand closes.

:func:`refresh` is idempotent: it reads the registry once, derives which tasks
should be open today, inserts the missing ones (UNIQUE ``dedupe_key``: run twice,
or by two workers at once, the second insert is skipped) and closes those the
facts now satisfy. What raises and what satisfies each kind (every rule called,
never re-derived; docs/pathway-calendar.md):

- ``book_review``: each completed procedure's reviews,
  :func:`rhizo.pathway.followup.follow_up_schedule` of its clinic day
  (:func:`rhizo.pathway.clinic_day.procedure_day`). Satisfied when a review
  appointment for that procedure and review id is booked (booked, arrived or
  completed), or the review is *recorded*: a clinic or phone follow-up of that
  procedure (:func:`rhizo.pathway.attribution.assign_reviews`) dated within
  :data:`rhizo.pathway.windows.WINDOW_DAYS` of the due day (for the 3, 6 and
  12-month reviews exactly :func:`rhizo.pathway.windows.window_for`). A review
  whose window closed before the sweep first saw it is not raised (it was
  missed; the outcomes count it as lost to follow-up).
- ``pain_returned``: the patient's latest completed procedure, its baseline
  (:func:`rhizo.pathway.baseline.baseline_for_procedure`) and scores, judged by
  :func:`rhizo.pathway.relief_lost.relief_lost` under the region policy's repeat
  threshold; the task carries :func:`rhizo.pathway.followup.repeat_eligibility`.
  Satisfied when a later procedure is recorded or an RF day is booked after it.
- ``book_rf_day``: :func:`rhizo.pathway.rf_day.propose_rf_day` from the
  patient's blocks; satisfied when an RF day is booked (held) or a procedure is
  recorded after the block.

A task the sweep closed (``closed_by`` ``pathway``) is reopened when its facts
stop holding (the RF day cancelled); one a person closed stays closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from rhizo.clinic.core.conflicts import check_version
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.plan.lifecycle import EDITABLE
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus
from rhizo.clinic.schedule.models import Appointment, AppointmentKind, AppointmentStatus
from rhizo.clinic.tasks.models import (
    SWEEP_ACTOR,
    ReviewDue,
    TaskClose,
    TaskKind,
    TaskStatus,
    WorklistTask,
)
from rhizo.pathway.attribution import assign_reviews
from rhizo.pathway.baseline import BlockReading, baseline_for_procedure
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.followup import PainScore, follow_up_schedule, repeat_eligibility
from rhizo.pathway.policies import FacetRegion, Threshold, policy_for_region
from rhizo.pathway.relief import RESPONDER_THRESHOLD
from rhizo.pathway.relief_lost import relief_lost
from rhizo.pathway.rf_day import BlockFacts, propose_rf_day
from rhizo.pathway.windows import WINDOW_DAYS

ENTITY = "task"
#: The sweep's actor in the audit trail.
PATHWAY_ACTOR = Actor(user_id=None, username=SWEEP_ACTOR, role=None)
#: Appointment statuses that book a review or an RF day (a no-show or cancellation does not).
BOOKED = frozenset(
    {AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.COMPLETED}
)
#: Follow-up sources that record a review (a diary entry is the patient's own, not a review).
REVIEW_SOURCES = frozenset({FollowUpSource.CLINIC, FollowUpSource.PHONE})


@dataclass
class _Patient:
    """One patient's rows the rules read."""

    procedures: list[Procedure] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    blocks: list[DiagnosticBlock] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)


@dataclass(frozen=True)
class _Wanted:
    """A task the facts call for today."""

    kind: TaskKind
    patient_id: int
    key: str
    due_on: date | None
    detail: dict[str, Any]
    block_id: int | None = None
    procedure_id: int | None = None
    plan_id: int | None = None
    review_id: str | None = None


@dataclass(frozen=True)
class _Review:
    """One scheduled review of one procedure and whether it is booked or recorded."""

    patient_id: int
    procedure_id: int
    procedure_day: date
    review_id: str
    label: str
    due_on: date
    source: str
    satisfied: bool
    appointment_id: int | None

    @property
    def window_end(self) -> date:
        return self.due_on + timedelta(days=WINDOW_DAYS)


def _rows(session: Session, patient_id: int | None = None) -> dict[int, _Patient]:
    """Every patient's rows (or one patient's), grouped; each list in id order."""
    grouped: dict[int, _Patient] = defaultdict(_Patient)
    models: list[tuple[type[Any], str]] = [
        (Procedure, "procedures"),
        (FollowUp, "followups"),
        (DiagnosticBlock, "blocks"),
        (Appointment, "appointments"),
        (Plan, "plans"),
    ]
    for model, name in models:
        statement = sa.select(model).order_by(model.id)
        if patient_id is not None:
            statement = statement.where(model.patient_id == patient_id)
        for row in session.scalars(statement):
            getattr(grouped[row.patient_id], name).append(row)
    return grouped


def _completed(rows: _Patient, zone: tzinfo, today: date) -> list[tuple[Procedure, date]]:
    """Completed procedures done by ``today``, sorted by start time (then id), with their day."""
    done = sorted(
        (p for p in rows.procedures if p.status is ProcedureStatus.COMPLETED),
        key=lambda p: (p.performed_at, p.id),
    )
    pairs = [(p, procedure_day(p.performed_at, zone)) for p in done]
    return [(p, day) for p, day in pairs if day <= today]


def _reviews(rows: _Patient, zone: tzinfo, today: date) -> list[_Review]:
    """Every completed procedure's scheduled reviews, each booked/recorded or not."""
    done = _completed(rows, zone, today)
    owned = assign_reviews(
        [(p.id, day) for p, day in done],
        [
            (f.followed_on, f.nrs, f.procedure_id, None)
            for f in sorted(rows.followups, key=lambda f: (f.followed_on, f.id))
            if f.source in REVIEW_SOURCES
        ],
    )
    result = []
    for procedure, day in done:
        recorded_on = [on for on, _, _ in owned[procedure.id]]
        for visit in follow_up_schedule(day):
            booked = [
                a.id
                for a in rows.appointments
                if a.kind is AppointmentKind.REVIEW
                and a.procedure_id == procedure.id
                and a.review_id == visit.id
                and a.status in BOOKED
            ]
            half = timedelta(days=WINDOW_DAYS)
            recorded = any(visit.due - half <= on <= visit.due + half for on in recorded_on)
            result.append(
                _Review(
                    patient_id=procedure.patient_id,
                    procedure_id=procedure.id,
                    procedure_day=day,
                    review_id=visit.id,
                    label=visit.label,
                    due_on=visit.due,
                    source=visit.source,
                    satisfied=bool(booked) or recorded,
                    appointment_id=booked[0] if booked else None,
                )
            )
    return result


def _region(procedure: Procedure) -> FacetRegion | None:
    value = procedure.region.value
    return FacetRegion(value) if value in {r.value for r in FacetRegion} else None


def _rf_booked_after(rows: _Patient, day: date, zone: tzinfo) -> bool:
    """An RF day held (booked, arrived, completed) or a procedure recorded after ``day``."""
    if any(
        a.kind is AppointmentKind.RF_PROCEDURE
        and a.status in BOOKED
        and procedure_day(a.starts_at, zone) > day
        for a in rows.appointments
    ):
        return True
    return any(
        p.status is ProcedureStatus.COMPLETED and procedure_day(p.performed_at, zone) > day
        for p in rows.procedures
    )


def _pain_returned(rows: _Patient, zone: tzinfo, today: date) -> _Wanted | None:
    done = _completed(rows, zone, today)
    if not done:
        return None
    last, day = done[-1]
    if _rf_booked_after(rows, day, zone):
        return None
    scores = sorted(
        (f for f in rows.followups if f.followed_on <= today), key=lambda f: (f.followed_on, f.id)
    )
    owned = assign_reviews(
        [(p.id, d) for p, d in done],
        [(f.followed_on, f.nrs, f.procedure_id, f.pgic) for f in scores],
    )
    baseline = baseline_for_procedure(
        day=day,
        scores=[(f.followed_on, f.nrs) for f in scores],
        blocks=[
            BlockReading(b.performed_on, b.baseline_nrs, b.relief_percent) for b in rows.blocks
        ],
    )
    if baseline is None:
        return None
    region = _region(last)
    policy = None if region is None else policy_for_region(region)
    threshold = (
        RESPONDER_THRESHOLD
        if policy is None
        else Threshold(value=policy.repeat.min_relief_percent, inclusive=policy.repeat.inclusive)
    )
    mine = owned[last.id]
    verdict = relief_lost(
        baseline_nrs=baseline.nrs,
        day=day,
        scores=[(on, nrs) for on, nrs, _ in mine],
        threshold=threshold,
    )
    if not verdict.lost:
        return None
    detail: dict[str, Any] = {
        "message": verdict.message,
        "baseline_nrs": baseline.nrs,
        "out_since": verdict.out_since.isoformat() if verdict.out_since else None,
        "latest_on": verdict.latest_on.isoformat() if verdict.latest_on else None,
        "threshold_percent": threshold.value,
        "threshold_inclusive": threshold.inclusive,
    }
    if policy is None:
        detail["repeat"] = {
            "policy": None,
            "eligible": None,
            "message": "No guideline policy covers this region; the clinician decides on a "
            "repeat (relief judged at the responder threshold, >= 50 %).",
        }
    else:
        repeat = repeat_eligibility(
            baseline_nrs=baseline.nrs,
            procedure_date=day,
            scores=[PainScore(on=on, nrs=nrs, pgic=pgic) for on, nrs, pgic in mine],
            policy=policy.id,
            as_of=today,
        )
        detail["repeat"] = repeat.model_dump(mode="json")
    return _Wanted(
        kind=TaskKind.PAIN_RETURNED,
        patient_id=last.patient_id,
        key=f"pain_returned:procedure:{last.id}",
        due_on=verdict.latest_on,
        detail=detail,
        procedure_id=last.id,
    )


def _book_rf_day(rows: _Patient, zone: tzinfo, today: date) -> _Wanted | None:
    proposal = propose_rf_day(
        BlockFacts(
            id=b.id,
            performed_on=b.performed_on,
            block_type=b.block_type.value,
            levels=tuple(b.levels),
            relief_percent=b.relief_percent,
        )
        for b in rows.blocks
        if b.performed_on <= today
    )
    if proposal is None or _rf_booked_after(rows, proposal.block_on, zone):
        return None
    open_plans = [p for p in rows.plans if p.status in EDITABLE]
    block = next(b for b in rows.blocks if b.id == proposal.block_id)
    return _Wanted(
        kind=TaskKind.BOOK_RF_DAY,
        patient_id=block.patient_id,
        key=f"book_rf_day:block:{proposal.block_id}",
        due_on=proposal.earliest_on,
        detail={
            "message": proposal.message,
            "source": proposal.source,
            "policy": proposal.policy,
            "earliest_on": None,
        },
        block_id=proposal.block_id,
        plan_id=open_plans[-1].id if open_plans else None,
    )


def _wanted(
    rows: dict[int, _Patient], zone: tzinfo, today: date
) -> tuple[list[_Wanted], dict[str, int | None]]:
    """The tasks the facts call for, and the review tasks the facts satisfy (key ->
    the booked review appointment, None when recorded without one)."""
    wanted: list[_Wanted] = []
    satisfied: dict[str, int | None] = {}
    for patient_rows in rows.values():
        for review in _reviews(patient_rows, zone, today):
            key = f"book_review:procedure:{review.procedure_id}:{review.review_id}"
            if review.satisfied:
                satisfied[key] = review.appointment_id
                continue
            wanted.append(
                _Wanted(
                    kind=TaskKind.BOOK_REVIEW,
                    patient_id=review.patient_id,
                    key=key,
                    due_on=review.due_on,
                    detail={
                        "message": f"Book the {review.label} (due {review.due_on.isoformat()}).",
                        "label": review.label,
                        "source": review.source,
                        "window_end": review.window_end.isoformat(),
                    },
                    procedure_id=review.procedure_id,
                    review_id=review.review_id,
                )
            )
        for rule in (_pain_returned, _book_rf_day):
            task = rule(patient_rows, zone, today)
            if task is not None:
                wanted.append(task)
    return wanted, satisfied


@dataclass(frozen=True)
class RefreshResult:
    """What one sweep did (keys of the tasks raised, closed and reopened)."""

    raised: tuple[str, ...]
    closed: tuple[str, ...]
    reopened: tuple[str, ...]


def refresh(
    *,
    session: Session,
    today: date,
    zone: tzinfo = UTC,
    patient_id: int | None = None,
) -> RefreshResult:
    """Raise the missing tasks and close the satisfied ones (rules in the module docstring).

    ``zone``: the clinic's (``Settings.clinic_zone``), for procedures' and
    appointments' calendar days. ``patient_id``: sweep one patient only (after
    that patient's diary entry). One write transaction; audited per task.
    Idempotent: a second run with the same facts changes nothing.
    """
    with transactions.transaction(session):
        rows = _rows(session, patient_id)
        wanted, satisfied = _wanted(rows, zone, today)
        existing_query = sa.select(WorklistTask)
        if patient_id is not None:
            existing_query = existing_query.where(WorklistTask.patient_id == patient_id)
        existing = {task.dedupe_key: task for task in session.scalars(existing_query)}
        by_key = {task.key: task for task in wanted}
        raised, closed, reopened = [], [], []
        now = utcnow()
        for key, want in by_key.items():
            task = existing.get(key)
            if task is None:
                missed = (
                    want.kind is TaskKind.BOOK_REVIEW
                    and want.due_on is not None
                    and want.due_on + timedelta(days=WINDOW_DAYS) < today
                )
                if missed:
                    continue  # its window closed before the sweep saw it: not raised
                session.add(_new_task(want))
                raised.append(key)
            elif task.status is not TaskStatus.OPEN and task.closed_by == SWEEP_ACTOR:
                task.status, task.closed_by, task.closed_at = TaskStatus.OPEN, None, None
                task.close_reason = None
                task.detail, task.due_on = want.detail, want.due_on
                reopened.append(key)
        for key, task in existing.items():
            if task.status is TaskStatus.OPEN and key not in by_key:
                task.status, task.closed_by, task.closed_at = TaskStatus.DONE, SWEEP_ACTOR, now
                task.close_reason = (
                    "booked or recorded" if key in satisfied else "the facts no longer call for it"
                )
                if satisfied.get(key) is not None:
                    task.appointment_id = satisfied[key]
                closed.append(key)
        session.flush()
        for keys, action in ((raised, "raised"), (closed, "closed"), (reopened, "reopened")):
            for key in keys:
                task = session.scalars(
                    sa.select(WorklistTask).where(WorklistTask.dedupe_key == key)
                ).one()
                audit.record(
                    session=session,
                    actor=PATHWAY_ACTOR,
                    action=AuditAction.CREATE if action == "raised" else AuditAction.UPDATE,
                    entity_type=ENTITY,
                    entity_id=task.id,
                    patient_id=task.patient_id,
                    details={"sweep": action, "kind": task.kind.value},
                )
    return RefreshResult(tuple(raised), tuple(closed), tuple(reopened))


def _new_task(want: _Wanted) -> WorklistTask:
    return WorklistTask(
        kind=want.kind,
        patient_id=want.patient_id,
        block_id=want.block_id,
        procedure_id=want.procedure_id,
        plan_id=want.plan_id,
        review_id=want.review_id,
        due_on=want.due_on,
        status=TaskStatus.OPEN,
        detail=want.detail,
        dedupe_key=want.key,
    )


def open_tasks(
    *, session: Session, kind: TaskKind | None = None, patient_id: int | None = None
) -> Sequence[WorklistTask]:
    """Open tasks, soonest due first (undated last), then oldest; not audited (callers audit)."""
    statement = sa.select(WorklistTask).where(WorklistTask.status == TaskStatus.OPEN)
    if kind is not None:
        statement = statement.where(WorklistTask.kind == kind)
    if patient_id is not None:
        statement = statement.where(WorklistTask.patient_id == patient_id)
    statement = statement.order_by(
        WorklistTask.due_on.is_(None), WorklistTask.due_on, WorklistTask.id
    )
    return session.scalars(statement).all()


def reviews_due(
    *, session: Session, today: date, horizon_days: int, zone: tzinfo = UTC
) -> list[ReviewDue]:
    """Reviews due by ``today + horizon_days`` and overdue ones whose window is still open,
    neither booked nor recorded (the same rule as the ``book_review`` tasks), soonest first."""
    if horizon_days < 0 or horizon_days > 366:
        raise InvalidInputError(
            [FieldProblem("horizon_days", horizon_days, "range", "0 to 366 days")]
        )
    last = today + timedelta(days=horizon_days)
    due = [
        ReviewDue(
            patient_id=r.patient_id,
            procedure_id=r.procedure_id,
            procedure_day=r.procedure_day,
            review_id=r.review_id,
            label=r.label,
            due_on=r.due_on,
            overdue=r.due_on < today,
            source=r.source,
        )
        for rows in _rows(session).values()
        for r in _reviews(rows, zone, today)
        if not r.satisfied and r.due_on <= last and r.window_end >= today
    ]
    return sorted(due, key=lambda r: (r.due_on, r.patient_id, r.procedure_id))


def get(*, session: Session, task_id: int) -> WorklistTask:
    """One task (404 when it does not exist)."""
    task = session.get(WorklistTask, task_id)
    if task is None:
        raise NotFoundError(ENTITY, task_id)
    return task


def close(*, session: Session, actor: Actor, task_id: int, data: TaskClose) -> WorklistTask:
    """Close a task by hand: done, or dismissed with a reason (422 without one; 409 when it
    is already closed or the version is stale). A person's close is never undone by a sweep."""
    if data.status is TaskStatus.OPEN:
        raise InvalidInputError(
            [FieldProblem("status", data.status.value, "closing", "done or dismissed")]
        )
    if data.status is TaskStatus.DISMISSED and data.reason is None:
        raise InvalidInputError(
            [FieldProblem("reason", None, "required", "say why the task is dismissed")]
        )
    with transactions.transaction(session):
        task = get(session=session, task_id=task_id)
        check_version(task, data.version)
        if task.status is not TaskStatus.OPEN:
            raise ConflictError(f"task {task_id} is already {task.status.value}")
        task.status = data.status
        task.closed_by = actor.username[:64]
        task.closed_at = utcnow()
        task.close_reason = data.reason
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=task.id,
            patient_id=task.patient_id,
            details={"status": data.status.value},
        )
    return task
