"""The procedure service: gates on every lesion, overrides, all-or-nothing writes."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of, count
from tests.clinic.factories import (
    good_lesion,
    make_patient,
    make_specialist,
    make_user,
    procedure_payload,
)

from rhizo.clinic.core.audit.models import AuditEvent
from rhizo.clinic.core.auth.models import Role
from rhizo.clinic.core.common import InvalidInputError, NotFoundError, PermissionDeniedError
from rhizo.clinic.procedure import service
from rhizo.clinic.procedure.models import Lesion, Procedure, ProcedureCreate


def _create(
    session: Session, role: Role, lesions: list[dict[str, object]], **kw: object
) -> Procedure:
    patient = make_patient(session)
    specialist = make_specialist(session)
    data = ProcedureCreate.model_validate(procedure_payload(specialist.id, lesions, **kw))
    return service.create(
        session=session, actor=actor_of(make_user(session, role)), patient_id=patient.id, data=data
    )


def test_stores_procedure_lesions_and_verdicts(session: Session) -> None:
    procedure = _create(session, Role.CLINICIAN, [good_lesion(), good_lesion(gauge=22)])
    assert [lesion.ordinal for lesion in procedure.lesions] == [1, 2]
    assert all(lesion.gate_proceed for lesion in procedure.lesions)
    # A 22 G cannula is a non-blocking finding, stored with its citation.
    rules = [f["rule"] for f in procedure.lesions[1].gate_findings]
    assert "cannula-size" in rules
    assert (
        count(
            session,
            AuditEvent,
            AuditEvent.entity_type == "procedure",
            AuditEvent.entity_id == str(procedure.id),
        )
        == 1
    )


def test_limb_motor_response_is_refused_with_the_reason(session: Session) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _create(session, Role.CLINICIAN, [good_lesion(motor_response="limb")])
    (problem,) = caught.value.problems
    assert problem.field == "lesions[0].motor_response"
    assert problem.value == "limb"
    assert problem.rule == "gate:motor-limb-contraction"


def test_three_lesions_third_blocked_writes_nothing(session: Session) -> None:
    before = (count(session, Procedure), count(session, Lesion), count(session, AuditEvent))
    lesions = [good_lesion(), good_lesion(), good_lesion(local_anaesthetic_given=False)]
    with pytest.raises(InvalidInputError) as caught:
        _create(session, Role.CLINICIAN, lesions)
    assert caught.value.problems[0].field == "lesions[2].local_anaesthetic_given"
    assert (count(session, Procedure), count(session, Lesion), count(session, AuditEvent)) == before


def test_override_with_reason_is_stored(session: Session) -> None:
    reason = "Limb twitch only at 3 V after repositioning; anatomy confirmed on AP and lateral."
    procedure = _create(
        session, Role.CLINICIAN, [good_lesion(motor_response="limb", override_reason=reason)]
    )
    (lesion,) = procedure.lesions
    assert lesion.gate_proceed is False
    assert lesion.override_reason == reason
    assert lesion.override_by_id is not None
    assert lesion.override_at is not None
    assert any(f["blocking"] for f in lesion.gate_findings)


def test_blocked_lesion_not_performed_needs_no_override(session: Session) -> None:
    procedure = _create(
        session,
        Role.CLINICIAN,
        [good_lesion(motor_response="limb", performed=False), good_lesion()],
    )
    assert [lesion.performed for lesion in procedure.lesions] == [False, True]
    assert procedure.lesions[0].gate_proceed is False


def test_override_on_a_passing_lesion_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _create(session, Role.CLINICIAN, [good_lesion(override_reason="no reason at all here")])
    assert caught.value.problems[0].rule == "override_without_block"


def test_nurse_cannot_override(session: Session) -> None:
    before = count(session, Procedure), count(session, Lesion)
    with pytest.raises(PermissionDeniedError):
        _create(
            session,
            Role.NURSE,
            [good_lesion(motor_response="limb", override_reason="because I say so, really")],
        )
    assert (count(session, Procedure), count(session, Lesion)) == before


def test_lesion_side_must_match_the_procedure(session: Session) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _create(session, Role.CLINICIAN, [good_lesion(side="left")])
    assert caught.value.problems[0].rule == "side_mismatch"


def test_unknown_performer_is_a_field_problem(session: Session) -> None:
    patient = make_patient(session)
    data = ProcedureCreate.model_validate(procedure_payload(987654, [good_lesion()]))
    with pytest.raises(InvalidInputError) as caught:
        service.create(
            session=session,
            actor=actor_of(make_user(session, Role.CLINICIAN)),
            patient_id=patient.id,
            data=data,
        )
    assert caught.value.problems[0].field == "performer_id"


def test_add_lesion_is_gated_and_numbered(session: Session) -> None:
    procedure = _create(session, Role.CLINICIAN, [good_lesion()])
    actor = actor_of(make_user(session, Role.CLINICIAN))
    from rhizo.clinic.procedure.models import LesionCreate

    lesion = service.add_lesion(
        session=session,
        actor=actor,
        patient_id=procedure.patient_id,
        procedure_id=procedure.id,
        data=LesionCreate.model_validate(good_lesion()),
    )
    assert lesion.ordinal == 2
    with pytest.raises(InvalidInputError) as caught:
        service.add_lesion(
            session=session,
            actor=actor,
            patient_id=procedure.patient_id,
            procedure_id=procedure.id,
            data=LesionCreate.model_validate(good_lesion(motor_response=None)),
        )
    assert caught.value.problems[0].field == "lesions[2].motor_response"
    assert count(session, Lesion, Lesion.procedure_id == procedure.id) == 2


def test_procedure_of_another_patient_is_not_found(session: Session) -> None:
    procedure = _create(session, Role.CLINICIAN, [good_lesion()])
    other = make_patient(session)
    with pytest.raises(NotFoundError):
        service.get(
            session=session,
            actor=actor_of(make_user(session, Role.CLINICIAN)),
            patient_id=other.id,
            procedure_id=procedure.id,
        )
