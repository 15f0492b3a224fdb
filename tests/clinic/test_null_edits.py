"""An explicit null for a field that cannot be cleared is a 422 naming it, never a 409 or 500.

Found by tests/clinic/test_schemathesis.py: ``PATCH`` with ``"given_name": null``
reached the NOT NULL constraint (409 "conflicts with stored data") and
``"diabetes": null`` on a plan crashed the premedication rules (500). The
reference is the column definition itself: nullable columns may be cleared,
the others may not.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient
from tests.clinic.factories import make_patient, make_user

from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.patient.models import Patient

Headers = dict[str, str]


def test_a_null_for_a_not_null_column_is_422_and_changes_nothing(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    headers = token_for(make_user(session, Role.CLINICIAN))
    patient = make_patient(session, given_name="Ada", postcode="1000")
    assert not Patient.__table__.c.given_name.nullable
    assert Patient.__table__.c.postcode.nullable
    refused = client.patch(
        f"/api/v1/patients/{patient.id}",
        headers=headers,
        json={"version": patient.version, "given_name": None, "sex": None},
    )
    assert refused.status_code == 422, refused.text
    problems = {(p["field"], p["value"], p["rule"]) for p in refused.json()["detail"]}
    assert problems == {("given_name", None, "not_null"), ("sex", None, "not_null")}
    session.refresh(patient)
    assert (patient.given_name, patient.version) == ("Ada", 1)
    cleared = client.patch(
        f"/api/v1/patients/{patient.id}",
        headers=headers,
        json={"version": patient.version, "postcode": None},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["postcode"] is None
