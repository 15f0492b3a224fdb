"""API schemas of the durability analysis (calendar months inside, weeks beside for people)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from rhizo.clinic.outcomes.durability import (
    PUBLISHED_MEDIAN_SUCCESS_WEEKS,
    PUBLISHED_SOURCE,
    PUBLISHED_SUCCESS,
    CurvePoint,
    DurabilityReport,
    GroupCurve,
)
from rhizo.clinic.outcomes.figures import CheckpointOutcome


class CheckpointRead(BaseModel):
    """Share still with >= 50 % relief N calendar months after the procedure, 95 % band."""

    months: int
    percent: float
    low_percent: float
    high_percent: float
    at_risk: int


class ResponderRead(BaseModel):
    """Responders at the N-month review (the specialist pages' figure), with counts."""

    months: int
    responders: int
    assessable: int
    percent: float | None
    low_percent: float | None
    high_percent: float | None
    pending: int
    missing: int


class CurveRead(BaseModel):
    """One group's figures; the step curve itself as parallel lists (time in months)."""

    key: str
    label: str
    courses: int
    ended: int
    too_few: bool
    #: Median time to loss of relief over every course, with its 95 % interval.
    median_months: float | None
    median_low_months: float | None
    median_high_months: float | None
    #: Median duration of success among the procedures that reached relief.
    success_median_months: float | None
    checkpoints: list[CheckpointRead]
    #: The curve's at-risk row at 0, 3, 6, 9, 12, 18, 24 months (the plot's numbers).
    at_risk: list[CheckpointRead]
    responders: list[ResponderRead]
    times_months: list[float]
    survival: list[float]
    lower: list[float]
    upper: list[float]


class LogRankRead(BaseModel):
    """Log-rank test across the groups."""

    statistic: float
    degrees_of_freedom: int
    p_value: float


class PublishedRead(BaseModel):
    """The published reference drawn beside the clinic's curve."""

    source: str
    success_percent_at_months: list[tuple[float, float, str]]
    median_success_weeks: float


class DurabilityRead(BaseModel):
    """``GET /analytics/durability``."""

    as_of: date
    computed_at: datetime
    grouping: str
    procedures: int
    assessable: int
    no_baseline: int
    no_followup: int
    overall: CurveRead
    groups: list[CurveRead]
    log_rank: LogRankRead | None
    published: PublishedRead
    notice: str


def _point(point: CurvePoint) -> CheckpointRead:
    return CheckpointRead(
        months=point.months,
        percent=round(100 * point.survival, 1),
        low_percent=round(100 * point.low, 1),
        high_percent=round(100 * point.high, 1),
        at_risk=point.at_risk,
    )


def _responders(outcome: CheckpointOutcome) -> ResponderRead:
    rate = outcome.responders
    interval = rate.interval
    return ResponderRead(
        months=outcome.checkpoint.months,
        responders=rate.events,
        assessable=rate.total,
        percent=None if rate.estimate is None else round(100 * rate.estimate, 1),
        low_percent=None if interval is None else round(100 * interval[0], 1),
        high_percent=None if interval is None else round(100 * interval[1], 1),
        pending=outcome.pending,
        missing=outcome.missing,
    )


def _months(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def curve_read(group: GroupCurve) -> CurveRead:
    """A group's figures for the API and the page (one rounding, one place)."""
    curve = group.curve
    low, high = curve.median_interval
    return CurveRead(
        key=group.key,
        label=group.label,
        courses=group.courses,
        ended=group.ended,
        too_few=group.too_few,
        median_months=_months(group.median_months),
        median_low_months=_months(low),
        median_high_months=_months(high),
        success_median_months=_months(group.success_median_months),
        checkpoints=[_point(p) for p in group.checkpoints],
        at_risk=[_point(p) for p in group.points],
        responders=[_responders(r) for r in group.reviews],
        times_months=[round(t, 4) for t in curve.times.tolist()],
        survival=[round(v, 6) for v in curve.survival.tolist()],
        lower=[round(v, 6) for v in curve.lower.tolist()],
        upper=[round(v, 6) for v in curve.upper.tolist()],
    )


def report_read(report: DurabilityReport, *, notice: str) -> DurabilityRead:
    """The whole report for the API."""
    comparison = report.comparison
    return DurabilityRead(
        as_of=report.as_of,
        computed_at=report.computed_at,
        grouping=report.grouping.value,
        procedures=report.procedures,
        assessable=report.overall.courses,
        no_baseline=report.no_baseline,
        no_followup=report.no_followup,
        overall=curve_read(report.overall),
        groups=[curve_read(g) for g in report.groups],
        log_rank=LogRankRead(
            statistic=comparison.statistic,
            degrees_of_freedom=comparison.degrees_of_freedom,
            p_value=comparison.p_value,
        )
        if comparison
        else None,
        published=PublishedRead(
            source=PUBLISHED_SOURCE,
            success_percent_at_months=list(PUBLISHED_SUCCESS),
            median_success_weeks=PUBLISHED_MEDIAN_SUCCESS_WEEKS,
        ),
        notice=notice,
    )
