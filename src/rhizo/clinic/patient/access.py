"""The own-record rule, once: who may act on one patient's record.

Staff whose role holds the route's permission may; a patient-role user may
instead with the route's ``own`` permission, but only on the patient record
linked to their login (any other record: 403). The REST routes use it through
:class:`require_patient`; the pages through ``rhizo.clinic.web.access``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor, Role, User
from rhizo.clinic.core.auth.permissions import Permission, allows
from rhizo.clinic.core.deps import CurrentUser, RoleDependency, SessionDep, actor_of
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient import service as patient_service


def linked_patient_id(*, session: Session, user: User) -> int | None:
    """The patient record linked to ``user`` when a patient-role login, else None."""
    if user.role is not Role.PATIENT:
        return None
    return patient_service.patient_id_of_user(session=session, user_id=user.id)


def may_act_on_record(
    role: Role,
    *,
    permission: Permission,
    own: Permission | None,
    linked_patient_id: int | None,
    patient_id: int,
) -> bool:
    """Whether ``role`` may act on patient ``patient_id``'s record: it holds ``permission``,
    or it is the patient role holding ``own`` and ``patient_id`` is its linked record."""
    if allows(role, permission):
        return True
    return (
        own is not None
        and role is Role.PATIENT
        and allows(role, own)
        and linked_patient_id is not None
        and linked_patient_id == patient_id
    )


class require_patient(RoleDependency):
    """Like :class:`rhizo.clinic.core.deps.require` for ``/patients/{patient_id}/...``
    routes: a patient-role user passes with ``own`` instead, but only for the patient
    record linked to their account (:func:`may_act_on_record`); any other record is 403.
    """

    def __init__(self, permission: Permission, own: Permission | None = None) -> None:
        super().__init__(permission)
        self.own = own

    def __call__(
        self, request: Request, user: CurrentUser, session: SessionDep, patient_id: DbId
    ) -> Actor:
        allowed = may_act_on_record(
            user.role,
            permission=self.permission,
            own=self.own,
            linked_patient_id=linked_patient_id(session=session, user=user),
            patient_id=patient_id,
        )
        if allowed:
            return actor_of(request, user)
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role.value} may not {self.permission.value} for patient {patient_id}",
        )


PatientReader = Annotated[
    Actor, Depends(require_patient(Permission.PATIENT_READ, own=Permission.OWN_RECORD_READ))
]
ClinicalWriter = Annotated[Actor, Depends(require_patient(Permission.CLINICAL_WRITE))]
DiaryWriter = Annotated[
    Actor, Depends(require_patient(Permission.CLINICAL_WRITE, own=Permission.OWN_DIARY_WRITE))
]
ProcedureWriter = Annotated[Actor, Depends(require_patient(Permission.PROCEDURE_WRITE))]
PatientEditor = Annotated[Actor, Depends(require_patient(Permission.PATIENT_WRITE))]
PatientDeleter = Annotated[Actor, Depends(require_patient(Permission.PATIENT_DELETE))]
