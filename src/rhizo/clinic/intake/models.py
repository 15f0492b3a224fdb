"""Consultation requests: "please see me about my back pain", from the public page or the portal.

A request is the first step of the pathway (issue 18): a person asks for a
consultation with a pain specialist, staff triage it (accept and book a slot,
ask for more information, or decline with a reason) and the requester is told
the outcome by e-mail where they gave one (:mod:`rhizo.clinic.core.outbox`).

Contact: an e-mail (the patient record's rule,
:data:`rhizo.clinic.patient.models.EMAIL_PATTERN`) and/or a phone (the one phone
rule, :func:`rhizo.clinic.core.config.dialable_phone`); at least one, checked by
the schema and by a CHECK. How long the pain has lasted is stored in weeks
(``pain_weeks``; the form converts months by 52/12 weeks, years by 52); the
triage queue compares it with the pathway's chronic-pain duration
(:func:`rhizo.pathway.candidacy.chronic_pain_rule`), never a copied number.

The requester's address is kept only as a keyed hash (``client_hash``, HMAC-SHA256
with the app's secret, :func:`rhizo.clinic.intake.abuse.client_hash`): enough to
count requests per address for the rate limit, not the address itself.

Evidence: definitions (local protocol), except the chronic-pain duration (see
:mod:`rhizo.clinic.intake.chronic`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

import sqlalchemy as sa
from pydantic import Field, model_validator
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import ReadSchema, Schema, str_enum
from rhizo.clinic.core.conflicts import EditVersion
from rhizo.clinic.core.database import Base, TimestampMixin, VersionedMixin
from rhizo.clinic.core.validation import DbId, PlannedAt
from rhizo.clinic.patient.models import EMAIL_PATTERN, PatientCreate, Phone

#: Size limits (characters) of the request's texts: the columns, the schema and the form.
NAME_MAX = 200
REFERRER_MAX = 200
PREFERRED_NOTE_MAX = 300
MESSAGE_MAX = 2000
INFO_MESSAGE_MAX = 1000
#: A decline's reason: 5 to 500 characters (the requester reads it).
DECLINE_REASON_MIN = 5
DECLINE_REASON_MAX = 500
#: The longest pain duration a request may state: 100 years, in weeks (as candidacy's MAX_WEEKS).
PAIN_WEEKS_MAX = 5200.0


class PainRegion(StrEnum):
    """Where the pain is, in the words the public form offers."""

    LUMBAR = "lumbar"
    CERVICAL = "cervical"
    THORACIC = "thoracic"
    SACROILIAC = "sacroiliac"
    NOT_SURE = "not_sure"


#: Region words for people (the forms and the queue).
REGION_LABEL: dict[PainRegion, str] = {
    PainRegion.LUMBAR: "low back (lumbar)",
    PainRegion.CERVICAL: "neck (cervical)",
    PainRegion.THORACIC: "upper or middle back (thoracic)",
    PainRegion.SACROILIAC: "buttock or pelvis (sacroiliac joint)",
    PainRegion.NOT_SURE: "not sure",
}


class RequestSource(StrEnum):
    """Where the request came from: the public page (no login) or the patient portal."""

    PUBLIC = "public"
    PORTAL = "portal"


class RequestStatus(StrEnum):
    """Where a request is in triage.

    new -> booked (accepted, an appointment made) | info_requested (a question sent
    to the requester; it stays open) | declined (with a reason). info_requested ->
    booked | declined | info_requested again.
    """

    NEW = "new"
    INFO_REQUESTED = "info_requested"
    BOOKED = "booked"
    DECLINED = "declined"


#: Requests still waiting for staff (the triage queue, the worklists' "open requests").
OPEN_STATUSES: frozenset[RequestStatus] = frozenset(
    {RequestStatus.NEW, RequestStatus.INFO_REQUESTED}
)


class Weekday(StrEnum):
    """A preferred weekday (the clinic's calendar)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"


class DayPart(StrEnum):
    """A preferred part of the day."""

    MORNING = "morning"
    AFTERNOON = "afternoon"


class ConsultationRequest(VersionedMixin, TimestampMixin, Base):
    """One request for a consultation, and its triage."""

    entity_label = "consultation request"

    __tablename__ = "consultation_requests"
    __table_args__ = (
        sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_contact"),
        sa.CheckConstraint(
            "source <> 'portal' OR patient_id IS NOT NULL", name="portal_has_patient"
        ),
        sa.CheckConstraint(
            "status <> 'declined' OR decline_reason IS NOT NULL", name="declined_has_reason"
        ),
        sa.CheckConstraint(
            "pain_weeks IS NULL OR (pain_weeks >= 0 AND pain_weeks <= 5200)",
            name="pain_weeks_range",
        ),
        sa.Index("ix_consultation_requests_status_created", "status", "created_at"),
        sa.Index("ix_consultation_requests_client_created", "client_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[RequestSource] = mapped_column(str_enum(RequestSource, "request_source"))
    #: The patient: the portal's own record, or the one a public request was booked for.
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    region: Mapped[PainRegion] = mapped_column(str_enum(PainRegion, "pain_region"))
    #: How long the pain has lasted, in weeks (None: not said).
    pain_weeks: Mapped[float | None]
    referrer_name: Mapped[str | None] = mapped_column(sa.String(REFERRER_MAX))
    #: Preferred weekdays and parts of the day (lists of :class:`Weekday` / :class:`DayPart`).
    preferred_days: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    preferred_parts: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    preferred_note: Mapped[str | None] = mapped_column(sa.String(PREFERRED_NOTE_MAX))
    message: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, "request_status"), default=RequestStatus.NEW
    )
    #: The last question staff sent the requester (ask for information).
    info_message: Mapped[str | None] = mapped_column(sa.String(INFO_MESSAGE_MAX))
    decline_reason: Mapped[str | None] = mapped_column(sa.String(DECLINE_REASON_MAX))
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointments.id", ondelete="SET NULL")
    )
    #: The username of who triaged it last, and when.
    triaged_by: Mapped[str | None] = mapped_column(sa.String(64))
    triaged_at: Mapped[datetime | None]
    #: HMAC-SHA256 of the client address (hex), for the per-address rate limit.
    client_hash: Mapped[str | None] = mapped_column(sa.String(64))


Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]


class RequestCreate(Schema):
    """A new consultation request (public page or portal): a name and at least one contact."""

    name: Name
    email: Email | None = None
    phone: Phone | None = None
    region: PainRegion
    pain_weeks: float | None = Field(default=None, ge=0, le=PAIN_WEEKS_MAX)
    referrer_name: str | None = Field(default=None, min_length=1, max_length=REFERRER_MAX)
    preferred_days: list[Weekday] = Field(default_factory=list, max_length=5)
    preferred_parts: list[DayPart] = Field(default_factory=list, max_length=2)
    preferred_note: str | None = Field(default=None, min_length=1, max_length=PREFERRED_NOTE_MAX)
    message: str | None = Field(default=None, min_length=1, max_length=MESSAGE_MAX)

    @model_validator(mode="after")
    def _has_contact(self) -> Self:
        if self.email is None and self.phone is None:
            raise ValueError(CONTACT_REQUIRED)
        return self


#: The message of a request with neither e-mail nor phone (shown on the e-mail field).
CONTACT_REQUIRED = "give an e-mail address or a phone number (or both) so we can reply"


class RequestAccept(Schema):
    """Accept a request and book it: the slot (from :func:`rhizo.clinic.schedule.slots.free_slots`)
    and the patient: the request's own (portal), an existing record (``patient_id``) or a
    new one registered from ``new_patient`` (the registration form's rules)."""

    version: EditVersion
    session_id: DbId
    starts_at: PlannedAt
    patient_id: DbId | None = None
    new_patient: PatientCreate | None = None


class RequestAsk(Schema):
    """Ask the requester for more information (the message is sent to them)."""

    version: EditVersion
    message: str = Field(min_length=5, max_length=INFO_MESSAGE_MAX)


class RequestDecline(Schema):
    """Decline a request, with the reason the requester is told (5-500 characters)."""

    version: EditVersion
    reason: str = Field(min_length=DECLINE_REASON_MIN, max_length=DECLINE_REASON_MAX)


class RequestRead(ReadSchema):
    """A request as stored (without the address hash)."""

    id: int
    version: int
    source: RequestSource
    patient_id: int | None
    name: str
    email: str | None
    phone: str | None
    region: PainRegion
    pain_weeks: float | None
    referrer_name: str | None
    preferred_days: list[str]
    preferred_parts: list[str]
    preferred_note: str | None
    message: str | None
    status: RequestStatus
    info_message: str | None
    decline_reason: str | None
    appointment_id: int | None
    triaged_by: str | None
    triaged_at: datetime | None
    created_at: datetime
