"""The API says each displayed fact's evidence level (issue 14), consistent with its citation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient
from tests.clinic.factories import make_user

from rhizo.clinic.core.auth.models import Role, User

#: The five levels and their words, as issue 14 defines them (not read from the code).
WORDS = {
    "primary": "primary text read",
    "secondary": "secondary source",
    "patient_information": "patient-information page only",
    "local_protocol": "local protocol",
    "recalled": "recalled, NOT verified in a source",
}
LUMBAR: dict[str, Any] = {
    "region": "lumbar",
    "pain_duration_weeks": 26,
    "conditions": ["facet_joint_syndrome"],
    "conservative_care_weeks": 14,
    "blocks": [{"relief_percent": 50}],
}


def test_screening_reasons_carry_a_level_matching_their_citation(
    client: TestClient, session: Session, token_for: Callable[[User], dict[str, str]]
) -> None:
    headers = token_for(make_user(session, Role.CLINICIAN))
    answer = client.post("/api/v1/candidacy/screen", json={"patient": LUMBAR}, headers=headers)
    assert answer.status_code == 200, answer.text
    reasons = answer.json()["reasons"]
    assert reasons
    for reason in reasons:
        level = reason["evidence"]
        assert level in WORDS, reason
        assert reason["verified"] is (level in ("primary", "secondary"))
        assert reason["source"].endswith(f" [{WORDS[level]}]"), reason["source"]


def test_openapi_lists_the_five_levels_for_a_reason(client: TestClient) -> None:
    schemas = client.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    reason = schemas["Reason"]["properties"]["evidence"]
    assert sorted(reason["enum"]) == sorted(WORDS)
