"""Hardening found by review: body size cap, HTML errors for bad addresses, '$' in names.

- A request body over 1 MiB (the cap in ``rhizo.clinic.core.body_limit``) is refused
  with 413 before the login form is parsed, declared or chunked.
- A page address with a bad path value is the 404 page, a bad query value a
  400 page naming the parameter; the API keeps its JSON 422.
- A ``$`` in a specialist's name is text in the plot, not matplotlib math.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.body_limit import MAX_BODY_BYTES
from rhizo.clinic.specialist import service as specialist_service
from rhizo.clinic.specialist.models import SpecialistCreate
from rhizo.plots.specialist import RateBar, RateGroup, rates_svg
from tests.web.conftest import csrf_of
from tests.web.test_forms_support import AsRole, db


def test_a_body_over_the_cap_is_refused_before_it_is_parsed(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    padding = "x" * (MAX_BODY_BYTES + 1)
    declared = client.post(
        "/login", data={"username": "a", "password": padding, "csrf_token": token}
    )
    assert declared.status_code == 413
    assert str(MAX_BODY_BYTES) in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:
        yield f"csrf_token={token}&username=a&password=".encode()
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    chunked = client.post(
        "/login",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413
    # Under the cap the login form still answers as usual (wrong password: 401).
    normal = client.post("/login", data={"username": "a", "password": "b", "csrf_token": token})
    assert normal.status_code == 401


def test_bad_address_values_get_html_pages_and_the_api_keeps_json(as_role: AsRole) -> None:
    client = as_role("clinician")
    path_value = client.get("/patients/abc")
    assert path_value.status_code == 404
    assert path_value.headers["content-type"].startswith("text/html")
    assert "no such page or record" in path_value.text
    query_value = client.get("/patients?page=abc")
    assert query_value.status_code == 400
    assert query_value.headers["content-type"].startswith("text/html")
    assert "page: Input should be a valid integer" in query_value.text
    assert "&#39;abc&#39;" in query_value.text  # the typed value, escaped
    assert query_value.headers["cache-control"] == "no-store"
    api = client.get("/api/v1/patients/abc")
    assert api.status_code in (401, 422)  # the API authenticates by bearer token first
    assert api.headers["content-type"].startswith("application/json")


def test_a_dollar_in_a_specialist_name_is_text_not_math(as_role: AsRole, web_app: FastAPI) -> None:
    name = r"Dr $\frac$ Smith-$x^$"
    svg = rates_svg((RateGroup("responders", (RateBar(name, 3, 10, 0.1, 0.6),)),), title=name)
    assert name in svg  # drawn as typed (svg.fonttype none keeps the text)
    with db(web_app) as session:
        specialist = specialist_service.create(
            session=session,
            actor=Actor(user_id=None, username="test", role=Role.ADMIN),
            data=SpecialistCreate(display_name=name),
        )
        specialist_id = specialist.id
    page = as_role("clinician").get(f"/specialists/{specialist_id}")
    assert page.status_code == 200, page.status_code
