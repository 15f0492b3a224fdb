"""Outcome scoring: NRS pain change, ODI v2.1a, PGIC, with cited thresholds.

Pure functions: numbers in, pydantic results out, each result naming its sources.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rhizo.pathway.facts import entry

NRS_LOINC = "72514-3"

ImmpactBand = Literal["worse", "below_minimal", "minimal", "moderate", "substantial"]


def _fact(entry_id: str) -> dict[str, Any]:
    return entry("outcomes", entry_id)


def _cite(entry_id: str) -> str:
    return str(_fact(entry_id)["source"].cite())


class NrsChange(BaseModel):
    """Change in 0-10 pain from a baseline."""

    loinc: str = NRS_LOINC
    baseline: int
    now: int
    change_points: int
    percent_relief: float | None
    clinically_important: bool
    immpact_band: ImmpactBand | None
    sources: list[str]


class OdiScore(BaseModel):
    """ODI v2.1a: percentage 0-100, or no score when too many items are missing."""

    score_percent: float | None
    answered_items: int
    missing_items: int
    band: str | None
    message: str
    sources: list[str]


class PgicScore(BaseModel):
    """Patient Global Impression of Change, 1 (very much improved) to 7 (very much worse)."""

    value: int
    label: str
    clinically_important: bool
    sources: list[str]


class _Nrs(BaseModel):
    model_config = ConfigDict(frozen=True)

    baseline: int = Field(ge=0, le=10, strict=True)
    now: int = Field(ge=0, le=10, strict=True)


def percent_relief(baseline: float, now: float) -> float | None:
    """Relief as a percentage of baseline pain; ``None`` when the baseline is 0."""
    if baseline == 0:
        return None
    return 100.0 * (baseline - now) / baseline


def immpact_band(relief_percent: float) -> ImmpactBand:
    """IMMPACT benchmark band for a percentage reduction (Dworkin 2008).

    IMMPACT calls 10-20 % minimal and >= 30 % moderate; the 20-30 % gap is
    counted as minimal here so that every value has a band.
    """
    bands = _fact("immpact-bands")
    if relief_percent < 0:
        return "worse"
    if relief_percent >= bands["substantial_percent"]:
        return "substantial"
    if relief_percent >= bands["moderate_percent"]:
        return "moderate"
    if relief_percent >= bands["minimal_percent"]:
        return "minimal"
    return "below_minimal"


def nrs_change_is_important(*, baseline: int, now: int) -> bool:
    """Farrar 2001: a fall of at least 30 % of the baseline NRS is clinically important.

    ``100 * (baseline - now) / baseline >= mcid_percent`` (knowledge
    ``outcomes/nrs-mcid``, 30 %). The percent criterion decides alone: Farrar
    found it consistent across baselines while "higher baseline scores required
    larger raw changes", so the average 2-point figure is not applied by
    itself. Worked boundaries: 10 -> 7 (30 %) important, 10 -> 8 (2 points,
    20 %) not; 4 -> 2 (2 points, 50 %) important; 7 -> 5 (2 points, 28.6 %)
    not. A baseline of 0 cannot improve: never important.
    """
    rule = _fact("nrs-mcid")
    if rule["rule"] != "percent":
        raise ValueError(f"outcomes/nrs-mcid rule {rule['rule']!r} is not 'percent'")
    relief = percent_relief(baseline, now)
    return relief is not None and relief >= float(rule["mcid_percent"])


def score_nrs(*, baseline: int, now: int) -> NrsChange:
    """Score a change in NRS pain (integers 0-10; ``ValueError`` otherwise).

    ``clinically_important`` is :func:`nrs_change_is_important` (percent rule).
    """
    checked = _Nrs(baseline=baseline, now=now)
    change = checked.baseline - checked.now
    relief = percent_relief(checked.baseline, checked.now)
    important = nrs_change_is_important(baseline=checked.baseline, now=checked.now)
    return NrsChange(
        baseline=checked.baseline,
        now=checked.now,
        change_points=change,
        percent_relief=None if relief is None else round(relief, 1),
        clinically_important=important,
        immpact_band=None if relief is None else immpact_band(relief),
        sources=[_cite("nrs"), _cite("nrs-mcid"), _cite("immpact-bands")],
    )


def odi_band(score_percent: float) -> str:
    """The ODI interpretation band of a percentage score."""
    for band in _fact("odi-bands")["bands"]:
        if score_percent <= band["upper"]:
            return str(band["label"])
    raise ValueError(f"ODI score {score_percent} is above 100")


def score_odi(answers: list[int | None]) -> OdiScore:
    """Score ODI v2.1a: ten items 0-5, ``None`` for a missing item.

    One missing item: the sum is divided by 45 (the maximum of the nine answered);
    more than one: no score (Fairbank 2000 scoring rule).
    """
    rule = _fact("odi-scoring")
    if len(answers) != rule["items"]:
        raise ValueError(f"ODI needs {rule['items']} items, got {len(answers)}")
    for position, answer in enumerate(answers, start=1):
        if answer is not None and (
            isinstance(answer, bool)
            or not isinstance(answer, int)
            or not 0 <= answer <= rule["item_maximum"]
        ):
            raise ValueError(f"ODI item {position}: {answer!r} is not an integer 0-5 or null")
    answered = [a for a in answers if a is not None]
    missing = len(answers) - len(answered)
    sources = [_cite("odi-scoring"), _cite("odi-bands")]
    if missing > rule["max_missing_items"]:
        return OdiScore(
            score_percent=None,
            answered_items=len(answered),
            missing_items=missing,
            band=None,
            message=f"{missing} items missing; ODI is not scored with more than one missing.",
            sources=sources,
        )
    maximum = rule["item_maximum"] * len(answered)
    score = round(100.0 * sum(answered) / maximum, 1)
    return OdiScore(
        score_percent=score,
        answered_items=len(answered),
        missing_items=missing,
        band=odi_band(score),
        message=f"{sum(answered)} of {maximum} points",
        sources=sources,
    )


def odi_change_is_important(*, baseline_percent: float, now_percent: float) -> bool:
    """True when ODI improved by at least the MCID (10 points, Ostelo 2008)."""
    return bool(baseline_percent - now_percent >= _fact("odi-mcid")["mcid_points"])


def score_pgic(value: int) -> PgicScore:
    """Score the PGIC (1 very much improved ... 7 very much worse)."""
    fact = _fact("pgic")
    labels: list[str] = fact["labels"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= len(labels):
        raise ValueError(f"PGIC {value!r} is not an integer 1-{len(labels)}")
    return PgicScore(
        value=value,
        label=labels[value - 1],
        clinically_important=value <= fact["important_up_to"],
        sources=[_cite("pgic")],
    )
