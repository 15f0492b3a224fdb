"""The stored clinic contact: one row (``id`` 1) that overrides the ``RHIZO_CLINIC_*`` defaults.

A field left empty (NULL) falls back to the environment's value
(:class:`rhizo.clinic.core.config.Settings`), so a fresh installation shows what
the deployment configured and an admin's edit shows at once everywhere the
patient is told to call (:func:`rhizo.clinic.web.clinic_contact.clinic_contact`).
"""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import Field, field_validator
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import ReadSchema, Schema
from rhizo.clinic.core.config import (
    CLINIC_HOURS_MAX_LENGTH,
    CLINIC_NAME_MAX_LENGTH,
    CLINIC_PHONE_MAX_LENGTH,
    dialable_phone,
)
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin

#: The primary key of the one settings row.
SETTINGS_ROW_ID = 1


class ClinicSettingsRow(VersionedMixin, TimestampMixin, Base):
    """The admin's clinic contact; NULL fields take the environment's default."""

    entity_label = "clinic settings"

    __tablename__ = "clinic_settings"
    __table_args__ = (sa.CheckConstraint(f"id = {SETTINGS_ROW_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(sa.String(CLINIC_NAME_MAX_LENGTH))
    phone: Mapped[str | None] = mapped_column(sa.String(CLINIC_PHONE_MAX_LENGTH))
    hours: Mapped[str | None] = mapped_column(sa.String(CLINIC_HOURS_MAX_LENGTH))
    #: The admin who saved the row last (the audit trail has every change).
    updated_by: Mapped[str | None] = mapped_column(sa.String(64))


def _blank_is_unset(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class ClinicSettingsUpdate(Schema):
    """The admin's edit: every field replaces the stored one; empty means "use the default"
    (the ``RHIZO_CLINIC_*`` environment value). ``version`` is the one read (0: no row yet)."""

    version: int = Field(ge=0, le=2_147_483_647)
    name: str | None = Field(default=None, max_length=CLINIC_NAME_MAX_LENGTH)
    phone: str | None = Field(default=None, max_length=CLINIC_PHONE_MAX_LENGTH)
    hours: str | None = Field(default=None, max_length=CLINIC_HOURS_MAX_LENGTH)

    @field_validator("name", "phone", "hours", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return _blank_is_unset(value)

    @field_validator("phone", mode="after")
    @classmethod
    def _dialable(cls, value: str | None) -> str | None:
        return None if value is None else dialable_phone(value, name="phone")


class ClinicSettingsRead(ReadSchema):
    """What is stored (None: the default applies) and what is shown (stored or default)."""

    version: int
    name: str | None
    phone: str | None
    hours: str | None
    effective_name: str | None
    effective_phone: str | None
    effective_hours: str | None
