"""Plans take the inputs the drug holds depend on (issue 14): stored, recomputed, refused when bad.

Expected holds are the guideline's own numbers, written here as literals:
aspirin before a high-risk procedure for primary prophylaxis, 6 days (UpToDate
adaptation of Narouze 2018, drug table); dabigatran 6 days with renal
impairment (Narouze 2018 dabigatran row, recalled); warfarin "5 days, normal
INR" (same table) with rhizo's INR cut-off of 1.3 (one clinic's protocol).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient
from tests.clinic.factories import make_patient, make_user

from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.database import create_db_engine

Headers = dict[str, str]
PREVIOUS = "0005e9f0a1b2"
NEW_COLUMNS = {
    "aspirin_indication",
    "egfr_ml_per_min",
    "inr",
    "stent_months",
    "dual_antiplatelet",
    "warnings",
}


_INSERT = (
    "INSERT INTO plans (patient_id, procedure, planned_date, side, levels, sedation, "
    "risk_factors, diabetes, implanted_device, bleeding_risk, holds, unmatched_medications, "
    "instructions, status, inr, created_at, updated_at, version) VALUES ({pid}, 'lumbar-facet-rf', "
    "'2026-01-01', 'left', '[]', 'none', '[]', 0, 0, 'low', '[]', '[]', '[]', 'draft', {inr}, "
    "'2026-01-01', '2026-01-01', 1)"
)


def _plan(**extra: Any) -> dict[str, Any]:
    return {
        "procedure": "spinal-cord-stimulator",
        "planned_date": "2026-03-10",
        "side": "bilateral",
        "levels": ["T9-T10"],
        **extra,
    }


def _setup(
    client: TestClient, session: Session, token_for: Callable[[User], Headers], drugs: list[str]
) -> tuple[Headers, int]:
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = make_patient(session)
    for name in drugs:
        made = client.post(
            f"/api/v1/patients/{patient.id}/medications",
            headers=headers,
            json={"name": name, "dose": "1 tablet daily"},
        )
        assert made.status_code == 201, made.text
    return headers, patient.id


def _holds(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {hold["drug"]: hold for hold in plan["holds"]}


def test_the_plan_stores_the_inputs_and_the_holds_follow_them(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers, pid = _setup(client, session, token_for, ["aspirin", "dabigatran", "warfarin"])
    made = client.post(
        f"/api/v1/patients/{pid}/plans",
        headers=headers,
        json=_plan(aspirin_indication="primary", egfr_ml_per_min=45, inr=1.1),
    )
    assert made.status_code == 201, made.text
    plan = made.json()
    assert (plan["aspirin_indication"], plan["egfr_ml_per_min"], plan["inr"]) == (
        "primary",
        45,
        1.1,
    )
    holds = _holds(plan)
    assert (holds["aspirin"]["hold"], holds["aspirin"]["hold_days"]) == ("yes", 6)
    assert holds["aspirin"]["last_dose_date"] == "2026-03-04"
    assert holds["dabigatran"]["hold_days"] == 6  # eGFR 45 < 50: renal impairment
    assert holds["warfarin"]["inr_normal"] is True  # 1.1 < 1.3
    # A PATCH of an input recomputes: secondary prevention has no automatic hold.
    changed = client.patch(
        f"/api/v1/patients/{pid}/plans/{plan['id']}",
        headers=headers,
        json={"version": plan["version"], "aspirin_indication": "secondary", "egfr_ml_per_min": 50},
    )
    assert changed.status_code == 200, changed.text
    holds = _holds(changed.json())
    assert holds["aspirin"]["hold"] == "individualise"
    assert holds["aspirin"]["last_dose_date"] is None
    assert holds["dabigatran"]["hold_days"] == 5  # eGFR 50 is not below 50


def test_without_the_indication_aspirin_asks_for_it(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers, pid = _setup(client, session, token_for, ["aspirin"])
    made = client.post(f"/api/v1/patients/{pid}/plans", headers=headers, json=_plan())
    assert made.status_code == 201, made.text
    (hold,) = made.json()["holds"]
    assert hold["hold"] == "needs_input"
    assert hold["last_dose_date"] is None


def test_a_recent_stent_warns_and_holds_no_antiplatelet(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers, pid = _setup(client, session, token_for, ["clopidogrel"])
    made = client.post(f"/api/v1/patients/{pid}/plans", headers=headers, json=_plan(stent_months=3))
    assert made.status_code == 201, made.text
    plan = made.json()
    (hold,) = plan["holds"]
    assert hold["hold"] == "individualise"
    assert "cardiologist" in hold["note"]
    assert any("cardiologist" in warning["text"] for warning in plan["warnings"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("egfr_ml_per_min", -3),
        ("egfr_ml_per_min", 251),
        ("inr", 0.4),
        ("inr", 21),
        ("stent_months", 1e9),
        ("stent_months", -1),
        ("aspirin_indication", "tertiary"),
    ],
)
def test_bad_inputs_are_422_naming_the_field(
    client: TestClient,
    session: Session,
    token_for: Callable[[User], Headers],
    field: str,
    value: object,
) -> None:
    headers, pid = _setup(client, session, token_for, [])
    refused = client.post(
        f"/api/v1/patients/{pid}/plans", headers=headers, json=_plan(**{field: value})
    )
    assert refused.status_code == 422, refused.text
    assert field in refused.text


def test_nan_is_422(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers, pid = _setup(client, session, token_for, [])
    body = '{"procedure": "lumbar-facet-rf", "planned_date": "2026-03-10", "side": "left", '
    body += '"levels": ["L4-L5"], "inr": NaN}'
    refused = client.post(
        f"/api/v1/patients/{pid}/plans",
        headers={**headers, "content-type": "application/json"},
        content=body,
    )
    assert refused.status_code == 422, refused.text
    assert "inr" in refused.text
    assert "NaN" not in refused.text.replace('"NaN"', "")  # strict JSON back


def test_severe_kidney_factor_contradicting_the_egfr_is_422(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    # KDIGO 2012 Table 5: G4 (severely decreased) is 15-29; eGFR 30 is G3b.
    headers, pid = _setup(client, session, token_for, [])
    refused = client.post(
        f"/api/v1/patients/{pid}/plans",
        headers=headers,
        json=_plan(risk_factors=["severe_kidney_disease"], egfr_ml_per_min=30),
    )
    assert refused.status_code == 422, refused.text
    (problem,) = refused.json()["detail"]
    assert problem["field"] == "risk_factors"
    accepted = client.post(
        f"/api/v1/patients/{pid}/plans",
        headers=headers,
        json=_plan(risk_factors=["severe_kidney_disease"], egfr_ml_per_min=29.9),
    )
    assert accepted.status_code == 201, accepted.text


def test_migration_0006_adds_nullable_columns_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm6.sqlite3'}"
    migrate.upgrade(url, PREVIOUS)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("plans")}
        assert not NEW_COLUMNS & columns
        migrate.upgrade(url)
        with engine.connect() as connection:
            found = {c["name"]: c for c in sa.inspect(connection).get_columns("plans")}
            checks = {c["name"] for c in sa.inspect(connection).get_check_constraints("plans")}
        assert set(found) >= NEW_COLUMNS
        assert all(found[name]["nullable"] for name in NEW_COLUMNS)
        assert {"ck_plans_egfr_range", "ck_plans_inr_range", "ck_plans_stent_months_range"} <= (
            checks
        )
        with engine.begin() as connection:
            with Session(bind=connection) as rows:
                pid = make_patient(rows).id
            connection.exec_driver_sql(_INSERT.format(pid=pid, inr="1.1"))
            with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
                connection.exec_driver_sql(_INSERT.format(pid=pid, inr="25"))  # INR above 20
        migrate.downgrade(url, PREVIOUS)
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("plans")}
            kept = connection.exec_driver_sql("SELECT count(*) FROM plans").scalar()
        assert not NEW_COLUMNS & columns
        assert kept == 1  # the plan survives the downgrade, without its inputs
        assert migrate.current_revision(url) == PREVIOUS
    finally:
        engine.dispose()


def test_a_plan_stored_before_the_inputs_still_reads(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    # A row written before migration 0006 and the evidence levels: no inputs, NULL
    # warnings, holds without evidence, input_sources or inr_normal.
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = make_patient(session)
    old_hold = {
        "drug": "warfarin",
        "drug_class": "vitamin K antagonist",
        "hold": "yes",
        "hold_days": 5,
        "hold_hours": None,
        "last_dose_date": "2026-03-05",
        "restart_after_hours": 6,
        "note": "Check for a normal INR before the procedure.",
        "source": "UpToDate 2018, drug table, warfarin",
        "verified": True,
    }
    session.execute(
        sa.text(
            "INSERT INTO plans (patient_id, procedure, planned_date, side, levels, sedation, "
            "risk_factors, diabetes, implanted_device, bleeding_risk, holds, "
            "unmatched_medications, instructions, status, created_at, updated_at, version) "
            "VALUES (:pid, 'lumbar-facet-rf', '2026-03-10', 'left', '[\"L4-L5\"]', 'none', "
            "'[]', false, false, 'low', :holds, '[]', '[]', 'draft', '2026-01-01', "
            "'2026-01-01', 1)"
        ),
        {"pid": patient.id, "holds": json.dumps([old_hold])},
    )
    session.commit()
    listed = client.get(f"/api/v1/patients/{patient.id}/plans", headers=headers)
    assert listed.status_code == 200, listed.text
    (plan,) = listed.json()["items"]
    assert plan["warnings"] == []
    assert plan["egfr_ml_per_min"] is None
    (hold,) = plan["holds"]
    assert (hold["evidence"], hold["input_sources"], hold["inr_normal"]) == (None, [], None)
