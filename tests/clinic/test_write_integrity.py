"""Write integrity: concurrent SQLite writers, versioned edits, idempotent creates, 409 text.

Regression tests for the findings of the reliability campaign (issue 12):
concurrent saves on SQLite failed with "database is locked" (deferred BEGIN
upgraded a stale read snapshot), a second PATCH silently overwrote the first,
a retried create duplicated its record, and 409 messages named constraints.

The concurrency tests run the real app on a real SQLite file with its own
sessions (no per-test transaction): that is where the failure lived.
"""

from __future__ import annotations

import sqlite3
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.clinic.conftest import TEST_SECRET, count, postgres_url
from tests.clinic.factories import make_patient, make_user

from rhizo.clinic.api import create_app
from rhizo.clinic.core import migrate, transactions
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.auth.security import create_access_token
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.conflicts import VersionConflictError, check_version
from rhizo.clinic.core.database import create_db_engine, create_session_factory, utcnow
from rhizo.clinic.core.idempotency.dependency import (
    HEADER,
    REPLAYED_HEADER,
    RETENTION,
    claim,
    is_create,
)
from rhizo.clinic.core.idempotency.models import IdempotencyKey
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient.models import Patient

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

Headers = dict[str, str]


@dataclass
class Live:
    """An app on its own SQLite file, a clinician's headers and a patient."""

    app: FastAPI
    engine: Engine
    headers: Headers
    user: User
    patient_id: int

    def session(self) -> Session:
        """A session for checks (it only reads: deferred, it never blocks the app)."""
        return create_session_factory(self.engine)()

    def writer(self) -> Session:
        return create_session_factory(self.engine)()

    def count(self, table: type[object], *where: sa.ColumnElement[bool]) -> int:
        """Rows now (a fresh read snapshot each time)."""
        with self.session() as session:
            return count(session, table, *where)


def _headers(settings: Settings, user: User) -> Headers:
    token = create_access_token(
        user_id=user.id,
        role=user.role.value,
        session_epoch=user.session_epoch,
        secret=settings.secret,
        algorithm=settings.jwt_algorithm,
        expires_minutes=10,
    )
    return {"Authorization": f"Bearer {token}"}


def _fresh_postgres(name: str) -> str:
    base = sa.make_url(postgres_url())
    admin = create_db_engine(base.set(database="postgres"))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The app on a fresh database of its own (SQLite file or PostgreSQL database)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('integrity') / 'live.sqlite3'}"
    else:
        url = _fresh_postgres("rhizo_integrity_test")
    migrate.upgrade(url)
    engine = create_db_engine(url)
    settings = Settings(env="test", secret_key=TEST_SECRET, database_url=url)
    with create_session_factory(engine)() as session:
        user = make_user(session, Role.CLINICIAN)
        patient = make_patient(session)
        patient_id = patient.id
    app = create_app(settings, engine=engine)
    yield Live(app, engine, _headers(settings, user), user, patient_id)
    engine.dispose()


def _sqlite_only(live: Live) -> None:
    if live.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking behaviour")


def _followup(nrs: int = 4, **extra: Any) -> dict[str, Any]:
    return {"followed_on": date(2025, 3, 1).isoformat(), "nrs": nrs, **extra}


# --- 1. concurrent writers on SQLite wait instead of failing ---------------------


def test_eight_concurrent_writers_all_succeed(live: Live) -> None:
    """8 threads x 6 creates (each thread its own client, so requests truly overlap)."""
    url = f"/api/v1/patients/{live.patient_id}/followups"
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def writer() -> None:
        with TestClient(live.app, raise_server_exceptions=False) as client:
            start.wait()
            for i in range(6):
                # a read then a write in one request: the pattern that failed
                response = client.post(url, json=_followup(i), headers=live.headers)
                with lock:
                    statuses.append(response.status_code)

    before = live.count(FollowUp, FollowUp.patient_id == live.patient_id)
    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 48
    assert live.count(FollowUp, FollowUp.patient_id == live.patient_id) == before + 48


def test_only_a_write_transaction_holds_the_write_lock_and_from_its_start(live: Live) -> None:
    """Reads begin deferred (another writer may start); transactions.transaction begins
    IMMEDIATE: after its first SELECT no other writer can start until it ends."""
    _sqlite_only(live)
    path = live.engine.url.database
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with live.session() as session:
            session.execute(sa.text("SELECT count(*) FROM followups"))  # an open read
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            with transactions.transaction(session):  # ends the read, begins the write
                session.execute(sa.text("SELECT 1"))
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            other.execute("BEGIN IMMEDIATE")  # released at commit
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_an_unexpected_error_is_a_json_500_and_the_next_request_works(live: Live) -> None:
    app = create_app(live.app.state.settings, engine=live.engine)

    @app.get("/api/v1/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/api/v1/boom")
        assert failed.status_code == 500
        assert "nothing was saved" in failed.json()["detail"]
        assert "boom" not in failed.text
        assert failed.headers["x-request-id"] == failed.json()["request_id"]
        ok = client.get(f"/api/v1/patients/{live.patient_id}", headers=live.headers)
        assert ok.status_code == 200


def test_a_lock_held_past_the_busy_timeout_is_503_with_retry_after(live: Live) -> None:
    app = create_app(live.app.state.settings, engine=live.engine)

    @app.get("/api/v1/locked", include_in_schema=False)
    def locked() -> None:
        raise sa.exc.OperationalError(
            "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
        )

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/locked")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "send the request again" in response.json()["detail"]


def test_a_constraint_clash_outside_a_service_is_409_in_words(live: Live) -> None:
    app = create_app(live.app.state.settings, engine=live.engine)

    @app.get("/api/v1/clash", include_in_schema=False)
    def clash() -> None:
        raise sa.exc.IntegrityError(
            "INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed: users.username")
        )

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/clash")
    assert response.status_code == 409
    assert response.json() == {"detail": "This username is already taken; choose another."}


# --- 2. versioned edits ----------------------------------------------------------


def test_a_stale_edit_is_409_in_words_and_changes_nothing(live: Live) -> None:
    base = f"/api/v1/patients/{live.patient_id}/followups"
    with TestClient(live.app) as client:
        created = client.post(base, json=_followup(6), headers=live.headers).json()
        assert created["version"] == 1
        url = f"{base}/{created['id']}"
        first = client.patch(url, json={"version": 1, "nrs": 5}, headers=live.headers)
        assert first.status_code == 200, first.text
        assert first.json()["version"] == 2
        # the second person opened version 1 too
        second = client.patch(url, json={"version": 1, "nrs": 2}, headers=live.headers)
        assert second.status_code == 409
        assert second.json()["detail"] == (
            "This follow-up was changed by someone else since you opened it "
            "(version 1, now 2); reload it and apply your change again."
        )
        now = client.get(url, headers=live.headers).json()
        assert (now["nrs"], now["version"]) == (5, 2)
        missing = client.patch(url, json={"nrs": 2}, headers=live.headers)
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["field"] == "version"
        again = client.patch(url, json={"version": 2, "nrs": 2}, headers=live.headers)
        assert (again.status_code, again.json()["version"]) == (200, 3)


def test_every_patch_body_requires_the_version(live: Live) -> None:
    """Each PATCH route's body schema has a required integer ``version``."""
    patches = [
        context.route
        for context in iter_route_contexts(live.app.routes)
        if isinstance(context.route, APIRoute) and "PATCH" in (context.methods or set())
    ]
    assert len(patches) >= 11
    for route in patches:
        assert isinstance(route, APIRoute)
        body = route.body_field
        assert body is not None, route.path
        schema = body.field_info.annotation
        field = schema.model_fields["version"]  # type: ignore[union-attr]
        assert field.is_required(), route.path


def test_concurrent_update_of_a_row_read_at_the_same_version_is_refused(live: Live) -> None:
    """Two sessions read version n; the second UPDATE matches no row (WHERE version = n)."""
    factory = create_session_factory(live.engine)
    with factory() as setup:
        row = FollowUp(
            patient_id=live.patient_id, followed_on=date(2025, 1, 2), nrs=3, source="clinic"
        )
        setup.add(row)
        setup.commit()
        row_id = row.id
    a, b = factory(), factory()
    try:
        a_row = a.get(FollowUp, row_id)
        assert a_row is not None
        a.commit()  # releases the lock; a_row keeps version 1 (expire_on_commit=False)
        b_row = b.get(FollowUp, row_id)
        assert b_row is not None
        b_row.nrs = 7
        b.commit()
        check = a.get(FollowUp, row_id)
        assert check is a_row  # a's stale copy, still at version 1
        assert check.version == 1
        a_row.nrs = 1
        with pytest.raises(sa.orm.exc.StaleDataError):
            a.commit()
    finally:
        a.close()
        b.close()


def test_check_version_names_both_versions() -> None:
    class Row:
        entity_label = "medication"
        version = 4

    with pytest.raises(VersionConflictError, match=r"This medication .* \(version 3, now 4\)"):
        check_version(Row(), 3)
    check_version(Row(), 4)


# --- 3. idempotent creates -------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_result_and_creates_nothing(
    live: Live,
) -> None:
    url = f"/api/v1/patients/{live.patient_id}/followups"
    headers = {**live.headers, HEADER: "8a0c2b6e-retry-1"}
    with TestClient(live.app) as client:
        before = live.count(FollowUp)
        first = client.post(url, json=_followup(7, notes="after RFA"), headers=headers)
        assert first.status_code == 201
        assert REPLAYED_HEADER.lower() not in first.headers
        # same body, keys in another order and other spacing: the same request
        retry = client.post(
            url,
            content=b'{"notes": "after RFA",   "nrs": 7, "followed_on": "2025-03-01"}',
            headers={**headers, "Content-Type": "application/json"},
        )
        assert retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers[REPLAYED_HEADER] == "true"
        assert live.count(FollowUp) == before + 1
        with live.session() as session:
            stored = session.scalars(
                sa.select(IdempotencyKey).where(IdempotencyKey.key == "8a0c2b6e-retry-1")
            ).one()
        assert stored.user_id == live.user.id
        assert stored.response == first.json()
        assert stored.request == f"POST {url}"


def test_two_simultaneous_first_attempts_with_one_key_store_one_row(live: Live) -> None:
    """The key is looked up again inside the write transaction: on SQLite the later twin
    finds it and replays; on PostgreSQL two uncommitted twins can both miss it, and
    the loser's key insert violates (user, key): its transaction rolls back, 409."""
    url = f"/api/v1/patients/{live.patient_id}/followups"
    headers = {**live.headers, HEADER: "simultaneous"}
    body = _followup(9, notes="simultaneous")
    answers: list[Any] = []
    start = threading.Barrier(4)

    def attempt() -> None:
        with TestClient(live.app, raise_server_exceptions=False) as client:
            start.wait()
            answers.append(client.post(url, json=body, headers=headers))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert live.count(FollowUp, FollowUp.notes == "simultaneous") == 1
    created = [a for a in answers if a.status_code == 201]
    assert created
    assert {a.json()["id"] for a in created} == {created[0].json()["id"]}
    for answer in answers:
        if answer.status_code != 201:
            assert answer.status_code == 409
            assert "Idempotency-Key was saved at the same moment" in answer.json()["detail"]


def test_the_same_key_for_another_request_is_422(live: Live) -> None:
    url = f"/api/v1/patients/{live.patient_id}/followups"
    headers = {**live.headers, HEADER: "reuse-me"}
    with TestClient(live.app) as client:
        assert client.post(url, json=_followup(3), headers=headers).status_code == 201
        other_body = client.post(url, json=_followup(8), headers=headers)
        assert other_body.status_code == 422
        (problem,) = other_body.json()["detail"]
        assert problem["field"] == HEADER
        assert "different body" in problem["message"]
        other_route = client.post(
            f"/api/v1/patients/{live.patient_id}/medications",
            json={"drug": "paracetamol", "dose": "1 g", "started_on": "2025-01-01"},
            headers=headers,
        )
        assert other_route.status_code == 422
        assert f"was used for POST {url}" in other_route.json()["detail"][0]["message"]


@pytest.mark.parametrize("bad", [b"", b"has space", b"x" * 201, "naïve".encode()])
def test_a_malformed_key_is_422(live: Live, bad: bytes) -> None:
    url = f"/api/v1/patients/{live.patient_id}/followups"
    with TestClient(live.app) as client:
        response = client.post(url, json=_followup(1), headers={**live.headers, HEADER: bad})  # type: ignore[dict-item]
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == HEADER


def test_a_key_older_than_the_retention_is_forgotten(live: Live) -> None:
    url = f"/api/v1/patients/{live.patient_id}/followups"
    headers = {**live.headers, HEADER: "yesterday"}
    with TestClient(live.app) as client:
        first = client.post(url, json=_followup(2), headers=headers)
        with live.writer() as session:
            session.execute(
                sa.update(IdempotencyKey)
                .where(IdempotencyKey.key == "yesterday")
                .values(created_at=utcnow() - RETENTION - timedelta(minutes=1))
            )
            session.commit()
        later = client.post(url, json=_followup(2), headers=headers)
    assert (first.status_code, later.status_code) == (201, 201)
    assert REPLAYED_HEADER.lower() not in later.headers
    assert later.json()["id"] != first.json()["id"]
    assert live.count(IdempotencyKey, IdempotencyKey.key == "yesterday") == 1


def test_keys_belong_to_their_user(live: Live) -> None:
    """Another user's identical key and body is a new request of theirs, not a replay."""
    settings = live.app.state.settings
    with live.writer() as session:
        nurse = make_user(session, Role.NURSE)
    url = f"/api/v1/patients/{live.patient_id}/followups"
    with TestClient(live.app) as client:
        mine = client.post(url, json=_followup(2), headers={**live.headers, HEADER: "shared"})
        theirs = client.post(
            url, json=_followup(2), headers={**_headers(settings, nurse), HEADER: "shared"}
        )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_failed_create_stores_no_key_so_the_corrected_retry_is_new(live: Live) -> None:
    url = f"/api/v1/patients/{live.patient_id}/followups"
    headers = {**live.headers, HEADER: "fails-first"}
    with TestClient(live.app) as client:
        refused = client.post(url, json=_followup(4, procedure_id=999_999), headers=headers)
        assert refused.status_code == 422
        assert live.count(IdempotencyKey, IdempotencyKey.key == "fails-first") == 0
        fixed = client.post(url, json=_followup(4), headers=headers)
        assert fixed.status_code == 201
        assert REPLAYED_HEADER.lower() not in fixed.headers


def test_patient_and_procedure_creates_replay_too(live: Live) -> None:
    """A top-level create and one that stores several rows (a procedure and its lesions)."""
    from tests.clinic.factories import good_lesion, make_specialist, procedure_payload

    with live.writer() as session:
        specialist = make_specialist(session)
    patient_body = {
        "mrn": "IDEM-0001",
        "given_name": "Retry",
        "family_name": "Patient",
        "birth_date": "1970-01-01",
        "sex": "female",
    }
    with TestClient(live.app) as client:
        keyed = {**live.headers, HEADER: "patient-create"}
        first = client.post("/api/v1/patients", json=patient_body, headers=keyed)
        retry = client.post("/api/v1/patients", json=patient_body, headers=keyed)
        assert (first.status_code, retry.status_code) == (201, 201)
        assert retry.json() == first.json()
        assert live.count(Patient, Patient.mrn == "IDEM-0001") == 1
        payload = procedure_payload(
            specialist.id, [good_lesion(), good_lesion(target_nerve="L5 dorsal ramus")]
        )
        url = f"/api/v1/patients/{first.json()['id']}/procedures"
        keyed = {**live.headers, HEADER: "procedure-create"}
        made = client.post(url, json=payload, headers=keyed)
        again = client.post(url, json=payload, headers=keyed)
        assert made.status_code == 201, made.text
        assert again.json() == made.json()
        assert len(again.json()["lesions"]) == 2


def test_every_create_route_honours_the_key(live: Live) -> None:
    """Every POST answered 201 runs the idempotency dependency and documents the header."""
    creates = [c for c in iter_route_contexts(live.app.routes) if is_create(c.route)]
    assert len(creates) >= 12
    openapi = live.app.openapi()["paths"]
    for context in creates:
        path = str(context.path_format)
        calls = {dep.call for dep in context.dependant.dependencies}
        assert claim in calls, path
        names = {p["name"] for p in openapi[path]["post"].get("parameters", [])}
        assert HEADER in names, path


# --- 4. 409 says what clashed, never how the schema spells it -----------------------


def test_a_duplicate_mrn_is_409_without_constraint_names(live: Live) -> None:
    body = {
        "mrn": "DUP-0001",
        "given_name": "Same",
        "family_name": "Number",
        "birth_date": "1980-02-02",
        "sex": "male",
    }
    with TestClient(live.app) as client:
        assert client.post("/api/v1/patients", json=body, headers=live.headers).status_code == 201
        clash = client.post("/api/v1/patients", json=body, headers=live.headers)
    assert clash.status_code == 409
    detail = clash.json()["detail"]
    assert detail == "Another patient already has this medical record number (MRN)."
    for leak in ("uq_", "UNIQUE", "patients.", "constraint", "IntegrityError"):
        assert leak not in detail
