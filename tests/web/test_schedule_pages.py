"""The calendar pages (issue 18): each page per role, the wrong role's 403, bad input inline.

References: the role definitions of issue 18's design (schedule:read for every
staff role that reads patients, schedule:write for clinicians and nurses,
availability:manage for clinicians and admins), the seeded rows read back from
the database (not from the page), and the clinic's wall clock written by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule.models import Appointment
from rhizo.clinic.specialist.models import Specialist
from tests.web.conftest import csrf_of

AsRole = Callable[[str], TestClient]


@pytest.mark.parametrize("view", ["day", "week"])
@pytest.mark.parametrize("role", ["admin", "clinician", "nurse"])
def test_calendar_opens_for_staff(as_role: AsRole, view: str, role: str) -> None:
    response = as_role(role).get(f"/schedule/{view}?on=2026-06-01")
    assert response.status_code == 200, response.text
    assert "Calendar" in response.text


@pytest.mark.parametrize("role", ["researcher", "auditor", "patient"])
def test_calendar_refuses_other_roles(as_role: AsRole, role: str) -> None:
    response = as_role(role).get("/schedule/day", follow_redirects=False)
    assert response.status_code == 403


def test_calendar_bad_day_is_inline(as_role: AsRole) -> None:
    response = as_role("nurse").get("/schedule/day?on=2026-13-01")
    assert response.status_code == 422
    assert "on: &#39;2026-13-01&#39; is not a date (YYYY-MM-DD)" in response.text
    assert 'id="on-error"' in response.text


def test_day_view_lists_the_seeded_appointments(as_role: AsRole, web_app: FastAPI) -> None:
    # The reference: the appointments the database holds for 2026-06-02 (UTC clinic clock).
    session = web_app.state.session_factory()
    try:
        rows = session.scalars(
            sa.select(Appointment).where(
                Appointment.starts_at >= datetime(2026, 6, 2, tzinfo=UTC),
                Appointment.starts_at < datetime(2026, 6, 3, tzinfo=UTC),
            )
        ).all()
        expected = {(a.id, a.starts_at.strftime("%H:%M")) for a in rows}
    finally:
        session.close()
    assert expected, "the demo week has appointments on Tuesday 2026-06-02"
    html = as_role("clinician").get("/schedule/day?on=2026-06-02").text
    shown = set(
        re.findall(
            r'data-appointment="(\d+)">\s*<a href="/appointments/\d+">'
            r'<span class="appt-time">(\d\d:\d\d)',
            html,
        )
    )
    # Each appointment appears once per specialist column and once per room column.
    assert {(int(i), t) for i, t in shown} == expected
    assert "Previous day" in html
    assert "?on=2026-06-01" in html
    assert "?on=2026-06-03" in html


def _first_choice(html: str) -> str:
    found = re.search(r'name="slot" value="([^"]+)"', html)
    assert found is not None, "no free slot offered"
    return found.group(1).replace("&#43;", "+")


def _patient(web_app: FastAPI) -> int:
    session = web_app.state.session_factory()
    try:
        pid = session.scalar(
            sa.select(Patient.id).where(Patient.user_id.is_(None)).order_by(Patient.id.desc())
        )
    finally:
        session.close()
    assert pid is not None
    return int(pid)


def _appointment(web_app: FastAPI, appointment_id: int) -> Appointment:
    session = web_app.state.session_factory()
    try:
        row = session.get(Appointment, appointment_id)
        assert row is not None
        session.expunge(row)
        return row
    finally:
        session.close()


def test_book_then_cancel_through_the_pages(as_role: AsRole, web_app: FastAPI) -> None:
    client = as_role("nurse")
    pid = _patient(web_app)
    page = client.get(f"/schedule/book?patient_id={pid}&kind=consultation")
    assert page.status_code == 200, page.text
    choice = _first_choice(page.text)
    specialist_id, starts = choice.split("|")
    # Nothing chosen: inline, nothing booked.
    empty = client.post(
        "/schedule/book",
        data={"csrf_token": csrf_of(page.text), "patient_id": str(pid), "kind": "consultation"},
    )
    assert empty.status_code == 422
    assert 'id="slot-error"' in empty.text
    assert "required: choose a free slot" in empty.text
    done = client.post(
        "/schedule/book",
        data={
            "csrf_token": csrf_of(page.text),
            "patient_id": str(pid),
            "kind": "consultation",
            "slot": choice,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    appointment_id = int(done.headers["location"].split("/")[2].split("?")[0])
    row = _appointment(web_app, appointment_id)
    assert (row.patient_id, row.specialist_id) == (pid, int(specialist_id))
    assert row.starts_at == datetime.fromisoformat(starts)
    # The same slot again: taken now, so refused next to the slots, not booked twice.
    again = client.post(
        "/schedule/book",
        data={
            "csrf_token": csrf_of(page.text),
            "patient_id": str(pid),
            "kind": "consultation",
            "slot": choice,
        },
    )
    assert again.status_code in (409, 422)
    assert 'id="slot-error"' in again.text
    detail = client.get(f"/appointments/{appointment_id}")
    assert detail.status_code == 200
    assert f"/appointments/{appointment_id}/calendar.ics" in detail.text
    short = client.post(
        f"/appointments/{appointment_id}/cancel",
        data={"csrf_token": csrf_of(detail.text), "version": str(row.version), "reason": "no"},
    )
    assert short.status_code == 422
    assert 'id="reason-error"' in short.text
    cancelled = client.post(
        f"/appointments/{appointment_id}/cancel",
        data={
            "csrf_token": csrf_of(detail.text),
            "version": str(row.version),
            "reason": "patient asked to cancel",
        },
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    after = _appointment(web_app, appointment_id)
    assert after.status.value == "cancelled"
    assert after.cancel_reason == "patient asked to cancel"


def test_reschedule_moves_to_the_chosen_slot(as_role: AsRole, web_app: FastAPI) -> None:
    client = as_role("clinician")
    pid = _patient(web_app)
    page = client.get(f"/schedule/book?patient_id={pid}&kind=review")
    done = client.post(
        "/schedule/book",
        data={
            "csrf_token": csrf_of(page.text),
            "patient_id": str(pid),
            "kind": "review",
            "slot": _first_choice(page.text),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    old_id = int(done.headers["location"].split("/")[2].split("?")[0])
    detail = client.get(f"/appointments/{old_id}")
    choices = re.findall(r'name="slot" value="([^"]+)"', detail.text)
    assert choices, "the page offers other free slots"
    new_choice = choices[1].replace("&#43;", "+")
    moved = client.post(
        f"/appointments/{old_id}/reschedule",
        data={
            "csrf_token": csrf_of(detail.text),
            "version": str(_appointment(web_app, old_id).version),
            "slot": new_choice,
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text
    new_id = int(moved.headers["location"].split("/")[2].split("?")[0])
    new = _appointment(web_app, new_id)
    assert new.rescheduled_from_id == old_id
    assert new.starts_at == datetime.fromisoformat(new_choice.split("|")[1])
    assert _appointment(web_app, old_id).status.value == "cancelled"


def test_stale_version_is_a_conflict(as_role: AsRole, web_app: FastAPI) -> None:
    client = as_role("nurse")
    detail = client.get("/appointments/1")
    answer = client.post(
        "/appointments/1/arrived",
        data={"csrf_token": csrf_of(detail.text), "version": "999"},
    )
    assert answer.status_code == 409


@pytest.mark.parametrize("path", ["/schedule/rooms", "/schedule/sessions", "/schedule/leave"])
def test_availability_pages_per_role(as_role: AsRole, path: str) -> None:
    assert as_role("clinician").get(path).status_code == 200
    assert as_role("admin").get(path).status_code == 200
    assert as_role("nurse").get(path, follow_redirects=False).status_code == 403


def test_overlapping_session_refused_inline(as_role: AsRole, web_app: FastAPI) -> None:
    client = as_role("clinician")
    page = client.get("/schedule/sessions")
    # Dr Demo Clinician's seeded Monday 09:00-12:30 consultations: 10:00-11:00 overlaps it.
    session = web_app.state.session_factory()
    try:
        specialist_id = session.scalar(
            sa.select(Specialist.id).where(Specialist.display_name == "Dr Demo Clinician")
        )
    finally:
        session.close()
    answer = client.post(
        "/schedule/sessions",
        data={
            "csrf_token": csrf_of(page.text),
            "specialist_id": str(specialist_id),
            "kind": "review",
            "mode": "phone",
            "weekday": "0",
            "start_local": "10:00",
            "end_local": "11:00",
            "slot_min": "20",
            "timezone": "UTC",
            "valid_from": "2026-06-01",
        },
    )
    assert answer.status_code == 422, answer.text
    assert 'aria-invalid="true"' in answer.text or 'id="form-error"' in answer.text
    unknown = client.post(
        "/schedule/sessions",
        data={
            "csrf_token": csrf_of(page.text),
            "specialist_id": str(specialist_id),
            "kind": "review",
            "mode": "phone",
            "weekday": "6",
            "start_local": "10:00",
            "end_local": "11:00",
            "slot_min": "20",
            "timezone": "Mars/Olympus",
            "valid_from": "2026-06-01",
        },
    )
    assert unknown.status_code == 422
    assert 'id="timezone-error"' in unknown.text
    assert "Mars/Olympus" in unknown.text


def test_leave_bad_time_refused_inline(as_role: AsRole) -> None:
    client = as_role("admin")
    page = client.get("/schedule/leave")
    answer = client.post(
        "/schedule/leave",
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "leave",
            "starts_at": "2026-13-01T09:00",
            "ends_at": "",
            "reason": "annual leave",
        },
    )
    assert answer.status_code == 422
    assert 'id="starts_at-error"' in answer.text
    assert 'id="ends_at-error"' in answer.text


def test_duplicate_room_refused_inline(as_role: AsRole) -> None:
    client = as_role("admin")
    page = client.get("/schedule/rooms")
    answer = client.post(
        "/schedule/rooms", data={"csrf_token": csrf_of(page.text), "name": "Consulting room 1"}
    )
    assert answer.status_code in (409, 422)
    assert 'id="name-error"' in answer.text


def test_portal_shows_only_own_appointments(as_role: AsRole, web_app: FastAPI) -> None:
    session = web_app.state.session_factory()
    try:
        own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
        mine = set(session.scalars(sa.select(Appointment.id).where(Appointment.patient_id == own)))
    finally:
        session.close()
    assert mine, "the demo patient has a seeded consultation"
    html = as_role("patient").get("/portal/appointments").text
    assert set(map(int, re.findall(r'data-appointment="(\d+)"', html))) == mine
    portal = as_role("patient").get("/portal").text
    assert 'hx-get="/portal/appointments"' in portal
    assert as_role("nurse").get("/portal/appointments").status_code == 403


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        ("admin", {"clinic", "tasks", "reviews", "requests", "reminders"}),
        ("nurse", {"clinic", "reviews", "requests", "reminders"}),
        ("clinician", {"clinic", "tasks", "reviews", "requests"}),
    ],
)
def test_worklists_per_role(as_role: AsRole, role: str, sections: set[str]) -> None:
    response = as_role(role).get("/worklists")
    assert response.status_code == 200, response.text
    assert set(re.findall(r'id="wl-(\w+)"', response.text)) == sections


@pytest.mark.parametrize("role", ["researcher", "auditor", "patient"])
def test_worklists_refused(as_role: AsRole, role: str) -> None:
    assert as_role(role).get("/worklists", follow_redirects=False).status_code == 403
