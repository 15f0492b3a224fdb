"""Allergies: the service and API rules, what candidacy and the procedure warning read from
them, the FHIR AllergyIntolerance export, and migration 0009a1b2c3d4 on SQLite.

References: the pathway's own screening entries (screening.yaml, read through
rhizo.pathway.facts.entry) for which allergies change candidacy and for the
advice shown; FHIR R4 AllergyIntolerance as generated into fhirclient 4.4.0
(strict reading: an independent implementation of the structure definitions).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fhirclient.models.bundle import Bundle as R4Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError
from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient, actor_of
from tests.clinic.factories import make_patient, make_user

from rhizo.clinic.allergy import service
from rhizo.clinic.allergy.models import (
    Allergy,
    AllergyCategory,
    AllergyCreate,
    AllergyEnteredInError,
    AllergySeverity,
)
from rhizo.clinic.allergy.relevance import candidacy_flags, procedure_warnings
from rhizo.clinic.chart.reader import load_record
from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.common import ConflictError, InvalidInputError
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.fhir import service as fhir_service
from rhizo.clinic.web.record import record_page, screen, screening_input
from rhizo.pathway.candidacy import Screening
from rhizo.pathway.facts import entry

Headers = dict[str, str]
DAY = date(2025, 3, 1)


def _add(session: Session, pid: int, category: AllergyCategory, **extra: Any) -> Allergy:
    actor = actor_of(make_user(session, Role.NURSE))
    data = AllergyCreate(category=category, recorded_on=extra.pop("recorded_on", DAY), **extra)
    return service.create(session=session, actor=actor, patient_id=pid, data=data)


def _mark(session: Session, allergy: Allergy, reason: str = "wrong patient") -> Allergy:
    actor = actor_of(make_user(session, Role.CLINICIAN))
    return service.mark_entered_in_error(
        session=session,
        actor=actor,
        patient_id=allergy.patient_id,
        allergy_id=allergy.id,
        data=AllergyEnteredInError(version=allergy.version, reason=reason),
    )


# --- candidacy and the procedure warning ------------------------------------------------


@pytest.mark.parametrize(
    ("category", "local_anaesthetic", "contrast"),
    [
        (AllergyCategory.LOCAL_ANAESTHETIC, True, False),
        (AllergyCategory.CONTRAST, False, True),
        (AllergyCategory.LATEX, False, False),
        (AllergyCategory.ANTISEPTIC, False, False),
    ],
)
def test_each_category_sets_only_its_own_candidacy_input(
    session: Session, category: AllergyCategory, local_anaesthetic: bool, contrast: bool
) -> None:
    patient = make_patient(session)
    _add(session, patient.id, category, substance="x")
    flags = candidacy_flags(load_record(session, patient.id).allergies)
    assert (flags.local_anaesthetic, flags.contrast) == (local_anaesthetic, contrast)


def test_an_other_allergy_naming_lidocaine_is_not_read_as_local_anaesthetic(
    session: Session,
) -> None:
    """Only the category counts: free text is not parsed into a clinical input."""
    patient = make_patient(session)
    _add(session, patient.id, AllergyCategory.OTHER, substance="lidocaine")
    flags = candidacy_flags(load_record(session, patient.id).allergies)
    assert (flags.local_anaesthetic, flags.contrast) == (False, False)


def test_recorded_allergies_reach_the_patient_pages_screening(session: Session) -> None:
    patient = make_patient(session)
    la = _add(session, patient.id, AllergyCategory.LOCAL_ANAESTHETIC, substance="lidocaine")
    _add(session, patient.id, AllergyCategory.CONTRAST, substance="iohexol")
    today = date(2026, 6, 1)
    page = record_page(load_record(session, patient.id), today=today)
    facts = screening_input(page, today)
    assert (facts.allergy_local_anaesthetic, facts.allergy_contrast) == (True, True)
    result = screen(page, today)
    assert isinstance(result, Screening)
    rules = {r.rule: r for r in result.reasons}
    for rule in ("allergy-local-anaesthetic", "allergy-contrast"):
        expected = entry("screening", rule)
        assert rules[f"screening:{rule}"].effect == expected["effect"]
        assert rules[f"screening:{rule}"].message == expected["message"]
    # Entered in error: the local anaesthetic allergy stops counting, the contrast one stays.
    _mark(session, la)
    page = record_page(load_record(session, patient.id), today=today)
    facts = screening_input(page, today)
    assert (facts.allergy_local_anaesthetic, facts.allergy_contrast) == (False, True)
    result = screen(page, today)
    assert isinstance(result, Screening)
    assert "screening:allergy-local-anaesthetic" not in {r.rule for r in result.reasons}


def test_the_procedure_warning_lists_the_four_procedure_categories_in_order(
    session: Session,
) -> None:
    patient = make_patient(session)
    _add(session, patient.id, AllergyCategory.OTHER, substance="penicillin")
    _add(session, patient.id, AllergyCategory.ANTISEPTIC, substance="chlorhexidine")
    _add(session, patient.id, AllergyCategory.LATEX, reaction="rash", severity="mild")
    _add(session, patient.id, AllergyCategory.CONTRAST, substance="iohexol")
    la = _add(
        session,
        patient.id,
        AllergyCategory.LOCAL_ANAESTHETIC,
        substance="lidocaine",
        reaction="anaphylaxis",
        severity=AllergySeverity.SEVERE,
    )
    warnings = procedure_warnings(load_record(session, patient.id).allergies)
    assert [w.category for w in warnings] == [
        AllergyCategory.LOCAL_ANAESTHETIC,
        AllergyCategory.CONTRAST,
        AllergyCategory.LATEX,
        AllergyCategory.ANTISEPTIC,
    ]  # "other" (penicillin) is not a procedure category
    first = warnings[0]
    assert first.items == ("lidocaine: anaphylaxis (severe), recorded 2025-03-01",)
    source = entry("screening", "allergy-local-anaesthetic")["source"]
    assert first.advice == entry("screening", "allergy-local-anaesthetic")["message"]
    assert (first.source, first.evidence) == (source.cite(), source.evidence)
    assert warnings[2].items == ("latex: rash (mild), recorded 2025-03-01",)
    assert warnings[2].evidence == "local_protocol"
    _mark(session, la)
    warnings = procedure_warnings(load_record(session, patient.id).allergies)
    assert AllergyCategory.LOCAL_ANAESTHETIC not in [w.category for w in warnings]


# --- service and API rules --------------------------------------------------------------


def test_other_needs_its_substance_in_the_service_and_the_database(session: Session) -> None:
    patient = make_patient(session)
    with pytest.raises(InvalidInputError) as caught:
        _add(session, patient.id, AllergyCategory.OTHER)
    assert [p.field for p in caught.value.problems] == ["substance"]
    session.add(
        Allergy(
            patient_id=patient.id,
            category=AllergyCategory.OTHER,
            severity=AllergySeverity.MILD,
            recorded_on=DAY,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_marking_twice_or_from_a_stale_version_is_a_conflict(session: Session) -> None:
    patient = make_patient(session)
    row = _add(session, patient.id, AllergyCategory.LATEX)
    first_version = row.version
    marked = _mark(session, row)
    assert (marked.entered_in_error, marked.error_reason, marked.version) == (
        True,
        "wrong patient",
        first_version + 1,
    )
    actor = actor_of(make_user(session, Role.CLINICIAN))
    for version in (first_version, marked.version):  # stale, then current but already marked
        with pytest.raises(ConflictError):
            service.mark_entered_in_error(
                session=session,
                actor=actor,
                patient_id=patient.id,
                allergy_id=row.id,
                data=AllergyEnteredInError(version=version, reason="again"),
            )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recorded_on": "2025-03-01"}, "category"),
        ({"category": "penicillin", "recorded_on": "2025-03-01"}, "category"),
        ({"category": "latex", "severity": "deadly", "recorded_on": "2025-03-01"}, "severity"),
        ({"category": "latex"}, "recorded_on"),
        ({"category": "latex", "recorded_on": "1899-12-31"}, "recorded_on"),
        ({"category": "latex", "recorded_on": "1961-05-16"}, "recorded_on"),  # before birth
        ({"category": "other", "recorded_on": "2025-03-01"}, "substance"),
        ({"category": "other", "substance": "", "recorded_on": "2025-03-01"}, "substance"),
        ({"category": "latex", "reaction": "x" * 201, "recorded_on": "2025-03-01"}, "reaction"),
    ],
)
def test_api_refuses_bad_input_with_422_naming_the_field(
    client: TestClient,
    session: Session,
    token_for: Callable[[User], Headers],
    body: dict[str, Any],
    field: str,
) -> None:
    patient = make_patient(session)  # born 1961-05-17
    headers = token_for(make_user(session, Role.NURSE))
    response = client.post(f"/api/v1/patients/{patient.id}/allergies", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert field in [problem["field"] for problem in response.json()["detail"]]
    assert session.scalars(sa.select(Allergy).where(Allergy.patient_id == patient.id)).all() == []


def test_api_records_on_the_birth_day_and_today_but_not_tomorrow(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    patient = make_patient(session)
    headers = token_for(make_user(session, Role.NURSE))
    url = f"/api/v1/patients/{patient.id}/allergies"
    for day, status in (
        ("1961-05-17", 201),
        (date.today().isoformat(), 201),
        ((date.today() + timedelta(days=1)).isoformat(), 422),
    ):
        body = {"category": "contrast", "recorded_on": day}
        assert client.post(url, json=body, headers=headers).status_code == status, day


# --- FHIR -------------------------------------------------------------------------------


def _bundle(session: Session, pid: int) -> dict[str, Any]:
    return fhir_service.patient_bundle(
        session=session,
        actor=actor_of(make_user(session, Role.ADMIN)),
        patient_id=pid,
        identifier_system="urn:rhizo:mrn",
        now=datetime(2026, 6, 1, tzinfo=UTC),
    )


def test_allergies_export_as_r4_allergy_intolerance(session: Session) -> None:
    patient = make_patient(session)
    contrast = _add(
        session,
        patient.id,
        AllergyCategory.CONTRAST,
        substance="iohexol",
        reaction="hives",
        severity=AllergySeverity.MODERATE,
    )
    latex = _add(session, patient.id, AllergyCategory.LATEX)
    wrong = _mark(session, _add(session, patient.id, AllergyCategory.OTHER, substance="egg"))
    bundle = _bundle(session, patient.id)
    R4Bundle(bundle, strict=True)
    found = {
        e["resource"]["id"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "AllergyIntolerance"
    }
    assert len(found) == 3
    by_row = {r["id"].rsplit("-", 1)[-1]: r for r in found.values()}
    first = by_row[str(contrast.id)]
    assert first["clinicalStatus"]["coding"][0]["code"] == "active"
    assert "verificationStatus" not in first
    assert first["category"] == ["medication"]
    assert first["code"] == {"text": "iohexol"}
    assert first["recordedDate"] == "2025-03-01"
    assert first["reaction"] == [{"manifestation": [{"text": "hives"}], "severity": "moderate"}]
    second = by_row[str(latex.id)]
    assert (second["category"], second["code"]) == (["environment"], {"text": "latex"})
    assert "reaction" not in second  # no reaction recorded: manifestation would be empty
    third = by_row[str(wrong.id)]
    assert third["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in third  # R4 ait-2
    assert "category" not in third
    del first["patient"]  # required in R4: the strict reader is not a rubber stamp
    with pytest.raises(FHIRValidationError):
        R4Bundle(bundle, strict=True)


# --- migration 0009a1b2c3d4 on SQLite ----------------------------------------------------


def test_migration_0009_adds_and_removes_its_table_and_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url, "0008c4d5e6f7")
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "allergies" not in inspector.get_table_names()
            assert "referrer_name" not in {c["name"] for c in inspector.get_columns("patients")}
        migrate.upgrade(url, "0009a1b2c3d4")
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "allergies" in inspector.get_table_names()
            patients = {c["name"] for c in inspector.get_columns("patients")}
            assert {"referrer_name", "referrer_address"} <= patients
            assert "stop_reason" in {c["name"] for c in inspector.get_columns("medications")}
            checks = {c["name"] for c in inspector.get_check_constraints("allergies")}
            assert {"ck_allergies_other_named", "ck_allergies_allergy_category"} <= checks
        migrate.downgrade(url, "0008c4d5e6f7")
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "allergies" not in inspector.get_table_names()
            assert "referrer_address" not in {c["name"] for c in inspector.get_columns("patients")}
            assert "stop_reason" not in {c["name"] for c in inspector.get_columns("medications")}
    finally:
        engine.dispose()
