"""The clinician entry forms: block, plan, procedure, discharge, follow-up, complication.

Each module holds one form's routes; :data:`router` includes them all. Element
ids and field names are stable (documented in docs/web.md, "Forms") because
browser tests drive them.
"""

from __future__ import annotations

from fastapi import APIRouter

from rhizo.clinic.web.forms import block

router = APIRouter(include_in_schema=False)
router.include_router(block.router)

__all__ = ["router"]
