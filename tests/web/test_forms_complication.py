"""The complication form: roles, CSRF, inline 422 (dates), recorded and audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.complication.models import Complication
from rhizo.clinic.core.audit.models import AuditAction
from tests.web.test_forms_support import (
    REFUSED_ROLES,
    AsRole,
    audit_rows,
    db,
    form_page,
    new_patient,
)

ONSET = date.today() - timedelta(days=10)


def _valid(csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "type": "neuritis",
        "severity": "mild",
        "onset_date": ONSET.isoformat(),
        "resolved_on": (ONSET + timedelta(days=7)).isoformat(),
        "procedure_id": "",
        "notes": "burning pain over the lesion site",
    }


@pytest.mark.parametrize("role", ["clinician", "nurse", "admin"])
def test_complication_form_renders(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    html, _ = form_page(as_role(role), f"/patients/{pid}/complications/new")
    assert 'id="complication-form"' in html


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_complication_form_refused(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    client = as_role(role)
    assert client.get(f"/patients/{pid}/complications/new").status_code == 403
    assert client.post(f"/patients/{pid}/complications/new", data={}).status_code == 403


def test_complication_form_needs_login(client: TestClient, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    response = client.get(f"/patients/{pid}/complications/new", follow_redirects=False)
    assert response.status_code == 303


def test_complication_without_csrf_is_refused(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    data = _valid("")
    del data["csrf_token"]
    assert (
        as_role("clinician").post(f"/patients/{pid}/complications/new", data=data).status_code
        == 403
    )
    assert audit_rows(web_app, "complication", pid, AuditAction.CREATE) == []


def test_complication_invalid_inline_and_kept(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    _, csrf = form_page(client, f"/patients/{pid}/complications/new")
    before = (ONSET - timedelta(days=1)).isoformat()
    response = client.post(
        f"/patients/{pid}/complications/new",
        data=_valid(csrf) | {"resolved_on": before, "type": "gremlins"},
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="type-error"' in html
    assert "gremlins" in html
    # Pydantic runs the model's date rule only once the fields are valid: fix the type.
    response = client.post(
        f"/patients/{pid}/complications/new", data=_valid(csrf) | {"resolved_on": before}
    )
    assert response.status_code == 422
    assert 'id="resolved_on-error"' in response.text
    assert "resolved_on is before onset_date" in response.text
    assert f'value="{before}"' in response.text
    assert ">burning pain over the lesion site</textarea>" in response.text
    foreign = client.post(
        f"/patients/{pid}/complications/new", data=_valid(csrf) | {"procedure_id": "999999"}
    )
    assert foreign.status_code == 422
    assert 'id="procedure_id-error"' in foreign.text
    with db(web_app) as session:
        assert (
            session.scalar(sa.select(Complication.id).where(Complication.patient_id == pid)) is None
        )


def test_complication_is_recorded_and_audited(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/complications/new")
    response = client.post(
        f"/patients/{pid}/complications/new", data=_valid(csrf), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    with db(web_app) as session:
        stored = session.scalars(
            sa.select(Complication).where(Complication.patient_id == pid)
        ).one()
        assert stored.type.value == "neuritis"
        assert stored.resolved_on == ONSET + timedelta(days=7)
    (row,) = audit_rows(web_app, "complication", pid, AuditAction.CREATE)
    assert row.entity_id == str(stored.id)
    page = client.get(response.headers["location"])
    assert 'id="flash"' in page.text
    assert "neuritis (mild)" in page.text
