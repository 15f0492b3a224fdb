"""Patients: identity and demographics (the PHI the audit trail protects)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import AfterValidator, Field
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import ReadSchema, Schema, str_enum
from rhizo.clinic.core.config import dialable_phone
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import BirthDate, DbId

MRN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{2,31}$"
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
#: Longest patient phone (the column); the rule is the clinic phone's (config.dialable_phone).
PHONE_MAX_LENGTH = 32


def _phone(value: str) -> str:
    return dialable_phone(value, name="phone")


#: A patient's phone: the one phone rule (an optional '+', 3-15 digits, spaces ( ) - .).
Phone = Annotated[str, Field(max_length=PHONE_MAX_LENGTH), AfterValidator(_phone)]
#: The referring clinician's name (e.g. "Dr A. Rivera") and practice or postal address.
ReferrerName = Annotated[str, Field(min_length=1, max_length=200)]
ReferrerAddress = Annotated[str, Field(min_length=1, max_length=500)]


class Sex(StrEnum):
    """Administrative sex (FHIR AdministrativeGender)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


# Letters that Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def search_key(text: str) -> str:
    """Lower case, accents stripped, a few letters folded: what name search compares."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.translate(_FOLD).split())


class Patient(VersionedMixin, TimestampMixin, Base):
    """A patient of the clinic."""

    entity_label = "patient"

    __tablename__ = "patients"
    __table_args__ = (
        sa.Index("ix_patients_family_key_given_key", "family_key", "given_key", "id"),
        sa.Index("ix_patients_given_key", "given_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(sa.String(32), unique=True)
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    given_key: Mapped[str] = mapped_column(sa.String(100))
    family_key: Mapped[str] = mapped_column(sa.String(100))
    birth_date: Mapped[date]
    sex: Mapped[Sex] = mapped_column(str_enum(Sex, "sex"))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    postcode: Mapped[str | None] = mapped_column(sa.String(16))
    #: The referring clinician (the referral letter's addressee): name, and practice/address.
    referrer_name: Mapped[str | None] = mapped_column(sa.String(200))
    referrer_address: Mapped[str | None] = mapped_column(sa.String(500))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    synthetic: Mapped[bool] = mapped_column(default=False)


class PatientCreate(Schema):
    """A new patient (never carries an id, audit fields or a login: see PatientLoginLink)."""

    mrn: str = Field(pattern=MRN_PATTERN)
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: BirthDate
    sex: Sex
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: Phone | None = None
    postcode: str | None = Field(default=None, max_length=16)
    referrer_name: ReferrerName | None = None
    referrer_address: ReferrerAddress | None = None
    synthetic: bool = False


class PatientUpdate(Schema):
    """Changes to a patient; omitted fields stay as they are (``user_id`` is refused with 422:
    linking a login is PUT /patients/{id}/login, admin only)."""

    version: EditVersion

    given_name: str | None = Field(default=None, min_length=1, max_length=100)
    family_name: str | None = Field(default=None, min_length=1, max_length=100)
    birth_date: BirthDate | None = None
    sex: Sex | None = None
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: Phone | None = None
    postcode: str | None = Field(default=None, max_length=16)
    referrer_name: ReferrerName | None = None
    referrer_address: ReferrerAddress | None = None


class PatientLoginLink(Schema):
    """Which patient-role login reads this record (admin only, audited; null unlinks).

    Never part of a clinical create or PATCH: a login moved from one record to
    another would read the other patient's name and birth date with its old token
    (so linking also ends the sessions of the logins it touches).
    """

    user_id: DbId | None


class PatientSummary(ReadSchema):
    """A patient in a list."""

    id: int
    version: int
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: Sex
    synthetic: bool


class PatientRead(PatientSummary):
    """A patient in full."""

    email: str | None
    phone: str | None
    postcode: str | None
    referrer_name: str | None
    referrer_address: str | None
    user_id: int | None
    created_at: datetime
    updated_at: datetime
