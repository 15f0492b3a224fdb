"""Every patient-data route, called with a valid payload, does its job and leaves an audit row.

The walk below records a whole episode of care through the API (patient,
condition, conservative care, blocks, medications, plan, procedure with
lesions, discharge, follow-ups, complication) and reads, updates and deletes
each kind; after every call the audit trail must have grown by a row naming
the action and the patient. A final check proves no patient-data route was
left out of the walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fhirclient.models.bundle import Bundle as R4Bundle
from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient, count
from tests.clinic.factories import good_lesion, make_specialist, make_user, procedure_payload
from tests.clinic.test_api_permissions import ROUTES

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.procedure.models import Lesion, Procedure

Headers = dict[str, str]


class Walker:
    """Calls the API and checks the audit row each call leaves."""

    def __init__(self, client: TestClient, session: Session, headers: Headers) -> None:
        self.client, self.session, self.headers = client, session, headers
        self.called: set[tuple[str, str]] = set()

    def __call__(
        self,
        method: str,
        template: str,
        expect: int,
        action: AuditAction | None,
        json: Any = None,
        **ids: int,
    ) -> Any:
        url = "/api/v1" + template.format(**ids)
        if method == "PATCH" and isinstance(json, dict) and "version" not in json:
            # An edit names the version it read (409 otherwise): every row here is new.
            json = {**json, "version": 1}
        before = self.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
        response = self.client.request(method, url, json=json, headers=self.headers)
        assert response.status_code == expect, (method, url, response.text)
        self.called.add((method, "/api/v1" + template))
        if action is not None:
            rows = self.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > before)).all()
            assert any(row.action == action for row in rows), (method, url, rows)
            if "patient_id" in ids:
                assert any(row.patient_id == ids["patient_id"] for row in rows), (method, url)
            assert all(row.request_id for row in rows)
        return response.json() if response.content else None


def test_episode_of_care_is_audited_route_by_route(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    admin = make_user(session, Role.ADMIN)
    specialist = make_specialist(session)
    call = Walker(client, session, token_for(admin))
    CREATE, READ, UPDATE, DELETE = (
        AuditAction.CREATE,
        AuditAction.READ,
        AuditAction.UPDATE,
        AuditAction.DELETE,
    )

    patient = call(
        "POST",
        "/patients",
        201,
        CREATE,
        json={
            "mrn": "WALK-0001",
            "given_name": "Zoë",
            "family_name": "Ødegård",
            "birth_date": "1958-04-03",
            "sex": "female",
            "email": "z@example.org",
        },
    )
    pid = patient["id"]
    assert call("GET", "/patients", 200, READ)["total"] >= 1
    found = call("GET", "/patients?search=odeg", 200, READ)
    assert [p["id"] for p in found["items"]] == [pid]
    call("GET", "/patients/{patient_id}", 200, READ, patient_id=pid)
    assert (
        call(
            "PATCH",
            "/patients/{patient_id}",
            200,
            UPDATE,
            json={"phone": "+44 20 7946 0000"},
            patient_id=pid,
        )["phone"]
        == "+44 20 7946 0000"
    )
    login = make_user(session, Role.PATIENT)
    linked = call(
        "PUT",
        "/patients/{patient_id}/login",
        200,
        UPDATE,
        json={"user_id": login.id},
        patient_id=pid,
    )
    assert linked["user_id"] == login.id

    simple: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
        "conditions": (
            "condition_id",
            {
                "icd10_code": "M47.816",
                "description": "Lumbar spondylosis",
                "onset_date": "2023-01-10",
                "region": "lumbar",
            },
            {"status": "remission"},
        ),
        "care-trials": (
            "trial_id",
            {
                "modality": "physiotherapy",
                "start_date": "2023-02-01",
                "end_date": "2023-05-01",
                "relief_percent": 10,
            },
            {"relief_percent": 20},
        ),
        "blocks": (
            "block_id",
            {
                "performed_on": "2024-11-02",
                "levels": ["L4-L5", "L5-S1"],
                "side": "right",
                "agent": "lidocaine",
                "volume_ml": 0.5,
                "relief_percent": 85,
                "relief_hours": 3,
                "baseline_nrs": 7,
            },
            {"relief_hours": 4},
        ),
        "medications": (
            "medication_id",
            {"name": "clopidogrel", "dose": "75 mg daily"},
            {"dose": "75 mg"},
        ),
        "complications": (
            "complication_id",
            {"type": "neuritis", "severity": "mild", "onset_date": "2025-02-10"},
            {"resolved_on": "2025-02-20"},
        ),
        "followups": (
            "followup_id",
            {"followed_on": "2025-03-03", "nrs": 2, "odi": 18, "pgic": 2},
            {"notes": "walking further"},
        ),
    }
    kept: dict[str, tuple[str, int]] = {}
    for kind, (id_name, create, change) in simple.items():
        base = f"/patients/{{patient_id}}/{kind}"
        row = call("POST", base, 201, CREATE, json=create, patient_id=pid)
        kept[kind] = (id_name, row["id"])
        call("GET", base, 200, READ, patient_id=pid)
        call("GET", base + f"/{{{id_name}}}", 200, READ, patient_id=pid, **{id_name: row["id"]})
        call(
            "PATCH",
            base + f"/{{{id_name}}}",
            200,
            UPDATE,
            json=change,
            patient_id=pid,
            **{id_name: row["id"]},
        )
        if kind not in ("medications", "followups"):
            call(
                "DELETE",
                base + f"/{{{id_name}}}",
                204,
                DELETE,
                patient_id=pid,
                **{id_name: row["id"]},
            )
            call("GET", base + f"/{{{id_name}}}", 404, None, patient_id=pid, **{id_name: row["id"]})

    allergies = "/patients/{patient_id}/allergies"
    allergy = call(
        "POST",
        allergies,
        201,
        CREATE,
        patient_id=pid,
        json={
            "category": "contrast",
            "substance": "iohexol",
            "severity": "moderate",
            "reaction": "hives",
            "recorded_on": "2024-10-01",
        },
    )
    call("GET", allergies, 200, READ, patient_id=pid)
    call("GET", allergies + "/{allergy_id}", 200, READ, patient_id=pid, allergy_id=allergy["id"])
    wrong = call(
        "POST",
        allergies,
        201,
        CREATE,
        patient_id=pid,
        json={"category": "latex", "recorded_on": "2024-10-01"},
    )
    marked = call(
        "POST",
        allergies + "/{allergy_id}/entered-in-error",
        200,
        UPDATE,
        patient_id=pid,
        allergy_id=wrong["id"],
        json={"version": 1, "reason": "another patient's allergy"},
    )
    assert (marked["entered_in_error"], marked["version"]) == (True, 2)

    plan = call(
        "POST",
        "/patients/{patient_id}/plans",
        201,
        CREATE,
        patient_id=pid,
        json={
            "procedure": "cervical-facet-rf",
            "planned_date": "2025-02-03",
            "side": "right",
            "levels": ["C5-C6"],
            "sedation": "none",
        },
    )
    assert plan["bleeding_risk"] == "intermediate"
    (hold,) = plan["holds"]
    assert hold["drug"] == "clopidogrel"
    call("GET", "/patients/{patient_id}/plans", 200, READ, patient_id=pid)
    call(
        "GET",
        "/patients/{patient_id}/plans/{plan_id}",
        200,
        READ,
        patient_id=pid,
        plan_id=plan["id"],
    )
    call(
        "PATCH",
        "/patients/{patient_id}/plans/{plan_id}",
        200,
        UPDATE,
        patient_id=pid,
        plan_id=plan["id"],
        json={"status": "scheduled"},  # draft -> scheduled (rhizo.clinic.plan.lifecycle)
    )

    base = "/patients/{patient_id}/procedures"
    procedure = call(
        "POST",
        base,
        201,
        CREATE,
        patient_id=pid,
        json=procedure_payload(
            specialist.id,
            [good_lesion(), good_lesion(target_nerve="L5 dorsal ramus")],
            plan_id=plan["id"],
        ),
    )
    proc = procedure["id"]
    assert len(procedure["lesions"]) == 2
    call("GET", base, 200, READ, patient_id=pid)
    call("GET", base + "/{procedure_id}", 200, READ, patient_id=pid, procedure_id=proc)
    call(
        "PATCH",
        base + "/{procedure_id}",
        200,
        UPDATE,
        patient_id=pid,
        procedure_id=proc,
        json={"notes": "uneventful"},
    )
    lesion = call(
        "POST",
        base + "/{procedure_id}/lesions",
        201,
        CREATE,
        patient_id=pid,
        procedure_id=proc,
        json=good_lesion(target_nerve="L3 medial branch"),
    )
    assert lesion["ordinal"] == 3
    call(
        "POST",
        base + "/{procedure_id}/discharge",
        201,
        CREATE,
        patient_id=pid,
        procedure_id=proc,
        json={
            "discharged_at": "2025-02-03T11:00:00Z",
            "nrs": 3,
            "escort_present": True,
            "instructions_given": True,
        },
    )
    call(
        "POST",
        base + "/{procedure_id}/discharge",
        409,
        None,
        patient_id=pid,
        procedure_id=proc,
        json={
            "discharged_at": "2025-02-03T11:00:00Z",
            "escort_present": True,
            "instructions_given": True,
        },
    )
    call("GET", base + "/{procedure_id}/discharge", 200, READ, patient_id=pid, procedure_id=proc)
    # Issue 18: a consultation request filed for the patient (staff, after a phone call),
    # the patient's requests and appointments.
    call(
        "POST",
        "/patients/{patient_id}/consultation-requests",
        201,
        CREATE,
        patient_id=pid,
        json={"name": "Ann Example", "email": "ann@example.org", "region": "lumbar"},
    )
    call("GET", "/patients/{patient_id}/consultation-requests", 200, READ, patient_id=pid)
    call("GET", "/patients/{patient_id}/appointments", 200, READ, patient_id=pid)
    call("GET", "/research/cases", 200, AuditAction.EXPORT)
    bundle = call("GET", "/patients/{patient_id}/fhir", 200, AuditAction.EXPORT, patient_id=pid)
    R4Bundle(bundle, strict=True)  # the whole episode reads back as FHIR R4 4.0.1
    call("DELETE", base + "/{procedure_id}", 204, DELETE, patient_id=pid, procedure_id=proc)
    assert count(session, Lesion, Lesion.procedure_id == proc) == 0
    call(
        "DELETE",
        "/patients/{patient_id}/plans/{plan_id}",
        204,
        DELETE,
        patient_id=pid,
        plan_id=plan["id"],
    )
    stopped = call(
        "POST",
        "/patients/{patient_id}/medications/{medication_id}/stop",
        200,
        UPDATE,
        patient_id=pid,
        medication_id=kept["medications"][1],
        json={"version": 2, "stopped_on": "2025-02-01", "stop_reason": "before the procedure"},
    )
    assert (stopped["active"], stopped["stop_reason"]) == (False, "before the procedure")
    for kind in ("medications", "followups"):
        id_name, row_id = kept[kind]
        call(
            "DELETE",
            f"/patients/{{patient_id}}/{kind}/{{{id_name}}}",
            204,
            DELETE,
            patient_id=pid,
            **{id_name: row_id},
        )
    call("DELETE", "/patients/{patient_id}", 204, DELETE, patient_id=pid)
    assert count(session, Procedure, Procedure.patient_id == pid) == 0
    # The trail outlives the patient.
    assert count(session, AuditEvent, AuditEvent.patient_id == pid) > 30

    patient_routes = {(m, p) for m, p in ROUTES if "/patients" in p or "/research" in p}
    assert patient_routes <= call.called, sorted(patient_routes - call.called)


def _new_patient(client: TestClient, headers: Headers, *, mrn: str, sex: str) -> Any:
    response = client.post(
        "/api/v1/patients",
        headers=headers,
        json={
            "mrn": mrn,
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1970-01-01",
            "sex": sex,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_invalid_payload_names_field_value_and_rule(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = _new_patient(client, headers, mrn="BAD-0001", sex="male")
    response = client.post(
        f"/api/v1/patients/{patient['id']}/blocks",
        headers=headers,
        json={
            "performed_on": "2025-01-01",
            "levels": ["L4-L6"],
            "side": "left",
            "agent": "lidocaine",
            "volume_ml": 0.5,
            "relief_percent": 140,
        },
    )
    assert response.status_code == 422
    problems = {p["field"]: p for p in response.json()["detail"]}
    assert problems["relief_percent"]["value"] == 140
    assert problems["relief_percent"]["rule"] == "less_than_equal"
    assert problems["levels[0]"]["value"] == "L4-L6"
    assert client.get("/api/v1/patients/99999999", headers=headers).status_code == 404


def test_events_dated_after_today_are_refused_like_the_web_forms(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    # A block, follow-up or complication is a thing that happened: the API and
    # the forms validate through the same model, so both refuse tomorrow.
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = _new_patient(client, headers, mrn="DAY-0001", sex="female")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    today = date.today().isoformat()
    base = f"/api/v1/patients/{patient['id']}"
    cases = [
        (
            "blocks",
            "performed_on",
            {
                "levels": ["L4-L5"],
                "side": "left",
                "agent": "lidocaine",
                "volume_ml": 0.5,
                "relief_percent": 90,
            },
        ),
        ("followups", "followed_on", {"nrs": 3}),
        ("complications", "onset_date", {"type": "neuritis", "severity": "mild"}),
    ]
    for path, field, rest in cases:
        refused = client.post(f"{base}/{path}", headers=headers, json={field: tomorrow, **rest})
        assert refused.status_code == 422, (path, refused.text)
        (problem,) = refused.json()["detail"]
        assert problem["field"] == field
        assert problem["value"] == tomorrow
        assert "in the future" in problem["message"]
        accepted = client.post(f"{base}/{path}", headers=headers, json={field: today, **rest})
        assert accepted.status_code == 201, (path, accepted.text)
    resolved_tomorrow = client.post(
        f"{base}/complications",
        headers=headers,
        json={"type": "neuritis", "severity": "mild", "onset_date": today, "resolved_on": tomorrow},
    )
    assert resolved_tomorrow.status_code == 422
    assert resolved_tomorrow.json()["detail"][0]["field"] == "resolved_on"
    # A later resolution before the onset: 422 naming the field (not a 409 from the CHECK).
    ongoing = client.post(
        f"{base}/complications",
        headers=headers,
        json={"type": "neuritis", "severity": "mild", "onset_date": today},
    ).json()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    early = client.patch(
        f"{base}/complications/{ongoing['id']}",
        headers=headers,
        json={"resolved_on": yesterday, "version": 1},
    )
    assert early.status_code == 422
    (problem,) = early.json()["detail"]
    assert (problem["field"], problem["value"], problem["rule"]) == (
        "resolved_on",
        yesterday,
        "resolved_after_onset",
    )


def test_blocked_lesion_over_http_is_422_with_the_reason_and_writes_nothing(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers = token_for(make_user(session, Role.CLINICIAN))
    specialist = make_specialist(session)
    patient = _new_patient(client, headers, mrn="GATE-0001", sex="male")
    before = count(session, Procedure), count(session, Lesion)
    payload = procedure_payload(
        specialist.id, [good_lesion(), good_lesion(), good_lesion(motor_response="limb")]
    )
    response = client.post(
        f"/api/v1/patients/{patient['id']}/procedures", headers=headers, json=payload
    )
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["field"] == "lesions[2].motor_response"
    assert problem["value"] == "limb"
    assert problem["rule"] == "gate:motor-limb-contraction"
    assert "override_reason" in problem["message"]
    assert (count(session, Procedure), count(session, Lesion)) == before
    # Schema-invalid third lesion: also nothing written.
    payload["lesions"][2] = good_lesion(set_temperature_c=140)
    response = client.post(
        f"/api/v1/patients/{patient['id']}/procedures", headers=headers, json=payload
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "lesions[2].set_temperature_c"
    assert (count(session, Procedure), count(session, Lesion)) == before
    check = client.post(
        "/api/v1/gates/lesion", headers=headers, json=good_lesion(motor_response="limb")
    )
    assert check.json()["outcome"] == "blocked"


def test_a_password_change_revokes_the_users_tokens(
    client: TestClient, session: Session, token_for: Callable[[User], Headers], settings: Any
) -> None:
    import jwt
    from tests.clinic.factories import PASSWORD

    nurse = make_user(session, Role.NURSE)
    admin = token_for(make_user(session, Role.ADMIN))
    issued = client.post(
        "/api/v1/auth/token", data={"username": nurse.username, "password": PASSWORD}
    )
    old = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=old).status_code == 200
    changed = client.patch(
        f"/api/v1/users/{nurse.id}",
        headers=admin,
        json={"password": "another long password", "version": nurse.version},
    )
    assert changed.status_code == 200, changed.text
    assert client.get("/api/v1/auth/me", headers=old).status_code == 401
    fresh = client.post(
        "/api/v1/auth/token",
        data={"username": nurse.username, "password": "another long password"},
    )
    new = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=new).status_code == 200
    # A validly signed token without the epoch claim (an older format) is refused.
    claims = jwt.decode(
        fresh.json()["access_token"], settings.secret, algorithms=[settings.jwt_algorithm]
    )
    del claims["sev"]
    unscoped = jwt.encode(claims, settings.secret, algorithm=settings.jwt_algorithm)
    headers = {"Authorization": f"Bearer {unscoped}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_login_success_and_failure_are_audited(client: TestClient, session: Session) -> None:
    from tests.clinic.factories import PASSWORD

    user = make_user(session, Role.NURSE)
    bad = client.post("/api/v1/auth/token", data={"username": user.username, "password": "no"})
    assert bad.status_code == 401
    unknown = client.post("/api/v1/auth/token", data={"username": "ghost", "password": "no"})
    assert unknown.status_code == 401
    good = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
    assert good.status_code == 200
    token = good.json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == user.username
    actions = session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.actor_username.in_([user.username, "ghost"]))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [AuditAction.FAILED_LOGIN, AuditAction.FAILED_LOGIN, AuditAction.LOGIN]
    assert (
        client.get(
            "/api/v1/auth/me", headers={"Authorization": "Bearer " + token[:-3] + "abc"}
        ).status_code
        == 401
    )


@pytest.mark.parametrize("search", ["MRN-77", "smi", "ann smi", "SMITH"])
def test_search_finds_by_mrn_and_name_prefixes(
    search: str, client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    from tests.clinic.factories import make_patient

    target = make_patient(session, mrn="MRN-7700", given_name="Anna", family_name="Smith")
    make_patient(session, mrn="XYZ-0001", given_name="Anna", family_name="Jones")
    make_patient(session, mrn="XYZ-0002", given_name="Bob", family_name="Smythe")
    headers = token_for(make_user(session, Role.NURSE))
    found = client.get("/api/v1/patients", params={"search": search}, headers=headers).json()
    assert [p["id"] for p in found["items"]] == [target.id]


def test_search_treats_like_wildcards_literally(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    from tests.clinic.factories import make_patient

    make_patient(session, family_name="Smith")
    headers = token_for(make_user(session, Role.NURSE))
    for search in ("%", "_mith", "s%h"):
        found = client.get("/api/v1/patients", params={"search": search}, headers=headers)
        assert found.json()["total"] == 0, search
    assert re.fullmatch(
        r"[0-9a-f]{32}|[\w.-]+",
        client.get("/api/v1/patients", headers=headers).headers["x-request-id"],
    )
