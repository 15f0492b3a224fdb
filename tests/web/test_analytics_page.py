"""The outcomes page: durability curves of the seeded demo registry, per role, per grouping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo import DISCLAIMER
from rhizo.clinic.outcomes.durability import Grouping, analyse
from rhizo.clinic.outcomes.snapshot import compute_snapshot

AsRole = Callable[[str], TestClient]
ROLES = ("admin", "clinician", "nurse", "researcher", "auditor", "patient")
ALLOWED = {"admin", "clinician", "nurse", "researcher"}


@pytest.mark.parametrize("role", ROLES)
def test_outcomes_page_per_role(as_role: AsRole, role: str) -> None:
    client = as_role(role)
    page = client.get("/analytics")
    if role in ALLOWED:
        assert page.status_code == 200
        assert 'href="/analytics"' in page.text  # the nav link
        assert DISCLAIMER in page.text
    else:
        assert page.status_code == 403
        assert 'href="/analytics"' not in page.text


def test_page_shows_the_curve_table_and_reference(as_role: AsRole, web_app: FastAPI) -> None:
    page = as_role("researcher").get("/analytics")
    html = page.text
    assert "<svg" in html
    assert "Streitberger 2011" in html
    session = web_app.state.session_factory()
    try:
        # The page's day is the clinic's today; the demo records all lie in the past.
        courses = compute_snapshot(
            session=session, as_of=date.today(), zone=web_app.state.settings.clinic_zone
        )
    finally:
        session.close()
    report = analyse(courses, grouping=Grouping.NONE, performer_names={})
    assert report is not None
    row = html.split('id="row-all"')[1].split("</tr>")[0]
    assert f"<td>{report.overall.courses}</td>" in row
    six = round(100 * report.overall.curve.at(6)[0], 1)  # 6 calendar months
    assert f"{six} %" in row


def test_grouping_by_specialist_lists_each_and_the_log_rank(as_role: AsRole) -> None:
    html = as_role("clinician").get("/analytics?grouping=performer").text
    assert html.count('<tr id="row-') >= 2
    assert 'value="performer" selected' in html
    assert "Log-rank test" in html


def test_an_unknown_grouping_is_a_400_page_naming_it(as_role: AsRole) -> None:
    page = as_role("nurse").get("/analytics?grouping=colour")
    assert page.status_code == 400
    assert "grouping" in page.text
    assert page.headers["content-type"].startswith("text/html")
