"""What every clinician form shares: permission, form values, inline errors, redirects.

A form page is a GET that renders the empty form and a POST that checks the
CSRF token, validates the typed values through the domain's pydantic
``*Create`` model, and calls the domain service, which writes the rows and one
audit row for each row it creates, changes or removes, in one transaction (a
failure writes nothing). The patient is read (an audited ``read``) only to
show a page: the empty form, or the form again with its errors. Invalid input
re-renders the form with HTTP 422, each message next to its field and every
typed value kept; success redirects (303) to the patient page with
``?saved=<form>`` shown as ``#flash``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from rhizo.clinic.chart.reader import read_record
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.web.access import WebUser
from rhizo.clinic.web.form_errors import Errors as Errors
from rhizo.pathway.clinic_day import procedure_day

#: Longest value kept from one form field (the models' own limits are shorter,
#: except notes); a longer value is cut before validation so a pasted megabyte
#: is not echoed back.
MAX_FIELD_CHARS = 10_000

Values = dict[str, str]


def read_patient(session: Session, user: WebUser, patient_id: int) -> Patient:
    """The patient the form is about, read through the service (writes the audit ``read``).

    A form reads the patient only to show a page (the empty form, or the form
    again with its errors): a save that succeeds writes its rows and their audit
    rows, nothing else.
    """
    return patient_service.get(session=session, actor=user.actor, patient_id=patient_id)


def read_chart(session: Session, user: WebUser, patient_id: int) -> PatientRecord:
    """The whole record of the patient the form is about, for a form that picks among its
    rows: the one reader (:func:`rhizo.clinic.chart.reader.read_record`, one audited
    ``read``), shown on a page only, as :func:`read_patient`."""
    return read_record(session=session, actor=user.actor, patient_id=patient_id)


def procedure_options(record: PatientRecord, zone: tzinfo) -> list[tuple[str, str]]:
    """The record's procedures as ``(id, "day levels side")`` choices, oldest first (the
    day is the clinic's, in ``zone``: :func:`rhizo.pathway.clinic_day.procedure_day`)."""
    return [
        (
            str(row.id),
            f"{procedure_day(row.performed_at, zone).isoformat()} {', '.join(row.levels)} "
            f"{row.side.value} ({row.status.value})",
        )
        for row in record.procedures
    ]


def choices(enum: Iterable[Any]) -> list[tuple[str, str]]:
    """An enum's members as ``(value, label)`` select options."""
    return [(member.value, str(member.value).replace("_", " ")) for member in enum]


def values_of(form: Mapping[str, str], names: Iterable[str]) -> Values:
    """The typed values of ``names``, stripped and length-capped (missing -> '')."""
    return {name: form.get(name, "").strip()[:MAX_FIELD_CHARS] for name in names}


def given(values: Mapping[str, str], names: Iterable[str] | None = None) -> dict[str, Any]:
    """The non-empty values: an empty field is 'not given', so the model applies its
    default or names the field as required (rather than "not a valid integer")."""
    return {name: values[name] for name in (names or values) if values.get(name)}


def checked(form: Mapping[str, str], name: str) -> bool:
    """A checkbox is sent only when ticked."""
    return name in form


def split_levels(value: str) -> list[str]:
    """``"L3-L4, L4-L5"`` (commas or spaces) -> ``["L3-L4", "L4-L5"]``, upper-cased."""
    return [part.upper() for part in value.replace(",", " ").split()]


def saved_redirect(patient_id: int, what: str) -> RedirectResponse:
    """303 to the patient page, which shows ``#flash`` for ``saved=<what>``."""
    return RedirectResponse(f"/patients/{patient_id}?saved={what}#flash", status_code=303)
