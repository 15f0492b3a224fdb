"""Correct the record: remove an entry recorded in error, resolve a complication.

A block, follow-up or complication entered against the wrong patient or with
the wrong values is removed through its domain service (the same
``clinical:write`` permission and audit row as ``DELETE`` in the REST API; the
audit row names the entry, never its clinical values). The GET shows the entry
and asks; only
the POST, with its CSRF token, removes. A complication is resolved through
:class:`ComplicationUpdate`, so a resolution dated in the future or before the
onset is refused inline as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.block import service as block_service
from rhizo.clinic.complication import service as complication_service
from rhizo.clinic.complication.models import Complication, ComplicationUpdate
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import InvalidInputError
from rhizo.clinic.core.conflicts import VersionConflictError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.web.access import ClinicalFormUser, PageNotFound, check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today
from rhizo.clinic.web.form_errors import problem_errors, validation_errors
from rhizo.clinic.web.forms.common import given, read_patient, saved_redirect, values_of
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

#: An edit form without its version (opened before versions existed): reload it.
STALE_FORM = "This form is out of date; the complication is shown as it is now, save again."


@dataclass(frozen=True)
class Removable:
    """One kind of entry that can be removed: its label, reader, remover and summary."""

    label: str
    get: Callable[[Session, Actor, int, int], Any]
    delete: Callable[[Session, Actor, int, int], None]
    summary: Callable[[Any], str]


def _block_summary(b: Any) -> str:
    return (
        f"{b.performed_on.isoformat()}: {b.block_type.value.replace('_', ' ')} block "
        f"{', '.join(b.levels)} ({b.side.value}, {b.agent.value}), {b.relief_percent} % relief"
    )


def _followup_summary(f: Any) -> str:
    odi = f", ODI {f.odi} %" if f.odi is not None else ""
    return f"{f.followed_on.isoformat()}: NRS {f.nrs}{odi} ({f.source.value})"


def _complication_summary(c: Any) -> str:
    resolved = f", resolved {c.resolved_on.isoformat()}" if c.resolved_on else ", ongoing"
    kind = c.type.value.replace("_", " ")
    return f"{c.onset_date.isoformat()}: {kind} ({c.severity.value}){resolved}"


#: URL segment -> entry kind; the services are keyword-only, each with its own id name.
REMOVABLE: dict[str, Removable] = {
    "blocks": Removable(
        "diagnostic block",
        lambda s, a, p, i: block_service.get(session=s, actor=a, patient_id=p, block_id=i),
        lambda s, a, p, i: block_service.delete(session=s, actor=a, patient_id=p, block_id=i),
        _block_summary,
    ),
    "followups": Removable(
        "follow-up",
        lambda s, a, p, i: followup_service.get(session=s, actor=a, patient_id=p, followup_id=i),
        lambda s, a, p, i: followup_service.delete(session=s, actor=a, patient_id=p, followup_id=i),
        _followup_summary,
    ),
    "complications": Removable(
        "complication",
        lambda s, a, p, i: complication_service.get(
            session=s, actor=a, patient_id=p, complication_id=i
        ),
        lambda s, a, p, i: complication_service.delete(
            session=s, actor=a, patient_id=p, complication_id=i
        ),
        _complication_summary,
    ),
}


def _kind(kind: str) -> Removable:
    if kind not in REMOVABLE:
        raise PageNotFound
    return REMOVABLE[kind]


@router.get("/patients/{patient_id}/{kind}/{entry_id}/remove", response_class=HTMLResponse)
def remove_confirm(
    request: Request,
    user: ClinicalFormUser,
    session: SessionDep,
    patient_id: DbId,
    kind: str,
    entry_id: DbId,
) -> Response:
    """Show the entry and ask before removing it."""
    removable = _kind(kind)
    patient = read_patient(session, user, patient_id)
    entry = removable.get(session, user.actor, patient_id, entry_id)
    ctx = {
        "p": patient,
        "kind": kind,
        "entry_id": entry_id,
        "label": removable.label,
        "summary": removable.summary(entry),
    }
    return render(request, "forms/remove.html", ctx, user=user)


@router.post("/patients/{patient_id}/{kind}/{entry_id}/remove", response_class=HTMLResponse)
async def remove_submit(
    request: Request,
    user: ClinicalFormUser,
    session: SessionDep,
    patient_id: DbId,
    kind: str,
    entry_id: DbId,
) -> Response:
    """Remove the entry through its service (audited with its values)."""
    removable = _kind(kind)
    form = await read_form(request)
    check_csrf(user, form)
    removable.delete(session, user.actor, patient_id, entry_id)
    return saved_redirect(patient_id, f"removed-{kind}")


def _resolve_page(
    request: Request,
    user: Any,
    patient: Any,
    complication: Complication,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    ctx = {
        "p": patient,
        "complication": complication,
        "summary": _complication_summary(complication),
        "values": values,
        "errors": errors,
    }
    return render(request, "forms/resolve.html", ctx, user=user, status_code=status_code)


@router.get(
    "/patients/{patient_id}/complications/{complication_id}/resolve", response_class=HTMLResponse
)
def resolve_form(
    request: Request,
    user: ClinicalFormUser,
    session: SessionDep,
    patient_id: DbId,
    complication_id: DbId,
) -> Response:
    """The resolution date of a complication (today by default)."""
    patient = read_patient(session, user, patient_id)
    complication = complication_service.get(
        session=session, actor=user.actor, patient_id=patient_id, complication_id=complication_id
    )
    values = {
        "resolved_on": clinic_today(request).isoformat(),
        "notes": complication.notes or "",
        "version": str(complication.version),
    }
    return _resolve_page(request, user, patient, complication, values, {})


@router.post(
    "/patients/{patient_id}/complications/{complication_id}/resolve", response_class=HTMLResponse
)
async def resolve_submit(
    request: Request,
    user: ClinicalFormUser,
    session: SessionDep,
    patient_id: DbId,
    complication_id: DbId,
) -> Response:
    """Validate through :class:`ComplicationUpdate`, write through the service (the
    patient and the complication are read only to show the form again)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("resolved_on", "notes", "version"))

    def again(errors: dict[str, str], status_code: int, *, stored_version: bool) -> Response:
        # The record as it is now (its summary; its version when the form's is stale),
        # the person's typed values kept: they check and save again.
        patient = read_patient(session, user, patient_id)
        complication = complication_service.get(
            session=session,
            actor=user.actor,
            patient_id=patient_id,
            complication_id=complication_id,
        )
        if stored_version:
            values["version"] = str(complication.version)
        return _resolve_page(request, user, patient, complication, values, errors, status_code)

    raw = given(values)
    if "resolved_on" not in raw:
        errors = {"resolved_on": "required: enter the day it resolved"}
        return again(errors, 422, stored_version=False)
    try:
        data = ComplicationUpdate.model_validate(raw)
        complication_service.update(
            session=session,
            actor=user.actor,
            patient_id=patient_id,
            complication_id=complication_id,
            data=data,
        )
    except ValidationError as error:
        errors = validation_errors(error)
        stale = errors.pop("version", None) is not None  # a page without its version
        if stale:
            errors["form"] = STALE_FORM
        return again(errors, 422, stored_version=stale)
    except InvalidInputError as error:
        return again(problem_errors(error), 422, stored_version=False)
    except VersionConflictError as error:
        return again({"form": str(error)}, 409, stored_version=True)
    return saved_redirect(patient_id, "resolved")
