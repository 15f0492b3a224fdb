"""Plausible values everywhere (issue 12): every implausible input is a 422, never a 500.

Each finding of the campaign is replayed against the API on SQLite and on
PostgreSQL: ids past the databases' integer range, NaN and Infinity, NUL and
lone surrogates in text, dates at the ends of the calendar, a naive date-time
in a query, a chunked body over the cap. The 422 must name the field, the
value and what is allowed, and be strict JSON itself. The rules are checked
against hand-computed dates, and two walks (every input schema, every
OpenAPI operation) show that no field or parameter escaped the shared types.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient
from tests.clinic.factories import make_patient, make_specialist, make_user, procedure_payload

import rhizo.clinic
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.common import Schema
from rhizo.clinic.core.validation import (
    BIRTH,
    HAPPENED,
    MAX_ID,
    PLANNED,
    before_birth,
    json_safe,
    moment_problem,
    text_problem,
)

Headers = dict[str, str]


def today() -> date:
    """Today, read when a test runs (not at collection: a run may cross midnight)."""
    return date.today()


JSON = {"content-type": "application/json"}


def strict_json(text: str) -> Any:
    """The body as JSON, refusing the NaN/Infinity tokens Python's reader would accept."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"non-standard JSON token {token} in an error body")

    return json.loads(text, parse_constant=refuse)


def problems(response: Any) -> list[dict[str, Any]]:
    """The 422's problems (each names field, value, rule and message)."""
    assert response.status_code == 422, (response.status_code, response.text[:500])
    body = strict_json(response.text)
    items = body["detail"]
    assert items, body
    for item in items:
        assert {"field", "value", "rule", "message"} <= set(item), item
    return list(items)


def problem_of(response: Any, field: str) -> dict[str, Any]:
    found = [p for p in problems(response) if p["field"] == field]
    assert found, (field, response.text[:500])
    return found[0]


# --- the rules, against hand-computed dates ---------------------------------------


def test_date_windows_against_hand_computed_limits() -> None:
    today = date(2026, 6, 1)
    # 2026-06-01 + 731 days: 365 to 2027-06-01, 366 (29 Feb 2028) to 2028-06-01.
    assert PLANNED.latest(today) == date(2028, 6, 1)
    assert PLANNED.problem(date(2028, 6, 1), today=today) is None
    assert PLANNED.problem(date(2028, 6, 2), today=today) is not None
    for window in (BIRTH, HAPPENED, PLANNED):
        assert window.problem(date(1900, 1, 1), today=today) is None
        assert window.problem(date(1899, 12, 31), today=today) is not None
        assert window.problem(date(1, 1, 1), today=today) is not None
        assert window.problem(date(9999, 12, 31), today=today) is not None
    assert HAPPENED.problem(today, today=today) is None
    message = HAPPENED.problem(date(2026, 6, 2), today=today)
    assert message is not None
    assert "2026-06-02" in message
    assert "1900-01-01 to 2026-06-01 (today)" in message


def test_moments_are_judged_by_their_own_calendar_day_without_overflow() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    plus14 = timezone(timedelta(hours=14))
    minus12 = timezone(timedelta(hours=-12))
    # 0001-01-01T00:00+14:00 is 0000-12-31T10:00Z, which Python cannot represent.
    ancient = datetime(1, 1, 1, 0, 0, tzinfo=plus14)
    with pytest.raises(OverflowError):
        ancient.astimezone(UTC)
    assert "0001-01-01" in (moment_problem(ancient, PLANNED, now=now) or "")
    end = datetime(9999, 12, 31, 23, 0, tzinfo=minus12)
    assert "9999-12-31" in (moment_problem(end, PLANNED, now=now) or "")
    # A moment that has happened is not after now; one planned may be.
    soon = now + timedelta(hours=2)
    assert "future" in (moment_problem(soon, HAPPENED, now=now) or "")
    assert moment_problem(soon, PLANNED, now=now) is None
    assert moment_problem(now - timedelta(days=1), HAPPENED, now=now) is None


def test_text_rules_name_the_character_and_its_position() -> None:
    assert text_problem("plain text, accents é and emoji 😀") is None
    assert "U+0000" in (text_problem("ab\x00c") or "")
    assert "position 2" in (text_problem("ab\x00c") or "")
    assert "U+D800" in (text_problem("x\ud800") or "")
    assert "position 1" in (text_problem("x\ud800") or "")
    # A refused value echoed in an error body: strict JSON that encodes as UTF-8.
    echoed = json_safe({"n": float("nan"), "i": [float("inf"), -float("inf")], "t": "a\ud800"})
    text = json.dumps(echoed, allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")
    assert echoed == {"n": "NaN", "i": ["Infinity", "-Infinity"], "t": "a\\ud800"}


def test_before_birth_names_each_field() -> None:
    birth = date(1961, 5, 17)
    found = before_birth(
        birth,
        {
            "followed_on": date(1961, 5, 16),
            "performed_at": datetime(1961, 5, 17, 0, 30, tzinfo=UTC),
            "planned_date": None,
            "nrs": 3,
        },
    )
    assert [name for name, _, _ in found] == ["followed_on"]
    assert "1961-05-17" in found[0][2]


# --- every input schema uses the shared types -------------------------------------


def _schemas() -> list[type[Schema]]:
    for info in pkgutil.walk_packages(rhizo.clinic.__path__, "rhizo.clinic."):
        if info.name.endswith(("models", "common")) and "migrations" not in info.name:
            importlib.import_module(info.name)

    def walk(cls: type[Schema]) -> Iterator[type[Schema]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return sorted(set(walk(Schema)), key=lambda cls: cls.__qualname__)


def _field_adapter(model: type[Schema], name: str) -> tuple[Any, TypeAdapter[Any]]:
    """The field's core type (Optional and Annotated peeled off) and a validator of it."""
    info = model.model_fields[name]
    typed = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    core: Any = info.annotation
    while True:
        if typing.get_origin(core) is Annotated:
            core = typing.get_args(core)[0]
        elif typing.get_origin(core) in (typing.Union, type(int | None)):
            inner = [arg for arg in typing.get_args(core) if arg is not type(None)]
            if len(inner) != 1:
                break
            core = inner[0]
        else:
            break
    return core, TypeAdapter(typed)


def test_every_schema_date_id_and_number_field_is_bounded() -> None:
    schemas = _schemas()
    assert len(schemas) >= 20, [s.__name__ for s in schemas]
    checked = {"date": 0, "datetime": 0, "id": 0}
    for model in schemas:
        assert model.model_config.get("allow_inf_nan") is False, model
        for name in model.model_fields:
            annotation, adapter = _field_adapter(model, name)
            where = f"{model.__name__}.{name}"
            if annotation is date:
                checked["date"] += 1
                for odd in ("0001-01-01", "9999-12-31", "1899-12-31"):
                    with pytest.raises(ValidationError):
                        adapter.validate_python(odd)
            elif annotation is datetime:
                checked["datetime"] += 1
                for odd in ("2026-01-01T09:00:00", "0001-01-01T00:00:00+14:00"):
                    with pytest.raises(ValidationError):
                        adapter.validate_python(odd)
            elif annotation is int and name.endswith("_id"):
                checked["id"] += 1
                for odd in (0, MAX_ID + 1, 2**63):
                    with pytest.raises(ValidationError):
                        adapter.validate_python(odd)
                assert adapter.validate_python(MAX_ID) == MAX_ID, where
    assert checked["date"] >= 12
    assert checked["datetime"] >= 2
    assert checked["id"] >= 6


def test_read_schemas_take_any_stored_value() -> None:
    """Output schemas never judge plausibility: a row stored before the checks still reads."""
    from rhizo.clinic.core.common import ReadSchema

    _schemas()  # imports every models module

    def walk(cls: type[ReadSchema]) -> Iterator[type[ReadSchema]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    odd = {date: "0001-01-01", datetime: "9999-12-31T23:59:00+00:00", int: 2**40}
    seen = 0
    for model in set(walk(ReadSchema)):
        for name in model.model_fields:
            core, adapter = _field_adapter(model, name)  # type: ignore[arg-type]
            if core in odd:
                seen += 1
                adapter.validate_python(odd[core])  # never raises
    assert seen >= 40


def test_text_rule_reaches_nested_lists_and_models() -> None:
    from rhizo.clinic.procedure.models import ProcedureCreate

    payload = procedure_payload(1, [{"target_nerve": "L4\x00", "side": "right"}])
    with pytest.raises(ValidationError) as raised:
        ProcedureCreate.model_validate(payload)
    assert raised.value.errors()[0]["loc"] == ("lesions", 0, "target_nerve")
    with pytest.raises(ValidationError) as raised:
        ProcedureCreate.model_validate({**payload, "lesions": [], "levels": ["L4-L5\x00"]})
    assert "levels" in raised.value.errors()[0]["loc"]


def test_every_openapi_id_parameter_is_within_the_database_range(app: FastAPI) -> None:
    seen = 0
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if not parameter["name"].endswith("_id"):
                    continue
                schema = parameter["schema"]
                options = schema.get("anyOf", [schema])
                integer = [o for o in options if o.get("type") == "integer"]
                assert integer, (method, path, parameter)
                assert integer[0].get("maximum") == MAX_ID, (method, path, parameter)
                assert integer[0].get("minimum") == 1, (method, path, parameter)
                seen += 1
    assert seen >= 60


# --- the API, on both databases ----------------------------------------------------


@pytest.fixture
def clinician(session: Session) -> User:
    return make_user(session, Role.CLINICIAN)


@pytest.fixture
def headers(clinician: User, token_for: Callable[[User], Headers]) -> Headers:
    return token_for(clinician)


@pytest.fixture
def patient_id(session: Session) -> int:
    return make_patient(session, birth_date=date(1961, 5, 17)).id


@pytest.mark.parametrize("big", [2**31, 2**63, 10**30])
@pytest.mark.parametrize(
    ("template", "field"),
    [
        ("/patients/{big}", "path.patient_id"),
        ("/patients/{pid}/blocks/{big}", "path.block_id"),
        ("/patients/{pid}/procedures/{big}/discharge", "path.procedure_id"),
        ("/patients/{big}/fhir", "path.patient_id"),
        ("/specialists/{big}", "path.specialist_id"),
        ("/audit?patient_id={big}", "query.patient_id"),
    ],
)
def test_ids_past_the_integer_range_are_422(
    client: TestClient,
    session: Session,
    headers: Headers,
    token_for: Callable[[User], Headers],
    patient_id: int,
    template: str,
    field: str,
    big: int,
) -> None:
    if template.startswith("/audit"):
        headers = token_for(make_user(session, Role.AUDITOR))
    response = client.get("/api/v1" + template.format(big=big, pid=patient_id), headers=headers)
    problem = problem_of(response, field)
    assert problem["value"] == str(big)
    assert str(MAX_ID) in problem["message"]


def test_body_ids_past_the_integer_range_are_422(
    client: TestClient, headers: Headers, patient_id: int
) -> None:
    body = '{"followed_on": "2025-05-01", "nrs": 3, "procedure_id": 9223372036854775808}'
    response = client.post(
        f"/api/v1/patients/{patient_id}/followups", content=body, headers={**headers, **JSON}
    )
    problem = problem_of(response, "procedure_id")
    assert problem["value"] == 2**63
    assert str(MAX_ID) in problem["message"]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_422_in_strict_json(
    client: TestClient, session: Session, headers: Headers, patient_id: int, token: str
) -> None:
    block = (
        '{"performed_on": "2025-05-01", "levels": ["L4-L5"], "side": "left", '
        f'"agent": "lidocaine", "volume_ml": {token}, "relief_percent": 80}}'
    )
    response = client.post(
        f"/api/v1/patients/{patient_id}/blocks", content=block, headers={**headers, **JSON}
    )
    problem = problem_of(response, "volume_ml")
    assert problem["value"] == token
    assert problem["rule"] == "finite_number"
    performer = make_specialist(session).id
    procedure = json.dumps(procedure_payload(performer, [{"target_nerve": "L4", "side": "right"}]))
    procedure = procedure.replace('"side": "right"}]', f'"side": "right", "power_w": {token}}}]')
    response = client.post(
        f"/api/v1/patients/{patient_id}/procedures",
        content=procedure,
        headers={**headers, **JSON},
    )
    assert problem_of(response, "lesions[0].power_w")["value"] == token


@pytest.mark.parametrize(
    ("text", "rule"),
    [("x\\u0000y", "value_error"), ("x\\ud800y", "string_unicode"), ("\\udfff", "string_unicode")],
)
def test_nul_and_lone_surrogates_are_422_on_both_databases(
    client: TestClient, headers: Headers, patient_id: int, text: str, rule: str
) -> None:
    for field, body in (
        ("name", f'{{"name": "{text}"}}'),
        ("notes", f'{{"name": "ibuprofen", "notes": "{text}"}}'),
    ):
        response = client.post(
            f"/api/v1/patients/{patient_id}/medications",
            content=body,
            headers={**headers, **JSON},
        )
        assert problem_of(response, field)["rule"] == rule
    response = client.post(
        f"/api/v1/patients/{patient_id}/conditions",
        content=f'{{"icd10_code": "M47.816", "description": "{text}"}}',
        headers={**headers, **JSON},
    )
    problem_of(response, "description")


def test_nul_in_a_search_query_is_422(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/patients?search=ab%00c", headers=headers)
    problem = problem_of(response, "query.search")
    assert "NUL" in problem["message"]


@pytest.mark.parametrize(
    ("kind", "body", "field", "says"),
    [
        ("followups", {"followed_on": "0001-01-01", "nrs": 3}, "followed_on", "plausible window"),
        ("followups", {"followed_on": "9999-12-31", "nrs": 3}, "followed_on", "plausible window"),
        ("blocks", {"performed_on": "1899-12-31"}, "performed_on", "1900-01-01"),
        (
            "complications",
            {"type": "neuritis", "severity": "mild", "onset_date": "0001-01-01"},
            "onset_date",
            "plausible window",
        ),
        ("medications", {"name": "x", "started_on": "0001-01-01"}, "started_on", "window"),
        (
            "conditions",
            {"icd10_code": "M47.816", "description": "x", "onset_date": "9999-12-31"},
            "onset_date",
            "window",
        ),
        ("care-trials", {"modality": "nsaid", "start_date": "0001-01-01"}, "start_date", "window"),
    ],
)
def test_dates_outside_the_clinical_window_are_422(
    client: TestClient,
    headers: Headers,
    patient_id: int,
    kind: str,
    body: dict[str, Any],
    field: str,
    says: str,
) -> None:
    response = client.post(f"/api/v1/patients/{patient_id}/{kind}", json=body, headers=headers)
    problem = problem_of(response, field)
    assert problem["value"] == body[field]
    assert says in problem["message"]


def test_diary_entry_from_the_patients_own_login_is_held_to_the_window(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    login = make_user(session, Role.PATIENT)
    own = make_patient(session, user_id=login.id, birth_date=date(1961, 5, 17))
    headers = token_for(login)
    url = f"/api/v1/patients/{own.id}/followups"
    diary = {"nrs": 4, "source": "diary"}
    assert problem_of(
        client.post(url, json={**diary, "followed_on": "0001-01-01"}, headers=headers),
        "followed_on",
    )
    before = client.post(url, json={**diary, "followed_on": "1961-05-16"}, headers=headers)
    assert problem_of(before, "followed_on")["rule"] == "not_before_birth"
    ok = client.post(url, json={**diary, "followed_on": today().isoformat()}, headers=headers)
    assert ok.status_code == 201, ok.text


def test_procedure_moments(
    client: TestClient, session: Session, headers: Headers, patient_id: int
) -> None:
    performer = make_specialist(session).id
    url = f"/api/v1/patients/{patient_id}/procedures"
    for when, says in (
        ("0001-01-01T00:00+14:00", "0001-01-01 is outside"),
        ("9999-12-31T23:59:59Z", "9999-12-31 is outside"),
        ("2025-02-03T09:30:00", "time zone is required"),
        ("1960-01-01T09:30:00Z", "before the patient's birth date 1961-05-17"),
    ):
        response = client.post(
            url, json=procedure_payload(performer, [], performed_at=when), headers=headers
        )
        assert says in problem_of(response, "performed_at")["message"], when
    # A scheduled procedure may lie ahead, up to the planning horizon.
    ahead = datetime.now(UTC) + timedelta(days=300)
    scheduled = procedure_payload(performer, [], performed_at=ahead.isoformat(), status="scheduled")
    assert client.post(url, json=scheduled, headers=headers).status_code == 201


def test_plans_may_lie_ahead_up_to_the_horizon(
    client: TestClient, headers: Headers, patient_id: int
) -> None:
    url = f"/api/v1/patients/{patient_id}/plans"
    plan = {"procedure": "lumbar-facet-rf", "side": "right", "levels": ["L4-L5"]}
    horizon = today() + timedelta(days=731)
    ok = client.post(url, json={**plan, "planned_date": horizon.isoformat()}, headers=headers)
    assert ok.status_code == 201, ok.text
    far = (horizon + timedelta(days=1)).isoformat()
    response = client.post(url, json={**plan, "planned_date": far}, headers=headers)
    assert "today + 731 days" in problem_of(response, "planned_date")["message"]
    early = client.post(url, json={**plan, "planned_date": "1950-01-01"}, headers=headers)
    assert problem_of(early, "planned_date")["rule"] == "not_before_birth"


def test_birth_dates(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers = token_for(make_user(session, Role.ADMIN))
    base = {"mrn": "PLAUS-0001", "given_name": "A", "family_name": "B", "sex": "female"}
    for birth in ("1899-12-31", (today() + timedelta(days=1)).isoformat(), "0001-01-01"):
        response = client.post(
            "/api/v1/patients", json={**base, "birth_date": birth}, headers=headers
        )
        assert "a birth date" in problem_of(response, "birth_date")["message"]


def test_discharge_cannot_be_in_the_future(
    client: TestClient, session: Session, headers: Headers, patient_id: int
) -> None:
    performer = make_specialist(session).id
    created = client.post(
        f"/api/v1/patients/{patient_id}/procedures",
        json=procedure_payload(performer, []),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/patients/{patient_id}/procedures/{created.json()['id']}/discharge"
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    body = {"discharged_at": later, "escort_present": True, "instructions_given": True}
    assert (
        "future"
        in problem_of(client.post(url, json=body, headers=headers), "discharged_at")["message"]
    )


def test_audit_query_needs_a_time_zone(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers = token_for(make_user(session, Role.AUDITOR))
    naive = client.get("/api/v1/audit?since=2026-11-01", headers=headers)
    assert "time zone is required" in problem_of(naive, "query.since")["message"]
    ancient = client.get("/api/v1/audit?until=0001-01-01T00:00%2B14:00", headers=headers)
    problem_of(ancient, "query.until")
    aware = client.get("/api/v1/audit?since=2026-11-01T00:00:00Z", headers=headers)
    assert aware.status_code == 200, aware.text


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    while total > 0:
        yield b" " * min(size, total)
        total -= size


def test_chunked_body_over_the_cap_is_413_and_a_small_one_passes(
    client: TestClient, headers: Headers, patient_id: int
) -> None:
    url = f"/api/v1/patients/{patient_id}/medications"
    big = client.post(url, content=_chunks(1024 * 1024 + 1), headers={**headers, **JSON})
    assert big.status_code == 413, big.text[:300]
    assert "larger than 1048576 bytes" in big.json()["detail"]

    def small() -> Iterator[bytes]:
        yield b'{"name": '
        yield b'"ibuprofen"}'

    ok = client.post(url, content=small(), headers={**headers, **JSON})
    assert ok.status_code == 201, ok.text


def test_a_login_name_with_nul_is_a_failed_login_not_a_500(client: TestClient) -> None:
    """The attempt is counted and audited under the name spelled out (PostgreSQL refuses NUL)."""
    response = client.post(
        "/api/v1/auth/token", data={"username": "admin\x00", "password": "x" * 12}
    )
    assert response.status_code == 401, response.text


def test_a_birth_date_cannot_move_after_a_recorded_event(
    client: TestClient, session: Session, headers: Headers, patient_id: int
) -> None:
    url = f"/api/v1/patients/{patient_id}"
    created = client.post(
        f"{url}/followups", json={"followed_on": "1990-05-01", "nrs": 5}, headers=headers
    )
    assert created.status_code == 201, created.text
    version = client.get(url, headers=headers).json().get("version")
    edit: dict[str, Any] = {"birth_date": "2000-01-01"}
    if version is not None:
        edit["version"] = version
    response = client.patch(url, json=edit, headers=headers)
    problem = problem_of(response, "birth_date")
    assert problem["rule"] == "not_after_record"
    assert "follow-up of 1990-05-01" in problem["message"]
    edit["birth_date"] = "1990-05-01"  # the same day as the event is plausible
    assert client.patch(url, json=edit, headers=headers).status_code == 200
