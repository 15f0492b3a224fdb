"""FHIR R4 export: every Bundle is read back by FHIR R4 4.0.1 models in strict mode.

References checked against: the FHIR R4 (4.0.1) structure definitions as
generated into ``fhirclient`` 4.4.0 (an independent implementation of the
spec; a missing required element or an element R4 lacks fails); LOINC
72514-3 for the 0-10 pain rating and CPT 64635 for lumbar RF facet
denervation (research notes, clinical.md 4b/4d); the registry's own values
for every number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fhirclient.models.bundle import Bundle as R4Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from tests.clinic.conftest import TEST_SECRET, TestClient, actor_of
from tests.clinic.factories import (
    good_lesion,
    make_patient,
    make_specialist,
    make_user,
    procedure_payload,
)

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.config import Settings
from rhizo.clinic.demo.seed import seed
from rhizo.clinic.fhir import service as fhir_service
from rhizo.clinic.fhir.references import full_url
from rhizo.clinic.patient.models import Patient

Headers = dict[str, str]


def _post(client: TestClient, headers: Headers, path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/v1{path}", headers=headers, json=body)
    assert response.status_code == 201, (path, response.text)
    return response.json()


@pytest.fixture
def record(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> dict[str, Any]:
    """A lumbar patient: condition, block, two-lesion procedure, scores, complication."""
    clinician = make_user(session, Role.CLINICIAN)
    headers = token_for(clinician)
    patient = make_patient(session, email="ada@example.org", postcode="SW1A 1AA")
    specialist = make_specialist(session, display_name="Dr Fhir Export")
    pid = patient.id
    condition = _post(
        client,
        headers,
        f"/patients/{pid}/conditions",
        {
            "icd10_code": "M47.816",
            "description": "Lumbar facet spondylosis",
            "onset_date": "2023-01-10",
            "region": "lumbar",
            "side": "right",
        },
    )
    block = _post(
        client,
        headers,
        f"/patients/{pid}/blocks",
        {
            "performed_on": "2024-11-02",
            "levels": ["L4-L5", "L5-S1"],
            "side": "right",
            "agent": "lidocaine",
            "volume_ml": 0.5,
            "baseline_nrs": 7,
            "relief_percent": 85,
            "relief_hours": 3,
        },
    )
    procedure = _post(
        client,
        headers,
        f"/patients/{pid}/procedures",
        procedure_payload(
            specialist.id,
            [
                good_lesion(),
                good_lesion(target_nerve="L5 dorsal ramus", set_temperature_c=85, duration_s=120),
            ],
        ),
    )
    followup = _post(
        client,
        headers,
        f"/patients/{pid}/followups",
        {
            "followed_on": "2025-05-03",
            "nrs": 2,
            "odi": 18,
            "pgic": 2,
            "procedure_id": procedure["id"],
        },
    )
    complication = _post(
        client,
        headers,
        f"/patients/{pid}/complications",
        {
            "type": "neuritis",
            "severity": "mild",
            "onset_date": "2025-02-10",
            "resolved_on": "2025-02-24",
            "procedure_id": procedure["id"],
        },
    )
    return {
        "headers": headers,
        "patient": patient,
        "specialist": specialist,
        "condition": condition,
        "block": block,
        "procedure": procedure,
        "followup": followup,
        "complication": complication,
    }


def _export(client: TestClient, headers: Headers, patient_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/patients/{patient_id}/fhir", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle: dict[str, Any] = response.json()
    return bundle


def _of_type(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def _by_code(observations: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [o for o in observations if o["code"]["coding"][0]["code"] == code]


def _references(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for value in node for r in _references(value)]
    return []


def test_bundle_is_valid_r4_and_every_reference_resolves(
    client: TestClient, record: dict[str, Any]
) -> None:
    bundle = _export(client, record["headers"], record["patient"].id)
    R4Bundle(bundle, strict=True)  # raises FHIRValidationError on any R4 violation
    addresses = [e["fullUrl"] for e in bundle["entry"]]
    assert len(addresses) == len(set(addresses))
    dangling = set(_references(bundle)) - set(addresses)
    assert not dangling
    counts = {kind: len(_of_type(bundle, kind)) for kind in ("Patient", "Practitioner")}
    assert counts == {"Patient": 1, "Practitioner": 1}
    # 1 block + 1 RF procedure; 3 block results + 2 lesions + their 2 predicted captures
    # + NRS, ODI and PGIC.
    assert len(_of_type(bundle, "Procedure")) == 2
    assert len(_of_type(bundle, "Observation")) == 3 + 2 + 2 + 3
    assert len(_of_type(bundle, "Condition")) == 1
    assert len(_of_type(bundle, "AdverseEvent")) == 1


def test_strict_r4_reading_catches_a_broken_bundle(
    client: TestClient, record: dict[str, Any]
) -> None:
    """The validator used above is not a rubber stamp."""
    bundle = _export(client, record["headers"], record["patient"].id)
    (procedure,) = [
        p
        for p in _of_type(bundle, "Procedure")
        if p["id"] == f"procedure-{record['procedure']['id']}"
    ]
    del procedure["status"]  # required in R4
    with pytest.raises(FHIRValidationError):
        R4Bundle(bundle, strict=True)


def test_codes_and_values_match_the_registry(
    client: TestClient, record: dict[str, Any], settings: Settings
) -> None:
    bundle = _export(client, record["headers"], record["patient"].id)
    (patient,) = _of_type(bundle, "Patient")
    assert patient["identifier"][0] == {
        **patient["identifier"][0],
        "system": settings.fhir_identifier_system,
        "value": record["patient"].mrn,
    }
    assert patient["gender"] == "female"
    assert patient["birthDate"] == "1961-05-17"
    assert patient["meta"]["security"][0]["code"] == "HTEST"  # a synthetic test patient
    assert patient["address"] == [{"postalCode": "SW1A 1AA"}]

    (condition,) = _of_type(bundle, "Condition")
    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "M47.816",
    }
    assert condition["onsetDateTime"] == "2023-01-10"
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"

    procedure_id = record["procedure"]["id"]
    (rf,) = [p for p in _of_type(bundle, "Procedure") if p["id"] == f"procedure-{procedure_id}"]
    assert rf["code"]["coding"][0]["code"] == "64635"  # lumbar/sacral, first joint
    assert rf["status"] == "completed"
    assert rf["performedDateTime"] == "2025-02-03T09:30:00+00:00"
    assert rf["reasonReference"] == [
        {"reference": full_url("Condition", record["condition"]["id"])}
    ]
    assert rf["performer"][0]["actor"]["reference"] == full_url(
        "Practitioner", record["specialist"].id
    )
    assert [s["text"] for s in rf["bodySite"]] == ["L4-L5 right", "L5-S1 right"]
    (block,) = [p for p in _of_type(bundle, "Procedure") if p is not rf]
    assert block["code"]["coding"][0]["code"] == "64493"  # lumbar/sacral facet injection

    observations = _of_type(bundle, "Observation")
    nrs = _by_code(observations, "72514-3")
    assert sorted((o["effectiveDateTime"], o["valueInteger"]) for o in nrs) == [
        ("2024-11-02", 7),  # the block's baseline
        ("2025-05-03", 2),  # the follow-up
    ]
    (odi,) = _by_code(observations, "97908-8")
    assert odi["valueQuantity"]["value"] == 18
    assert odi["valueQuantity"]["code"] == "%"
    (relief,) = _by_code(observations, "block-relief-percent")
    assert relief["valueQuantity"]["value"] == 85
    assert relief["partOf"] == [
        {"reference": full_url("Procedure", f"block-{record['block']['id']}")}
    ]

    lesions = _by_code(observations, "rf-lesion")
    assert len(lesions) == 2
    temperatures = sorted(
        c["valueQuantity"]["value"]
        for les in lesions
        for c in les["component"]
        if c["code"]["text"] == "set temperature"
    )
    assert temperatures == [80, 85]
    assert all(
        c["valueQuantity"]["code"] == "Cel"
        for les in lesions
        for c in les["component"]
        if c["code"]["text"] == "set temperature"
    )

    (event,) = _of_type(bundle, "AdverseEvent")
    assert event["outcome"]["coding"][0]["code"] == "resolved"
    assert event["severity"]["coding"][0]["code"] == "mild"
    assert event["suspectEntity"][0]["instance"]["reference"] == full_url("Procedure", procedure_id)


def test_export_is_audited_and_addresses_are_stable(
    client: TestClient, session: Session, record: dict[str, Any]
) -> None:
    pid = record["patient"].id
    before = session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    first = _export(client, record["headers"], pid)
    second = _export(client, record["headers"], pid)
    rows = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.id > before, AuditEvent.entity_type == "fhir_bundle")
    ).all()
    assert [(r.action, r.patient_id) for r in rows] == [(AuditAction.EXPORT, pid)] * 2
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]


def test_who_may_export(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    own_user = make_user(session, Role.PATIENT)
    mine = make_patient(session, user_id=own_user.id)
    other = make_patient(session)
    url = "/api/v1/patients/{}/fhir"
    assert client.get(url.format(mine.id), headers=token_for(own_user)).status_code == 200
    assert client.get(url.format(other.id), headers=token_for(own_user)).status_code == 403
    nurse = token_for(make_user(session, Role.NURSE))
    assert client.get(url.format(other.id), headers=nurse).status_code == 200
    researcher = token_for(make_user(session, Role.RESEARCHER))
    assert client.get(url.format(other.id), headers=researcher).status_code == 403
    assert client.get(url.format(other.id)).status_code == 401
    assert client.get(url.format(987654), headers=nurse).status_code == 404


def test_identifier_system_must_be_a_uri() -> None:
    with pytest.raises(ValidationError, match="fhir_identifier_system"):
        Settings(env="test", secret_key=TEST_SECRET, fhir_identifier_system="clinic mrns")
    ok = Settings(env="test", secret_key=TEST_SECRET, fhir_identifier_system="urn:oid:1.2.3")
    assert ok.fhir_identifier_system == "urn:oid:1.2.3"


def test_every_synthetic_cohort_record_exports_as_valid_r4(session: Session) -> None:
    """Scheduled, abandoned and repeat procedures, diaries, overrides: all read back as R4."""
    seed(session, patients=40, today=date(2026, 6, 1))
    admin = actor_of(make_user(session, Role.ADMIN))
    ids = session.scalars(sa.select(Patient.id).order_by(Patient.id)).all()
    assert len(ids) == 40
    kinds: set[str] = set()
    for pid in ids:
        bundle = fhir_service.patient_bundle(
            session=session,
            actor=admin,
            patient_id=pid,
            identifier_system="urn:rhizo:mrn",
            now=datetime(2026, 6, 1, tzinfo=UTC),
        )
        R4Bundle(bundle, strict=True)
        kinds |= {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= {"Patient", "Practitioner", "Condition", "Procedure", "Observation"}
