"""FastAPI dependencies: the session, the current user, and permissions (default deny).

Every route declares exactly what it needs through one of the
:class:`PermissionDependency` objects made here (``require``,
``require_patient``, or ``public`` for the login endpoint); a test walks the
app and fails on any route without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from rhizo.clinic.auth.models import Actor, Role, User
from rhizo.clinic.auth.permissions import Permission, allows
from rhizo.clinic.auth.security import InvalidTokenError, Stage, decode_access_token
from rhizo.clinic.config import Settings
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.validation import DbId

API_PREFIX = "/api/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"

_oauth2 = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _token_user(session: Session, settings: Settings, token: str | None) -> tuple[User, Stage]:
    """The active user the bearer token names and the token's stage (401 otherwise)."""
    if token is None:
        raise _unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    try:
        user_id, role, epoch, stage = decode_access_token(
            token, secret=settings.secret, algorithm=settings.jwt_algorithm
        )
    except InvalidTokenError:
        raise _unauthorized("invalid or expired token") from None
    user = session.get(User, user_id)
    if user is None or not user.holds_session(role=role, epoch=epoch):
        raise _unauthorized("invalid or expired token")
    return user, stage


def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(_oauth2)],
) -> User:
    """The active user the bearer token names (401 otherwise). A token good only for
    enrolling a second factor (an admin without TOTP) gets 403 saying what to do."""
    user, stage = _token_user(session, settings, token)
    request.state.actor = _actor(request, user)  # for rhizo.clinic.audit.attempts
    if stage is not Stage.FULL:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"enrol a second factor first: POST {API_PREFIX}/auth/totp/enrol, then "
            f"POST {API_PREFIX}/auth/totp/confirm with a code",
        )
    return user


def get_enrolling_user(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(_oauth2)]
) -> User:
    """Like :func:`get_current_user`, but a token of stage ``enrol`` passes too (only for
    the routes of one's own account: :class:`require_self`)."""
    return _token_user(session, settings, token)[0]


CurrentUser = Annotated[User, Depends(get_current_user)]


def request_id(request: Request) -> str | None:
    """The request id the middleware assigned."""
    return getattr(request.state, "request_id", None)


def client_ip(request: Request) -> str | None:
    """The client's address for the audit trail (the trusted-proxy middleware has
    already replaced it with the forwarded one where the peer is a trusted proxy)."""
    return request.client.host if request.client is not None else None


def _actor(request: Request, user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        request_id=request_id(request),
        ip=client_ip(request),
    )


class PermissionDependency:
    """Base of every permission dependency; the route-walking test looks for these."""


class require(PermissionDependency):
    """The user's role must hold ``permission``; yields the acting :class:`Actor`."""

    def __init__(self, permission: Permission) -> None:
        self.permission: Permission = permission

    def __call__(self, request: Request, user: CurrentUser) -> Actor:
        if not allows(user.role, self.permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role {user.role.value} may not {self.permission.value}"
            )
        return _actor(request, user)


class require_self(PermissionDependency):
    """Any logged-in user acting on their own account, a second factor enrolled or not
    (who am I, change my password, enrol TOTP, log out); yields the :class:`Actor`."""

    def __call__(
        self,
        request: Request,
        user: Annotated[User, Depends(get_enrolling_user)],
    ) -> Actor:
        if not allows(user.role, Permission.SELF_READ):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role.value} may not log in")
        return _actor(request, user)


class require_patient(PermissionDependency):
    """Like :class:`require` for ``/patients/{patient_id}/...`` routes.

    A patient-role user passes with ``own`` instead, but only for the patient
    record linked to their account; any other record is 403.
    """

    def __init__(self, permission: Permission, own: Permission | None = None) -> None:
        self.permission: Permission = permission
        self.own = own

    def __call__(
        self, request: Request, user: CurrentUser, session: SessionDep, patient_id: DbId
    ) -> Actor:
        if allows(user.role, self.permission):
            return _actor(request, user)
        if (
            self.own is not None
            and user.role is Role.PATIENT
            and allows(user.role, self.own)
            and patient_service.patient_id_of_user(session=session, user_id=user.id) == patient_id
        ):
            return _actor(request, user)
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role.value} may not {self.permission.value} for patient {patient_id}",
        )


class public(PermissionDependency):
    """Explicitly public (only the login endpoint)."""

    def __call__(self) -> None:
        return None


Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]

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
