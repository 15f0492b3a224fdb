"""Plan lifecycle: every status move, the done link in the procedure's transaction,
edits that recompute the holds, and the API's 409/422 answers.

The expected table is written here independently of
:data:`rhizo.clinic.plan.lifecycle.TRANSITIONS` (from the issue: draft ->
scheduled -> done, or cancelled with a reason; done and cancelled are final).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from itertools import product
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of, count
from tests.clinic.factories import (
    good_lesion,
    make_patient,
    make_specialist,
    make_user,
    procedure_payload,
)

from rhizo.clinic.core.audit import service as audit_service
from rhizo.clinic.core.auth.models import Actor, Role, User
from rhizo.clinic.core.common import ConflictError, InvalidInputError
from rhizo.clinic.core.conflicts import VersionConflictError
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.plan import lifecycle
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import Plan, PlanCreate, PlanUpdate
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import Procedure, ProcedureCreate
from rhizo.pathway import premed

Headers = dict[str, str]
STATUSES = ("draft", "scheduled", "done", "cancelled")
#: The moves the issue asks for, written out by hand.
EXPECTED_ALLOWED = {
    ("draft", "scheduled"),
    ("draft", "done"),
    ("draft", "cancelled"),
    ("scheduled", "done"),
    ("scheduled", "cancelled"),
}
REASON = "patient chose to wait"
DAY = date.today() + timedelta(days=30)


def _plan(session: Session, actor: Actor, patient_id: int, **kw: Any) -> Plan:
    payload: dict[str, Any] = {
        "procedure": "lumbar-facet-rf",
        "planned_date": DAY.isoformat(),
        "side": "right",
        "levels": ["L4-L5", "L5-S1"],
    } | kw
    return plan_service.create(
        session=session,
        actor=actor,
        patient_id=patient_id,
        data=PlanCreate.model_validate(payload),
    )


def _patch(session: Session, actor: Actor, plan: Plan, **kw: Any) -> Plan:
    data = PlanUpdate.model_validate({"version": plan.version} | kw)
    return plan_service.update(
        session=session, actor=actor, patient_id=plan.patient_id, plan_id=plan.id, data=data
    )


def _record_from(session: Session, actor: Actor, plan: Plan, **kw: Any) -> Procedure:
    specialist = make_specialist(session)
    data = ProcedureCreate.model_validate(
        procedure_payload(specialist.id, [good_lesion()], plan_id=plan.id, **kw)
    )
    return procedure_service.create(
        session=session, actor=actor, patient_id=plan.patient_id, data=data
    )


def _to(session: Session, actor: Actor, plan: Plan, status: str) -> None:
    """Ask for ``status`` the way a clinician would: done by recording the procedure."""
    if status == "done":
        _record_from(session, actor, plan)
    elif status == "cancelled":
        _patch(session, actor, plan, status="cancelled", cancel_reason=REASON)
    else:
        _patch(session, actor, plan, status=status)


#: How to reach each status from draft through allowed moves only.
ROUTE = {"draft": (), "scheduled": ("scheduled",), "done": ("done",), "cancelled": ("cancelled",)}


@pytest.fixture
def clinician(session: Session) -> Actor:
    return actor_of(make_user(session, Role.CLINICIAN))


def test_the_lifecycle_table_is_the_issues_table() -> None:
    table = {(a.value, b.value) for a, targets in lifecycle.TRANSITIONS.items() for b in targets}
    assert table == EXPECTED_ALLOWED
    assert {s.value for s in lifecycle.EDITABLE} == {"draft", "scheduled"}


@pytest.mark.parametrize(
    ("start", "target"), [(a, b) for a, b in product(STATUSES, STATUSES) if a != b]
)
def test_every_move_is_allowed_or_refused_as_the_table_says(
    session: Session, clinician: Actor, start: str, target: str
) -> None:
    patient = make_patient(session)
    plan = _plan(session, clinician, patient.id)
    for step in ROUTE[start]:
        _to(session, clinician, plan, step)
    session.refresh(plan)
    assert plan.status.value == start
    if (start, target) in EXPECTED_ALLOWED:
        _to(session, clinician, plan, target)
        session.refresh(plan)
        assert plan.status.value == target
        return
    version = plan.version
    # A refused move into done comes from the procedure form (422 on plan_id);
    # any other from the plan's PATCH (409 naming both states).
    expected: type[Exception] = InvalidInputError if target == "done" else ConflictError
    with pytest.raises(expected) as caught:
        _to(session, clinician, plan, target)
    message = str(caught.value)
    assert start in message
    if target != "done":
        assert target in message
    session.refresh(plan)
    assert (plan.status.value, plan.version) == (start, version)  # nothing written


def test_done_is_never_set_by_hand(session: Session, clinician: Actor) -> None:
    plan = _plan(session, clinician, make_patient(session).id)
    with pytest.raises(ConflictError, match="only when a completed procedure is recorded"):
        _patch(session, clinician, plan, status="done")
    assert plan.status.value == "draft"


def test_cancel_needs_a_reason_and_stores_who_and_when(session: Session, clinician: Actor) -> None:
    plan = _plan(session, clinician, make_patient(session).id)
    with pytest.raises(InvalidInputError) as caught:
        _patch(session, clinician, plan, status="cancelled")
    assert caught.value.problems[0].field == "cancel_reason"
    with pytest.raises(InvalidInputError, match="only with status 'cancelled'"):
        _patch(session, clinician, plan, status="scheduled", cancel_reason=REASON)
    session.refresh(plan)
    assert plan.status.value == "draft"
    _patch(session, clinician, plan, status="cancelled", cancel_reason=REASON)
    assert (plan.cancel_reason, plan.cancelled_by) == (REASON, clinician.username)
    assert plan.cancelled_at is not None


@pytest.mark.parametrize(("length", "ok"), [(4, False), (5, True), (500, True), (501, False)])
def test_cancel_reason_length_boundaries(length: int, ok: bool) -> None:
    body = {"version": 1, "status": "cancelled", "cancel_reason": "x" * length}
    if ok:
        assert PlanUpdate.model_validate(body).cancel_reason == "x" * length
    else:
        with pytest.raises(ValueError, match="cancel_reason"):
            PlanUpdate.model_validate(body)


def test_recording_from_the_plan_marks_it_done_and_links_the_procedure(
    session: Session, clinician: Actor
) -> None:
    plan = _plan(session, clinician, make_patient(session).id)
    _patch(session, clinician, plan, status="scheduled")
    procedure = _record_from(session, clinician, plan)
    session.refresh(plan)
    assert (plan.status.value, plan.procedure_id) == ("done", procedure.id)
    assert procedure.plan_id == plan.id


def test_an_abandoned_procedure_leaves_the_plan_open(session: Session, clinician: Actor) -> None:
    plan = _plan(session, clinician, make_patient(session).id)
    _record_from(session, clinician, plan, status="abandoned")
    session.refresh(plan)
    assert (plan.status.value, plan.procedure_id) == ("draft", None)


def test_a_failure_after_the_plan_is_marked_leaves_neither(
    session: Session, clinician: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan(session, clinician, make_patient(session).id)
    _patch(session, clinician, plan, status="scheduled")
    real = audit_service.record

    def failing(**kw: Any) -> Any:
        if kw.get("entity_type") == "plan" and kw.get("details", {}).get("to") == "done":
            raise RuntimeError("disk full")  # after the plan row was changed and flushed
        return real(**kw)

    monkeypatch.setattr(audit_service, "record", failing)
    before = count(session, Procedure)
    with pytest.raises(RuntimeError):
        _record_from(session, clinician, plan)
    session.expire_all()
    assert count(session, Procedure) == before
    stored = session.get(Plan, plan.id)
    assert stored is not None
    assert (stored.status.value, stored.procedure_id) == ("scheduled", None)


def test_deleting_the_procedure_reopens_its_plan(session: Session, clinician: Actor) -> None:
    plan = _plan(session, clinician, make_patient(session).id)
    procedure = _record_from(session, clinician, plan)
    procedure_service.delete(
        session=session, actor=clinician, patient_id=plan.patient_id, procedure_id=procedure.id
    )
    session.refresh(plan)
    assert (plan.status.value, plan.procedure_id) == ("scheduled", None)


def _medicate(session: Session, patient_id: int, *names: str) -> None:
    for name in names:
        session.add(Medication(patient_id=patient_id, name=name, started_on=date(2024, 1, 1)))
    session.flush()


COMPUTED = ("bleeding_risk", "holds", "warnings", "instructions", "unmatched_medications")


def test_an_edit_recomputes_exactly_as_a_new_plan_with_those_inputs(
    session: Session, clinician: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = make_patient(session)
    _medicate(session, patient.id, "clopidogrel", "aspirin", "metformin", "herbal tea")
    old = {"sedation": "none", "egfr_ml_per_min": 90}
    new = {
        "planned_date": (DAY + timedelta(days=9)).isoformat(),
        "side": "bilateral",
        "levels": ["L3-L4"],
        "sedation": "moderate",
        "diabetes": True,
        "risk_factors": ["older_age"],
        "aspirin_indication": "primary",
        "egfr_ml_per_min": 25,
    }
    edited = _plan(session, clinician, patient.id, **old)
    before = {name: getattr(edited, name) for name in COMPUTED}
    calls: list[object] = []
    real = premed.plan_premedication

    def counted(**kw: Any) -> Any:
        calls.append(kw)
        return real(**kw)

    monkeypatch.setattr(plan_service, "plan_premedication", counted)
    _patch(session, clinician, edited, **new)
    assert len(calls) == 1  # one pathway call for eight changed inputs
    fresh = _plan(session, clinician, patient.id, **new)
    after = {name: getattr(edited, name) for name in COMPUTED}
    assert after == {name: getattr(fresh, name) for name in COMPUTED}
    assert after != before  # the inputs mattered (dates, sedation, kidney function)
    assert (edited.side.value, edited.levels) == ("bilateral", ["L3-L4"])


@pytest.mark.parametrize("final", ["done", "cancelled"])
def test_a_final_plan_cannot_be_edited(session: Session, clinician: Actor, final: str) -> None:
    plan = _plan(session, clinician, make_patient(session).id)
    _to(session, clinician, plan, final)
    session.refresh(plan)
    with pytest.raises(lifecycle.PlanNotEditableError, match=f"a {final} plan cannot be edited"):
        _patch(session, clinician, plan, sedation="minimal")


def test_a_stale_edit_is_refused(session: Session, clinician: Actor) -> None:
    plan = _plan(session, clinician, make_patient(session).id)
    data = PlanUpdate.model_validate({"version": plan.version, "sedation": "minimal"})
    plan_service.update(
        session=session, actor=clinician, patient_id=plan.patient_id, plan_id=plan.id, data=data
    )
    with pytest.raises(VersionConflictError):
        plan_service.update(
            session=session,
            actor=clinician,
            patient_id=plan.patient_id,
            plan_id=plan.id,
            data=PlanUpdate.model_validate({"version": 1, "status": "scheduled"}),
        )


# --- the API -----------------------------------------------------------------------------


def test_api_patch_answers_409_and_422_with_specific_messages(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = make_patient(session)
    url = f"/api/v1/patients/{patient.id}/plans"
    body = {
        "procedure": "lumbar-facet-rf",
        "planned_date": DAY.isoformat(),
        "side": "left",
        "levels": ["L4-L5"],
    }
    created = client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["status"] == "draft"
    one = f"{url}/{plan['id']}"
    missing = client.patch(one, json={"version": 1, "status": "cancelled"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "cancel_reason"
    done = client.patch(one, json={"version": 1, "status": "done"}, headers=headers)
    assert done.status_code == 409
    assert "recorded" in done.json()["detail"]
    cancel = {"version": 1, "status": "cancelled", "cancel_reason": REASON}
    cancelled = client.patch(one, json=cancel, headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancel_reason"] == REASON
    again = client.patch(one, json={"version": 2, "status": "scheduled"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["detail"].startswith("a cancelled plan cannot become scheduled")
    edit = client.patch(one, json={"version": 2, "sedation": "minimal"}, headers=headers)
    assert edit.status_code == 409
    assert "cancelled plan cannot be edited" in edit.json()["detail"]
    legacy = client.patch(one, json={"version": 2, "status": "confirmed"}, headers=headers)
    assert legacy.status_code == 422  # the old name is gone
    assert session.scalar(sa.select(Plan.status).where(Plan.id == plan["id"])) == "cancelled"
