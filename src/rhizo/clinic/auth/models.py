"""Users, roles and the actor a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.common import ReadSchema, Schema, str_enum
from rhizo.clinic.conflicts import EditVersion
from rhizo.clinic.database import Base, TimestampMixin, VersionedMixin


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
    #: epoch are refused (rhizo.clinic.auth.service.end_sessions).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))

    def holds_session(self, *, role: str, epoch: int) -> bool:
        """Whether a cookie or token issued with ``role`` and ``epoch`` still speaks for
        this user: active, same role, and no logout or password change since."""
        return self.is_active and self.role.value == role and self.session_epoch == epoch


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
    """A new user: the password is hashed before it is stored."""

    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=12, max_length=200)
    role: Role
    full_name: str | None = Field(default=None, max_length=200)


class UserUpdate(Schema):
    """Changes to a user (admin only)."""

    version: EditVersion

    role: Role | None = None
    full_name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=12, max_length=200)


class UserRead(ReadSchema):
    """A user as the API shows it (never the hash)."""

    id: int
    version: int
    username: str
    role: Role
    full_name: str | None
    is_active: bool
    created_at: datetime


class Token(ReadSchema):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
