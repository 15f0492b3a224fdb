"""Schemathesis over every API operation: the OpenAPI document tells the truth.

Each operation of the app's own ``/openapi.json`` gets generated requests
(valid and invalid, derandomized: the same examples every run) against the
ASGI app ``rhizo serve`` runs (API and pages) on a seeded SQLite registry, as
the demo admin (who reaches every operation) and as the demo patient (who is
refused most). Every response must pass schemathesis' checks, an independent
reading of the document:

* ``not_a_server_error``: no 5xx;
* ``status_code_conformance``: the status is one the operation documents;
* ``content_type_conformance``: the media type is the documented one;
* ``response_schema_conformance``: the body validates against the documented schema;
* ``response_headers_conformance``: documented headers (``WWW-Authenticate``
  on 401) are present and valid.

Path ids up to a million are folded onto rows that exist, so reads and writes
reach the services rather than stopping at 404 (larger ones still test 404);
deletes run last; the acting users' own accounts are never the ones edited,
and each test mints a fresh token (an earlier logout or password change ends
the last one). The example budget is fixed (``EXAMPLES``); the database is
built from the models (``metadata.create_all``), the migrations being checked
against the models by ``test_migrations.py``.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from rhizo.clinic.api import create_app
from rhizo.clinic.core.auth.models import User
from rhizo.clinic.core.auth.security import create_access_token
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import seed
from rhizo.clinic.models import (
    CareTrial,
    Complication,
    Condition,
    DiagnosticBlock,
    FollowUp,
    Medication,
    Patient,
    Plan,
    Procedure,
    metadata,
)
from rhizo.clinic.web.app import create_web_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

SECRET = "schemathesis-secret-" + "x" * 40
#: Generated requests per operation and role (half valid, half invalid on average).
EXAMPLES = {"admin": 25, "patient": 6}
#: Path ids at or below this fold onto 1..FOLD_TO (rows the seed made); larger ones stay (404).
FOLD_BELOW = 10**6
FOLD_TO = 6
#: Path parameter -> the table whose rows it names (each row belongs to one patient).
CHILD_TABLES: dict[str, Any] = {
    "condition_id": Condition,
    "trial_id": CareTrial,
    "block_id": DiagnosticBlock,
    "medication_id": Medication,
    "plan_id": Plan,
    "procedure_id": Procedure,
    "followup_id": FollowUp,
    "complication_id": Complication,
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _settings(url: str) -> Settings:
    return Settings(env="test", secret_key=SECRET, database_url=url)


def _labels() -> list[str]:
    """Every documented operation as ``METHOD /path``."""
    app = create_app(_settings("sqlite://"), engine=create_db_engine("sqlite://"))
    labels = [
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]
    # Deletes last, the deepest first (a patient's delete takes its records with it).
    return sorted(labels, key=lambda label: (label.startswith("DELETE "), -label.count("/")))


class Fuzz:
    """The app under test on a seeded registry, and its schema as schemathesis reads it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = create_session_factory(engine)
        with self.sessions() as session:
            seed(session, patients=FOLD_TO, seed_value=12)
            rows = session.execute(sa.select(User.username, User.id))
            self.user_ids: dict[str, int] = {str(row[0]): int(row[1]) for row in rows}
        # The app `rhizo serve` runs: the API with the pages (whose error handlers
        # hand /api/ requests back to the API's).
        self.app = create_web_app(_settings(str(engine.url)), engine=engine)
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", self.app)
        #: Users a generated PATCH may change: every demo user but the two the tests act as.
        self.editable_user_ids = sorted(
            user_id
            for username, user_id in self.user_ids.items()
            if username not in {f"demo-{role}" for role in EXAMPLES}
        )

    def headers(self, role: str) -> dict[str, str]:
        """A fresh bearer token for ``demo-<role>`` (an earlier logout ended the last one)."""
        with self.sessions() as session:
            user = session.get(User, self.user_ids[f"demo-{role}"])
            assert user is not None
            token = create_access_token(
                user_id=user.id,
                role=user.role.value,
                session_epoch=user.session_epoch,
                secret=SECRET,
                algorithm="HS256",
                expires_minutes=60,
            )
        return {"Authorization": f"Bearer {token}"}

    def fold(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Path ids up to :data:`FOLD_BELOW` onto rows that exist: a child id with its own
        patient's id, a user id never one of the acting users'."""
        folded = dict(parameters)
        small = {
            name: value
            for name, value in parameters.items()
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= FOLD_BELOW
        }
        with self.sessions() as session:
            for name, value in small.items():
                if name == "user_id":
                    ids = self.editable_user_ids
                    folded[name] = ids[(value - 1) % len(ids)]
                elif name in CHILD_TABLES and "patient_id" in small:
                    table = CHILD_TABLES[name]
                    pairs = session.execute(
                        sa.select(table.patient_id, table.id).order_by(table.id)
                    ).all()
                    if pairs:
                        folded["patient_id"], folded[name] = pairs[(value - 1) % len(pairs)]
                elif name == "patient_id" and not set(small) & set(CHILD_TABLES):
                    ids = list(session.scalars(sa.select(Patient.id).order_by(Patient.id)))
                    folded[name] = ids[(value - 1) % len(ids)] if ids else value
                elif name not in ("patient_id", *CHILD_TABLES):
                    folded[name] = (value - 1) % FOLD_TO + 1
        return folded


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    path: Path = tmp_path_factory.mktemp("schemathesis") / "registry.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    yield Fuzz(engine)
    engine.dispose()


@pytest.mark.parametrize("role", list(EXAMPLES))
@pytest.mark.parametrize("label", _labels())
def test_operation_matches_its_documentation(fuzz: Fuzz, label: str, role: str) -> None:
    operation = fuzz.schema.find_operation_by_label(label)
    assert operation is not None, label
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(cases)
    @settings(
        max_examples=EXAMPLES[role],
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: Any) -> None:
        if case.path_parameters:
            case.path_parameters = fuzz.fold(case.path_parameters)
        case.call_and_validate(headers=headers, checks=CHECKS)

    headers = fuzz.headers(role)
    run()


def test_the_document_is_valid_openapi() -> None:
    """The app's document validates against the OpenAPI 3.1 meta-schema schemathesis ships."""
    app = create_app(_settings("sqlite://"), engine=create_db_engine("sqlite://"))
    document = copy.deepcopy(app.openapi())
    assert document["openapi"].startswith("3.1")
    # The spec lets every URL be a relative reference (OAS 3.1.0 section 4.6) but the 3.1
    # meta-schema types tokenUrl as an absolute 'uri' (OAI/OpenAPI-Specification#4327, a
    # schema bug): the relative tokenUrl is made absolute here, nothing else is touched.
    flow = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]
    assert flow["tokenUrl"] == "/api/v1/auth/token"
    flow["tokenUrl"] = "https://clinic.example" + flow["tokenUrl"]
    schemathesis.openapi.from_dict(document).validate()  # raises on an invalid document


def test_a_throttled_login_matches_its_documentation(fuzz: Fuzz) -> None:
    """Failed logins until the throttle answers 429: its body and Retry-After as documented.

    Runs after the generated requests (it leaves this client's address throttled).
    """
    operation = fuzz.schema.find_operation_by_label("POST /api/v1/auth/token")
    assert operation is not None
    case = operation.Case(
        body={"username": "demo-nurse", "password": "not the password"},
        media_type="application/x-www-form-urlencoded",
    )
    statuses = []
    for _ in range(40):
        response = case.call()
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    assert set(statuses[:-1]) == {401}, statuses
    assert int(response.headers["retry-after"][0]) >= 1
    case.validate_response(response, checks=CHECKS)
