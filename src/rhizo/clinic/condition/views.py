"""Routes for a patient's conditions and conservative-care trials."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from rhizo.clinic.condition import service
from rhizo.clinic.condition.models import (
    CareTrialCreate,
    CareTrialRead,
    CareTrialUpdate,
    ConditionCreate,
    ConditionRead,
    ConditionUpdate,
)
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.access import ClinicalWriter, PatientReader

router = APIRouter(prefix="/patients")


@router.get("/{patient_id}/conditions", response_model=Page[ConditionRead], tags=["conditions"])
def list_conditions(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ConditionRead]:
    """A patient's conditions."""
    rows, total = service.get_all(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[ConditionRead](
        items=[ConditionRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{patient_id}/conditions",
    response_model=ConditionRead,
    status_code=status.HTTP_201_CREATED,
    tags=["conditions"],
)
def create_condition(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, data: ConditionCreate
) -> ConditionRead:
    """Record a condition."""
    return ConditionRead.model_validate(
        service.create(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get(
    "/{patient_id}/conditions/{condition_id}", response_model=ConditionRead, tags=["conditions"]
)
def get_condition(
    actor: PatientReader, session: SessionDep, patient_id: DbId, condition_id: DbId
) -> ConditionRead:
    """One condition."""
    return ConditionRead.model_validate(
        service.get(session=session, actor=actor, patient_id=patient_id, condition_id=condition_id)
    )


@router.patch(
    "/{patient_id}/conditions/{condition_id}", response_model=ConditionRead, tags=["conditions"]
)
def update_condition(
    actor: ClinicalWriter,
    session: SessionDep,
    patient_id: DbId,
    condition_id: DbId,
    data: ConditionUpdate,
) -> ConditionRead:
    """Change a condition."""
    return ConditionRead.model_validate(
        service.update(
            session=session,
            actor=actor,
            patient_id=patient_id,
            condition_id=condition_id,
            data=data,
        )
    )


@router.delete(
    "/{patient_id}/conditions/{condition_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["conditions"],
)
def delete_condition(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, condition_id: DbId
) -> Response:
    """Delete a condition (recorded in error)."""
    service.delete(session=session, actor=actor, patient_id=patient_id, condition_id=condition_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{patient_id}/care-trials", response_model=Page[CareTrialRead], tags=["care-trials"])
def list_care_trials(
    actor: PatientReader,
    session: SessionDep,
    patient_id: DbId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CareTrialRead]:
    """A patient's conservative-care trials."""
    rows, total = service.get_all_trials(
        session=session, actor=actor, patient_id=patient_id, limit=limit, offset=offset
    )
    return Page[CareTrialRead](
        items=[CareTrialRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{patient_id}/care-trials",
    response_model=CareTrialRead,
    status_code=status.HTTP_201_CREATED,
    tags=["care-trials"],
)
def create_trial(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, data: CareTrialCreate
) -> CareTrialRead:
    """Record a conservative-care trial."""
    return CareTrialRead.model_validate(
        service.create_trial(session=session, actor=actor, patient_id=patient_id, data=data)
    )


@router.get(
    "/{patient_id}/care-trials/{trial_id}", response_model=CareTrialRead, tags=["care-trials"]
)
def get_trial(
    actor: PatientReader, session: SessionDep, patient_id: DbId, trial_id: DbId
) -> CareTrialRead:
    """One conservative-care trial."""
    return CareTrialRead.model_validate(
        service.get_trial(session=session, actor=actor, patient_id=patient_id, trial_id=trial_id)
    )


@router.patch(
    "/{patient_id}/care-trials/{trial_id}", response_model=CareTrialRead, tags=["care-trials"]
)
def update_trial(
    actor: ClinicalWriter,
    session: SessionDep,
    patient_id: DbId,
    trial_id: DbId,
    data: CareTrialUpdate,
) -> CareTrialRead:
    """Change a conservative-care trial."""
    return CareTrialRead.model_validate(
        service.update_trial(
            session=session, actor=actor, patient_id=patient_id, trial_id=trial_id, data=data
        )
    )


@router.delete(
    "/{patient_id}/care-trials/{trial_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["care-trials"],
)
def delete_trial(
    actor: ClinicalWriter, session: SessionDep, patient_id: DbId, trial_id: DbId
) -> Response:
    """Delete a conservative-care trial (recorded in error)."""
    service.delete_trial(session=session, actor=actor, patient_id=patient_id, trial_id=trial_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
