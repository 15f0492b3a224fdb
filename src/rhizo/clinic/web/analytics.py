"""The outcomes page: how long relief lasts after RF neurotomy, over the whole registry.

Who may open it: the roles holding ``analytics:read`` (admin, clinician,
nurse, researcher); the figures are aggregates and name no patient. Each view
is audited as a ``read`` of ``durability_analysis``. The figures come from the
app's one outcome snapshot (:func:`rhizo.clinic.outcomes.service.snapshot_cache`),
the one the specialist pages read; the page says the day they are as of.

The plot's at-risk row is the table's rows (:attr:`GroupCurve.points`), handed
to the plot as numbers, and embedded in the page as JSON (``#durability-data``)
for anyone checking the figure.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.outcomes import service
from rhizo.clinic.outcomes.durability import (
    MIN_COURSES,
    PUBLISHED_MEDIAN_SUCCESS_WEEKS,
    PUBLISHED_SOURCE,
    PUBLISHED_SUCCESS,
    DurabilityReport,
    GroupCurve,
    Grouping,
    record_view,
)
from rhizo.clinic.outcomes.models import CurveRead, curve_read
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
    Grouping.CAPTURE: "predicted capture band (model estimate; association, not proof)",
}


def _series(group: GroupCurve) -> CurveSeries:
    curve = group.curve
    return CurveSeries(
        label=f"{group.label} (n={group.courses})",
        times_months=curve.times.tolist(),
        survival=curve.survival.tolist(),
        lower=curve.lower.tolist(),
        upper=curve.upper.tolist(),
        at_risk=[(point.months, point.at_risk) for point in group.points],
    )


def _plot(report: DurabilityReport) -> str:
    groups = report.groups or (report.overall,)
    return durability_svg(
        [_series(g) for g in groups],
        published=[
            PublishedPoint(months, percent, label) for months, percent, label in PUBLISHED_SUCCESS
        ],
        published_label="Streitberger 2011",
    )


def _embedded(rows: list[CurveRead]) -> str:
    """The plot's at-risk rows as JSON for the page (``</`` escaped inside a script)."""
    data = {row.key: {str(p.months): p.at_risk for p in row.at_risk} for row in rows}
    return json.dumps({"at_risk": data}, sort_keys=True).replace("</", "<\\/")


@router.get("/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request,
    user: AnalyticsReader,
    session: SessionDep,
    grouping: Annotated[Grouping, Query()] = Grouping.NONE,
) -> Response:
    """Kaplan-Meier durability of relief, split as asked, with the published reference."""
    state = request.app.state
    snapshot = service.snapshot_cache(state).get(clinic_today(request))
    record_view(session=session, actor=user.actor, as_of=snapshot.as_of, grouping=grouping)
    names = service.performer_names(session)
    report = service.analysis(state, snapshot, grouping, names)
    rows = [curve_read(g) for g in (report.groups or (report.overall,))] if report else []
    context = {
        "report": report,
        "snapshot": snapshot,
        "grouping": grouping,
        "groupings": GROUPING_LABELS,
        "rows": rows,
        "plot_data": _embedded(rows),
        "plot_svg": service.derived(state).get(
            snapshot, ("svg", grouping, tuple(sorted(names.items()))), lambda: _plot(report)
        )
        if report
        else None,
        "min_n": MIN_COURSES,
        "published_source": PUBLISHED_SOURCE,
        "published": PUBLISHED_SUCCESS,
        "published_median_weeks": PUBLISHED_MEDIAN_SUCCESS_WEEKS,
    }
    return render(request, "analytics.html", context, user=user)
