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
        # rhizo's local rule (the guideline: factors "may increase risk"): low -> intermediate.
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


def _high_risk(csrf: str, **extra: str) -> dict[str, str | list[str]]:
    return _valid(csrf) | {"procedure": "spinal-cord-stimulator", "risk_factors": []} | extra


def test_plan_inputs_change_the_holds_and_show_on_the_patient_page(
    as_role: AsRole, web_app: FastAPI
) -> None:
    # UpToDate adaptation of Narouze 2018, drug table: aspirin for primary prophylaxis
    # before a high-risk procedure, 6 days; warfarin "5 days, normal INR" (INR cut-off 1.3,
    # one clinic's protocol); clopidogrel with a stent placed 3 months ago: no automatic hold.
    pid = new_patient(web_app)
    with db(web_app) as session:
        for name in ("aspirin", "warfarin", "clopidogrel"):
            medication_service.create(
                session=session,
                actor=Actor(user_id=None, username="form-tests", role=Role.ADMIN),
                patient_id=pid,
                data=MedicationCreate(name=name),
            )
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/plans/new")
    data = _high_risk(
        csrf, aspirin_indication="primary", egfr_ml_per_min="60", inr="1.4", stent_months="3"
    )
    response = client.post(f"/patients/{pid}/plans/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    with db(web_app) as session:
        plan = session.scalars(sa.select(Plan).where(Plan.patient_id == pid)).one()
        assert plan.aspirin_indication is not None
        assert (plan.aspirin_indication.value, plan.egfr_ml_per_min, plan.inr) == (
            "primary",
            60,
            1.4,
        )
        assert plan.stent_months == 3
        holds = {hold["drug"]: hold for hold in plan.holds}
    # The stent makes every antiplatelet a cardiologist's decision, aspirin included.
    assert holds["aspirin"]["hold"] == "individualise"
    assert holds["clopidogrel"]["hold"] == "individualise"
    assert holds["warfarin"]["inr_normal"] is False  # 1.4 is not below 1.3
    assert holds["warfarin"]["last_dose_date"] == (PLANNED - timedelta(days=5)).isoformat()
    page = client.get(f"/patients/{pid}").text
    assert "decide with the cardiologist before stopping any antiplatelet" in page
    assert "INR 1.4 is not below 1.3" in page


def test_aspirin_primary_without_a_stent_is_six_days(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    with db(web_app) as session:
        medication_service.create(
            session=session,
            actor=Actor(user_id=None, username="form-tests", role=Role.ADMIN),
            patient_id=pid,
            data=MedicationCreate(name="aspirin"),
        )
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/plans/new")
    response = client.post(
        f"/patients/{pid}/plans/new",
        data=_high_risk(csrf, aspirin_indication="primary"),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    with db(web_app) as session:
        plan = session.scalars(sa.select(Plan).where(Plan.patient_id == pid)).one()
        (hold,) = plan.holds
    assert (hold["hold"], hold["hold_days"]) == ("yes", 6)
    assert hold["last_dose_date"] == (PLANNED - timedelta(days=6)).isoformat()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("egfr_ml_per_min", "-3"),
        ("inr", "nan"),
        ("stent_months", "1e9"),
        ("aspirin_indication", "tertiary"),
    ],
)
def test_bad_plan_inputs_are_inline_and_kept(
    as_role: AsRole, web_app: FastAPI, field: str, value: str
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/plans/new")
    response = client.post(f"/patients/{pid}/plans/new", data=_valid(csrf) | {field: value})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    if field != "aspirin_indication":
        assert f'value="{value}"' in response.text
    assert audit_rows(web_app, "plan", pid, AuditAction.CREATE) == []


def test_severe_kidney_factor_against_the_egfr_is_inline(as_role: AsRole, web_app: FastAPI) -> None:
    # KDIGO 2012 Table 5: severely decreased (G4) is 15-29, so eGFR 30 is not severe.
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/plans/new")
    data = _valid(csrf) | {"risk_factors": ["severe_kidney_disease"], "egfr_ml_per_min": "30"}
    response = client.post(f"/patients/{pid}/plans/new", data=data)
    assert response.status_code == 422
    assert 'id="risk_factors-error"' in response.text
    assert "below 30" in response.text
