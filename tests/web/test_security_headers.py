"""The pages carry a strict Content-Security-Policy; no page loads a script from elsewhere."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from rhizo.clinic.core.headers import CONTENT_SECURITY_POLICY

AsRole = Callable[[str], TestClient]
SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc=\"([^\"]+)\"")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")


def _directives(policy: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in policy.split(";")
        if part.strip()
    }


def test_policy_allows_scripts_only_from_this_origin() -> None:
    directives = _directives(CONTENT_SECURITY_POLICY)
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_login_page_carries_the_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


def test_pages_load_no_foreign_or_inline_script(as_role: AsRole) -> None:
    client = as_role("clinician")
    for path in ("/patients", "/planner"):
        page = client.get(path)
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        for source in SCRIPT_SRC.findall(page.text):
            assert source.startswith("/static/"), source
        assert INLINE_SCRIPT.search(page.text) is None


def test_error_pages_carry_the_headers_too(as_role: AsRole) -> None:
    response = as_role("clinician").get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_api_explorer_is_left_alone(client: TestClient) -> None:
    # Swagger UI loads its bundle from a CDN; it shows no patient data.
    assert "content-security-policy" not in client.get("/docs").headers
