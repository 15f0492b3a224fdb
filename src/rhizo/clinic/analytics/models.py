"""API schemas of the durability analysis (days inside, weeks and % beside them for people)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from rhizo.clinic.analytics.durability import (
    CHECKPOINT_DAYS,
    PUBLISHED_MEDIAN_SUCCESS_WEEKS,
    PUBLISHED_SOURCE,
    PUBLISHED_SUCCESS,
    DurabilityReport,
    GroupCurve,
)
from rhizo.stats.survival import SurvivalCurve


class CheckpointRead(BaseModel):
    """Share still with >= 50 % relief at a checkpoint, with its 95 % interval."""

    months: int
    days: int
    percent: float
    low_percent: float
    high_percent: float
    at_risk: int


class CurveRead(BaseModel):
    """One group's figures; the step curve itself as parallel lists."""

    key: str
    label: str
    courses: int
    ended: int
    too_few: bool
    median_days: float | None
    median_low_days: float | None
    median_high_days: float | None
    success_median_weeks: float | None
    checkpoints: list[CheckpointRead]
    times_days: list[float]
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
    success_percent_at_days: list[tuple[int, float, str]]
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


def _checkpoints(curve: SurvivalCurve) -> list[CheckpointRead]:
    rows = []
    for months, days in CHECKPOINT_DAYS.items():
        value, low, high = curve.at(days)
        rows.append(
            CheckpointRead(
                months=months,
                days=days,
                percent=round(100 * value, 1),
                low_percent=round(100 * low, 1),
                high_percent=round(100 * high, 1),
                at_risk=curve.at_risk_at(days),
            )
        )
    return rows


def curve_read(group: GroupCurve) -> CurveRead:
    """A group's figures for the API."""
    curve = group.curve
    low, high = curve.median_interval
    success = group.success_curve.median if group.success_curve else None
    return CurveRead(
        key=group.key,
        label=group.label,
        courses=group.courses,
        ended=group.ended,
        too_few=group.too_few,
        median_days=curve.median,
        median_low_days=low,
        median_high_days=high,
        success_median_weeks=round(success / 7, 1) if success is not None else None,
        checkpoints=_checkpoints(curve),
        times_days=curve.times.tolist(),
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
            success_percent_at_days=list(PUBLISHED_SUCCESS),
            median_success_weeks=PUBLISHED_MEDIAN_SUCCESS_WEEKS,
        ),
        notice=notice,
    )
