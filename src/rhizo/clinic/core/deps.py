"""FastAPI dependencies: the session, the current user, and permissions (default deny).

Every route declares exactly what it needs through one of the
:class:`PermissionDependency` objects (``require`` here,
``rhizo.clinic.patient.access.require_patient`` for one patient's record, or
``public`` for the login endpoint); a test walks the app and fails on any route
without one. Nothing here names a clinic domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor, User
from rhizo.clinic.core.auth.permissions import Permission, allows
from rhizo.clinic.core.auth.security import InvalidTokenError, Stage, decode_access_token
from rhizo.clinic.core.config import Settings

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
    request.state.actor = actor_of(request, user)  # for rhizo.clinic.core.audit.attempts
    if stage is not Stage.FULL:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"enrol a second factor first: POST {API_PREFIX}/auth/totp/enrol, then "
            f"POST {API_PREFIX}/auth/totp/confirm with a code",
        )
    if user.must_change_password:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "your password is a temporary one set by an admin: choose your own first "
            f"(POST {API_PREFIX}/auth/password)",
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


def actor_of(request: Request, user: User) -> Actor:
    """The acting :class:`Actor` of ``user`` in this request (for the audit trail)."""
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        request_id=request_id(request),
        ip=client_ip(request),
    )


class PermissionDependency:
    """Base of every permission dependency; the route-walking test looks for these."""


class RoleDependency(PermissionDependency):
    """A permission dependency that asks the role for ``permission`` (the OpenAPI
    module declares 403 for those some role lacks)."""

    def __init__(self, permission: Permission) -> None:
        self.permission: Permission = permission


class require(RoleDependency):
    """The user's role must hold ``permission``; yields the acting :class:`Actor`."""

    def __call__(self, request: Request, user: CurrentUser) -> Actor:
        if not allows(user.role, self.permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role {user.role.value} may not {self.permission.value}"
            )
        return actor_of(request, user)


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
        return actor_of(request, user)


class public(PermissionDependency):
    """Explicitly public (only the login endpoint)."""

    def __call__(self) -> None:
        return None


Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]
