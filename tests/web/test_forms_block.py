"""The diagnostic block form: roles, CSRF, inline 422, a recorded and audited block."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.core.audit.models import AuditAction
from tests.web.test_forms_support import (
    REFUSED_ROLES,
    AsRole,
    audit_rows,
    db,
    form_page,
    new_patient,
)


def _valid(csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "performed_on": "2026-04-02",
        "block_type": "medial_branch",
        "levels": "l4-l5, L5-S1",
        "side": "bilateral",
        "agent": "bupivacaine",
        "volume_ml": "0.5",
        "baseline_nrs": "7",
        "relief_percent": "85",
        "relief_hours": "6",
        "notes": "concordant relief",
    }


@pytest.mark.parametrize("role", ["clinician", "nurse", "admin"])
def test_block_form_renders_for_staff_who_write(
    as_role: AsRole, web_app: FastAPI, role: str
) -> None:
    pid = new_patient(web_app)
    html, _ = form_page(as_role(role), f"/patients/{pid}/blocks/new")
    assert 'id="block-form"' in html
    assert 'name="levels"' in html


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_block_form_refused_for_other_roles(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    client = as_role(role)
    assert client.get(f"/patients/{pid}/blocks/new").status_code == 403
    assert client.post(f"/patients/{pid}/blocks/new", data={}).status_code == 403


def test_block_form_needs_login(client: TestClient, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    response = client.get(f"/patients/{pid}/blocks/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_block_post_without_csrf_is_refused_and_writes_nothing(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    data = _valid("")
    del data["csrf_token"]
    assert client.post(f"/patients/{pid}/blocks/new", data=data).status_code == 403
    assert client.post(f"/patients/{pid}/blocks/new", data=_valid("forged")).status_code == 403
    assert audit_rows(web_app, "block", pid, AuditAction.CREATE) == []


def test_block_invalid_relief_is_inline_and_input_kept(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/blocks/new")
    data = _valid(csrf) | {"relief_percent": "140", "levels": "L4-S1"}
    response = client.post(f"/patients/{pid}/blocks/new", data=data)
    assert response.status_code == 422
    html = response.text
    # BlockCreate: relief_percent le=100; a joint level is two adjacent vertebrae.
    assert 'id="relief_percent-error"' in html
    assert "less than or equal to 100" in html
    assert 'id="levels-error"' in html
    assert "L4 and S1 are not adjacent vertebrae" in html
    assert 'value="140"' in html
    assert 'value="L4-S1"' in html
    assert 'value="concordant relief"' not in html  # notes is a textarea:
    assert ">concordant relief</textarea>" in html
    with db(web_app) as session:
        assert (
            session.scalar(sa.select(DiagnosticBlock.id).where(DiagnosticBlock.patient_id == pid))
            is None
        )


def test_block_in_the_future_is_refused(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    _, csrf = form_page(client, f"/patients/{pid}/blocks/new")
    response = client.post(
        f"/patients/{pid}/blocks/new", data=_valid(csrf) | {"performed_on": "2999-01-01"}
    )
    assert response.status_code == 422
    assert "2999-01-01 is in the future" in response.text


def test_block_is_recorded_audited_and_shown(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/blocks/new")
    response = client.post(f"/patients/{pid}/blocks/new", data=_valid(csrf), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{pid}?saved=block#flash"
    with db(web_app) as session:
        block = session.scalars(
            sa.select(DiagnosticBlock).where(DiagnosticBlock.patient_id == pid)
        ).one()
        assert block.levels == ["L4-L5", "L5-S1"]
        assert block.relief_percent == 85
        assert block.volume_ml == 0.5
    (row,) = audit_rows(web_app, "block", pid, AuditAction.CREATE)
    assert row.entity_id == str(block.id)
    page = client.get(response.headers["location"])
    assert 'id="flash"' in page.text
    assert "85 % relief" in page.text


def test_block_missing_choice_is_named_as_required(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/blocks/new")
    response = client.post(
        f"/patients/{pid}/blocks/new", data=_valid(csrf) | {"side": "", "levels": ""}
    )
    assert response.status_code == 422
    assert '<span class="field-error" id="side-error">required' in response.text
    assert '<span class="field-error" id="levels-error">required' in response.text
