"""The clinician entry forms: block, plan, procedure, discharge, follow-up, complication,
and corrections (remove an entry recorded in error, resolve a complication).

Each module holds one form's routes; :data:`router` includes them all. Element
ids and field names are stable (documented in docs/web.md, "Forms") because
browser tests drive them.
"""

from __future__ import annotations

from fastapi import APIRouter

from rhizo.clinic.web.forms import (
    block,
    complication,
    corrections,
    discharge,
    followup,
    plan,
    procedure,
)

router = APIRouter(include_in_schema=False)
router.include_router(block.router)
router.include_router(procedure.router)
router.include_router(plan.router)
router.include_router(discharge.router)
router.include_router(followup.router)
router.include_router(complication.router)
router.include_router(corrections.router)

__all__ = ["router"]
