"""The plan form: roles, CSRF, inline 422, holds computed by the pathway and shown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.medication import service as medication_service
from rhizo.clinic.medication.models import MedicationCreate
from rhizo.clinic.plan.models import Plan
from rhizo.pathway.facts import entry
from tests.web.test_forms_support import (
    REFUSED_ROLES,
    AsRole,
    audit_rows,
    db,
    form_page,
    new_patient,
)

PLANNED = date.today() + timedelta(days=21)


def _valid(csrf: str) -> dict[str, str | list[str]]:
    return {
        "csrf_token": csrf,
        "procedure": "lumbar-facet-rf",
        "planned_date": PLANNED.isoformat(),
        "side": "right",
        "levels": "L4-L5",
        "sedation": "none",
        # Narouze 2018: a patient factor raises the category by one (low -> intermediate).
        "risk_factors": ["coagulopathy"],
    }


@pytest.mark.parametrize("role", ["clinician", "nurse"])
def test_plan_form_renders(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    html, _ = form_page(as_role(role), f"/patients/{pid}/plans/new")
    assert 'id="plan-form"' in html
    assert 'value="lumbar-facet-rf" selected' in html


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_plan_form_refused(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    assert as_role(role).get(f"/patients/{pid}/plans/new").status_code == 403


def test_plan_form_needs_login(client: TestClient, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    response = client.get(f"/patients/{pid}/plans/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_plan_without_csrf_is_refused(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    data = _valid("")
    del data["csrf_token"]
    assert as_role("nurse").post(f"/patients/{pid}/plans/new", data=data).status_code == 403
    assert audit_rows(web_app, "plan", pid, AuditAction.CREATE) == []


def test_plan_invalid_values_inline_and_kept(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/plans/new")
    data = _valid(csrf) | {"planned_date": "2026-02-30", "levels": "L4L5"}
    response = client.post(f"/patients/{pid}/plans/new", data=data)
    assert response.status_code == 422
    assert 'id="planned_date-error"' in response.text
    assert 'value="2026-02-30"' in response.text
    assert 'id="levels-error"' in response.text
    assert 'value="L4L5"' in response.text
    # The ticked risk factor stays ticked.
    assert 'value="coagulopathy" checked' in response.text
    past = client.post(
        f"/patients/{pid}/plans/new",
        data=_valid(csrf) | {"planned_date": (date.today() - timedelta(days=1)).isoformat()},
    )
    assert past.status_code == 422
    assert "has passed" in past.text


def test_plan_holds_come_from_the_pathway_and_show_on_the_patient_page(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    with db(web_app) as session:
        for name in ("warfarin", "made-up-drug"):
            medication_service.create(
                session=session,
                actor=Actor(user_id=None, username="form-tests", role=Role.ADMIN),
                patient_id=pid,
                data=MedicationCreate(name=name),
            )
    client = as_role("nurse")
    _, csrf = form_page(client, f"/patients/{pid}/plans/new")
    response = client.post(f"/patients/{pid}/plans/new", data=_valid(csrf), follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/patients/{pid}?saved=plan#flash"
    # Warfarin's row for the intermediate category (Narouze 2018, drugs.yaml).
    hold_days = int(entry("drugs", "warfarin")["intermediate"]["hold_days"])
    with db(web_app) as session:
        plan = session.scalars(sa.select(Plan).where(Plan.patient_id == pid)).one()
        assert plan.bleeding_risk.value == "intermediate"
        assert plan.risk_factors == ["coagulopathy"]
        (hold,) = plan.holds
        assert hold["drug"] == "warfarin"
        assert hold["last_dose_date"] == (PLANNED - timedelta(days=hold_days)).isoformat()
        assert plan.unmatched_medications == ["made-up-drug"]
    (row,) = audit_rows(web_app, "plan", pid, AuditAction.CREATE)
    assert row.entity_id == str(plan.id)
    page = client.get(response.headers["location"])
    assert 'id="flash"' in page.text
    assert f"last dose {(PLANNED - timedelta(days=hold_days)).isoformat()}" in page.text
    assert "No hold rule for: made-up-drug" in page.text
