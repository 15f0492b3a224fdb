"""The admin's user pages: list, create, change role, deactivate or reactivate, reset the
password, link a patient login to its record.

Every write goes through the same services as ``/api/v1/users`` and
``/api/v1/patients/{id}/login`` (:mod:`rhizo.clinic.core.auth.service`,
:func:`rhizo.clinic.patient.service.link_login`), so the rules are the API's: the
password strength rule at creation, the last-admin guard (the last active admin can
be neither deactivated nor demoted), a patient login linked to one record at most,
a staff login never linked; each write is audited there and ends the user's sessions
where it should (role, deactivation, password). Refusals show inline on the field
the service names (422), a stale form as a conflict (409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth import service as users
from rhizo.clinic.core.auth.models import USERNAME_PATTERN, Role, User, UserCreate, UserUpdate
from rhizo.clinic.core.auth.passwords import MIN_PASSWORD_LENGTH
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import ConflictError, InvalidInputError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.web.access import PageAccess, WebUser, check_csrf, read_form
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

#: The admin's pages: the API's user management permission.
UserAdmin = Annotated[WebUser, Depends(PageAccess(Permission.USER_MANAGE))]
#: Users listed per page.
PAGE_SIZE = 50
ROLE_CHOICES = [(role.value, role.value) for role in Role]


@dataclass(frozen=True)
class UserRow:
    """One user as the admin's list shows it."""

    user: User
    last_login: datetime | None
    patient_id: int | None
    patient_mrn: str | None


def _links(session: Session, user_ids: list[int]) -> dict[int, tuple[int, str]]:
    rows = session.execute(
        sa.select(Patient.user_id, Patient.id, Patient.mrn).where(Patient.user_id.in_(user_ids))
    ).all()
    return {int(uid): (int(pid), str(mrn)) for uid, pid, mrn in rows if uid is not None}


def user_rows(session: Session, found: list[User]) -> list[UserRow]:
    """The list's rows: each user with the last login and the linked patient record."""
    ids = [user.id for user in found]
    logins = users.last_logins(session=session, user_ids=ids)
    links = _links(session, ids)
    return [
        UserRow(
            user=user,
            last_login=logins.get(user.id),
            patient_id=links[user.id][0] if user.id in links else None,
            patient_mrn=links[user.id][1] if user.id in links else None,
        )
        for user in found
    ]


def _list_page(
    request: Request,
    admin: WebUser,
    session: Session,
    *,
    page: int = 1,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page = max(1, min(page, 100_000))
    found, total = users.get_all(session=session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    rows = user_rows(session, list(found))
    audit.record_now(
        session=session,
        actor=admin.actor,
        action=AuditAction.READ,
        entity_type="user_list",
        details={"page": page, "returned": len(rows)},
    )
    return render(
        request,
        "admin/users.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "roles": ROLE_CHOICES,
            "errors": errors or {},
            "values": values or {"role": Role.CLINICIAN.value},
            "created": request.query_params.get("created"),
            "username_pattern": USERNAME_PATTERN.strip("^$"),
            "min_password": MIN_PASSWORD_LENGTH,
        },
        user=admin,
        status_code=status_code,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, admin: UserAdmin, session: SessionDep, page: int = 1) -> Response:
    """Every user: role, active, second factor, last login, linked patient; the create form."""
    return _list_page(request, admin, session, page=page)


@router.post("/admin/users", response_class=HTMLResponse)
async def create_user(request: Request, admin: UserAdmin, session: SessionDep) -> Response:
    """Add a user (username rule, role, a password that passes the strength rule)."""
    form = await read_form(request)
    check_csrf(admin, form)
    values = {key: form.get(key, "").strip() for key in ("username", "full_name", "role")}
    if form.get("password", "") != form.get("confirm_password", ""):
        errors = {"confirm_password": "does not match the password"}
        return _list_page(request, admin, session, errors=errors, values=values, status_code=422)
    try:
        data = UserCreate.model_validate(
            {
                "username": values["username"],
                "full_name": values["full_name"] or None,
                "role": values["role"],
                "password": form.get("password", ""),
            }
        )
        created = users.create(session=session, actor=admin.actor, data=data)
    except ValidationError as error:
        errors = _without_password(validation_errors(error))
        return _list_page(request, admin, session, errors=errors, values=values, status_code=422)
    except ConflictError as error:
        return _list_page(
            request, admin, session, errors={"username": str(error)}, values=values, status_code=409
        )
    return RedirectResponse(f"/admin/users/{created.id}?created=1", status_code=303)


def _without_password(errors: Errors) -> Errors:
    # Pydantic echoes the typed value ("entered '...'"): never show a password back.
    if "password" in errors:
        errors["password"] = errors["password"].split(" (entered ")[0]
    return errors


def _user_page(
    request: Request,
    admin: WebUser,
    session: Session,
    user: User,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    temporary_password: str | None = None,
    status_code: int = 200,
) -> Response:
    row = user_rows(session, [user])[0]
    return render(
        request,
        "admin/user.html",
        {
            "row": row,
            "u": user,
            "roles": ROLE_CHOICES,
            "errors": errors or {},
            "values": values or {"role": user.role.value},
            "temporary_password": temporary_password,
            "notice": request.query_params.get("done"),
            "created": request.query_params.get("created") == "1",
            "is_self": user.id == admin.user.id,
        },
        user=admin,
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, admin: UserAdmin, session: SessionDep, user_id: DbId) -> Response:
    """One user: change the role, deactivate or reactivate, reset the password, link."""
    user = users.get(session=session, user_id=user_id)
    return _user_page(request, admin, session, user)


def _refused(
    request: Request,
    admin: WebUser,
    session: Session,
    user_id: int,
    error: Exception,
    values: dict[str, str] | None = None,
) -> Response:
    session.rollback()
    user = users.get(session=session, user_id=user_id)
    errors: Errors
    if isinstance(error, ValidationError):
        errors, code = validation_errors(error), 422
    elif isinstance(error, InvalidInputError):
        errors, code = problem_errors(error), 422
    else:
        errors, code = {"form": str(error)}, 409
    return _user_page(request, admin, session, user, errors=errors, values=values, status_code=code)


def _done(user_id: int, what: str) -> Response:
    return RedirectResponse(f"/admin/users/{user_id}?done={what}", status_code=303)


def _update(
    admin: WebUser, session: Session, user_id: int, form: dict[str, str], changes: dict[str, Any]
) -> None:
    data = UserUpdate.model_validate({"version": form.get("version", ""), **changes})
    users.update(session=session, actor=admin.actor, user_id=user_id, data=data)


@router.post("/admin/users/{user_id}/role", response_class=HTMLResponse)
async def change_role(
    request: Request, admin: UserAdmin, session: SessionDep, user_id: DbId
) -> Response:
    """A new role; the user's sessions end, so it applies from their next request."""
    form = await read_form(request)
    check_csrf(admin, form)
    role = form.get("role", "")
    try:
        _update(admin, session, user_id, form, {"role": role})
    except (ValidationError, InvalidInputError, ConflictError) as error:
        return _refused(request, admin, session, user_id, error, {"role": role})
    return _done(user_id, "role")


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
async def change_active(
    request: Request, admin: UserAdmin, session: SessionDep, user_id: DbId
) -> Response:
    """Deactivate (every session and token ends at once) or reactivate a user."""
    form = await read_form(request)
    check_csrf(admin, form)
    wanted = form.get("is_active", "")
    try:
        _update(admin, session, user_id, form, {"is_active": wanted})
    except (ValidationError, InvalidInputError, ConflictError) as error:
        return _refused(request, admin, session, user_id, error)
    return _done(user_id, "active")


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
async def reset_password(
    request: Request, admin: UserAdmin, session: SessionDep, user_id: DbId
) -> Response:
    """A random temporary password, shown once here; the user must change it at login."""
    form = await read_form(request)
    check_csrf(admin, form)
    if form.get("confirm") != "reset":
        user = users.get(session=session, user_id=user_id)
        errors = {"form": "confirm: press the Reset password button to reset it"}
        return _user_page(request, admin, session, user, errors=errors, status_code=422)
    user, temporary = users.reset_password(session=session, actor=admin.actor, user_id=user_id)
    return _user_page(request, admin, session, user, temporary_password=temporary)


@router.post("/admin/users/{user_id}/link", response_class=HTMLResponse)
async def link_patient(
    request: Request, admin: UserAdmin, session: SessionDep, user_id: DbId
) -> Response:
    """Link this patient login to the record with the MRN given, or unlink it (no MRN)."""
    form = await read_form(request)
    check_csrf(admin, form)
    mrn = form.get("mrn", "").strip()
    values = {"mrn": mrn}
    user = users.get(session=session, user_id=user_id)
    linked = users.linked_record_of(session=session, user_id=user_id)
    try:
        if not mrn:
            if linked is None:
                return _user_page(
                    request,
                    admin,
                    session,
                    user,
                    errors={"mrn": "required: enter the MRN of the patient record to link"},
                    values=values,
                    status_code=422,
                )
            patient_service.link_login(
                session=session, actor=admin.actor, patient_id=linked, user_id=None
            )
            return _done(user_id, "unlinked")
        patient_id = session.scalar(sa.select(Patient.id).where(Patient.mrn == mrn))
        if patient_id is None:
            return _user_page(
                request,
                admin,
                session,
                user,
                errors={"mrn": f"no patient record has the MRN {mrn[:40]!r}"},
                values=values,
                status_code=422,
            )
        # The service refuses a staff login and a login linked to another record.
        patient_service.link_login(
            session=session, actor=admin.actor, patient_id=int(patient_id), user_id=user_id
        )
    except InvalidInputError as error:
        # The service names the login (user_id); on this form it is the MRN's field.
        errors = {
            ("mrn" if k == "user_id" else k): (
                f"{user.username!r} is a {user.role.value} login; it {v}" if k == "user_id" else v
            )
            for k, v in problem_errors(error).items()
        }
        session.rollback()
        return _user_page(
            request, admin, session, user, errors=errors, values=values, status_code=422
        )
    except ConflictError as error:
        return _refused(request, admin, session, user_id, error, values)
    return _done(user_id, "linked")
