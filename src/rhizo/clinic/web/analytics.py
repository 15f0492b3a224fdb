"""The outcomes page: how long relief lasts after RF neurotomy, over the whole registry.

Who may open it: the roles holding ``analytics:read`` (admin, clinician,
nurse, researcher); the figures are aggregates and name no patient. Each view
is audited as a ``read`` of ``durability_analysis``. The courses come from
the app's shared cache (:mod:`rhizo.clinic.analytics.service`); the page says
the day they are as of.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from rhizo.clinic.analytics import service
from rhizo.clinic.analytics.durability import (
    MIN_COURSES,
    PUBLISHED_MEDIAN_SUCCESS_WEEKS,
    PUBLISHED_SOURCE,
    PUBLISHED_SUCCESS,
    DurabilityReport,
    GroupCurve,
    Grouping,
    record_view,
)
from rhizo.clinic.analytics.models import curve_read
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.web.access import AnalyticsReader
from rhizo.clinic.web.clinic_time import clinic_today
from rhizo.clinic.web.pages import render
from rhizo.plots.durability import CurveSeries, PublishedPoint, durability_svg

router = APIRouter(include_in_schema=False)

GROUPING_LABELS = {
    Grouping.NONE: "all procedures together",
    Grouping.REGION: "spinal region",
    Grouping.TECHNIQUE: "technique",
    Grouping.PERFORMER: "specialist",
}


def _series(group: GroupCurve) -> CurveSeries:
    curve = group.curve
    return CurveSeries(
        label=f"{group.label} (n={group.courses})",
        times_days=curve.times.tolist(),
        survival=curve.survival.tolist(),
        lower=curve.lower.tolist(),
        upper=curve.upper.tolist(),
        at_risk=curve.at_risk.tolist(),
    )


def _plot(report: DurabilityReport) -> str:
    groups = report.groups or (report.overall,)
    return durability_svg(
        [_series(g) for g in groups],
        published=[
            PublishedPoint(days, percent, label) for days, percent, label in PUBLISHED_SUCCESS
        ],
        published_label="Streitberger 2011",
    )


@router.get("/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request,
    user: AnalyticsReader,
    session: SessionDep,
    grouping: Annotated[Grouping, Query()] = Grouping.NONE,
) -> Response:
    """Kaplan-Meier durability of relief, split as asked, with the published reference."""
    state = request.app.state
    courses = service.courses_cache(state).get(clinic_today(request))
    record_view(session=session, actor=user.actor, as_of=courses.as_of, grouping=grouping)
    names = service.performer_names(session)
    report = service.analysis(state, courses, grouping, names)
    context = {
        "report": report,
        "courses": courses,
        "grouping": grouping,
        "groupings": GROUPING_LABELS,
        "rows": [curve_read(g) for g in (report.groups or (report.overall,))] if report else [],
        "overall": curve_read(report.overall) if report else None,
        "plot_svg": service.derived(state).get(
            courses, ("svg", grouping, tuple(sorted(names.items()))), lambda: _plot(report)
        )
        if report
        else None,
        "min_n": MIN_COURSES,
        "published_source": PUBLISHED_SOURCE,
        "published": PUBLISHED_SUCCESS,
        "published_median_weeks": PUBLISHED_MEDIAN_SUCCESS_WEEKS,
    }
    return render(request, "analytics.html", context, user=user)
