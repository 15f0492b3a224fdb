"""The discharge form: roles, CSRF, the pathway's criteria shown, inline 422, one per procedure;
red flags refused inline as the API refuses them, a clinician's escalation, the timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import InvalidInputError, Region, Side
from rhizo.clinic.discharge import service as discharge_service
from rhizo.clinic.discharge.models import Discharge, DischargeCreate
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import FollowUpCreate
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import ProcedureCreate
from rhizo.clinic.specialist.models import Specialist
from rhizo.pathway.facts import entry
from tests.web.test_forms_support import (
    REFUSED_ROLES,
    AsRole,
    audit_rows,
    db,
    form_page,
    new_patient,
)

PERFORMED = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _procedure(app: FastAPI, sedation: Sedation = Sedation.NONE) -> tuple[int, int]:
    """(patient id, procedure id) of a fresh patient's procedure."""
    pid = new_patient(app)
    with db(app) as session:
        performer = session.scalar(sa.select(Specialist.id))
        assert performer is not None
        procedure = procedure_service.create(
            session=session,
            actor=Actor(user_id=None, username="form-tests", role=Role.ADMIN),
            patient_id=pid,
            data=ProcedureCreate(
                performer_id=performer,
                performed_at=PERFORMED,
                region=Region.LUMBAR,
                side=Side.LEFT,
                levels=["L4-L5"],
                sedation=sedation,
            ),
        )
        return pid, procedure.id


def _valid(csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "discharged_at": "2026-05-04T11:15",
        "disposition": "home",
        "nrs": "2",
        "escort_present": "1",
        "instructions_given": "1",
    }


@pytest.mark.parametrize("role", ["clinician", "nurse"])
def test_discharge_form_shows_the_pathway_criteria(
    as_role: AsRole, web_app: FastAPI, role: str
) -> None:
    _, procedure_id = _procedure(web_app, Sedation.MINIMAL)
    html, _ = form_page(as_role(role), f"/procedures/{procedure_id}/discharge")
    assert 'id="discharge-form"' in html
    # The aftercare knowledge's own items and sources (no driving for 24 h; sedation items).
    for item_id in ("no-driving", "discharge-escort", "sedation-company"):
        item = entry("aftercare", item_id)
        assert str(escape(item["text"])) in html
        assert str(escape(item["source"].cite())) in html


def test_discharge_without_sedation_omits_the_sedation_items(
    as_role: AsRole, web_app: FastAPI
) -> None:
    _, procedure_id = _procedure(web_app, Sedation.NONE)
    html, _ = form_page(as_role("nurse"), f"/procedures/{procedure_id}/discharge")
    assert str(escape(entry("aftercare", "sedation-company")["text"])) not in html
    assert str(escape(entry("aftercare", "no-driving")["text"])) in html


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_discharge_form_refused(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    _, procedure_id = _procedure(web_app)
    client = as_role(role)
    assert client.get(f"/procedures/{procedure_id}/discharge").status_code == 403
    assert client.post(f"/procedures/{procedure_id}/discharge", data={}).status_code == 403


def test_discharge_needs_login_and_a_real_procedure(
    client: TestClient, as_role: AsRole, web_app: FastAPI
) -> None:
    _, procedure_id = _procedure(web_app)
    response = client.get(f"/procedures/{procedure_id}/discharge", follow_redirects=False)
    assert response.status_code == 303
    assert as_role("clinician").get("/procedures/99999999/discharge").status_code == 404


def test_discharge_without_csrf_is_refused(as_role: AsRole, web_app: FastAPI) -> None:
    pid, procedure_id = _procedure(web_app)
    data = _valid("wrong")
    response = as_role("nurse").post(f"/procedures/{procedure_id}/discharge", data=data)
    assert response.status_code == 403
    assert audit_rows(web_app, "discharge", pid, AuditAction.CREATE) == []


def test_discharge_invalid_inline_and_kept(as_role: AsRole, web_app: FastAPI) -> None:
    _, procedure_id = _procedure(web_app)
    client = as_role("nurse")
    _, csrf = form_page(client, f"/procedures/{procedure_id}/discharge")
    bad_nrs = client.post(
        f"/procedures/{procedure_id}/discharge", data=_valid(csrf) | {"nrs": "12"}
    )
    assert bad_nrs.status_code == 422
    assert 'id="nrs-error"' in bad_nrs.text
    # The service's rule: a discharge cannot precede the procedure (09:00 UTC).
    early = client.post(
        f"/procedures/{procedure_id}/discharge",
        data=_valid(csrf) | {"discharged_at": "2026-05-04T08:30"},
    )
    assert early.status_code == 422
    assert 'id="discharged_at-error"' in early.text
    assert "before the procedure" in early.text
    assert 'value="2026-05-04T08:30"' in early.text
    assert 'id="escort_present" name="escort_present" type="checkbox" value="1" checked' in (
        early.text
    )
    with db(web_app) as session:
        assert (
            session.scalar(sa.select(Discharge.id).where(Discharge.procedure_id == procedure_id))
            is None
        )


def test_discharge_is_recorded_once_and_audited(as_role: AsRole, web_app: FastAPI) -> None:
    pid, procedure_id = _procedure(web_app)
    client = as_role("nurse")
    _, csrf = form_page(client, f"/procedures/{procedure_id}/discharge")
    response = client.post(
        f"/procedures/{procedure_id}/discharge", data=_valid(csrf), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/patients/{pid}?saved=discharge#flash"
    with db(web_app) as session:
        stored = session.scalars(
            sa.select(Discharge).where(Discharge.procedure_id == procedure_id)
        ).one()
        assert (stored.escort_present, stored.instructions_given, stored.new_deficit) == (
            True,
            True,
            False,
        )
        assert stored.nrs == 2
    (row,) = audit_rows(web_app, "discharge", pid, AuditAction.CREATE)
    assert row.entity_id == str(stored.id)
    again = client.get(f"/procedures/{procedure_id}/discharge")
    assert 'id="discharge-recorded"' in again.text
    assert 'id="discharge-form"' not in again.text
    second = client.post(f"/procedures/{procedure_id}/discharge", data=_valid(csrf))
    assert second.status_code == 409
    assert 'id="form-error"' in second.text
    assert "already has a discharge" in second.text


#: One red flag at a time: (the form's changes, the field it is shown on). The rule
#: (knowledge/discharge_safety.yaml): new deficit; NRS >= 7; no escort after sedation;
#: instructions not given.
RED_FLAGS = [
    ({"new_deficit": "1"}, "new_deficit"),
    ({"nrs": "7"}, "nrs"),
    ({"escort_present": None}, "escort_present"),
    ({"instructions_given": None}, "instructions_given"),
]


def _with(csrf: str, changes: dict[str, str | None]) -> dict[str, str]:
    data = _valid(csrf) | {k: v for k, v in changes.items() if v is not None}
    return {k: v for k, v in data.items() if changes.get(k, "") is not None}


def _stored(app: FastAPI, procedure_id: int) -> Discharge | None:
    with db(app) as session:
        return session.scalar(sa.select(Discharge).where(Discharge.procedure_id == procedure_id))


@pytest.mark.parametrize(("changes", "field"), RED_FLAGS)
def test_each_red_flag_is_refused_inline_as_the_api_refuses_it(
    as_role: AsRole, web_app: FastAPI, changes: dict[str, str | None], field: str
) -> None:
    pid, procedure_id = _procedure(web_app, Sedation.MINIMAL)
    client = as_role("nurse")
    _, csrf = form_page(client, f"/procedures/{procedure_id}/discharge")
    refused = client.post(f"/procedures/{procedure_id}/discharge", data=_with(csrf, changes))
    assert refused.status_code == 422, refused.text
    assert f'id="{field}-error"' in refused.text
    assert "red flag" in refused.text
    assert _stored(web_app, procedure_id) is None
    # The service (which the API calls) refuses the same input on the same one field.
    form = _with("x", changes)
    data = DischargeCreate(
        discharged_at=datetime(2026, 5, 4, 11, 15, tzinfo=UTC),
        nrs=int(form["nrs"]),
        escort_present="escort_present" in form,
        instructions_given="instructions_given" in form,
        new_deficit="new_deficit" in form,
    )
    with db(web_app) as session, pytest.raises(InvalidInputError) as refusal:
        discharge_service.create(
            session=session,
            actor=Actor(user_id=None, username="form-tests", role=Role.NURSE),
            patient_id=pid,
            procedure_id=procedure_id,
            data=data,
        )
    assert [p.field for p in refusal.value.problems] == [field]


def test_a_clinicians_escalation_lets_a_red_flag_through_and_the_page_shows_it(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid, procedure_id = _procedure(web_app, Sedation.MINIMAL)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/procedures/{procedure_id}/discharge")
    path = f"/procedures/{procedure_id}/discharge"
    flagged = _with(csrf, {"new_deficit": "1"}) | {"escalation_kind": "reviewed_by_clinician"}
    no_reason = client.post(path, data=flagged)
    assert no_reason.status_code == 422
    assert 'id="escalation_reason-error"' in no_reason.text
    reason = "Numb left foot from the local anaesthetic; power 5/5; reviewed"
    saved = client.post(path, data=flagged | {"escalation_reason": reason}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    stored = _stored(web_app, procedure_id)
    assert stored is not None
    assert stored.escalation_kind is not None
    assert (stored.escalation_kind.value, stored.escalation_reason) == (
        "reviewed_by_clinician",
        reason,
    )
    page = client.get(f"/patients/{pid}").text
    deficit = entry("discharge_safety", "new-deficit")["text"]
    top, timeline = page.split("<h2>Timeline</h2>")
    assert 'id="open-discharges"' in top
    assert str(escape(reason)) in top
    assert f'data-row="discharge-{stored.id}"' in timeline
    assert str(escape(f"red flag: {deficit}")) in timeline
    assert "escalation: reviewed by clinician" in timeline
    # A follow-up after the day of discharge closes it: off the top, still on the timeline.
    with db(web_app) as session:
        followup_service.create(
            session=session,
            actor=Actor(user_id=None, username="form-tests", role=Role.ADMIN),
            patient_id=pid,
            data=FollowUpCreate(followed_on=date(2026, 5, 5), nrs=3),
        )
    later = client.get(f"/patients/{pid}").text
    assert 'id="open-discharges"' not in later
    assert f'data-row="discharge-{stored.id}"' in later


def test_a_nurse_cannot_escalate_and_a_routine_discharge_is_on_the_timeline(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid, procedure_id = _procedure(web_app, Sedation.NONE)
    client = as_role("nurse")
    _, csrf = form_page(client, f"/procedures/{procedure_id}/discharge")
    path = f"/procedures/{procedure_id}/discharge"
    escalated = _with(csrf, {"nrs": "8"}) | {
        "escalation_kind": "reviewed_by_clinician",
        "escalation_reason": "seen",
    }
    refused = client.post(path, data=escalated)
    assert refused.status_code == 422
    assert 'id="escalation_kind-error"' in refused.text
    assert "only a clinician" in refused.text
    # NRS 6 is below the cut of 7; no escort without sedation is no red flag.
    routine = _with(csrf, {"nrs": "6", "escort_present": None})
    assert client.post(path, data=routine, follow_redirects=False).status_code == 303
    stored = _stored(web_app, procedure_id)
    assert stored is not None
    page = as_role("clinician").get(f"/patients/{pid}").text
    assert 'id="open-discharges"' not in page
    assert f'data-row="discharge-{stored.id}"' in page
    assert "discharged home, NRS 6, no escort, instructions given" in page
