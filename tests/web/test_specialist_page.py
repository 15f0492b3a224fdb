"""The specialist pages: roles, the numbers the service computes, 404, the plot, the audit row."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from scipy.stats import binomtest

from rhizo import DISCLAIMER
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.outcomes import figures as outcomes
from rhizo.clinic.outcomes.proportion import Proportion, wilson_interval
from rhizo.clinic.specialist.models import Specialist
from rhizo.plots.specialist import RateBar, RateGroup, rates_svg

ROLES = ("admin", "clinician", "nurse", "researcher", "auditor", "patient")
# specialist:read in clinic/core/auth/permissions.py; aggregates name no patient (docs/web.md).
ALLOWED = {"admin", "clinician", "nurse", "researcher"}
AsRole = Callable[[str], TestClient]


def _specialists(app: FastAPI) -> list[Specialist]:
    session = app.state.session_factory()
    try:
        return list(session.scalars(sa.select(Specialist).order_by(Specialist.id)))
    finally:
        session.close()


def _service_result(app: FastAPI, specialist_id: int) -> outcomes.SpecialistOutcomes:
    """The service's figures, computed afresh (no cache) in a separate session."""
    session = app.state.session_factory()
    try:
        actor = Actor(user_id=None, username="test-reference", role=Role.ADMIN)
        return outcomes.specialist_outcomes(
            session=session,
            actor=actor,
            specialist_id=specialist_id,
            as_of=date.today(),
            zone=app.state.settings.clinic_zone,
        )
    finally:
        session.close()


def _fresh(app: FastAPI) -> None:
    """Other page tests write to the shared demo database: drop the cached counts."""
    cache = getattr(app.state, "outcome_cache", None)
    if cache is not None:
        cache.clear()


def _row(html: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S)
    assert match is not None, f"no row {row_id}"
    return match.group(1)


def _cells(row: str) -> list[str]:
    return re.findall(r"<td>(.*?)</td>", row, re.S)


def _shown(proportion: Proportion) -> list[str]:
    """What the page must print for a proportion, from scipy's Wilson interval."""
    if proportion.total == 0:
        return ["no assessable cases"]
    ci = binomtest(proportion.events, proportion.total).proportion_ci(method="wilson")
    return [
        f"{100 * proportion.events / proportion.total:.1f} %",
        f"{100 * ci.low:.1f}&ndash;{100 * ci.high:.1f} %",
        f"{proportion.events}/{proportion.total}",
    ]


def test_pages_need_login(client: TestClient) -> None:
    for path in ("/specialists", "/specialists/1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ROLES)
def test_specialist_pages_per_role(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    first = _specialists(web_app)[0]
    client = as_role(role)
    for path in ("/specialists", f"/specialists/{first.id}"):
        response = client.get(path)
        if role in ALLOWED:
            assert response.status_code == 200, path
            assert first.display_name in response.text
            assert DISCLAIMER in response.text
            assert 'href="/specialists"' in response.text  # the nav link
        else:
            assert response.status_code == 403, path
            assert first.display_name not in response.text
            assert 'href="/specialists"' not in response.text


def test_unknown_specialist_is_404(as_role: AsRole) -> None:
    response = as_role("clinician").get("/specialists/987654")
    assert response.status_code == 404
    assert "There is no such page or record." in response.text


def test_page_shows_the_service_figures_plot_and_audit(as_role: AsRole, web_app: FastAPI) -> None:
    client = as_role("researcher")
    for specialist in _specialists(web_app):
        _fresh(web_app)
        page = client.get(f"/specialists/{specialist.id}")
        assert page.status_code == 200
        html = page.text
        expected = _service_result(web_app, specialist.id)
        assert f'<td id="procedures">{expected.own.procedures}</td>' in html
        assert f'<td id="procedures-12">{expected.own.procedures_last_12_months}</td>' in html
        assert f'<td id="lesions">{expected.lesions_performed}</td>' in html
        for own, clinic in zip(expected.own.checkpoints, expected.clinic.checkpoints, strict=True):
            months = own.checkpoint.months
            for row_id, mine, theirs in (
                (f"responders-{months}", own.responders, clinic.responders),
                (f"pgic-{months}", own.satisfied, clinic.satisfied),
            ):
                own_cell, clinic_cell = _cells(_row(html, row_id))
                assert all(part in own_cell for part in _shown(mine)), (row_id, own_cell)
                assert all(part in clinic_cell for part in _shown(theirs)), row_id
                # No denominator at all reads "no assessable cases"; 1-9 cases read "too few".
                assert ("no assessable cases" in own_cell) == (mine.total == 0)
                assert ("too few to judge" in own_cell) == (mine.total > 0 and mine.too_few)
        own_cell, _ = _cells(_row(html, "complications"))
        assert all(part in own_cell for part in _shown(expected.own.complications))
        for c in expected.complication_counts:
            assert c.type.replace("_", " ") in html
        assert "<svg" in html
        assert "whole clinic" in html  # the plot's legend
        assert str(escape(expected.definitions.responder_source)) in html
    rows = list(
        web_app.state.session_factory().scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == outcomes.ENTITY,
                AuditEvent.actor_username == "demo-researcher",
                AuditEvent.action == AuditAction.READ,
            )
        )
    )
    assert {row.entity_id for row in rows} >= {str(s.id) for s in _specialists(web_app)}
    assert all(row.patient_id is None for row in rows)


def test_small_denominators_are_labelled(as_role: AsRole, web_app: FastAPI) -> None:
    # The 12-patient demo cohort spreads ~15 procedures over three specialists.
    _fresh(web_app)
    first = _specialists(web_app)[0]
    html = as_role("nurse").get(f"/specialists/{first.id}").text
    expected = _service_result(web_app, first.id)
    assert expected.own.at(6).responders.too_few
    assert "too few to judge" in html
    assert "too few" in html.split("<svg", 1)[1]  # marked on the plot too


def test_list_shows_volume_and_six_month_rate(as_role: AsRole, web_app: FastAPI) -> None:
    _fresh(web_app)
    html = as_role("admin").get("/specialists").text
    for specialist in _specialists(web_app):
        expected = _service_result(web_app, specialist.id)
        match = re.search(rf'<tr><td><a href="/specialists/{specialist.id}">(.*?)</tr>', html, re.S)
        assert match is not None
        row = match.group(1)
        assert specialist.display_name in row
        assert f"<td>{expected.own.procedures}</td>" in row
        assert all(part in row for part in _shown(expected.own.at(6).responders))
    audit = (
        web_app.state.session_factory()
        .scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_type == outcomes.ENTITY, AuditEvent.entity_id.is_(None))
            .order_by(AuditEvent.id.desc())
        )
        .first()
    )
    assert audit is not None
    assert audit.actor_username == "demo-admin"
    assert sorted(audit.details["specialist_ids"]) == [s.id for s in _specialists(web_app)]


def test_plot_draws_edge_proportions() -> None:
    # 0 of n, n of n and no cases: the Wilson bounds touch 0 and 1 (no negative error bar).
    bars = []
    for label, events, total in (("none", 0, 12), ("all", 12, 12), ("empty", 0, 0)):
        low, high = wilson_interval(events, total) if total else (None, None)
        bars.append(RateBar(label, events, total, low, high))
    svg = rates_svg((RateGroup("edge cases", tuple(bars)),), title="edges")
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
