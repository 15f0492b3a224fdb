"""The record link (issue 17): each recorded lesion stores the planner's predicted capture.

Second implementation: the capture planner called directly in the test
(``lesion_for`` + ``estimate_capture`` with the same parameters, the record
link's sample count and seed): a recorded lesion must carry exactly its
numbers. The cache, the notes for missing or unknown parameters, the FHIR
Observation, the research export and the migration are checked beside it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient
from tests.clinic.factories import (
    good_lesion,
    lesion_model,
    make_patient,
    make_specialist,
    make_user,
    procedure_payload,
)

from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.fhir.references import full_url
from rhizo.clinic.procedure import prediction
from rhizo.clinic.procedure.models import Lesion
from rhizo.physics.surrogate_cache import physics_source_hash
from rhizo.planning import CannulaPlacement, estimate_capture, get_joint, lesion_for
from rhizo.planning.lesions import planner_protocol

Headers = dict[str, str]


def _planner(
    nerve_index: int, joint: str, angle_deg: float, **setting: float
) -> tuple[float, float]:
    """The planner called directly: (capture probability, mean coagulated length mm)."""
    profile = lesion_for(planner_protocol(**setting))  # type: ignore[arg-type]
    estimate = estimate_capture(
        profile,
        get_joint(joint).nerves[nerve_index],
        CannulaPlacement(angle_deg=angle_deg, offset_mm=1.0),
        samples=2000,
        seed=0,
    )
    return estimate.capture_probability, estimate.mean_captured_length_mm


@pytest.fixture
def recorded(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> dict[str, Any]:
    """A procedure with a parallel, a perpendicular, an oblique and an unplanned lesion."""
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = make_patient(session)
    specialist = make_specialist(session)
    lesions = [
        good_lesion(),
        good_lesion(
            target_nerve="L5 dorsal ramus",
            placement="perpendicular",
            set_temperature_c=85,
            duration_s=120,
        ),
        good_lesion(placement="oblique"),
        good_lesion(gauge=None, tip_length_mm=None),
    ]
    response = client.post(
        f"/api/v1/patients/{patient.id}/procedures",
        headers=headers,
        json=procedure_payload(specialist.id, lesions),
    )
    assert response.status_code == 201, response.text
    return {"headers": headers, "patient": patient, "procedure": response.json()}


def test_a_recorded_lesion_carries_the_planners_own_numbers(
    client: TestClient, recorded: dict[str, Any]
) -> None:
    pid, procedure = recorded["patient"].id, recorded["procedure"]
    read = client.get(
        f"/api/v1/patients/{pid}/procedures/{procedure['id']}", headers=recorded["headers"]
    )
    assert read.status_code == 200
    parallel, perpendicular, oblique, unplanned = read.json()["lesions"]
    # L4 medial branch: the second nerve of L4-L5, parallel (0 deg).
    probability, length = _planner(
        1, "L4-L5", 0.0, gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=90
    )
    assert parallel["predicted_capture_probability"] == probability
    assert parallel["predicted_coagulated_length_mm"] == round(length, 3)
    assert parallel["prediction_note"] is None
    model = parallel["prediction_model"]
    assert re.fullmatch(
        r"capture-v1\+[0-9a-f]{8} muscle-in-vivo whole-nerve>=3mm (solver|surrogate) "
        r"n2000 seed0",
        model,
    )
    # L5 dorsal ramus: the second nerve of L5-S1, perpendicular (90 deg), 85 C for 120 s.
    probability, length = _planner(
        1, "L5-S1", 90.0, gauge=18, tip_length_mm=10, set_temperature_c=85, duration_s=120
    )
    assert perpendicular["predicted_capture_probability"] == probability
    assert perpendicular["predicted_coagulated_length_mm"] == round(length, 3)
    for missing in (oblique, unplanned):
        assert missing["predicted_capture_probability"] is None
        assert missing["predicted_coagulated_length_mm"] is None
        assert missing["prediction_model"] is None
    assert oblique["prediction_note"] == (
        "no prediction: a oblique placement has no recorded angle to the nerve"
    )
    assert unplanned["prediction_note"] == "no prediction: not recorded: gauge, tip_length_mm"


def test_same_parameters_hit_the_cache_and_new_ones_do_not() -> None:
    prediction.predict_inputs.cache_clear()
    first = prediction.for_lesion(lesion_model())
    again = prediction.for_lesion(lesion_model(side="left", impedance_ohm=400))
    info = prediction.predict_inputs.cache_info()
    assert (info.misses, info.hits) == (1, 1)  # side and impedance are not parameters
    assert again == first
    prediction.for_lesion(lesion_model(duration_s=91))
    assert prediction.predict_inputs.cache_info().misses == 2


@pytest.mark.parametrize(
    ("overrides", "note"),
    [
        ({"gauge": None}, "no prediction: not recorded: gauge"),
        ({"tip_length_mm": None}, "no prediction: not recorded: tip_length_mm"),
        ({"set_temperature_c": None}, "no prediction: not recorded: set_temperature_c"),
        ({"duration_s": None}, "no prediction: not recorded: duration_s"),
        ({"placement": None}, "no prediction: not recorded: placement"),
        (
            {"performed": False, "motor_response": "limb"},
            "no prediction: the lesion was not performed",
        ),
        ({"gauge": 21}, "no prediction: the lesion engine has no 21 G cannula (16 G, 18 G"),
        ({"target_nerve": "T7 medial branch"}, "no prediction: the planner does not model"),
        # The engine's tip range starts at 2.0 mm: just below it gets a note, at it a number.
        ({"tip_length_mm": 1.9}, "no prediction: outside the lesion engine's range"),
    ],
)
def test_a_lesion_without_what_the_planner_needs_gets_a_note(
    overrides: dict[str, Any], note: str
) -> None:
    found = prediction.for_lesion(lesion_model(**overrides))
    assert found.capture_probability is None
    assert found.model is None
    assert found.note is not None
    assert found.note.startswith(note)


def test_the_engines_tip_boundary_itself_is_predicted() -> None:
    found = prediction.for_lesion(lesion_model(tip_length_mm=2.0))
    assert found.note is None
    assert found.capture_probability is not None
    assert 0.0 <= found.capture_probability <= 1.0


def test_nerve_names_are_matched_without_case_or_spacing() -> None:
    assert prediction.known_nerve("  l4   MEDIAL branch ") == "L4 medial branch"
    assert prediction.known_nerve("Third occipital nerve") == "third occipital nerve"
    assert prediction.known_nerve("my own words") is None


def test_a_planner_failure_is_a_note_and_recording_goes_on(
    monkeypatch: pytest.MonkeyPatch,
    client: TestClient,
    session: Session,
    token_for: Callable[[User], Headers],
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("engine down")

    prediction.predict_inputs.cache_clear()
    monkeypatch.setattr("rhizo.planning.estimate_capture", broken)
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = make_patient(session)
    response = client.post(
        f"/api/v1/patients/{patient.id}/procedures",
        headers=headers,
        json=procedure_payload(make_specialist(session).id, [good_lesion(duration_s=95)]),
    )
    prediction.predict_inputs.cache_clear()  # the broken answer must not outlive the test
    assert response.status_code == 201, response.text
    (lesion,) = response.json()["lesions"]
    assert lesion["prediction_note"] == "no prediction: the planner failed (RuntimeError)"
    assert lesion["predicted_capture_probability"] is None


def test_fhir_has_the_predicted_capture_in_percent(
    client: TestClient, recorded: dict[str, Any]
) -> None:
    pid, headers = recorded["patient"].id, recorded["headers"]
    bundle = client.get(f"/api/v1/patients/{pid}/fhir", headers=headers)
    assert bundle.status_code == 200, bundle.text
    lesions = recorded["procedure"]["lesions"]
    observations = {
        e["resource"]["id"]: e["resource"]
        for e in bundle.json()["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    predicted = [key for key in observations if key.endswith("-predicted-capture")]
    assert len(predicted) == 2  # the oblique and the unplanned lesion have none
    first = observations[f"observation-lesion-{lesions[0]['id']}-predicted-capture"]
    assert first["valueQuantity"] == {
        "value": round(100 * lesions[0]["predicted_capture_probability"], 2),
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert first["code"]["coding"][0]["system"] == "urn:rhizo:code"
    lesion_url = full_url("Observation", f"lesion-{lesions[0]['id']}")
    assert first["derivedFrom"] == [{"reference": lesion_url}]
    assert lesions[0]["prediction_model"] in first["method"]["text"]
    assert "a model estimate, not a measurement" in first["note"][0]["text"]
    (length,) = first["component"]
    assert length["valueQuantity"]["value"] == lesions[0]["predicted_coagulated_length_mm"]
    assert length["valueQuantity"]["code"] == "mm"


def test_the_research_export_carries_each_lesions_prediction(
    client: TestClient,
    session: Session,
    recorded: dict[str, Any],
    token_for: Callable[[User], Headers],
) -> None:
    headers = token_for(make_user(session, Role.RESEARCHER))
    response = client.get("/api/v1/research/cases", headers=headers)
    assert response.status_code == 200, response.text
    exported = [lesion for case in response.json()["items"] for lesion in case["lesions"]]
    stored = recorded["procedure"]["lesions"]
    assert [e["predicted_capture_probability"] for e in exported] == [
        s["predicted_capture_probability"] for s in stored
    ]
    assert [e["prediction_note"] for e in exported] == [s["prediction_note"] for s in stored]
    assert exported[1]["target_nerve"] == "L5 dorsal ramus"
    assert exported[1]["placement"] == "perpendicular"


@pytest.fixture
def fresh_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'link.sqlite3'}"


def _lesion_columns(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return {c["name"] for c in sa.inspect(connection).get_columns("lesions")}
    finally:
        engine.dispose()


PREDICTION_COLUMNS = {
    "predicted_capture_probability",
    "predicted_coagulated_length_mm",
    "prediction_model",
    "prediction_note",
}


def test_migration_adds_and_removes_the_prediction_columns(fresh_url: str) -> None:
    assert migrate.upgrade(fresh_url) == migrate.head_revision()
    assert _lesion_columns(fresh_url) >= PREDICTION_COLUMNS
    engine = create_db_engine(fresh_url)
    try:
        with engine.connect() as connection:
            checks = {c["name"] for c in sa.inspect(connection).get_check_constraints("lesions")}
        assert {
            "ck_lesions_predicted_capture_probability_range",
            "ck_lesions_predicted_coagulated_length_nonnegative",
        } <= checks
    finally:
        engine.dispose()
    migrate.downgrade(fresh_url, "0006a7b8c9d0")
    assert not _lesion_columns(fresh_url) & PREDICTION_COLUMNS
    assert migrate.upgrade(fresh_url) == migrate.head_revision()
    assert _lesion_columns(fresh_url) >= PREDICTION_COLUMNS


@pytest.mark.parametrize(
    ("probability", "length", "allowed"),
    [
        (1.0, 0.0, True),
        (0.0, 12.5, True),
        (1.0001, 1.0, False),
        (-0.0001, 1.0, False),
        (0.5, -0.001, False),
    ],
)
def test_the_database_holds_predictions_to_their_ranges(
    session: Session,
    recorded: dict[str, Any],
    probability: float,
    length: float,
    allowed: bool,
) -> None:
    lesion = session.get(Lesion, recorded["procedure"]["lesions"][0]["id"])
    assert lesion is not None
    lesion.predicted_capture_probability = probability
    lesion.predicted_coagulated_length_mm = length
    if allowed:
        session.commit()
        return
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    session.rollback()


@pytest.mark.parametrize(
    "field",
    [
        "predicted_capture_probability",
        "predicted_coagulated_length_mm",
        "prediction_model",
        "prediction_note",
    ],
)
def test_clients_cannot_write_a_prediction(
    client: TestClient, session: Session, token_for: Callable[[User], Headers], field: str
) -> None:
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = make_patient(session)
    value: object = "typed" if field.startswith("prediction_") else 0.99
    response = client.post(
        f"/api/v1/patients/{patient.id}/procedures",
        headers=headers,
        json=procedure_payload(make_specialist(session).id, [good_lesion(**{field: value})]),
    )
    assert response.status_code == 422, response.text
    assert field in response.text


def test_the_model_name_carries_a_fingerprint_of_the_planner_and_engine_code() -> None:
    """Second implementation: hash the two packages' sources here."""
    import rhizo.physics
    import rhizo.planning

    def package_hash(module: object) -> hashlib._Hash:
        root = Path(module.__file__).resolve().parent  # type: ignore[attr-defined]
        digest = hashlib.sha256()
        for path in sorted(root.rglob("*.py")):
            # The 3D engine cannot move an axisymmetric prediction (no 2D module imports
            # it: tests/physics/test_source_hash.py), so the engine hash leaves it out.
            if path.relative_to(root).parts[0] == "three_d":
                continue
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
        return digest

    # Both hashes are cached per process; other edits may land during a run.
    physics_source_hash.cache_clear()
    prediction.code_fingerprint.cache_clear()
    physics = package_hash(rhizo.physics).hexdigest()
    combined = hashlib.sha256(physics.encode())
    planning_root = Path(rhizo.planning.__file__).resolve().parent
    for path in sorted(planning_root.rglob("*.py")):
        combined.update(path.relative_to(planning_root).as_posix().encode() + b"\0")
        combined.update(path.read_bytes())
    assert prediction.code_fingerprint() == combined.hexdigest()[:8]
