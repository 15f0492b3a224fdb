"""Corrections from the patient page: remove an entry recorded in error, resolve a complication.

Removal goes through the domain service, so it carries the REST API's
``clinical:write`` permission and its audit row (ids only, never the values).
A resolution goes through ``ComplicationUpdate``: a day after today or before
the onset is refused inline, as in the API.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from rhizo.clinic.complication.models import Complication
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.followup.models import FollowUp
from tests.web.test_forms_support import (
    REFUSED_ROLES,
    AsRole,
    audit_rows,
    db,
    form_page,
    new_complication,
    new_followup,
    new_patient,
)


def _exists(app: FastAPI, model: type, row_id: int) -> bool:
    with db(app) as session:
        return session.get(model, row_id) is not None


@pytest.mark.parametrize("role", ["clinician", "nurse"])
def test_a_follow_up_recorded_in_error_is_removed_and_audited(
    as_role: AsRole, web_app: FastAPI, role: str
) -> None:
    pid = new_patient(web_app)
    wrong = new_followup(web_app, pid, nrs=9)
    kept = new_followup(web_app, pid, nrs=3)
    client = as_role(role)
    page = client.get(f"/patients/{pid}").text
    assert f'id="remove-followups-{wrong}"' in page
    html, csrf = form_page(client, f"/patients/{pid}/followups/{wrong}/remove")
    assert "NRS 9" in html  # the entry is shown before it goes
    assert _exists(web_app, FollowUp, wrong)  # asking removes nothing
    response = client.post(
        f"/patients/{pid}/followups/{wrong}/remove",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{pid}?saved=removed-followups#flash"
    assert not _exists(web_app, FollowUp, wrong)
    assert _exists(web_app, FollowUp, kept)
    (row,) = audit_rows(web_app, "followup", pid, AuditAction.DELETE)
    assert row.entity_id == str(wrong)
    assert row.actor_username == f"demo-{role}"
    assert row.details == {}  # the row names the entry; it never copies clinical values
    after = client.get(response.headers["location"]).text
    assert "Follow-up removed" in after
    assert f'id="remove-followups-{wrong}"' not in after


def test_removal_needs_the_csrf_token_and_the_right_patient(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid, other = new_patient(web_app), new_patient(web_app)
    entry = new_followup(web_app, pid)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/followups/{entry}/remove")
    no_token = client.post(f"/patients/{pid}/followups/{entry}/remove", data={})
    assert no_token.status_code == 403
    # Another patient's URL with this entry's id: not found, nothing removed.
    crossed = client.post(f"/patients/{other}/followups/{entry}/remove", data={"csrf_token": csrf})
    assert crossed.status_code == 404
    unknown_kind = client.get(f"/patients/{pid}/procedures/{entry}/remove")
    assert unknown_kind.status_code == 404
    assert _exists(web_app, FollowUp, entry)


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_removal_is_refused_without_clinical_write(
    as_role: AsRole, web_app: FastAPI, role: str
) -> None:
    pid = new_patient(web_app)
    entry = new_complication(web_app, pid)
    client = as_role(role)
    assert client.get(f"/patients/{pid}/complications/{entry}/remove").status_code == 403
    assert f'id="remove-complications-{entry}"' not in client.get(f"/patients/{pid}").text
    assert _exists(web_app, Complication, entry)


def test_a_complication_is_resolved_and_its_dates_are_checked(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    onset = date(2026, 1, 10)
    entry = new_complication(web_app, pid, onset=onset)
    client = as_role("clinician")
    assert f'id="resolve-complications-{entry}"' in client.get(f"/patients/{pid}").text
    url = f"/patients/{pid}/complications/{entry}/resolve"
    html, csrf = form_page(client, url)
    assert 'name="version" value="1"' in html  # the edit names the version it was opened at
    form = {"csrf_token": csrf, "version": "1"}
    before_onset = (onset - timedelta(days=1)).isoformat()
    refused = client.post(url, data={**form, "resolved_on": before_onset})
    assert refused.status_code == 422
    assert 'id="resolved_on-error"' in refused.text
    assert "before the onset (2026-01-10)" in refused.text
    assert f'value="{before_onset}"' in refused.text  # what was typed is kept
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = client.post(url, data={**form, "resolved_on": tomorrow})
    assert future.status_code == 422
    assert "is in the future" in future.text
    empty = client.post(url, data={**form, "resolved_on": ""})
    assert empty.status_code == 422
    saved = client.post(url, data={**form, "resolved_on": "2026-02-01"}, follow_redirects=False)
    assert saved.status_code == 303
    with db(web_app) as session:
        stored = session.scalars(sa.select(Complication).where(Complication.id == entry)).one()
        assert stored.resolved_on == date(2026, 2, 1)
    (row,) = audit_rows(web_app, "complication", pid, AuditAction.UPDATE)
    assert row.details == {"fields": ["resolved_on"]}
    page = client.get(f"/patients/{pid}").text
    assert "resolved 2026-02-01" in page
    assert f'id="resolve-complications-{entry}"' not in page  # resolved: no second resolve
