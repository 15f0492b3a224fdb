"""Users, roles and the actor a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    strong_password,
)
from rhizo.clinic.core.common import ReadSchema, Schema, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin


class Role(StrEnum):
    """What a user is; the permission matrix maps each role to what it may do."""

    ADMIN = "admin"
    CLINICIAN = "clinician"
    NURSE = "nurse"
    PATIENT = "patient"
    RESEARCHER = "researcher"
    AUDITOR = "auditor"


USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$"


class User(VersionedMixin, TimestampMixin, Base):
    """A person who can log in."""

    entity_label = "user account"

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    full_name: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Incremented by logout and password change; sessions and tokens of an older
    #: epoch are refused (rhizo.clinic.core.auth.service.end_sessions).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    #: The confirmed TOTP secret (RFC 6238, base32), None until a second factor is enrolled.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    #: A secret shown at enrolment, waiting for its first code (then it becomes totp_secret).
    totp_pending_secret: Mapped[str | None] = mapped_column(sa.String(64))
    #: The last 30-second time step a code was accepted for (a code is never accepted twice).
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())
    #: Set by an admin's password reset (a temporary password): the user's pages and API
    #: calls are refused until they choose their own (cleared by change_own_password).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @property
    def totp_enrolled(self) -> bool:
        """Whether the user has a confirmed second factor."""
        return self.totp_secret is not None

    def holds_session(self, *, role: str, epoch: int) -> bool:
        """Whether a cookie or token issued with ``role`` and ``epoch`` still speaks for
        this user: active, same role, and no logout or password change since."""
        return self.is_active and self.role.value == role and self.session_epoch == epoch


class LoginThrottle(Base):
    """Failed logins counted per key (``account:<username>`` or ``address:<ip>``).

    Kept in the database so every worker process sees the same counts; the
    schedule that turns counts into waits is :mod:`rhizo.clinic.core.auth.throttle`.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    #: No attempt for this key is checked before this time (None: not blocked).
    blocked_until: Mapped[datetime | None]


@dataclass(frozen=True)
class Actor:
    """Who is acting, for permission checks and the audit trail."""

    user_id: int | None
    username: str
    role: Role | None
    request_id: str | None = None
    ip: str | None = None


SYSTEM_ACTOR = Actor(user_id=None, username="system", role=None)


class UserCreate(Schema):
    """A new user: the password must pass :mod:`rhizo.clinic.core.auth.passwords`; it is hashed."""

    username: str = Field(pattern=USERNAME_PATTERN)
    full_name: str | None = Field(default=None, max_length=200)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    role: Role

    @field_validator("password", mode="after")
    @classmethod
    def _strong(cls, value: str, info: ValidationInfo) -> str:
        return strong_password(value, info.data.get("username"), info.data.get("full_name"))


class UserUpdate(Schema):
    """Changes to a user (admin only)."""

    version: EditVersion
    role: Role | None = None
    full_name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None
    password: str | None = Field(
        default=None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH
    )

    @field_validator("password", mode="after")
    @classmethod
    def _strong(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else strong_password(value, info.data.get("full_name"))


class PasswordChange(Schema):
    """A user changing their own password: the current one proves it is them."""

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)

    @field_validator("new_password", mode="after")
    @classmethod
    def _strong(cls, value: str) -> str:
        return strong_password(value)


class TotpCode(Schema):
    """A six-digit code from the user's authenticator app."""

    code: str = Field(pattern=r"^[0-9]{6}$", description="six digits, no spaces")


class TotpEnrolment(ReadSchema):
    """A new TOTP secret, shown once: add it to an authenticator app, then confirm a code."""

    secret: str
    otpauth_uri: str


class UserRead(ReadSchema):
    """A user as the API shows it (never the hash)."""

    id: int
    version: int
    username: str
    role: Role
    full_name: str | None
    is_active: bool
    totp_enrolled: bool
    must_change_password: bool = False
    created_at: datetime


class Token(ReadSchema):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    #: ``full``, or ``enrol``: good only for enrolling a second factor (an admin without one).
    stage: str = "full"
