"""``GET /analytics/durability``: how long relief lasts, over the whole registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from rhizo import DISCLAIMER
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.deps import SessionDep, SettingsDep, require
from rhizo.clinic.core.openapi import declare
from rhizo.clinic.outcomes import service
from rhizo.clinic.outcomes.durability import Grouping, record_view
from rhizo.clinic.outcomes.models import DurabilityRead, report_read

router = APIRouter(prefix="/analytics", tags=["analytics"])

Analyst = Annotated[Actor, Depends(require(Permission.ANALYTICS_READ))]


@router.get("/durability", response_model=DurabilityRead, responses=declare(404))
def get_durability(
    request: Request,
    actor: Analyst,
    session: SessionDep,
    settings: SettingsDep,
    grouping: Annotated[
        Grouping,
        Query(
            description="split the curves by region, technique, performer or the band of "
            "the procedure's joint predicted capture, every targeted nerve (a model estimate)"
        ),
    ] = Grouping.NONE,
) -> DurabilityRead:
    """Kaplan-Meier durability of >= 50 % relief after completed procedures (audited read).

    The figures come from the app's one outcome snapshot, the one the specialist
    and Outcomes pages read; time is in calendar months after the procedure day.
    """
    today = datetime.now(settings.clinic_zone).date()
    snapshot = service.snapshot_cache(request.app.state).get(today)
    record_view(session=session, actor=actor, as_of=snapshot.as_of, grouping=grouping)
    report = service.analysis(
        request.app.state, snapshot, grouping, service.performer_names(session)
    )
    if report is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            "no assessable procedure yet: a completed procedure needs a baseline NRS "
            "and a pain score after it",
        )
    return report_read(report, notice=DISCLAIMER)
