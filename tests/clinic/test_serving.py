"""Production serving: one set of security headers on API and pages, trusted proxies only,
HSTS over HTTPS, refused and not-found attempts audited, and ``rhizo serve``'s checks.

References: the header values are those named in docs/security.md (OWASP Secure
Headers Project); X-Forwarded-For is read right to left, skipping trusted
hops (as uvicorn's ProxyHeadersMiddleware and MDN's X-Forwarded-For page
describe); the TLS test talks real HTTPS to a ``rhizo serve`` process with a
certificate made by ``openssl``.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.clinic.conftest import count
from tests.clinic.factories import make_patient, make_user

from rhizo.cli import main
from rhizo.clinic.core import migrate
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.deps import get_session
from rhizo.clinic.core.headers import CONTENT_SECURITY_POLICY, HSTS, PERMISSIONS_POLICY
from rhizo.clinic.core.proxy import ProxySettings, forwarded_client, parse_trusted_proxies
from rhizo.clinic.web.app import create_web_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

Headers = Callable[[User], dict[str, str]]
PROXY = "10.1.2.3"


@pytest.fixture
def web(engine: Engine, session: Session, settings: Settings) -> FastAPI:
    """API and pages on one app, the proxy at :data:`PROXY` trusted."""
    app = create_web_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    return app


def _client(app: FastAPI, peer: str = "192.0.2.10") -> TestClient:
    return TestClient(app, client=(peer, 40000), raise_server_exceptions=False)


def _rebuild(app: FastAPI, trusted: str) -> FastAPI:
    # The middleware stack reads ProxySettings when the app is built.
    from rhizo.clinic.api import create_app
    from rhizo.clinic.web.app import add_pages

    rebuilt = create_app(
        app.state.settings, engine=app.state.engine, proxies=ProxySettings(trusted_proxies=trusted)
    )
    rebuilt.dependency_overrides = app.dependency_overrides
    return add_pages(rebuilt)


def _audit_rows(session: Session, *where: sa.ColumnElement[bool]) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent).where(*where).order_by(AuditEvent.id)))


# -- headers ------------------------------------------------------------------------------


def test_api_and_pages_carry_the_same_headers_and_no_store(
    web: FastAPI, session: Session, token_for: Headers
) -> None:
    clinician = make_user(session, Role.CLINICIAN)
    patient = make_patient(session)
    client = _client(web)
    api = client.get(f"/api/v1/patients/{patient.id}", headers=token_for(clinician))
    page = client.get("/login")
    missing = client.get("/api/v1/patients/99999999", headers=token_for(clinician))
    for response in (api, page, missing):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["permissions-policy"] == PERMISSIONS_POLICY
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers  # plain HTTP
    assert api.status_code == 200
    assert missing.status_code == 404
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    static = client.get("/static/rhizo.css")  # no patient data: a browser may cache it
    assert static.status_code == 200
    assert "cache-control" not in static.headers
    assert static.headers["x-content-type-options"] == "nosniff"


def test_hsts_only_over_https_from_a_trusted_proxy(web: FastAPI) -> None:
    app = _rebuild(web, PROXY)
    forwarded = {"X-Forwarded-Proto": "https"}
    via_proxy = _client(app, PROXY).get("/login", headers=forwarded)
    assert via_proxy.headers["strict-transport-security"] == HSTS
    spoofed = _client(app, "192.0.2.99").get("/login", headers=forwarded)
    assert "strict-transport-security" not in spoofed.headers
    direct_tls = TestClient(app, base_url="https://testserver").get("/login")
    assert direct_tls.headers["strict-transport-security"] == HSTS


# -- trusted proxies ----------------------------------------------------------------------


def test_forwarded_for_is_read_right_to_left_skipping_trusted_hops() -> None:
    trusted = parse_trusted_proxies("10.0.0.0/8, ::1")
    assert forwarded_client("203.0.113.7", trusted) == "203.0.113.7"
    # the client's own claim (left) is not believed past an untrusted hop
    assert forwarded_client("1.1.1.1, 203.0.113.7, 10.0.0.2", trusted) == "203.0.113.7"
    assert forwarded_client("10.0.0.9, 10.0.0.2", trusted) == "10.0.0.9"
    assert forwarded_client("::ffff:203.0.113.8", trusted) == "203.0.113.8"
    assert forwarded_client("unknown, 10.0.0.2", trusted) is None
    assert parse_trusted_proxies("") == ()
    with pytest.raises(ValueError, match=r"RHIZO_TRUSTED_PROXIES: 'proxy\.local'"):
        parse_trusted_proxies("127.0.0.1, proxy.local")


def test_the_audit_ip_honours_forwarded_for_only_from_a_trusted_proxy(
    web: FastAPI, session: Session, token_for: Headers
) -> None:
    app = _rebuild(web, PROXY)
    clinician = make_user(session, Role.CLINICIAN)
    patient = make_patient(session)
    headers = {**token_for(clinician), "X-Forwarded-For": "203.0.113.50"}
    path = f"/api/v1/patients/{patient.id}"
    assert _client(app, "192.0.2.77").get(path, headers=headers).status_code == 200
    assert _client(app, PROXY).get(path, headers=headers).status_code == 200
    reads = _audit_rows(
        session, AuditEvent.patient_id == patient.id, AuditEvent.action == AuditAction.READ
    )
    assert [row.ip for row in reads] == ["192.0.2.77", "203.0.113.50"]


def test_trusted_proxies_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RHIZO_TRUSTED_PROXIES", "10.0.0.1,not-an-ip")
    with pytest.raises(ValueError, match="not-an-ip"):
        ProxySettings()
    monkeypatch.delenv("RHIZO_TRUSTED_PROXIES")
    assert [str(n) for n in ProxySettings().networks] == ["127.0.0.1/32", "::1/128"]


# -- audited attempts ---------------------------------------------------------------------


def test_refused_and_missing_patient_records_leave_audit_rows(
    web: FastAPI, session: Session, token_for: Headers
) -> None:
    own = make_patient(session)
    other = make_patient(session)
    patient_user = make_user(session, Role.PATIENT)
    own.user_id = patient_user.id
    session.commit()
    clinician = make_user(session, Role.CLINICIAN)
    client = _client(web)

    refused = client.get(f"/api/v1/patients/{other.id}", headers=token_for(patient_user))
    assert refused.status_code == 403
    missing = client.get("/api/v1/patients/98765432/followups", headers=token_for(clinician))
    assert missing.status_code == 404

    (denied,) = _audit_rows(session, AuditEvent.action == AuditAction.DENIED)
    assert (denied.actor_id, denied.patient_id, denied.ip) == (
        patient_user.id,
        other.id,
        "192.0.2.10",
    )
    assert denied.details == {
        "method": "GET",
        "path": f"/api/v1/patients/{other.id}",
        "status": 403,
    }
    (not_found,) = _audit_rows(session, AuditEvent.action == AuditAction.NOT_FOUND)
    assert (not_found.actor_id, not_found.patient_id) == (clinician.id, 98765432)
    assert (not_found.entity_type, not_found.entity_id) == ("patient", "98765432")


def test_reading_the_audit_log_and_listing_users_are_audited(
    web: FastAPI, session: Session, token_for: Headers
) -> None:
    auditor = make_user(session, Role.AUDITOR)
    admin = make_user(session, Role.ADMIN)
    client = _client(web)
    assert client.get("/api/v1/audit?patient_id=5", headers=token_for(auditor)).status_code == 200
    (read,) = _audit_rows(session, AuditEvent.entity_type == "audit_log")
    assert (read.actor_id, read.action, read.patient_id) == (auditor.id, AuditAction.READ, 5)
    assert read.details["filters"] == {"patient_id": 5}
    users = client.get("/api/v1/users", headers=token_for(admin))
    if users.status_code == 200:  # an admin without a second factor may be sent to enrol
        (listing,) = _audit_rows(session, AuditEvent.entity_type == "user_list")
        assert listing.actor_id == admin.id
        assert listing.details["returned"] >= 2
    assert count(session, AuditEvent, AuditEvent.action == AuditAction.DENIED) == 0


# -- rhizo serve --------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'serve.sqlite3'}"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RHIZO_ENV", "production")
    monkeypatch.setenv("RHIZO_SECRET_KEY", "serve-test-signing-key-0123456789abcdefXYZ")
    monkeypatch.setenv("RHIZO_PSEUDONYM_KEY", "serve-test-pseudonym-key-0123456789abcdefXYZ")


def test_serve_refuses_bad_tls_files_and_development(
    db: str,
    tmp_path: Path,
    production: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "missing.pem"
    assert main(["serve", "--db", db, "--certfile", str(missing)]) == 2
    assert f"--certfile: '{missing}' does not exist" in capsys.readouterr().err
    assert main(["serve", "--db", db, "--keyfile", str(missing)]) == 2
    assert "given without --certfile" in capsys.readouterr().err
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    assert main(["serve", "--db", db, "--certfile", str(garbage), "--keyfile", str(garbage)]) == 2
    assert "are not a PEM certificate chain" in capsys.readouterr().err
    migrate.upgrade(db)
    monkeypatch.setenv("RHIZO_ENV", "development")
    assert main(["serve", "--db", db]) == 2
    assert "RHIZO_ENV: 'development' is not allowed for rhizo serve" in capsys.readouterr().err
    monkeypatch.setenv("RHIZO_ENV", "production")
    monkeypatch.setenv("RHIZO_TRUSTED_PROXIES", "proxy.example")
    assert main(["serve", "--db", db]) == 2
    assert "RHIZO_TRUSTED_PROXIES: 'proxy.example'" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def certificate(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_serve_over_tls_sends_hsts_on_api_and_pages(
    db: str, certificate: tuple[Path, Path], production: None
) -> None:
    migrate.upgrade(db)
    cert, key = certificate
    port = _free_port()
    command = [
        sys.executable, "-c", "import sys; from rhizo.cli import main; sys.exit(main())",
        "serve", "--db", db, "--port", str(port), "--certfile", str(cert), "--keyfile", str(key),
    ]  # fmt: skip
    with subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as server:
        try:
            base = f"https://127.0.0.1:{port}"
            trust = ssl.create_default_context(cafile=str(cert))
            for _ in range(900):  # a loaded 2-core CI machine: up to 90 s
                try:
                    page = httpx.get(base + "/login", verify=trust, timeout=1)
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        pytest.fail(server.stderr.read().decode() if server.stderr else "")
                    time.sleep(0.1)
            else:
                pytest.fail("rhizo serve did not answer over TLS within 90 s")
            api = httpx.get(base + "/api/v1/patients", verify=trust, timeout=5)
            for response in (page, api):
                assert response.headers["strict-transport-security"] == HSTS
                assert response.headers["cache-control"] == "no-store"
                assert "server" not in response.headers
            assert page.status_code == 200
            assert api.status_code == 401
        finally:
            server.terminate()
            server.wait(timeout=10)
