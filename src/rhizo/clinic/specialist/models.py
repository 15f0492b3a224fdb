"""Specialist profiles: qualifications of the clinicians who perform procedures."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import ReadSchema, Schema
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import DbId


class Specialist(VersionedMixin, TimestampMixin, Base):
    """A performer of procedures (linked to a user when they log in)."""

    entity_label = "specialist profile"

    __tablename__ = "specialists"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    display_name: Mapped[str] = mapped_column(sa.String(200))
    specialty: Mapped[str | None] = mapped_column(sa.String(120))
    board_certification: Mapped[str | None] = mapped_column(sa.String(200))
    fellowship: Mapped[str | None] = mapped_column(sa.String(200))
    years_in_practice: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)


class SpecialistCreate(Schema):
    """A new specialist profile."""

    display_name: str = Field(min_length=1, max_length=200)
    user_id: DbId | None = None
    specialty: str | None = Field(default=None, max_length=120)
    board_certification: str | None = Field(default=None, max_length=200)
    fellowship: str | None = Field(default=None, max_length=200)
    years_in_practice: int | None = Field(default=None, ge=0, le=70)


class SpecialistUpdate(Schema):
    """Changes to a specialist profile."""

    version: EditVersion

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    specialty: str | None = Field(default=None, max_length=120)
    board_certification: str | None = Field(default=None, max_length=200)
    fellowship: str | None = Field(default=None, max_length=200)
    years_in_practice: int | None = Field(default=None, ge=0, le=70)
    active: bool | None = None


class SpecialistRead(ReadSchema):
    """A specialist profile as stored."""

    id: int
    version: int
    user_id: int | None
    display_name: str
    specialty: str | None
    board_certification: str | None
    fellowship: str | None
    years_in_practice: int | None
    active: bool
    created_at: datetime
