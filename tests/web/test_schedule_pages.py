"""The calendar pages (issue 18): each page per role, the wrong role's 403, bad input inline.

References: the role definitions of issue 18's design (schedule:read for every
staff role that reads patients, schedule:write for clinicians and nurses,
availability:manage for clinicians and admins), the seeded rows read back from
the database (not from the page), and the clinic's wall clock written by hand.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

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
