"""Plan pages: edit (holds recomputed, stale and final plans refused), schedule, cancel
with a reason, the patient page's status and actions, "From plan" on the procedure
form, and a cancelled plan left out of the portal.

The lesion rows "From plan" makes are checked against the facet-joint nerve
supply written here by hand from Bogduk N, Long DM, "The anatomy of the so-called
'articular nerves' and their relationship to facet denervation in the treatment of
low back pain", J Neurosurg 1979;51:172-177 (abstract read, evidence: secondary):
each L1-L4 medial branch supplies the joint beside it and the next lower joint,
and the medial branch of the L5 dorsal ramus supplies L5-S1. So L4-L5 needs the
L3 and L4 medial branches, L5-S1 the L4 medial branch and the L5 dorsal ramus,
and a bilateral L4-L5 + L5-S1 plan L3 MB, L4 MB and L5 dorsal ramus on each
side: 6 rows.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from fastapi import FastAPI
from markupsafe import escape

from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from tests.web.plan_support import new_plan
from tests.web.test_forms_procedure import passing_lesion, procedure_form
from tests.web.test_forms_support import AsRole, db, form_page, new_patient

LATER = date.today() + timedelta(days=40)


def _plan(app: FastAPI, plan_id: int) -> Plan:
    with db(app) as session:
        plan = session.get(Plan, plan_id)
        assert plan is not None
        session.expunge(plan)
        return plan


def _edit_form(csrf: str, version: int, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "version": str(version),
        "planned_date": LATER.isoformat(),
        "side": "left",
        "levels": "L3-L4",
        "sedation": "moderate",
        "egfr_ml_per_min": "25",
    } | changes


def test_the_edit_form_shows_the_stored_plan(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    plan_id = new_plan(web_app, pid, inr=1.1, diabetes=True)
    html, _ = form_page(as_role("clinician"), f"/patients/{pid}/plans/{plan_id}/edit")
    assert f'action="/patients/{pid}/plans/{plan_id}/edit"' in html
    assert 'name="version" value="1"' in html
    assert 'value="L4-L5, L5-S1"' in html
    assert 'value="1.1"' in html  # the INR, as typed (no 1.1000000000000001)
    assert re.search(r'id="diabetes"[^>]*checked', html)
    assert 'id="procedure"' not in html  # the procedure is fixed


def test_an_edit_saves_recomputes_and_a_stale_form_is_refused(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    plan_id = new_plan(web_app, pid)
    client = as_role("nurse")
    _, csrf = form_page(client, f"/patients/{pid}/plans/{plan_id}/edit")
    url = f"/patients/{pid}/plans/{plan_id}/edit"
    saved = client.post(url, data=_edit_form(csrf, 1), follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("saved=plan-edited#flash")
    plan = _plan(web_app, plan_id)
    assert (plan.planned_date, plan.side.value, plan.levels) == (LATER, "left", ["L3-L4"])
    assert (plan.sedation.value, plan.egfr_ml_per_min, plan.version) == ("moderate", 25.0, 2)
    # Moderate sedation brings the fasting instructions (none without sedation).
    assert any(i["topic"] == "fasting" for i in plan.instructions)
    stale = client.post(url, data=_edit_form(csrf, 1, sedation="none"), follow_redirects=False)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    assert 'name="version" value="2"' in stale.text  # the form now carries the stored one
    assert _plan(web_app, plan_id).sedation.value == "moderate"


def test_an_edit_refuses_blank_required_fields_and_a_past_day_inline(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    plan_id = new_plan(web_app, pid)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/plans/{plan_id}/edit")
    url = f"/patients/{pid}/plans/{plan_id}/edit"
    blank = client.post(url, data=_edit_form(csrf, 1, side="", levels=""))
    assert blank.status_code == 422
    assert blank.text.count(">required<") == 2
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    past = client.post(url, data=_edit_form(csrf, 1, planned_date=yesterday))
    assert past.status_code == 422
    assert f"{yesterday} has passed" in past.text
    assert _plan(web_app, plan_id).version == 1  # nothing saved


def test_schedule_then_cancel_with_a_reason(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    plan_id = new_plan(web_app, pid)
    client = as_role("clinician")
    page, csrf = form_page(client, f"/patients/{pid}")
    assert f'id="plan-status-{plan_id}" data-status="draft"' in page
    assert f'id="plan-schedule-{plan_id}"' in page
    assert f'href="/patients/{pid}/procedures/new?plan_id={plan_id}"' in page
    scheduled = client.post(
        f"/patients/{pid}/plans/{plan_id}/schedule",
        data={"csrf_token": csrf, "version": "1"},
        follow_redirects=False,
    )
    assert scheduled.status_code == 303
    assert _plan(web_app, plan_id).status.value == "scheduled"
    cancel_url = f"/patients/{pid}/plans/{plan_id}/cancel"
    form, csrf = form_page(client, cancel_url)
    assert 'name="version" value="2"' in form
    short = client.post(
        cancel_url, data={"csrf_token": csrf, "version": "2", "cancel_reason": "no"}
    )
    assert short.status_code == 422
    assert 'id="cancel_reason-error"' in short.text or "at least 5 characters" in short.text
    none = client.post(cancel_url, data={"csrf_token": csrf, "version": "2"})
    assert none.status_code == 422
    assert "required to cancel" in none.text
    reason = "pain settled after physiotherapy"
    done = client.post(
        cancel_url,
        data={"csrf_token": csrf, "version": "2", "cancel_reason": reason},
        follow_redirects=False,
    )
    assert done.status_code == 303
    plan = _plan(web_app, plan_id)
    assert (plan.status.value, plan.cancel_reason) == ("cancelled", reason)
    page = client.get(f"/patients/{pid}").text
    assert 'data-status="cancelled"' in page
    assert str(escape(reason)) in page
    assert f'id="plan-edit-{plan_id}"' not in page  # no actions on a final plan
    again = client.get(cancel_url)
    assert again.status_code == 409
    assert "a cancelled plan cannot become cancelled" in again.text
    edit = client.get(f"/patients/{pid}/plans/{plan_id}/edit")
    assert edit.status_code == 409
    assert "a cancelled plan cannot be edited" in edit.text
    schedule = client.post(
        f"/patients/{pid}/plans/{plan_id}/schedule", data={"csrf_token": csrf, "version": "3"}
    )
    assert schedule.status_code == 409
    assert "a cancelled plan cannot become scheduled" in schedule.text


def _rows(html: str) -> list[tuple[str, str]]:
    """(side, nerve) of each lesion row on the procedure form."""
    rows = []
    for index in range(int(re.search(r'id="lesion_count"[^>]*value="(\d+)"', html)[1])):  # type: ignore[index]
        side = re.search(
            rf'name="lesions-{index}-side"[^>]*>.*?<option value="(\w+)" selected', html, re.S
        )
        nerve = re.search(rf'name="lesions-{index}-target_nerve"[^>]*value="([^"]*)"', html)
        rows.append((side[1] if side else "", nerve[1] if nerve else ""))
    return rows


EXPECTED_ROWS = [
    (side, nerve)
    for side in ("left", "right")
    for nerve in ("L3 medial branch", "L4 medial branch", "L5 dorsal ramus")
]


def test_from_plan_prefills_side_levels_sedation_day_and_rows(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    plan_id = new_plan(web_app, pid, side="bilateral", sedation="minimal")
    client = as_role("clinician")
    html, csrf = form_page(client, f"/patients/{pid}/procedures/new?plan_id={plan_id}")
    day = (date.today() + timedelta(days=30)).isoformat()
    assert re.search(rf'name="performed_at"[^>]*value="{day}T\d\d:\d\d"', html)
    assert 'value="L4-L5, L5-S1"' in html
    assert re.search(r'<option value="bilateral" selected', html)
    assert re.search(r'<option value="minimal" selected', html)
    assert re.search(rf'<option value="{plan_id}" selected', html)
    assert _rows(html) == EXPECTED_ROWS
    # Without JavaScript: choose the plan, press "Fill from plan".
    posted = client.post(
        f"/patients/{pid}/procedures/new",
        data={
            "csrf_token": csrf,
            "plan_id": str(plan_id),
            "action": "from_plan",
            "lesion_count": "1",
            "notes": "typed first",
        },
    )
    assert posted.status_code == 200
    assert _rows(posted.text) == EXPECTED_ROWS
    assert "typed first" in posted.text  # what was typed is kept


def test_a_single_side_plan_gives_one_side_of_rows(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    plan_id = new_plan(web_app, pid, side="left", levels=["L4-L5"])
    html, _ = form_page(as_role("clinician"), f"/patients/{pid}/procedures/new?plan_id={plan_id}")
    assert _rows(html) == [("left", "L3 medial branch"), ("left", "L4 medial branch")]


def test_the_from_plan_choice_lists_open_plans_only(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    open_id = new_plan(web_app, pid)
    closed_id = new_plan(web_app, pid, levels=["L3-L4"])
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/plans/{closed_id}/cancel")
    client.post(
        f"/patients/{pid}/plans/{closed_id}/cancel",
        data={"csrf_token": csrf, "version": "1", "cancel_reason": "entered twice"},
    )
    html, _ = form_page(client, f"/patients/{pid}/procedures/new")
    assert f'<option value="{open_id}"' in html
    assert f'<option value="{closed_id}"' not in html


def test_the_portal_leaves_a_cancelled_plan_out(as_role: AsRole, web_app: FastAPI) -> None:
    client = as_role("patient")
    with db(web_app) as session:
        own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    assert own is not None
    day = date.today() + timedelta(days=3)
    plan_id = new_plan(web_app, own, planned_date=day)
    assert day.isoformat() in client.get("/portal").text
    staff = as_role("clinician")
    _, csrf = form_page(staff, f"/patients/{own}/plans/{plan_id}/cancel")
    staff.post(
        f"/patients/{own}/plans/{plan_id}/cancel",
        data={"csrf_token": csrf, "version": "1", "cancel_reason": "patient asked to wait"},
    )
    assert day.isoformat() not in as_role("patient").get("/portal").text


def test_recording_the_procedure_from_the_form_marks_the_plan_done(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    plan_id = new_plan(web_app, pid, side="left", levels=["L4-L5"])
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new?plan_id={plan_id}")
    rows = [passing_lesion("L3 medial branch"), passing_lesion("L4 medial branch")]
    data = procedure_form(web_app, csrf, rows, plan_id=str(plan_id))
    saved = client.post(f"/patients/{pid}/procedures/new", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    plan = _plan(web_app, plan_id)
    assert plan.status.value == "done"
    assert plan.procedure_id is not None
    page = client.get(f"/patients/{pid}").text
    assert f'id="plan-status-{plan_id}" data-status="done"' in page
    assert "carried out by the procedure of <time" in page
    # A second procedure cannot carry out the same plan (crafted: the choice hides it).
    again = client.post(f"/patients/{pid}/procedures/new", data=data)
    assert again.status_code == 422
    assert f"plan {plan_id} is done" in again.text
