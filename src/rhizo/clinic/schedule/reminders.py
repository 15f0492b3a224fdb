"""Which messages an appointment gets and when, and the words of every patient message.

One template module (the outbox renders every message through it):

=========================  =====================================================
name                       sent
=========================  =====================================================
``appointment_booked``     at once when booked (with the .ics file)
``appointment_reminder``   09:00 on the clinic's clock the day before
                           (:data:`REMINDER_WALL_TIME`; not queued when that time
                           has passed at booking)
``appointment_rescheduled`` at once when moved (with the new .ics file)
``appointment_cancelled``  at once when cancelled (not for a reschedule)
``rf_day_holds``           the RF day's medicines and preparation (queued by the
                           pathway effects with the plan's holds and instructions)
``review_invitation``      the review, with the portal link to the questionnaires
``request_received``       a consultation request arrived
``request_outcome``        the request was accepted, needs information, or declined
=========================  =====================================================

Style (local protocol, after the NHS content style guide's advice to write for
patients in short sentences and plain words: secondary, recalled): short, kind,
the clinic's name and phone in every message, what to do if they cannot come.
A subject never names a diagnosis, a procedure or a drug (it shows on locked
screens and in shared inboxes): it says "Your appointment at <clinic>" and when.
Times are shown on the appointment's own zone (its session's, else the
clinic's ``RHIZO_CLINIC_TIMEZONE``) by :func:`rhizo.clinic.schedule.clock.local`.

The request-received message repeats the red flags of back pain that need urgent
care instead of a wait (sudden severe worsening, new weakness or numbness, bladder
or bowel problems: the cauda equina warning signs; NICE NG59 "Low back pain and
sciatica in over 16s", 2016, and the GIRFT/NHS England cauda equina pathway, 2023:
recalled, not re-read here).

Dedupe keys (one message per appointment and purpose):
``appointment:<id>:<template>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from rhizo.clinic.core.clinic_settings.service import Contact
from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.outbox import service as outbox
from rhizo.clinic.core.outbox import templates
from rhizo.clinic.core.outbox.addresses import email_problem
from rhizo.clinic.core.outbox.models import Channel, OutboxMessage
from rhizo.clinic.core.outbox.templates import Rendered
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import clock, ics
from rhizo.clinic.schedule.lifecycle import RESCHEDULED_REASON
from rhizo.clinic.schedule.models import (
    KIND_LABEL,
    Appointment,
    AppointmentKind,
    AppointmentMode,
    ClinicSession,
    Room,
)
from rhizo.clinic.specialist.models import Specialist
from rhizo.pathway.clinic_day import clinic_zone_named

APPOINTMENT_BOOKED = "appointment_booked"
APPOINTMENT_REMINDER = "appointment_reminder"
APPOINTMENT_RESCHEDULED = "appointment_rescheduled"
APPOINTMENT_CANCELLED = "appointment_cancelled"
RF_DAY_HOLDS = "rf_day_holds"
REVIEW_INVITATION = "review_invitation"
REQUEST_RECEIVED = "request_received"
REQUEST_OUTCOME = "request_outcome"

#: The day-before reminder goes out at this wall time on the appointment's zone.
REMINDER_WALL_TIME = time(9, 0)
SHORT = 200


# --- contexts ------------------------------------------------------------------------


class _Context(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    #: The patient's given name, for "Hello Ann" (None: "Hello").
    recipient_name: str | None = Field(default=None, max_length=100)


class _Zoned(_Context):
    #: The IANA zone times are shown on (None: the clinic's).
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("timezone", mode="after")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                clinic_zone_named(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an IANA time zone name") from None
        return value


class AppointmentContext(_Zoned):
    """An appointment as a message tells it."""

    appointment_id: int = Field(ge=1)
    kind: AppointmentKind
    mode: AppointmentMode
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    specialist_name: str = Field(min_length=1, max_length=SHORT)
    room_name: str | None = Field(default=None, max_length=SHORT)
    #: The appointment's revision (the .ics SEQUENCE).
    sequence: int = Field(default=0, ge=0)


class RescheduledContext(AppointmentContext):
    """A moved appointment: the new one, and when the old one was."""

    previous_starts_at: AwareDatetime


class MedicineLine(BaseModel):
    """One medicine step of the plan (:class:`rhizo.pathway.patient_plan.MedicineStep`)."""

    model_config = ConfigDict(extra="ignore")

    drug: str = Field(min_length=1, max_length=SHORT)
    action: Literal["pause", "keep", "ask"]
    last_dose_date: date | None = None
    restart_after_hours: int | None = Field(default=None, ge=0, le=24 * 60)
    #: The pathway's own plain-language sentence for this step.
    text: str = Field(min_length=1, max_length=1000)


class PreparationLine(BaseModel):
    """One preparation step of the plan (:class:`rhizo.pathway.premed_models.Instruction`)."""

    model_config = ConfigDict(extra="ignore")

    topic: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=1000)


class HoldsContext(_Zoned):
    """The RF day's medicines and preparation, as the plan computed them."""

    appointment_id: int = Field(ge=1)
    starts_at: AwareDatetime
    medicines: list[MedicineLine] = Field(default_factory=list, max_length=50)
    preparation: list[PreparationLine] = Field(default_factory=list, max_length=50)


class ReviewContext(_Zoned):
    """A review invitation with the link to the questionnaires in the portal."""

    review_label: str = Field(min_length=1, max_length=SHORT)
    proms_url: str = Field(pattern=r"^https?://\S+$", max_length=500)
    starts_at: AwareDatetime | None = None
    due_on: date | None = None


class RequestReceivedContext(_Context):
    """A consultation request arrived."""

    reference: str | None = Field(default=None, max_length=40)


class RequestOutcomeContext(_Zoned):
    """What became of a consultation request."""

    outcome: Literal["accepted", "more_information", "declined"]
    #: Staff's words to the requester (the question asked, the reason for declining).
    message: str | None = Field(default=None, max_length=1000)
    starts_at: AwareDatetime | None = None


# --- wording -------------------------------------------------------------------------


def _clinic(contact: Contact) -> str:
    return contact.name or "your clinic"


def _call(contact: Contact) -> str:
    if contact.phone:
        hours = f" ({contact.hours})" if contact.hours else ""
        return f"call {_clinic(contact)} on {contact.phone}{hours}"
    return "call the clinic that is treating you"


def _hello(context: _Context) -> str:
    return f"Hello {context.recipient_name}," if context.recipient_name else "Hello,"


def _signature(contact: Contact) -> str:
    lines = [_clinic(contact).capitalize() if not contact.name else contact.name]
    if contact.phone:
        lines.append(f"Phone {contact.phone}" + (f" ({contact.hours})" if contact.hours else ""))
    lines.append("This is an automatic message; replies are not read.")
    return "\n".join(lines)


def _zone(context: _Zoned, zone: tzinfo) -> tzinfo:
    return clinic_zone_named(context.timezone) if context.timezone else zone


def when_text(moment: datetime, zone: tzinfo) -> str:
    """``Tuesday 8 December 2026 at 10:00`` on ``zone``'s clock."""
    wall = clock.local(moment, zone)
    return f"{wall.strftime('%A')} {wall.day} {wall.strftime('%B %Y')} at {wall.strftime('%H:%M')}"


def short_when(moment: datetime, zone: tzinfo) -> str:
    """``Tue 8 Dec, 10:00`` (for subjects)."""
    wall = clock.local(moment, zone)
    return f"{wall.strftime('%a')} {wall.day} {wall.strftime('%b')}, {wall.strftime('%H:%M')}"


def day_text(day: date) -> str:
    """``Monday 7 December 2026``."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def _appointment_lines(context: AppointmentContext, zone: tzinfo, contact: Contact) -> list[str]:
    tz = _zone(context, zone)
    end = clock.local(context.ends_at, tz).strftime("%H:%M")
    where = (
        "By phone: the clinic will call you at that time."
        if context.mode is AppointmentMode.PHONE
        else ", ".join(p for p in (context.room_name, contact.name) if p) or "At the clinic."
    )
    return [
        f"When: {when_text(context.starts_at, tz)} (until {end}, {clock.zone_name(tz)} time)",
        f"With: {context.specialist_name}",
        f"Where: {where}",
    ]


def _ics(context: AppointmentContext, contact: Contact, *, cancelled: bool = False) -> str:
    return ics.calendar(
        ics.CalendarEvent(
            appointment_id=context.appointment_id,
            starts_at=context.starts_at,
            ends_at=context.ends_at,
            summary=ics.summary_for(contact.name),
            description=ics.description_for(
                kind_label=KIND_LABEL[context.kind],
                mode=context.mode,
                specialist_name=context.specialist_name,
                clinic_phone=contact.phone,
            ),
            location=ics.location_for(
                mode=context.mode, room_name=context.room_name, clinic_name=contact.name
            ),
            stamp=utcnow(),
            sequence=context.sequence,
            cancelled=cancelled,
        )
    )


def _subject(contact: Contact, moment: datetime | None, zone: tzinfo, what: str = "") -> str:
    when = f": {short_when(moment, zone)}" if moment is not None else ""
    return f"Your appointment at {_clinic(contact)}{what}{when}"[:SHORT]


def _booked(context: AppointmentContext, contact: Contact, zone: tzinfo) -> Rendered:
    tz = _zone(context, zone)
    text = "\n".join(
        [
            _hello(context),
            "",
            f"Your {KIND_LABEL[context.kind]} is booked.",
            "",
            *_appointment_lines(context, zone, contact),
            "",
            "The attached calendar file adds it to your calendar.",
            f"If you cannot come, please {_call(contact)} so that someone else can have the time.",
            "",
            _signature(contact),
        ]
    )
    return Rendered(_subject(contact, context.starts_at, tz), text, _ics(context, contact))


def _reminder(context: AppointmentContext, contact: Contact, zone: tzinfo) -> Rendered:
    tz = _zone(context, zone)
    text = "\n".join(
        [
            _hello(context),
            "",
            f"A reminder: your {KIND_LABEL[context.kind]} is tomorrow.",
            "",
            *_appointment_lines(context, zone, contact),
            "",
            f"If you cannot come, please {_call(contact)} as soon as you can.",
            "",
            _signature(contact),
        ]
    )
    return Rendered(_subject(contact, context.starts_at, tz, " is tomorrow"), text)


def _rescheduled(context: RescheduledContext, contact: Contact, zone: tzinfo) -> Rendered:
    tz = _zone(context, zone)
    text = "\n".join(
        [
            _hello(context),
            "",
            f"Your {KIND_LABEL[context.kind]} has moved. "
            f"It was on {when_text(context.previous_starts_at, tz)}. The new time is:",
            "",
            *_appointment_lines(context, zone, contact),
            "",
            "The attached calendar file adds the new time to your calendar.",
            f"If the new time does not suit you, please {_call(contact)}.",
            "",
            _signature(contact),
        ]
    )
    return Rendered(
        _subject(contact, context.starts_at, tz, " has moved"), text, _ics(context, contact)
    )


def _cancelled(context: AppointmentContext, contact: Contact, zone: tzinfo) -> Rendered:
    tz = _zone(context, zone)
    text = "\n".join(
        [
            _hello(context),
            "",
            f"Your {KIND_LABEL[context.kind]} on {when_text(context.starts_at, tz)} "
            "has been cancelled.",
            "",
            "If you did not expect this, or you would like a new appointment, "
            f"please {_call(contact)}.",
            "",
            _signature(contact),
        ]
    )
    return Rendered(
        _subject(contact, context.starts_at, tz, " is cancelled"),
        text,
        _ics(context, contact, cancelled=True),
    )


def _holds(context: HoldsContext, contact: Contact, zone: tzinfo) -> Rendered:
    tz = _zone(context, zone)
    lines = [
        _hello(context),
        "",
        f"Your treatment day is {when_text(context.starts_at, tz)}. "
        "Here is how to get ready, from your plan.",
    ]
    if context.medicines:
        lines += ["", "Your medicines:"]
        for step in context.medicines:
            lines.append(f"- {step.drug}: {step.text}")
            if step.action == "pause" and step.last_dose_date is not None:
                lines.append(f"  Last dose: {day_text(step.last_dose_date)}.")
            if step.action == "pause" and step.restart_after_hours:
                lines.append(
                    f"  Start again: {step.restart_after_hours} hours after the treatment, "
                    "unless you are told otherwise."
                )
    if context.preparation:
        lines += ["", "On the day:"]
        lines += [f"- {item.text}" for item in context.preparation]
    lines += [
        "",
        f"If anything here is unclear, or you take a medicine not listed, please {_call(contact)} "
        "before the day. Do not stop a medicine without the agreement of the doctor who "
        "prescribes it.",
        "",
        _signature(contact),
    ]
    return Rendered(_subject(contact, context.starts_at, tz, ": getting ready"), "\n".join(lines))


def _review(context: ReviewContext, contact: Contact, zone: tzinfo) -> Rendered:
    tz = _zone(context, zone)
    if context.starts_at is not None:
        when = f"Your {context.review_label} is on {when_text(context.starts_at, tz)}."
    elif context.due_on is not None:
        when = f"Your {context.review_label} is due around {day_text(context.due_on)}."
    else:
        when = f"It is time for your {context.review_label}."
    text = "\n".join(
        [
            _hello(context),
            "",
            when,
            "Before it, please answer a few short questions about your pain and daily life "
            "(about 5 minutes):",
            context.proms_url,
            "",
            f"If you would like to talk to someone, please {_call(contact)}.",
            "",
            _signature(contact),
        ]
    )
    return Rendered(f"Your review with {_clinic(contact)}"[:SHORT], text)


def _request_received(context: RequestReceivedContext, contact: Contact, zone: tzinfo) -> Rendered:
    del zone
    reference = f" Your reference is {context.reference}." if context.reference else ""
    text = "\n".join(
        [
            _hello(context),
            "",
            f"Thank you: {_clinic(contact)} has your request for a consultation.{reference}",
            "Someone from the clinic will look at it and tell you what happens next, "
            "usually within a few working days.",
            "",
            "If your pain is suddenly much worse, you have new weakness or numbness, or "
            "problems controlling your bladder or bowels, do not wait for us: get "
            "urgent medical help.",
            f"If you have questions about your request, please {_call(contact)}.",
            "",
            _signature(contact),
        ]
    )
    return Rendered(f"Your request to {_clinic(contact)}"[:SHORT], text)


def _request_outcome(context: RequestOutcomeContext, contact: Contact, zone: tzinfo) -> Rendered:
    tz = _zone(context, zone)
    if context.outcome == "accepted":
        first = "Your request for a consultation has been accepted."
        if context.starts_at is not None:
            first += f" Your appointment is on {when_text(context.starts_at, tz)}."
    elif context.outcome == "more_information":
        first = (
            "Thank you for your request. Before we can book you, we need a little more information."
        )
    else:
        first = (
            "Thank you for your request. We are sorry: the clinic cannot offer you a consultation."
        )
    lines = [_hello(context), "", first]
    if context.message:
        lines += ["", context.message]
    lines += ["", f"If you have questions, please {_call(contact)}.", "", _signature(contact)]
    return Rendered(f"Your request to {_clinic(contact)}"[:SHORT], "\n".join(lines))


# --- the registered templates ----------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """One named message: its context model and its renderer."""

    name: str
    model: type[_Context]
    renderer: Callable[[Any, Contact, tzinfo], Rendered]

    def validate(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """The context checked by :attr:`model`, JSON-safe; 422 naming ``context.<field>``."""
        try:
            parsed = self.model.model_validate(dict(context))
        except ValidationError as error:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "context." + ".".join(str(part) for part in problem["loc"]),
                        problem.get("input"),
                        problem["type"],
                        f"{self.name}: {problem['msg']}",
                    )
                    for problem in error.errors(include_url=False)
                ]
            ) from None
        return parsed.model_dump(mode="json")

    def render(
        self, *, session: Session, context: Mapping[str, Any], contact: Contact, zone: tzinfo
    ) -> Rendered:
        """The message's subject, text and attachment."""
        del session
        return self.renderer(self.model.model_validate(dict(context)), contact, zone)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(APPOINTMENT_BOOKED, AppointmentContext, _booked),
        Template(APPOINTMENT_REMINDER, AppointmentContext, _reminder),
        Template(APPOINTMENT_RESCHEDULED, RescheduledContext, _rescheduled),
        Template(APPOINTMENT_CANCELLED, AppointmentContext, _cancelled),
        Template(RF_DAY_HOLDS, HoldsContext, _holds),
        Template(REVIEW_INVITATION, ReviewContext, _review),
        Template(REQUEST_RECEIVED, RequestReceivedContext, _request_received),
        Template(REQUEST_OUTCOME, RequestOutcomeContext, _request_outcome),
    )
}
for _template in TEMPLATES.values():
    templates.register(_template)


# --- what an appointment gets ------------------------------------------------------------


def dedupe_key(appointment_id: int, template: str) -> str:
    """One message per appointment and template."""
    return f"appointment:{appointment_id}:{template}"


def appointment_zone(*, session: Session, appointment: Appointment) -> str | None:
    """The zone an appointment is told on: its session's (None: the clinic's, at send)."""
    if appointment.session_id is None:
        return None
    clinic_session = session.get(ClinicSession, appointment.session_id)
    return clinic_session.timezone if clinic_session is not None else None


def appointment_context(*, session: Session, appointment: Appointment) -> dict[str, Any]:
    """The :class:`AppointmentContext` of a stored appointment (as a dict)."""
    patient = session.get(Patient, appointment.patient_id)
    specialist = session.get(Specialist, appointment.specialist_id)
    room = session.get(Room, appointment.room_id) if appointment.room_id is not None else None
    return {
        "recipient_name": patient.given_name if patient is not None else None,
        "timezone": appointment_zone(session=session, appointment=appointment),
        "appointment_id": appointment.id,
        "kind": appointment.kind.value,
        "mode": appointment.mode.value,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "specialist_name": specialist.display_name if specialist is not None else "the clinic",
        "room_name": room.name if room is not None else None,
        "sequence": max(0, appointment.version - 1),
    }


def reminder_time(*, starts_at: datetime, zone: tzinfo | str) -> datetime:
    """:data:`REMINDER_WALL_TIME` on the day before ``starts_at``'s date on ``zone``'s
    clock, as an instant (09:00 exists on every day: DST changes happen at night)."""
    day_before = clock.clinic_date(starts_at, zone) - timedelta(days=1)
    return clock.instant(day_before, REMINDER_WALL_TIME, zone)


def patient_email(*, session: Session, appointment: Appointment) -> str | None:
    """The appointment's patient's e-mail address when it is a valid one (else None)."""
    patient = session.get(Patient, appointment.patient_id)
    if patient is None or not patient.email or email_problem(patient.email.strip()) is not None:
        return None
    return patient.email.strip()


def queue_for_booking(*, session: Session, appointment: Appointment) -> list[OutboxMessage]:
    """Queue a new appointment's messages (in the booking's transaction): the
    confirmation (or, for a rescheduled one, the move) at once with its .ics, and
    the day-before reminder when its time is still ahead. E-mail only, and only
    when the patient has a valid e-mail address (none: nothing is queued)."""
    to = patient_email(session=session, appointment=appointment)
    if to is None:
        return []
    context = appointment_context(session=session, appointment=appointment)
    now = clock.now_utc()
    queued: list[OutboxMessage] = []
    first = APPOINTMENT_BOOKED
    if appointment.rescheduled_from_id is not None:
        previous = session.get(Appointment, appointment.rescheduled_from_id)
        if previous is not None:
            first = APPOINTMENT_RESCHEDULED
            context = {**context, "previous_starts_at": previous.starts_at}
    queued.append(_enqueue(session, appointment, to, first, context, now))
    zone = context["timezone"] or "UTC"
    remind_at = reminder_time(starts_at=appointment.starts_at, zone=zone)
    if remind_at > now:
        reminder_context = {k: v for k, v in context.items() if k != "previous_starts_at"}
        queued.append(
            _enqueue(session, appointment, to, APPOINTMENT_REMINDER, reminder_context, remind_at)
        )
    return queued


def _enqueue(
    session: Session,
    appointment: Appointment,
    to: str,
    template: str,
    context: Mapping[str, Any],
    send_after: datetime,
) -> OutboxMessage:
    return outbox.enqueue(
        session=session,
        channel=Channel.EMAIL,
        to=to,
        template=template,
        context=context,
        send_after=send_after,
        dedupe_key=dedupe_key(appointment.id, template),
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
    )


def cancel_for(*, session: Session, appointment: Appointment) -> OutboxMessage | None:
    """Withdraw a cancelled appointment's queued messages (in the cancellation's
    transaction) and, unless it was cancelled to be rescheduled, queue the
    cancellation notice at once. Returns the notice (None: none queued)."""
    outbox.cancel(session=session, appointment_id=appointment.id)
    if appointment.cancel_reason == RESCHEDULED_REASON:
        return None
    to = patient_email(session=session, appointment=appointment)
    if to is None:
        return None
    context = appointment_context(session=session, appointment=appointment)
    return _enqueue(session, appointment, to, APPOINTMENT_CANCELLED, context, clock.now_utc())


__all__ = [
    "APPOINTMENT_BOOKED",
    "APPOINTMENT_CANCELLED",
    "APPOINTMENT_REMINDER",
    "APPOINTMENT_RESCHEDULED",
    "REQUEST_OUTCOME",
    "REQUEST_RECEIVED",
    "REVIEW_INVITATION",
    "RF_DAY_HOLDS",
    "TEMPLATES",
    "appointment_zone",
    "cancel_for",
    "patient_email",
    "queue_for_booking",
    "reminder_time",
]
