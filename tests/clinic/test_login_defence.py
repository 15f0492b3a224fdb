"""Login defence: throttling and lockout, the verification bound, password policy,
self-service password change, TOTP (admins must enrol), audited logout, separate keys.

References, each independent of the code under test: the back-off schedule is
written out by hand from the rule in rhizo.clinic.core.auth.throttle's docstring;
TOTP codes are checked against the RFC 6238 appendix B test vectors and made
in the tests by a second implementation of RFC 4226 (hmac + dynamic
truncation), never by pyotp; pseudonyms by hmac directly.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import struct
import time
from base64 import b32decode
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.orm import Session
from tests.clinic.conftest import TEST_SECRET, TestClient
from tests.clinic.factories import PASSWORD, make_patient, make_user

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth import login as login_module
from rhizo.clinic.core.auth import throttle, totp
from rhizo.clinic.core.auth.models import LoginThrottle, Role, User
from rhizo.clinic.core.auth.passwords import password_problem
from rhizo.clinic.core.auth.security import VerificationSlots
from rhizo.clinic.core.auth.views import verification_slots
from rhizo.clinic.core.config import Settings
from rhizo.clinic.research.service import research_id

Headers = dict[str, str]
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a URL


class Clock:
    """A settable ``utcnow`` for the login module (no sleeping in tests)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(login_module, "utcnow", fake)
    return fake


def _attempt(client: TestClient, username: str, password: str, **extra: str) -> int:
    response = client.post(TOKEN_URL, data={"username": username, "password": password, **extra})
    return response.status_code


def _failed_logins(session: Session, username: str) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == AuditAction.FAILED_LOGIN,
                AuditEvent.actor_username == username,
            )
        )
        or 0
    )


# --- the schedule -------------------------------------------------------------


def test_the_back_off_schedule_is_the_documented_one() -> None:
    # Hand-written from the docstring: 5 free, then 1, 2, 4, 8, 16 s, then 15 minutes.
    account = [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 900, 900, 900]
    assert [throttle.ACCOUNT.wait_s(n) for n in range(len(account))] == account
    address = [0] * 20 + [2**k for k in range(10)] + [900, 900]
    assert [throttle.ADDRESS.wait_s(n) for n in range(len(address))] == address


# --- throttling and lockout through the API -------------------------------------


def test_150_wrong_passwords_check_five_and_refuse_the_rest_with_retry_after(
    client: TestClient, session: Session, clock: Clock
) -> None:
    nurse = make_user(session, Role.NURSE)
    codes = [_attempt(client, nurse.username, f"wrong guess {i}") for i in range(150)]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429] * 145
    # Only the five checked attempts were verified, counted and audited.
    assert _failed_logins(session, nurse.username) == 5
    response = client.post(TOKEN_URL, data={"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 429  # even the right password waits its turn
    assert response.headers["Retry-After"] == "1"
    assert "account" in response.json()["detail"]


def test_lockout_after_ten_failures_lasts_fifteen_minutes(
    client: TestClient, session: Session, clock: Clock
) -> None:
    nurse = make_user(session, Role.NURSE)
    for failure in range(1, 11):
        assert _attempt(client, nurse.username, "not the password") == 401
        if failure < 10:
            clock.advance(throttle.ACCOUNT.wait_s(failure) + 0.5)
    clock.advance(60)
    locked = client.post(TOKEN_URL, data={"username": nurse.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 840
    clock.advance(841)
    assert _attempt(client, nurse.username, PASSWORD) == 200
    # The success cleared the account: five free failures again.
    assert [_attempt(client, nurse.username, "nope") for _ in range(5)] == [401] * 5
    row = session.get(LoginThrottle, throttle.account_key(nurse.username))
    assert row is not None
    assert row.failures == 5
    locks = session.scalars(
        sa.select(AuditEvent.details).where(
            AuditEvent.action == AuditAction.FAILED_LOGIN,
            AuditEvent.actor_username == nurse.username,
        )
    ).all()
    assert locks[9]["throttled_s"]["account"] == 900.0


def test_unknown_usernames_are_throttled_like_real_ones(
    client: TestClient, session: Session, clock: Clock
) -> None:
    codes = [_attempt(client, "no-such-user", "guess") for _ in range(7)]
    assert codes == [401] * 5 + [429] * 2


def test_an_address_is_throttled_across_usernames(
    client: TestClient, session: Session, clock: Clock
) -> None:
    nurse = make_user(session, Role.NURSE)
    codes = [_attempt(client, f"spray{i}", "Winter2026!") for i in range(20)]
    assert codes == [401] * 20
    refused = client.post(TOKEN_URL, data={"username": nurse.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert "address" in refused.json()["detail"]
    clock.advance(1.5)
    assert _attempt(client, nurse.username, PASSWORD) == 200


def test_an_admin_unlocks_an_account_at_once(
    client: TestClient, session: Session, clock: Clock, token_for: Callable[[User], Headers]
) -> None:
    nurse = make_user(session, Role.NURSE)
    for _ in range(6):
        _attempt(client, nurse.username, "wrong")
    assert _attempt(client, nurse.username, PASSWORD) == 429
    clinician = token_for(make_user(session, Role.CLINICIAN))
    assert client.post(f"/api/v1/users/{nurse.id}/unlock", headers=clinician).status_code == 403
    admin_user = make_user(session, Role.ADMIN)
    unlocked = client.post(f"/api/v1/users/{nurse.id}/unlock", headers=token_for(admin_user))
    assert unlocked.status_code == 200
    assert _attempt(client, nurse.username, PASSWORD) == 200
    audit = session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.actor_id == admin_user.id, AuditEvent.entity_type == "user"
        )
    ).one()
    assert audit.details == {"fields": ["lockout"], "had_failures": True}


def test_a_busy_verifier_refuses_at_once_and_counts_nothing(
    app: FastAPI, client: TestClient, session: Session, clock: Clock
) -> None:
    nurse = make_user(session, Role.NURSE)
    app.state.login_slots = VerificationSlots(1)
    with app.state.login_slots.hold():  # another login holds the only slot
        started = time.perf_counter()
        busy = client.post(TOKEN_URL, data={"username": nurse.username, "password": PASSWORD})
        assert time.perf_counter() - started < 5  # refused, not queued
    assert busy.status_code == 429
    assert busy.headers["Retry-After"] == "1"
    assert "busy" in busy.json()["detail"]
    assert session.get(LoginThrottle, throttle.account_key(nurse.username)) is None
    assert _attempt(client, nurse.username, PASSWORD) == 200


def test_the_slots_bound_concurrency() -> None:
    slots = VerificationSlots(2)
    with slots.hold(), slots.hold(), pytest.raises(login_module.LoginBusy), slots.hold():
        pass  # the third one is refused
    with slots.hold():
        pass  # released again
    with pytest.raises(ValueError, match="at least 1"):
        VerificationSlots(0)


def test_the_app_sizes_its_slots_from_the_settings(app: FastAPI) -> None:
    class _Request:
        def __init__(self, app: FastAPI) -> None:
            self.app = app

    slots = verification_slots(_Request(app))  # type: ignore[arg-type]
    assert slots.size == app.state.settings.login_concurrency >= 1
    assert verification_slots(_Request(app)) is slots  # type: ignore[arg-type]


# --- password policy ------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "needle"),
    [
        ("password1234", "too easy to guess"),
        ("a" * 12, "too easy to guess"),
        ("qwertyuiop12", "too easy to guess"),
        ("short", "at least 12 characters"),
    ],
)
def test_weak_passwords_are_refused_for_every_role(
    client: TestClient,
    session: Session,
    token_for: Callable[[User], Headers],
    password: str,
    needle: str,
) -> None:
    admin = token_for(make_user(session, Role.ADMIN))
    for n, role in enumerate(("admin", "nurse")):
        body = {"username": f"weak-{role}-{n}", "password": password, "role": role}
        response = client.post("/api/v1/users", headers=admin, json=body)
        assert response.status_code == 422, response.text
        (problem,) = response.json()["detail"]
        assert problem["field"] == "password"
        assert needle in problem["message"]
        assert password not in problem["message"]


def test_a_passphrase_is_accepted_and_names_count_as_known_words() -> None:
    assert password_problem("correct horse battery staple") is None
    assert password_problem("marigold2026") is None
    assert password_problem("marigold2026", "marigold") is not None  # the username


def test_an_admin_reset_to_a_weak_password_is_refused(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    admin = token_for(make_user(session, Role.ADMIN))
    nurse = make_user(session, Role.NURSE, username="marigold")
    body: dict[str, object] = {"password": "marigold2026"}
    version = client.get(f"/api/v1/users/{nurse.id}", headers=admin).json().get("version")
    if version is not None:
        body["version"] = version
    response = client.patch(f"/api/v1/users/{nurse.id}", headers=admin, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "password"


# --- self-service password change -----------------------------------------------


def _token(client: TestClient, username: str, password: str, **extra: str) -> Headers:
    response = client.post(TOKEN_URL, data={"username": username, "password": password, **extra})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_password_change_needs_the_current_one_and_ends_other_sessions(
    client: TestClient, session: Session, clock: Clock
) -> None:
    nurse = make_user(session, Role.NURSE)
    phone = _token(client, nurse.username, PASSWORD)
    laptop = _token(client, nurse.username, PASSWORD)
    new = "lantern orchard velvet"
    wrong = client.post(
        "/api/v1/auth/password",
        headers=laptop,
        json={"current_password": "not it at all", "new_password": new},
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["field"] == "current_password"
    weak = client.post(
        "/api/v1/auth/password",
        headers=laptop,
        json={"current_password": PASSWORD, "new_password": "password1234"},
    )
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["field"] == "new_password"
    changed = client.post(
        "/api/v1/auth/password",
        headers=laptop,
        json={"current_password": PASSWORD, "new_password": new},
    )
    assert changed.status_code == 200, changed.text
    renewed = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=renewed).status_code == 200
    assert client.get("/api/v1/auth/me", headers=phone).status_code == 401
    assert client.get("/api/v1/auth/me", headers=laptop).status_code == 401
    assert _attempt(client, nurse.username, PASSWORD) == 401
    assert _attempt(client, nurse.username, new) == 200


# --- TOTP -----------------------------------------------------------------------


def hotp(secret_b32: str, counter: int, digits: int = 6) -> str:
    """RFC 4226 section 5.3, written out independently of pyotp."""
    key = b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def code_now(secret: str, steps_ahead: int = 0) -> str:
    return hotp(secret, int(time.time() // 30) + steps_ahead)


@pytest.mark.parametrize(
    ("at_s", "rfc_code"),
    # RFC 6238 appendix B, SHA1 rows (8 digits; a 6-digit code is the last six).
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_codes_match_the_rfc_6238_vectors(at_s: int, rfc_code: str) -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - b"12345678901234567890"
    assert totp.code_at(secret, at_s) == rfc_code[-6:]
    assert hotp(secret, at_s // 30, digits=8) == rfc_code  # the reference itself


def test_a_code_is_accepted_once_and_only_near_its_time() -> None:
    secret = totp.new_secret()
    now = 1_800_000_015.0
    step = int(now // 30)
    assert totp.accepted_step(secret, hotp(secret, step), last_step=None, now_s=now) == step
    assert totp.accepted_step(secret, hotp(secret, step + 1), last_step=None, now_s=now) == step + 1
    assert totp.accepted_step(secret, hotp(secret, step + 2), last_step=None, now_s=now) is None
    assert totp.accepted_step(secret, hotp(secret, step - 2), last_step=None, now_s=now) is None
    assert totp.accepted_step(secret, hotp(secret, step), last_step=step, now_s=now) is None
    assert totp.accepted_step(secret, "12345", last_step=None, now_s=now) is None


def test_an_admin_must_enrol_totp_before_anything_else(
    client: TestClient, session: Session, clock: Clock
) -> None:
    admin = make_user(session, Role.ADMIN)
    make_patient(session)
    first = client.post(TOKEN_URL, data={"username": admin.username, "password": PASSWORD})
    assert first.status_code == 200
    assert first.json()["stage"] == "enrol"
    enrolling = {"Authorization": f"Bearer {first.json()['access_token']}"}
    for url in ("/api/v1/patients", "/api/v1/users", "/api/v1/audit"):
        refused = client.get(url, headers=enrolling)
        assert refused.status_code == 403, url
        assert "enrol a second factor first" in refused.json()["detail"]
    me = client.get("/api/v1/auth/me", headers=enrolling).json()
    assert me["must_enrol_totp"] is True
    assert me["totp_enrolled"] is False

    started = client.post("/api/v1/auth/totp/enrol", headers=enrolling).json()
    secret = started["secret"]
    assert started["otpauth_uri"].startswith("otpauth://totp/rhizo:")
    assert f"secret={secret}" in started["otpauth_uri"]
    bad = client.post(
        "/api/v1/auth/totp/confirm", headers=enrolling, json={"code": hotp(secret, 1)}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "code"
    confirmed = client.post(
        "/api/v1/auth/totp/confirm", headers=enrolling, json={"code": code_now(secret)}
    )
    assert confirmed.status_code == 200, confirmed.text
    full = {"Authorization": f"Bearer {confirmed.json()['access_token']}"}
    assert client.get("/api/v1/patients", headers=full).status_code == 200
    assert client.get("/api/v1/auth/me", headers=enrolling).status_code == 401  # ended

    # From now on the password alone is not enough, and a code works once.
    needs = client.post(TOKEN_URL, data={"username": admin.username, "password": PASSWORD})
    assert needs.status_code == 401
    assert "one-time code required" in needs.json()["detail"]
    code = code_now(secret, steps_ahead=1)
    ok = client.post(
        TOKEN_URL, data={"username": admin.username, "password": PASSWORD, "totp_code": code}
    )
    assert ok.status_code == 200
    assert ok.json()["stage"] == "full"
    replay = client.post(
        TOKEN_URL, data={"username": admin.username, "password": PASSWORD, "totp_code": code}
    )
    assert replay.status_code == 401
    assert _failed_logins(session, admin.username) == 1  # the replay counted as a failure
    again = client.post("/api/v1/auth/totp/enrol", headers=full)
    assert again.status_code == 409


def test_a_nurse_may_enrol_and_an_admin_resets_a_lost_factor(
    client: TestClient, session: Session, clock: Clock, token_for: Callable[[User], Headers]
) -> None:
    nurse = make_user(session, Role.NURSE)
    first = _token(client, nurse.username, PASSWORD)  # no second factor needed
    assert client.get("/api/v1/patients", headers=first).status_code == 200
    secret = client.post("/api/v1/auth/totp/enrol", headers=first).json()["secret"]
    client.post("/api/v1/auth/totp/confirm", headers=first, json={"code": code_now(secret)})
    assert _attempt(client, nurse.username, PASSWORD) == 401
    wrong = _attempt(client, nurse.username, PASSWORD, totp_code="000000")
    assert wrong in (200, 401)  # 000000 is, rarely, the right code
    admin = token_for(make_user(session, Role.ADMIN))
    reset = client.post(f"/api/v1/users/{nurse.id}/totp/reset", headers=admin)
    assert reset.status_code == 200
    assert reset.json()["totp_enrolled"] is False
    assert _attempt(client, nurse.username, PASSWORD) == 200


def test_a_malformed_code_is_a_422_naming_the_field(client: TestClient, session: Session) -> None:
    nurse = make_user(session, Role.NURSE)
    response = client.post(
        TOKEN_URL, data={"username": nurse.username, "password": PASSWORD, "totp_code": "12ab"}
    )
    assert response.status_code == 422
    assert "totp_code" in response.text


# --- logout ---------------------------------------------------------------------


def test_logout_ends_every_token_and_is_audited(
    client: TestClient, session: Session, clock: Clock
) -> None:
    nurse = make_user(session, Role.NURSE)
    one = _token(client, nurse.username, PASSWORD)
    two = _token(client, nurse.username, PASSWORD)
    assert client.post("/api/v1/auth/logout", headers=one).status_code == 204
    assert client.get("/api/v1/auth/me", headers=one).status_code == 401
    assert client.get("/api/v1/auth/me", headers=two).status_code == 401
    row = session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.actor_id == nurse.id, AuditEvent.action == AuditAction.UPDATE
        )
    ).one()
    assert row.details == {"fields": ["sessions"], "event": "logout"}


# --- keys -----------------------------------------------------------------------


STRONG_SIGNING = "signing-key-for-the-tests-0123456789abcdef"
STRONG_PSEUDONYM = "pseudonym-key-for-the-tests-0123456789abcdef"


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"pseudonym_key": None}, "RHIZO_PSEUDONYM_KEY is not set"),
        ({"pseudonym_key": "x"}, "RHIZO_PSEUDONYM_KEY is a well-known default"),
        ({"secret_key": "x" * 48}, "RHIZO_SECRET_KEY has fewer than 8 different characters"),
        ({"secret_key": "short-but-random"}, "RHIZO_SECRET_KEY is shorter than 32"),
        ({"pseudonym_key": STRONG_SIGNING}, "RHIZO_PSEUDONYM_KEY equals RHIZO_SECRET_KEY"),
        ({"admin_totp_required": False}, "RHIZO_ADMIN_TOTP_REQUIRED=false is refused"),
    ],
)
def test_production_refuses_missing_weak_or_shared_keys(
    changes: dict[str, object], needle: str
) -> None:
    values: dict[str, object] = {
        "env": "production",
        "secret_key": STRONG_SIGNING,
        "pseudonym_key": STRONG_PSEUDONYM,
        "database_url": "sqlite://",
    }
    with pytest.raises(ValidationError, match=needle):
        Settings(**(values | changes))  # type: ignore[arg-type]
    assert Settings(**values).pseudonym_secret == STRONG_PSEUDONYM  # type: ignore[arg-type]


def test_development_warns_loudly_about_a_weak_key(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rhizo.config"):
        settings = Settings(env="development", secret_key="x", database_url="sqlite://")  # noqa: S106
    assert settings.secret == "x"  # noqa: S105 - accepted in development, with the warning
    assert "WEAK KEY: RHIZO_SECRET_KEY is a well-known default" in caplog.text
    assert len(settings.pseudonym_secret) >= 32  # made up for the process
    assert settings.pseudonym_secret != settings.secret


def test_pseudonyms_use_their_own_key_not_the_signing_key(
    client: TestClient, session: Session, settings: Settings, token_for: Callable[[User], Headers]
) -> None:
    patient = make_patient(session)
    researcher = token_for(make_user(session, Role.RESEARCHER))
    cases = client.get("/api/v1/research/cases?limit=200", headers=researcher).json()["items"]
    expected = hmac.new(
        settings.pseudonym_secret.encode(), f"patient:{patient.id}".encode(), hashlib.sha256
    ).hexdigest()[:20]
    assert expected in {case["research_id"] for case in cases}
    assert research_id(patient.id, TEST_SECRET) != expected  # the signing key is not used


# --- the login gate -------------------------------------------------------------


def test_the_gate_refuses_logins_beyond_its_limit_at_once() -> None:
    import asyncio

    from rhizo.clinic.core.auth.gate import LoginGateMiddleware

    release = asyncio.Event()

    async def slow_login(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    gate = LoginGateMiddleware(slow_login, limit=1, hold_s=0.01)

    async def call(path: str, method: str = "POST") -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": method, "path": path, "headers": []}
        await gate(scope, None, send)  # type: ignore[arg-type]
        return sent

    async def scenario() -> None:
        first = asyncio.create_task(call("/api/v1/auth/token"))
        await asyncio.sleep(0)
        assert gate.in_flight == 1
        refused = await asyncio.wait_for(call("/login"), timeout=1)
        assert refused[0]["status"] == 429
        assert (b"retry-after", b"1") in refused[0]["headers"]
        other = asyncio.create_task(call("/api/v1/patients", method="GET"))
        await asyncio.sleep(0)
        assert not other.done()  # other paths are never gated (it waits on the app)
        release.set()
        assert (await first)[0]["status"] == 401
        await other
        assert gate.in_flight == 0

    asyncio.run(scenario())


# --- the web pages --------------------------------------------------------------


@pytest.fixture
def web(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Any]]:
    from rhizo.clinic.core import migrate
    from rhizo.clinic.core.database import create_db_engine, create_session_factory
    from rhizo.clinic.web.app import create_web_app

    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(
        env="test", secret_key=STRONG_SIGNING, pseudonym_key=STRONG_PSEUDONYM, database_url=url
    )
    engine = create_db_engine(url)
    factory = create_session_factory(engine)
    app = create_web_app(settings, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, factory
    engine.dispose()


def _csrf(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _web_login(client: TestClient, username: str, password: str) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )


def test_web_admin_is_sent_to_enrol_and_then_asked_for_codes(
    web: tuple[TestClient, Any],
) -> None:
    client, factory = web
    with factory() as session:
        admin = make_user(session, Role.ADMIN)
        username = admin.username
    first = _web_login(client, username, PASSWORD)
    assert first.status_code == 303
    assert first.headers["location"] == "/account/totp"
    for page in ("/patients", "/planner", "/"):
        blocked = client.get(page, follow_redirects=False)
        assert blocked.status_code == 303, page
        assert blocked.headers["location"] == "/account/totp"
    page = client.get("/account/totp")
    assert "must enrol a second factor" in page.text
    started = client.post("/account/totp/start", data={"csrf_token": _csrf(page.text)})
    assert started.status_code == 200
    assert "<svg" in started.text  # the QR code
    secret = started.text.split('<code class="secret">')[1].split("<")[0]
    wrong = client.post(
        "/account/totp/confirm", data={"csrf_token": _csrf(started.text), "code": "12345"}
    )
    assert wrong.status_code == 422
    assert 'id="code-error"' in wrong.text
    done = client.post(
        "/account/totp/confirm",
        data={"csrf_token": _csrf(started.text), "code": code_now(secret)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/patients", follow_redirects=False).status_code == 200

    logout = client.post("/logout", data={"csrf_token": _csrf(client.get("/account").text)})
    assert logout.status_code == 200
    step = _web_login(client, username, PASSWORD)
    assert step.status_code == 200
    assert 'action="/login/totp"' in step.text
    bad = client.post(
        "/login/totp", data={"csrf_token": _csrf(step.text), "code": "000000", "next": "/"}
    )
    assert bad.status_code in (303, 401)  # 000000 is, rarely, the right code
    if bad.status_code == 401:
        good = client.post(
            "/login/totp",
            data={"csrf_token": _csrf(bad.text), "code": code_now(secret, 1), "next": "/"},
            follow_redirects=False,
        )
        assert good.status_code == 303
    assert client.get("/patients", follow_redirects=False).status_code == 200
    with factory() as session:
        actions = session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.actor_username == username)
        ).all()
    assert AuditAction.LOGIN in actions
    assert AuditAction.UPDATE in actions  # the enrolment and the logout


def test_web_login_is_throttled_with_retry_after(web: tuple[TestClient, Any], clock: Clock) -> None:
    client, factory = web
    with factory() as session:
        nurse = make_user(session, Role.NURSE)
        username = nurse.username
    codes = [_web_login(client, username, "wrong").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    refused = _web_login(client, username, PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many failed attempts for this account" in refused.text


def test_web_password_change_renews_this_session_and_ends_the_others(
    web: tuple[TestClient, Any],
) -> None:
    client, factory = web
    with factory() as session:
        nurse = make_user(session, Role.NURSE)
        username = nurse.username
    assert _web_login(client, username, PASSWORD).status_code == 303
    other = TestClient(client.app, raise_server_exceptions=False)
    assert _web_login(other, username, PASSWORD).status_code == 303
    page = client.get("/account")
    mismatch = client.post(
        "/account/password",
        data={
            "csrf_token": _csrf(page.text),
            "current_password": PASSWORD,
            "new_password": "lantern orchard velvet",
            "confirm_password": "lantern orchard velvets",
        },
    )
    assert mismatch.status_code == 422
    assert 'id="confirm_password-error"' in mismatch.text
    weak = client.post(
        "/account/password",
        data={
            "csrf_token": _csrf(page.text),
            "current_password": PASSWORD,
            "new_password": "password1234",
            "confirm_password": "password1234",
        },
    )
    assert weak.status_code == 422
    assert 'id="new_password-error"' in weak.text
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": _csrf(page.text),
            "current_password": PASSWORD,
            "new_password": "lantern orchard velvet",
            "confirm_password": "lantern orchard velvet",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert client.get("/account").status_code == 200  # this session goes on
    assert "Password changed" in client.get("/account?changed=1").text
    assert other.get("/patients", follow_redirects=False).status_code == 303  # -> login


# --- the CLI --------------------------------------------------------------------


def test_cli_refuses_a_weak_password_and_unlocks_a_user(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    from rhizo.cli import main
    from rhizo.clinic.core.database import create_db_engine, create_session_factory

    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("password1234\n"))
    assert main(["user", "add", "root", "--role", "admin", "--db", db]) == 2
    err = capsys.readouterr().err
    assert "password: refused" in err
    assert "too easy to guess" in err
    assert "password1234" not in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("quartz meadow lantern\n"))
    assert main(["user", "add", "root", "--role", "admin", "--db", db]) == 0
    engine = create_db_engine(db)
    try:
        with create_session_factory(engine)() as session:
            now = datetime.now(UTC)
            for _ in range(10):
                throttle.record_failure(
                    session=session,
                    key=throttle.account_key("root"),
                    schedule=throttle.ACCOUNT,
                    now=now,
                )
            session.commit()
            with pytest.raises(throttle.LoginThrottled):
                throttle.check(session=session, keys=[throttle.account_key("root")], now=now)
        capsys.readouterr()
        assert main(["user", "unlock", "root", "--db", db]) == 0
        assert "failed logins cleared" in capsys.readouterr().out
        with create_session_factory(engine)() as session:
            throttle.check(session=session, keys=[throttle.account_key("root")], now=now)
            assert session.get(LoginThrottle, throttle.account_key("root")) is None
        assert main(["user", "unlock", "ghost", "--db", db]) == 2
        assert "USERNAME: 'ghost'" in capsys.readouterr().err
    finally:
        engine.dispose()
