"""The portal's questionnaires before a review: own appointments only, inline errors, stored.

The ODI from ten sections 0-5 is :func:`rhizo.pathway.outcomes.score_odi`'s rule,
computed here by hand: sections 2,2,1,1,2,2,1,0,1,2 sum to 14 of 50 -> 28 %; with
the last left out, 12 of 45 -> 26.7 % -> stored 27.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule.models import (
    Appointment,
    AppointmentKind,
    AppointmentMode,
    AppointmentStatus,
)
from rhizo.clinic.specialist.models import Specialist
from tests.web.conftest import csrf_of

AsRole = Callable[[str], TestClient]
ANSWERS = [2, 2, 1, 1, 2, 2, 1, 0, 1, 2]


def _review_for(app: FastAPI, *, own: bool) -> int:
    """A booked review appointment a week ahead for the demo patient (or another one)."""
    session = app.state.session_factory()
    try:
        linked = Patient.user_id.is_not(None) if own else Patient.user_id.is_(None)
        patient_id = session.scalar(sa.select(Patient.id).where(linked).order_by(Patient.id))
        specialist_id = session.scalar(sa.select(Specialist.id).order_by(Specialist.id))
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
        row = Appointment(
            patient_id=patient_id,
            specialist_id=specialist_id,
            kind=AppointmentKind.REVIEW,
            mode=AppointmentMode.PHONE,
            starts_at=start + timedelta(minutes=5 * (1 if own else 2) + 60 * 24 * 30),
            ends_at=start + timedelta(minutes=5 * (1 if own else 2) + 60 * 24 * 30 + 15),
            status=AppointmentStatus.BOOKED,
            review_id="follow-up-3-months",
            booked_by="test",
        )
        session.add(row)
        session.commit()
        return row.id
    finally:
        session.close()


def _followups(app: FastAPI, appointment_id: int) -> list[FollowUp]:
    session = app.state.session_factory()
    try:
        return list(
            session.scalars(
                sa.select(FollowUp).where(
                    FollowUp.notes.contains(f"(appointment {appointment_id})")
                )
            )
        )
    finally:
        session.close()


def test_patient_fills_the_questionnaires_for_an_own_review(
    as_role: AsRole, web_app: FastAPI
) -> None:
    mine = _review_for(web_app, own=True)
    other = _review_for(web_app, own=False)
    patient = as_role("patient")
    portal = patient.get("/portal")
    assert 'href="/portal/reviews"' in portal.text
    listing = patient.get("/portal/reviews")
    assert f"/portal/reviews/{mine}" in listing.text
    assert f"/portal/reviews/{other}" not in listing.text
    assert patient.get(f"/portal/reviews/{other}").status_code == 404
    page = patient.get(f"/portal/reviews/{mine}")
    assert page.status_code == 200
    assert "much improved" in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "nrs": "4", "pgic": "2"}
    form.update({f"odi_{i}": str(a) for i, a in enumerate(ANSWERS)})
    # Two sections left out: no ODI score (Fairbank 2000); inline error, nothing stored.
    two_missing = {**form, "odi_8": "", "odi_9": ""}
    refused = patient.post(f"/portal/reviews/{mine}", data=two_missing, follow_redirects=False)
    assert refused.status_code == 422
    assert "field-error" in refused.text
    bad = patient.post(
        f"/portal/reviews/{mine}", data={**form, "odi_3": "6", "nrs": "11"}, follow_redirects=False
    )
    assert bad.status_code == 422
    assert 'value="11"' in bad.text
    assert _followups(web_app, mine) == []
    assert patient.post(f"/portal/reviews/{other}", data=form).status_code == 404
    saved = patient.post(f"/portal/reviews/{mine}", data=form, follow_redirects=False)
    assert saved.status_code == 303
    one_missing = {**form, "odi_9": ""}
    assert (
        patient.post(
            f"/portal/reviews/{mine}", data=one_missing, follow_redirects=False
        ).status_code
        == 303
    )
    stored = _followups(web_app, mine)
    assert [(f.nrs, f.odi, f.pgic, f.source) for f in stored] == [
        (4, 28, 2, FollowUpSource.DIARY),
        (4, 27, 2, FollowUpSource.DIARY),
    ]
