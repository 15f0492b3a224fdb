"""Login (OAuth2 password form -> bearer token), one's own account (password, TOTP,
logout), user management (unlock, second-factor reset)."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth import enrolment, service
from rhizo.clinic.core.auth import login as login_service
from rhizo.clinic.core.auth.login import LoginBusy, LoginThrottled, SecondFactorRequired, stage_for
from rhizo.clinic.core.auth.models import (
    Actor,
    PasswordChange,
    Token,
    TotpCode,
    TotpEnrolment,
    User,
    UserCreate,
    UserRead,
    UserUpdate,
)
from rhizo.clinic.core.auth.passwords import MAX_PASSWORD_LENGTH
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.auth.security import Stage, VerificationSlots, create_access_token
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.deps import (
    Limit,
    Offset,
    SessionDep,
    SettingsDep,
    client_ip,
    public,
    request_id,
    require,
    require_self,
)
from rhizo.clinic.core.openapi import declare
from rhizo.clinic.core.validation import DbId

router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])
_SLOTS_LOCK = threading.Lock()

UserManager = Annotated[Actor, Depends(require(Permission.USER_MANAGE))]


def verification_slots(request: Request) -> VerificationSlots:
    """The app's bound on concurrent password verifications (RHIZO_LOGIN_CONCURRENCY)."""
    with _SLOTS_LOCK:
        slots: VerificationSlots | None = getattr(request.app.state, "login_slots", None)
        if slots is None:
            slots = VerificationSlots(request.app.state.settings.login_concurrency)
            request.app.state.login_slots = slots
    return slots


def too_many(error: LoginThrottled | LoginBusy) -> HTTPException:
    """429 with Retry-After for a throttled or a busy login."""
    if isinstance(error, LoginThrottled):
        detail, wait = str(error), error.retry_after_s
    else:
        detail = "the server is busy checking other logins; retry in 1 s"
        wait = error.retry_after_s
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS, detail, headers={"Retry-After": str(wait)}
    )


def issue_token(settings: Settings, user: User, stage: Stage) -> Token:
    """A bearer token for ``user`` at ``stage``."""
    token = create_access_token(
        user_id=user.id,
        role=user.role.value,
        session_epoch=user.session_epoch,
        secret=settings.secret,
        algorithm=settings.jwt_algorithm,
        expires_minutes=settings.access_token_expire_minutes,
        stage=stage,
    )
    return Token(
        access_token=token,
        expires_in=settings.access_token_expire_minutes * 60,
        stage=stage.value,
    )


class LoginForm(OAuth2PasswordRequestForm):
    """The OAuth2 password form plus ``totp_code`` for users with a second factor."""

    def __init__(
        self,
        *,
        username: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
        totp_code: Annotated[str | None, Form(pattern=r"^[0-9]{6}$")] = None,
        scope: Annotated[str, Form()] = "",
    ) -> None:
        super().__init__(username=username, password=password, scope=scope)
        self.totp_code = totp_code


@router.post(
    "/token", response_model=Token, dependencies=[Depends(public())], responses=declare(401, 429)
)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[LoginForm, Depends()],
) -> Token:
    """Exchange username and password (and ``totp_code`` once a second factor is enrolled)
    for a bearer token. Throttled per account and address (429 with Retry-After); every
    attempt is audited. An admin without a second factor gets a token of stage
    ``enrol``, good only for ``/auth/totp/*``, ``/auth/me``, ``/auth/password``."""
    try:
        result = login_service.authenticate(
            session=session,
            slots=verification_slots(request),
            username=form.username,
            password=form.password,
            totp_code=form.totp_code,
            request_id=request_id(request),
            ip=client_ip(request),
            admin_totp_required=settings.admin_totp_required,
        )
    except (LoginThrottled, LoginBusy) as error:
        raise too_many(error) from None
    except SecondFactorRequired:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "one-time code required: send totp_code (six digits from the authenticator app)",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    if result is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "incorrect username, password or one-time code",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return issue_token(settings, result.user, result.stage)


SelfActor = Annotated[Actor, Depends(require_self())]


def own_user(session: Session, actor: Actor) -> User:
    """The account a :class:`require_self` route acts on."""
    assert actor.user_id is not None  # noqa: S101 - require_self acts for a logged-in user
    return service.get(session=session, user_id=actor.user_id)


@router.post("/password", response_model=Token, responses=declare(401))
def change_password(
    actor: SelfActor, session: SessionDep, settings: SettingsDep, data: PasswordChange
) -> Token:
    """Change your own password (the current one is required). Every other session and
    token of yours ends; the answer is a new token for this client."""
    user = service.change_own_password(session=session, actor=actor, data=data)
    stage = Stage.ENROL if needs_enrolment(settings, user) else Stage.FULL
    return issue_token(settings, user, stage)


def needs_enrolment(settings: Settings, user: User) -> bool:
    """Whether ``user`` must enrol a second factor before anything else."""
    return stage_for(user, admin_totp_required=settings.admin_totp_required) is Stage.ENROL


@router.post("/totp/enrol", response_model=TotpEnrolment, responses=declare(401))
def totp_enrol(actor: SelfActor, session: SessionDep) -> TotpEnrolment:
    """Start enrolling a TOTP second factor: the secret and its otpauth URI, shown once.
    Add it to an authenticator app, then confirm a code."""
    return enrolment.begin(session=session, actor=actor, user_id=own_user(session, actor).id)


@router.post("/totp/confirm", response_model=Token, responses=declare(401))
def totp_confirm(
    actor: SelfActor, session: SessionDep, settings: SettingsDep, data: TotpCode
) -> Token:
    """Confirm the enrolment with a current code; other sessions end; a full token."""
    user = enrolment.confirm(
        session=session, actor=actor, user_id=own_user(session, actor).id, code=data.code
    )
    return issue_token(settings, user, Stage.FULL)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=declare(401))
def logout(actor: SelfActor, session: SessionDep) -> Response:
    """End every session and token you hold (audited)."""
    service.end_sessions(session=session, actor=actor, user_id=own_user(session, actor).id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.get("", response_model=Page[UserRead])
def list_users(
    actor: UserManager, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> Page[UserRead]:
    """All users (admin); the listing is audited."""
    rows, total = service.get_all(session=session, limit=limit, offset=offset)
    audit.record_now(
        session=session,
        actor=actor,
        action=AuditAction.READ,
        entity_type="user_list",
        details={"limit": limit, "offset": offset, "returned": len(rows)},
    )
    return Page[UserRead](
        items=[UserRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@users_router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(actor: UserManager, session: SessionDep, data: UserCreate) -> UserRead:
    """Add a user (admin)."""
    return UserRead.model_validate(service.create(session=session, actor=actor, data=data))


@users_router.get("/{user_id}", response_model=UserRead)
def get_user(actor: UserManager, session: SessionDep, user_id: DbId) -> UserRead:
    """One user (admin)."""
    return UserRead.model_validate(service.get(session=session, user_id=user_id))


@users_router.patch("/{user_id}", response_model=UserRead)
def update_user(
    actor: UserManager, session: SessionDep, user_id: DbId, data: UserUpdate
) -> UserRead:
    """Change a user's role, name, status or password (admin)."""
    return UserRead.model_validate(
        service.update(session=session, actor=actor, user_id=user_id, data=data)
    )


@users_router.post("/{user_id}/unlock", response_model=UserRead)
def unlock_user(actor: UserManager, session: SessionDep, user_id: DbId) -> UserRead:
    """Clear a user's failed logins and lockout at once (admin; audited)."""
    service.unlock(session=session, actor=actor, user_id=user_id)
    return UserRead.model_validate(service.get(session=session, user_id=user_id))


class TemporaryPassword(UserRead):
    """A user after a password reset, with the temporary password (shown once)."""

    temporary_password: str


@users_router.post("/{user_id}/password/reset", response_model=TemporaryPassword)
def reset_user_password(
    actor: UserManager, session: SessionDep, user_id: DbId
) -> TemporaryPassword:
    """Set a random temporary password (answered once, never stored in clear) that the user
    must change at the next login; every session and token of the user ends (admin;
    audited)."""
    user, temporary = service.reset_password(session=session, actor=actor, user_id=user_id)
    return TemporaryPassword.model_validate(
        {**UserRead.model_validate(user).model_dump(), "temporary_password": temporary}
    )


@users_router.post("/{user_id}/totp/reset", response_model=UserRead)
def reset_user_totp(actor: UserManager, session: SessionDep, user_id: DbId) -> UserRead:
    """Remove a user's second factor (a lost phone) and end their sessions (admin;
    audited); an admin must enrol again at the next login."""
    return UserRead.model_validate(enrolment.reset(session=session, actor=actor, user_id=user_id))
