"""Login (OAuth2 password form -> bearer token), the current user, user management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from rhizo.clinic.auth import service
from rhizo.clinic.auth.models import Actor, Token, UserCreate, UserRead, UserUpdate
from rhizo.clinic.auth.permissions import Permission
from rhizo.clinic.auth.security import create_access_token
from rhizo.clinic.common import Page
from rhizo.clinic.deps import (
    CurrentUser,
    Limit,
    Offset,
    SessionDep,
    SettingsDep,
    public,
    request_id,
    require,
)
from rhizo.clinic.openapi import declare
from rhizo.clinic.patient import service as patient_service

router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])

UserManager = Annotated[Actor, Depends(require(Permission.USER_MANAGE))]


class MeRead(UserRead):
    """The logged-in user, with their patient record id when they are a patient."""

    patient_id: int | None = None


@router.post(
    "/token", response_model=Token, dependencies=[Depends(public())], responses=declare(401)
)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange username and password for a bearer token (every attempt is audited)."""
    user = service.authenticate(
        session=session,
        username=form.username,
        password=form.password,
        request_id=request_id(request),
        ip=request.client.host if request.client is not None else None,
    )
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = create_access_token(
        user_id=user.id,
        role=user.role.value,
        session_epoch=user.session_epoch,
        secret=settings.secret,
        algorithm=settings.jwt_algorithm,
        expires_minutes=settings.access_token_expire_minutes,
    )
    return Token(access_token=token, expires_in=settings.access_token_expire_minutes * 60)


@router.get("/me", response_model=MeRead, dependencies=[Depends(require(Permission.SELF_READ))])
def me(user: CurrentUser, session: SessionDep) -> MeRead:
    """Who the token belongs to."""
    read = MeRead.model_validate(user)
    read.patient_id = patient_service.patient_id_of_user(session=session, user_id=user.id)
    return read


@users_router.get("", response_model=Page[UserRead])
def list_users(
    actor: UserManager, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> Page[UserRead]:
    """All users (admin)."""
    rows, total = service.get_all(session=session, limit=limit, offset=offset)
    return Page[UserRead](
        items=[UserRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@users_router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(actor: UserManager, session: SessionDep, data: UserCreate) -> UserRead:
    """Add a user (admin)."""
    return UserRead.model_validate(service.create(session=session, actor=actor, data=data))


@users_router.get("/{user_id}", response_model=UserRead)
def get_user(actor: UserManager, session: SessionDep, user_id: int) -> UserRead:
    """One user (admin)."""
    return UserRead.model_validate(service.get(session=session, user_id=user_id))


@users_router.patch("/{user_id}", response_model=UserRead)
def update_user(
    actor: UserManager, session: SessionDep, user_id: int, data: UserUpdate
) -> UserRead:
    """Change a user's role, name, status or password (admin)."""
    return UserRead.model_validate(
        service.update(session=session, actor=actor, user_id=user_id, data=data)
    )
