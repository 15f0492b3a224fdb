"""``POST /api/v1/candidacy/screen``: the region's guideline by default, 422 for bad facts.

The expected verdicts are the guidelines' own rules (Cohen 2020 Table 11:
>= 50 % lumbar block; Hurley 2022 Table 22: > 50 % cervical block, > 30 % for
3 months before a repeat), not read from the code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient
from tests.clinic.factories import make_user

from rhizo.clinic.core.auth.models import Role, User

URL = "/api/v1/candidacy/screen"
LUMBAR: dict[str, Any] = {
    "region": "lumbar",
    "pain_duration_weeks": 26,
    "conditions": ["facet_joint_syndrome"],
    "conservative_care_weeks": 14,
    "blocks": [{"relief_percent": 50}],
}


@pytest.fixture
def headers(session: Session, token_for: Callable[[User], dict[str, str]]) -> dict[str, str]:
    return token_for(make_user(session, Role.CLINICIAN))


def post(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(URL, json=body, headers=headers)


def test_lumbar_gets_cohen_2020_by_region(client: TestClient, headers: dict[str, str]) -> None:
    answer = post(client, headers, {"patient": LUMBAR})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["policy"], body["verdict"], body["policy_from_region"]) == (
        "asra-2020",
        "candidate",
        True,
    )
    # 49 % is below Cohen's >= 50 %: a negative block.
    low = {**LUMBAR, "blocks": [{"relief_percent": 49}]}
    assert post(client, headers, {"patient": low}).json()["verdict"] == "not_candidate"


def test_cervical_and_thoracic_by_region(client: TestClient, headers: dict[str, str]) -> None:
    cervical = {**LUMBAR, "region": "cervical", "blocks": [{"relief_percent": 50}]}
    body = post(client, headers, {"patient": cervical}).json()
    assert (body["policy"], body["verdict"]) == ("cervical-2022", "not_candidate")  # > 50 %
    thoracic = {**LUMBAR, "region": "thoracic"}
    body = post(client, headers, {"patient": thoracic}).json()
    assert (body["policy"], body["verdict"]) == (None, "no_guideline")


def test_repeat_needs_pain_returned(client: TestClient, headers: dict[str, str]) -> None:
    prior = [{"performed_on": "2025-11-30", "relief_percent": 60, "relief_duration_weeks": 13}]
    repeat = {**LUMBAR, "prior_rf": prior}
    assert post(client, headers, {"patient": repeat}).json()["verdict"] == "not_yet"
    returned = {**repeat, "pain_returned": True}
    assert post(client, headers, {"patient": returned}).json()["verdict"] == "candidate"


def _problem(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    problems: list[dict[str, Any]] = answer.json()["detail"]
    return problems[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region": "sacral"}, "region"),
        ({"pain_returned": "maybe"}, "pain_returned"),
        ({"overrides": [{"rule": "conservative_care", "reason": "  "}]}, "reason"),
        ({"overrides": [{"rule": "active_infection", "reason": "x"}]}, "rule"),
    ],
)
def test_bad_facts_are_422(
    client: TestClient, headers: dict[str, str], change: dict[str, Any], field: str
) -> None:
    problem = _problem(post(client, headers, {"patient": {**LUMBAR, **change}}))
    assert field in problem["field"]


def test_policy_errors_are_422(client: TestClient, headers: dict[str, str]) -> None:
    problem = _problem(post(client, headers, {"patient": LUMBAR, "policy": "cervical-2022"}))
    assert problem["field"] == "policy"
    assert "asra-2020" in problem["message"]
    overridden = {**LUMBAR, "overrides": [{"rule": "conservative_care", "reason": "athlete"}]}
    problem = _problem(post(client, headers, {"patient": overridden, "policy": "dual-block-80"}))
    assert problem["field"] == "overrides"
