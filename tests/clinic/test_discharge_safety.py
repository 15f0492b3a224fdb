"""Discharge safety: each red flag refuses a discharge home (422 naming it) until a
clinician records an escalation with a reason; the escalation is stored.

The reference is the rule as written in ``knowledge/discharge_safety.yaml``
(local protocol): new deficit; NRS >= 7 (boundary 6 / 7); no escort only after
sedation; instructions not given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.clinic.factories import make_patient, make_specialist, make_user, procedure_payload

from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.discharge.models import Discharge
from rhizo.pathway.discharge_safety import red_flag_rules, red_flags, uncontrolled_pain_nrs
from rhizo.pathway.facts import entries

Headers = Callable[[User], dict[str, str]]

SAFE: dict[str, Any] = {
    "discharged_at": "2025-02-03T11:00:00Z",
    "nrs": 2,
    "escort_present": True,
    "instructions_given": True,
    "new_deficit": False,
}
#: One finding at a time: (red flag id, the field, the change that raises it).
FINDINGS = [
    ("new-deficit", "new_deficit", {"new_deficit": True}),
    ("uncontrolled-pain", "nrs", {"nrs": 7}),
    ("no-escort-after-sedation", "escort_present", {"escort_present": False}),
    ("instructions-not-given", "instructions_given", {"instructions_given": False}),
]


def _flags(**changes: Any) -> list[str]:
    values: dict[str, Any] = {
        "new_deficit": False,
        "nrs": 2,
        "escort_present": True,
        "instructions_given": True,
        "sedation": True,
    } | changes
    return [flag.id for flag in red_flags(**values)]


def test_the_rule_reads_its_threshold_and_sources_from_the_knowledge_file() -> None:
    rows = {item["id"]: item for item in entries("discharge_safety")}
    assert uncontrolled_pain_nrs() == rows["uncontrolled-pain"]["min_nrs"] == 7
    assert [flag.id for flag in red_flag_rules()] == [f for f, _, _ in FINDINGS]
    # No guideline sets these refusals: every one is labelled local protocol.
    assert {flag.evidence for flag in red_flag_rules()} == {"local_protocol"}


@pytest.mark.parametrize(
    ("nrs", "found"),
    [(None, []), (0, []), (6, []), (7, ["uncontrolled-pain"]), (10, ["uncontrolled-pain"])],
)
def test_uncontrolled_pain_starts_at_nrs_7(nrs: int | None, found: list[str]) -> None:
    assert _flags(nrs=nrs) == found


def test_no_escort_is_a_red_flag_only_after_sedation() -> None:
    assert _flags(escort_present=False, sedation=True) == ["no-escort-after-sedation"]
    assert _flags(escort_present=False, sedation=False) == []
    assert _flags(new_deficit=True, instructions_given=False, nrs=9, escort_present=False) == [
        f for f, _, _ in FINDINGS
    ]


def _procedure(client: TestClient, session: Session, headers: dict[str, str], sedation: str) -> str:
    patient = make_patient(session)
    performer = make_specialist(session)
    session.flush()
    response = client.post(
        f"/api/v1/patients/{patient.id}/procedures",
        headers=headers,
        json=procedure_payload(performer.id, [], sedation=sedation),
    )
    assert response.status_code == 201, response.text
    return f"/api/v1/patients/{patient.id}/procedures/{response.json()['id']}/discharge"


@pytest.fixture
def clinician(session: Session, token_for: Headers) -> dict[str, str]:
    return token_for(make_user(session, Role.CLINICIAN))


@pytest.mark.parametrize(("flag", "field", "change"), FINDINGS)
def test_each_red_flag_refuses_a_discharge_home_and_names_it(
    client: TestClient,
    session: Session,
    clinician: dict[str, str],
    flag: str,
    field: str,
    change: dict[str, Any],
) -> None:
    path = _procedure(client, session, clinician, "minimal")
    refused = client.post(path, headers=clinician, json=SAFE | change)
    assert refused.status_code == 422, refused.text
    (problem,) = refused.json()["detail"]
    assert (problem["field"], problem["rule"]) == (field, f"red_flag:{flag}")
    assert "red flag" in problem["message"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Discharge)) == 0
    # Admitted is not a routine discharge home: no escalation needed.
    admitted = client.post(
        path, headers=clinician, json=SAFE | change | {"disposition": "admitted"}
    )
    assert admitted.status_code == 201, admitted.text
    assert admitted.json()["escalation_kind"] is None


@pytest.mark.parametrize(("flag", "field", "change"), FINDINGS)
def test_a_clinicians_escalation_with_a_reason_lets_it_through_and_is_stored(
    client: TestClient,
    session: Session,
    clinician: dict[str, str],
    flag: str,
    field: str,
    change: dict[str, Any],
) -> None:
    path = _procedure(client, session, clinician, "minimal")
    blank = {"kind": "reviewed_by_clinician", "reason": "   "}
    no_reason = client.post(path, headers=clinician, json=SAFE | change | {"escalation": blank})
    assert no_reason.status_code == 422
    (problem,) = no_reason.json()["detail"]
    assert (problem["field"], problem["rule"]) == ("escalation.reason", "string_too_short")
    reason = "Examined: power 5/5, sensation intact; pain settled on review"
    escalation = {"kind": "reviewed_by_clinician", "reason": reason}
    accepted = client.post(path, headers=clinician, json=SAFE | change | {"escalation": escalation})
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert (body["escalation_kind"], body["escalation_reason"]) == ("reviewed_by_clinician", reason)
    stored = session.scalars(sa.select(Discharge)).one()
    assert stored.escalated_by is not None
    assert stored.escalated_by == body["escalated_by"]
    assert client.get(path, headers=clinician).json()["escalation_reason"] == reason


def test_only_a_clinician_may_escalate_and_admitted_matches_the_disposition(
    client: TestClient, session: Session, clinician: dict[str, str], token_for: Headers
) -> None:
    nurse = token_for(make_user(session, Role.NURSE))
    path = _procedure(client, session, clinician, "none")
    escalation = {"kind": "reviewed_by_clinician", "reason": "seen"}
    by_nurse = client.post(
        path, headers=nurse, json=SAFE | {"new_deficit": True, "escalation": escalation}
    )
    assert by_nurse.status_code == 422
    assert by_nurse.json()["detail"][0]["rule"] == "clinician_only"
    home_admitted = {"kind": "admitted", "reason": "kept overnight"}
    contradiction = client.post(
        path, headers=clinician, json=SAFE | {"new_deficit": True, "escalation": home_admitted}
    )
    assert contradiction.status_code == 422
    assert contradiction.json()["detail"][0]["rule"] == "matches_disposition"
    # Without sedation, no escort is not a red flag: a nurse records it as routine.
    routine = client.post(path, headers=nurse, json=SAFE | {"escort_present": False})
    assert routine.status_code == 201, routine.text


def _discharge_columns(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return {c["name"] for c in sa.inspect(connection).get_columns("discharges")}
    finally:
        engine.dispose()


def test_migration_adds_and_removes_the_escalation_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'discharge.sqlite3'}"
    columns = {"escalation_kind", "escalation_reason", "escalated_by"}
    assert migrate.upgrade(url) == migrate.head_revision()
    assert _discharge_columns(url) >= columns
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            checks = {c["name"] for c in sa.inspect(connection).get_check_constraints("discharges")}
        assert {"ck_discharges_escalation_complete", "ck_discharges_escalation_kind"} <= checks
    finally:
        engine.dispose()
    migrate.downgrade(url, "0007b1c2d3e4")
    assert not _discharge_columns(url) & columns
    assert migrate.upgrade(url) == migrate.head_revision()
    assert _discharge_columns(url) >= columns
