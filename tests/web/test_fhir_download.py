"""The FHIR R4 download from the patient page and the portal (signed-in browser).

Each download is read back with ``fhirclient``'s models generated from FHIR
R4 4.0.1 in strict mode, and must hold the same pain scores the page plots.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhirclient.models.bundle import Bundle as R4Bundle

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient.models import Patient

AsRole = Callable[[str], TestClient]


def _ids(app: FastAPI) -> tuple[int, int, list[tuple[str, int]]]:
    """(own record, another record, the other record's (date, NRS) scores)."""
    session = app.state.session_factory()
    try:
        own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
        other = session.scalar(
            sa.select(Patient.id).where(Patient.user_id.is_(None)).order_by(Patient.id)
        )
        scores = [
            (f.followed_on.isoformat(), f.nrs)
            for f in session.scalars(sa.select(FollowUp).where(FollowUp.patient_id == other))
        ]
    finally:
        session.close()
    assert own is not None
    assert other is not None
    return own, other, scores


def test_clinician_downloads_a_valid_r4_bundle_linked_from_the_page(
    as_role: AsRole, web_app: FastAPI
) -> None:
    _, other, scores = _ids(web_app)
    client = as_role("clinician")
    page = client.get(f"/patients/{other}")
    assert f'href="/patients/{other}/fhir.json"' in page.text
    response = client.get(f"/patients/{other}/fhir.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    bundle = json.loads(response.text)
    R4Bundle(bundle, strict=True)
    nrs = sorted(
        (r["effectiveDateTime"], r["valueInteger"])
        for r in (e["resource"] for e in bundle["entry"])
        if r["resourceType"] == "Observation"
        and r["code"]["coding"][0]["code"] == "72514-3"
        and r["id"].startswith("observation-followup-")
    )
    assert nrs == sorted(scores)
    session = web_app.state.session_factory()
    try:
        exported = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "fhir_bundle", AuditEvent.patient_id == other
            )
        ).all()
    finally:
        session.close()
    assert exported
    assert exported[-1].action == AuditAction.EXPORT


def test_patient_downloads_only_their_own_record(as_role: AsRole, web_app: FastAPI) -> None:
    own, other, _ = _ids(web_app)
    client = as_role("patient")
    portal = client.get("/portal")
    assert f'href="/patients/{own}/fhir.json"' in portal.text
    mine = client.get(f"/patients/{own}/fhir.json")
    assert mine.status_code == 200
    R4Bundle(json.loads(mine.text), strict=True)
    refused = client.get(f"/patients/{other}/fhir.json")
    assert refused.status_code == 403
    assert "fhir" not in refused.headers["content-type"]
