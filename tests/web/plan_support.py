"""A fresh draft plan for web tests, recorded through the plan service."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI

from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import PlanCreate
from tests.web.test_forms_support import db

_SYSTEM = Actor(user_id=None, username="plan-tests", role=Role.ADMIN)


def new_plan(app: FastAPI, patient_id: int, **kw: Any) -> int:
    """A draft lumbar plan (right L4-L5, L5-S1, no sedation) 30 days ahead."""
    payload: dict[str, Any] = {
        "procedure": "lumbar-facet-rf",
        "planned_date": date.today() + timedelta(days=30),
        "side": "right",
        "levels": ["L4-L5", "L5-S1"],
    } | kw
    with db(app) as session:
        plan = plan_service.create(
            session=session,
            actor=_SYSTEM,
            patient_id=patient_id,
            data=PlanCreate.model_validate(payload),
        )
        return plan.id
