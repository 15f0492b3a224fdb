"""What every clinician form shares: permission, form values, inline errors, redirects.

A form page is a GET that renders the empty form and a POST that checks the
CSRF token, validates the typed values through the domain's pydantic
``*Create`` model, and calls the domain service (which writes the record and
its audit row in one transaction). Invalid input re-renders the form with
HTTP 422, each message next to its field and every typed value kept; success
redirects (303) to the patient page with ``?saved=<form>`` shown as ``#flash``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.web.access import WebUser
from rhizo.clinic.web.form_errors import Errors as Errors

#: Longest value kept from one form field (the models' own limits are shorter,
#: except notes); a longer value is cut before validation so a pasted megabyte
#: is not echoed back.
MAX_FIELD_CHARS = 10_000

Values = dict[str, str]


def read_patient(session: Session, user: WebUser, patient_id: int) -> Patient:
    """The patient the form is about, read through the service (writes the audit ``read``)."""
    return patient_service.get(session=session, actor=user.actor, patient_id=patient_id)


def procedure_options(session: Session, patient_id: int) -> list[tuple[str, str]]:
    """The patient's procedures as ``(id, "date levels side")`` choices, oldest first.

    Read after :func:`read_patient` in the same request, which audited the view.
    """
    rows = session.scalars(
        sa.select(Procedure)
        .where(Procedure.patient_id == patient_id)
        .order_by(Procedure.performed_at, Procedure.id)
    ).all()
    return [
        (
            str(row.id),
            f"{row.performed_at.date().isoformat()} {', '.join(row.levels)} "
            f"{row.side.value} ({row.status.value})",
        )
        for row in rows
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
