"""Who may open a page: the logged-in user, page permissions as dependencies, CSRF.

Every page route declares one :class:`PageAccess` dependency (default deny:
``tests/web/test_page_matrix.py`` walks the routes and fails on a page without
one). The permissions are the REST API's (:mod:`rhizo.clinic.core.auth.permissions`),
so a role sees in the browser exactly what it may call on ``/api/v1``.

An anonymous request is redirected to the login page (:class:`LoginRequired`);
a role without the permission gets the plain 403 page (:class:`PageForbidden`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from rhizo.clinic.core.auth.models import Actor, Role, User
from rhizo.clinic.core.auth.permissions import Permission, allows
from rhizo.clinic.core.deps import SessionDep, client_ip, request_id
from rhizo.clinic.patient.access import linked_patient_id, may_act_on_record
from rhizo.clinic.web import session as web_session

Audience = Literal["staff", "patient", "any"]


class LoginRequired(Exception):
    """No valid session: redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageForbidden(Exception):
    """The role may not see this page (rendered as the 403 page)."""

    status_code = 403


class PageNotFound(Exception):
    """No such record (rendered as the 404 page)."""

    status_code = 404


class CsrfRefused(Exception):
    """A form without the right CSRF token (rendered as 403)."""

    status_code = 403


class SecondFactorEnrolRequired(Exception):
    """An admin's session before TOTP enrolment: redirect to the enrolment page."""


class PasswordChangeRequired(Exception):
    """A user whose password an admin reset to a temporary one: redirect to the account
    page until they choose their own (rhizo.clinic.core.auth.service.reset_password)."""


@dataclass(frozen=True)
class WebUser:
    """The logged-in user of a page request."""

    user: User
    actor: Actor
    csrf: str
    patient_id: int | None
    #: ``full``, or ``enrol``: only the account pages open (rhizo.clinic.core.auth.security.Stage).
    stage: str = "full"

    def can(self, permission: Permission) -> bool:
        """Whether the role holds ``permission`` outright."""
        return allows(self.user.role, permission)

    @property
    def is_patient(self) -> bool:
        """Whether this is a patient (who sees only their own record)."""
        return self.user.role is Role.PATIENT


def account_web_user(request: Request, session: SessionDep) -> WebUser:
    """The session's active user, at either stage (the account pages); redirect to login
    otherwise.

    The user is reloaded on every request, so a deactivation or a role change
    ends the session at once.
    """
    data = web_session.read_session(request)
    if data is not None:
        user = session.get(User, data.user_id)
        if user is not None and user.holds_session(role=data.role, epoch=data.epoch):
            actor = Actor(
                user_id=user.id,
                username=user.username,
                role=user.role,
                request_id=request_id(request),
                ip=client_ip(request),
            )
            pid = linked_patient_id(session=session, user=user)
            request.state.actor = actor  # for rhizo.clinic.core.audit.attempts
            return WebUser(user=user, actor=actor, csrf=data.csrf, patient_id=pid, stage=data.stage)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(target)


AccountWebUser = Annotated[WebUser, Depends(account_web_user)]


def current_web_user(user: AccountWebUser) -> WebUser:
    """The session's user with a full session; an admin still to enrol TOTP is sent to the
    enrolment page (:class:`SecondFactorEnrolRequired`) from every other page, a user with a
    temporary password to the account page (:class:`PasswordChangeRequired`)."""
    if user.stage != "full":
        raise SecondFactorEnrolRequired
    if user.user.must_change_password:
        raise PasswordChangeRequired
    return user


WebUserDep = Annotated[WebUser, Depends(current_web_user)]


class PageAccess:
    """A page dependency: who may open the page (default deny).

    ``permission``: the role must hold it (None: no permission beyond the
    audience). ``audience``: ``"staff"`` pages refuse the patient role even
    where a permission would match (patients see only their own record, through
    the portal); ``"patient"`` pages (the portal) are for the patient role only,
    so an admin, who holds every permission, still gets 403 there; ``"any"``
    lets every logged-in role in.
    """

    def __init__(self, permission: Permission | None, *, audience: Audience = "staff") -> None:
        self.permission = permission
        self.audience = audience

    def allows(self, user: WebUser) -> bool:
        """Whether ``user`` may open the page."""
        if self.audience == "staff" and user.is_patient:
            return False
        if self.audience == "patient" and not user.is_patient:
            return False
        return self.permission is None or user.can(self.permission)

    def __call__(self, user: WebUserDep) -> WebUser:
        if not self.allows(user):
            raise PageForbidden
        return user


class OwnOrStaffAccess(PageAccess):
    """A page about one patient: staff who may read patients, or that patient.

    The patient id comes from the path (``{patient_id}``), so a patient who
    edits the URL to another id gets the 403 page, never the other record.
    """

    def __init__(self) -> None:
        super().__init__(Permission.PATIENT_READ, audience="any")

    def __call__(self, user: WebUserDep, patient_id: int) -> WebUser:  # type: ignore[override]
        allowed = may_act_on_record(
            user.user.role,
            permission=Permission.PATIENT_READ,
            own=Permission.OWN_RECORD_READ,
            linked_patient_id=user.patient_id,
            patient_id=patient_id,
        )
        if allowed:
            return user
        raise PageForbidden


#: Staff pages of the clinic (the REST API's ``PatientReader`` staff roles).
PatientListUser = Annotated[WebUser, Depends(PageAccess(Permission.PATIENT_READ))]
#: One patient's page: staff, or the patient themself.
PatientPageUser = Annotated[WebUser, Depends(OwnOrStaffAccess())]
#: Entry forms: the permissions of the REST routes for the same writes.
ClinicalFormUser = Annotated[WebUser, Depends(PageAccess(Permission.CLINICAL_WRITE))]
ProcedureFormUser = Annotated[WebUser, Depends(PageAccess(Permission.PROCEDURE_WRITE))]
#: Specialist outcomes (aggregates, no single patient's data).
SpecialistReader = Annotated[WebUser, Depends(PageAccess(Permission.SPECIALIST_READ))]
#: Registry-wide outcome analytics (aggregates, no single patient's data).
AnalyticsReader = Annotated[WebUser, Depends(PageAccess(Permission.ANALYTICS_READ))]
#: The lesion planner shows no patient data: every staff role.
StaffUser = Annotated[WebUser, Depends(PageAccess(None))]
#: The patient portal: the patient role reading their own record.
PortalUser = Annotated[WebUser, Depends(PageAccess(Permission.OWN_RECORD_READ, audience="patient"))]
#: The patient's pain diary.
DiaryUser = Annotated[WebUser, Depends(PageAccess(Permission.OWN_DIARY_WRITE, audience="patient"))]
#: Any logged-in user (the start page, logout).
AnyUser = Annotated[WebUser, Depends(PageAccess(None, audience="any"))]


class AccountAccess(PageAccess):
    """One's own account (password, second factor, logout): every logged-in role, also an
    admin whose session is only good for enrolling TOTP."""

    def __init__(self) -> None:
        super().__init__(None, audience="any")

    def __call__(self, user: AccountWebUser) -> WebUser:
        return user


#: The account pages and logout.
AccountUser = Annotated[WebUser, Depends(AccountAccess())]


async def read_form(request: Request) -> dict[str, str]:
    """The posted form's text fields (file uploads are ignored)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def check_csrf(user: WebUser, form: dict[str, str]) -> None:
    """Refuse a form whose CSRF token is not the session's."""
    if not web_session.csrf_ok(user.csrf, form.get(web_session.CSRF_FIELD)):
        raise CsrfRefused
