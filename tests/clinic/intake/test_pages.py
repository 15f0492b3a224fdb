"""The request pages: the public form's abuse limits (CSRF, honeypot, rate, size), inline
errors, the portal's form and the staff triage queue."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session
from tests.clinic.conftest import count
from tests.clinic.factories import make_patient, make_user
from tests.clinic.intake.conftest import MakeSession, next_monday_0900_utc

from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.config import Settings
from rhizo.clinic.intake import abuse
from rhizo.clinic.intake.models import ConsultationRequest, RequestSource, RequestStatus
from rhizo.clinic.schedule.models import Appointment
from rhizo.clinic.web import session as web_session
from rhizo.clinic.web.app import add_pages
from rhizo.clinic.web.intake import MAX_FORM_BYTES

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM = {
    "name": "Ann Example",
    "email": "ann@example.org",
    "region": "lumbar",
    "pain_for": "6",
    "pain_unit": "months",
    "preferred_days": ["monday", "friday"],
    "preferred_parts": "morning",
    "message": "Low back pain, worse standing.",
}


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    add_pages(app)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield client


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None, "no CSRF field"
    return match.group(1)


def _post_public(web: TestClient, **changes: Any) -> Any:
    page = web.get("/request-consultation")
    assert page.status_code == 200
    data = {**FORM, "csrf_token": _csrf(page.text), **changes}
    return web.post("/request-consultation", data=data)


SignIn = Callable[[User], str]


@pytest.fixture
def sign_in(web: TestClient, settings: Settings) -> SignIn:
    """Give ``web`` a session cookie for ``user`` (what a login sets); returns its CSRF."""

    def signed(user: User) -> str:
        serializer = URLSafeTimedSerializer(settings.secret, salt="rhizo.web.session")
        csrf = f"csrf-{user.id}"
        cookie = serializer.dumps(
            {"u": user.id, "r": user.role.value, "c": csrf, "e": user.session_epoch, "s": "full"}
        )
        web.cookies.set(web_session.SESSION_COOKIE, cookie)
        return csrf

    return signed


def _requests(session: Session) -> list[ConsultationRequest]:
    session.expire_all()
    return list(session.scalars(sa.select(ConsultationRequest).order_by(ConsultationRequest.id)))


def test_public_request_is_stored_without_login(web: TestClient, session: Session) -> None:
    response = _post_public(web)
    assert response.status_code == 200
    assert "Thank you" in response.text
    [row] = _requests(session)
    assert row.source is RequestSource.PUBLIC
    assert row.pain_weeks == pytest.approx(26.0)  # 6 months * 52 / 12
    assert row.preferred_days == ["monday", "friday"]
    assert f"R{row.id}" in response.text
    assert row.client_hash is not None
    assert "testclient" not in row.client_hash


def test_public_form_needs_its_csrf_token(web: TestClient, session: Session) -> None:
    web.get("/request-consultation")
    response = web.post("/request-consultation", data={**FORM, "csrf_token": "forged"})
    assert response.status_code == 403
    assert _requests(session) == []


def test_honeypot_is_answered_as_accepted_and_stores_nothing(
    web: TestClient, session: Session
) -> None:
    response = _post_public(web, **{abuse.HONEYPOT_FIELD: "http://spam.example"})
    assert response.status_code == 200
    assert "Thank you" in response.text
    assert _requests(session) == []


def test_fourth_request_in_an_hour_gets_429_with_retry_after_in_words(
    web: TestClient, session: Session
) -> None:
    for _ in range(abuse.MAX_PER_WINDOW):
        assert _post_public(web).status_code == 200
    refused = _post_public(web)
    assert refused.status_code == 429
    wait_s = int(refused.headers["Retry-After"])
    assert 3500 < wait_s <= 3600
    assert "try again in 60 minutes" in refused.text
    assert len(_requests(session)) == abuse.MAX_PER_WINDOW


def test_oversized_form_is_refused_with_413(web: TestClient, session: Session) -> None:
    response = _post_public(web, message="x" * (MAX_FORM_BYTES + 1))
    assert response.status_code == 413
    assert _requests(session) == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"email": "", "phone": ""}, "email", "e-mail address or a phone number"),
        ({"email": "not-an-address"}, "email", "string should match pattern"),
        ({"phone": "12"}, "phone", "is not a phone number"),
        ({"region": "knee"}, "region", "input should be"),
        ({"pain_for": "a while"}, "pain_for", "enter a number"),
        ({"message": "x" * 2001}, "message", "at most 2000 characters"),
    ],
)
def test_bad_input_is_shown_inline_on_its_field(
    web: TestClient, session: Session, changes: dict[str, str], field: str, words: str
) -> None:
    response = _post_public(web, **changes)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', response.text)
    assert error is not None, response.text
    assert words in error.group(1).lower()
    assert _requests(session) == []


def test_login_page_links_to_the_public_form(web: TestClient) -> None:
    assert 'href="/request-consultation"' in web.get("/login").text


def test_portal_request_is_the_patients_own(
    web: TestClient, session: Session, sign_in: SignIn
) -> None:
    user = make_user(session, Role.PATIENT)
    patient = make_patient(session, user_id=user.id)
    csrf = sign_in(user)
    assert 'href="/portal/request"' in web.get("/portal").text
    page = web.get("/portal/request")
    assert page.status_code == 200
    bad = web.post("/portal/request", data={**FORM, "region": "", "csrf_token": csrf})
    assert bad.status_code == 422
    assert 'id="region-error"' in bad.text
    sent = web.post("/portal/request", data={**FORM, "csrf_token": csrf}, follow_redirects=False)
    assert sent.status_code == 303
    [row] = _requests(session)
    assert row.source is RequestSource.PORTAL
    assert row.patient_id == patient.id
    assert 'data-status="new"' in web.get("/portal/request").text


def test_staff_queue_books_a_free_slot_and_declines_with_reason(
    web: TestClient, session: Session, sign_in: SignIn, make_clinic_session: MakeSession
) -> None:
    clinic_session = make_clinic_session()
    assert _post_public(web).status_code == 200
    assert _post_public(web, name="Bea Second").status_code == 200
    first, second = _requests(session)
    patient = make_patient(session)
    csrf = sign_in(make_user(session, Role.NURSE))
    queue = web.get("/requests")
    assert queue.status_code == 200
    ids = re.findall(r'\bid="([^"]+)"', queue.text)
    assert len(ids) == len(set(ids)), "element ids are unique with two requests open"
    slot = f"{clinic_session.id}|{next_monday_0900_utc().isoformat()}"
    assert f'value="{slot}"' in queue.text
    no_slot = web.post(
        f"/requests/{first.id}/accept",
        data={"csrf_token": csrf, "version": first.version, "patient_id": patient.id},
    )
    assert no_slot.status_code == 422
    assert f'id="slot-{first.id}-error"' in no_slot.text
    booked = web.post(
        f"/requests/{first.id}/accept",
        data={"csrf_token": csrf, "version": first.version, "slot": slot, "patient_id": patient.id},
        follow_redirects=False,
    )
    assert booked.status_code == 303, booked.text
    short = web.post(
        f"/requests/{second.id}/decline",
        data={"csrf_token": csrf, "version": second.version, "reason": "no"},
    )
    assert short.status_code == 422
    assert f'id="reason-{second.id}-error"' in short.text
    declined = web.post(
        f"/requests/{second.id}/decline",
        data={"csrf_token": csrf, "version": second.version, "reason": "Hip pain: see your GP."},
        follow_redirects=False,
    )
    assert declined.status_code == 303
    first_now, second_now = _requests(session)
    assert first_now.status is RequestStatus.BOOKED
    assert second_now.status is RequestStatus.DECLINED
    assert count(session, Appointment, Appointment.patient_id == patient.id) == 1
    assert 'id="no-requests"' in web.get("/requests").text


@pytest.mark.parametrize("role", [Role.PATIENT, Role.RESEARCHER, Role.AUDITOR])
def test_queue_is_triage_staff_only(
    web: TestClient, session: Session, sign_in: SignIn, role: Role
) -> None:
    sign_in(make_user(session, role))
    assert web.get("/requests").status_code == 403


def test_queue_needs_a_login(web: TestClient) -> None:
    response = web.get("/requests", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
