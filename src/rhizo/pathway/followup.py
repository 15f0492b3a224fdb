"""Follow-up after RF: the review schedule, responder status, duration of relief, repeats.

A pain series is a list of dated NRS scores after the procedure, judged
against the pre-procedure baseline. The definitions live in one place each
and this module only adapts them to its pydantic models:

- "N months after" is :func:`rhizo.pathway.dates.months_after` (calendar
  months, clamped at month end), for the schedule and every rule below;
- the duration of relief is :func:`rhizo.pathway.course.course_of`: confirmed
  up to the last score still in relief, lost at the first score out of relief
  after onset (the true end lies between; interval censoring), censored when
  the last score is still in relief;
- the responder check and the repeat rule are
  :func:`rhizo.pathway.responder.responder_at`: relief judged at the N-month
  review (the score nearest N calendar months within +-30 days), so both say
  "at 3 months" the same way and one transient flare before the review does
  not change the verdict.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rhizo.pathway.course import course_of
from rhizo.pathway.dates import months_after
from rhizo.pathway.facts import Evidence, entries, entry
from rhizo.pathway.outcomes import percent_relief
from rhizo.pathway.policies import Threshold, get_policy
from rhizo.pathway.relief import RESPONDER_MONTHS, RESPONDER_THRESHOLD, Score
from rhizo.pathway.responder import ResponderAt, responder_at
from rhizo.pathway.returned import pain_has_returned


class PainScore(BaseModel):
    """One dated NRS pain score (0-10), with the PGIC (1-7) of the same visit if recorded."""

    model_config = ConfigDict(frozen=True)

    on: date
    nrs: int = Field(ge=0, le=10)
    pgic: int | None = Field(default=None, ge=1, le=7)


class ScheduledReview(BaseModel):
    """One planned review; ``id`` is its entry in ``knowledge/outcomes.yaml``."""

    id: str
    due: date
    label: str
    source: str


class ReliefDuration(BaseModel):
    """How long relief of at least ``threshold_percent`` lasted after the procedure."""

    threshold_percent: float
    onset: date | None
    last_confirmed: date | None
    ended: date | None
    duration_days: int
    duration_weeks: float
    confirmed_days: int
    confirmed_weeks: float
    censored: bool
    peak_relief_percent: float | None


class ResponderStatus(BaseModel):
    """Responder (Cohen 2010): >= 50 % relief and, where recorded, PGIC 1-2 at 3 months."""

    responder: bool | None
    #: :data:`rhizo.pathway.responder.ResponderState`.
    status: str
    #: "nrs_and_pgic" or "nrs_only" (no PGIC at the review); None when not judged.
    criterion: str | None = None
    message: str
    relief: ReliefDuration
    source: str


class RepeatAssessment(BaseModel):
    """Whether a repeat RF is supported once pain has returned, under a policy."""

    policy: str
    eligible: bool
    pain_returned: bool
    message: str
    source: str
    verified: bool
    evidence: Evidence


def follow_up_schedule(procedure_date: date) -> list[ScheduledReview]:
    """Review dates after an RF procedure, each with the reason for it."""
    visits = []
    for item in entries("outcomes"):
        if not item["id"].startswith("follow-up-"):
            continue
        due = months_after(procedure_date, int(item["months"]))
        due += timedelta(weeks=int(item.get("weeks", 0)))
        visits.append(
            ScheduledReview(
                id=item["id"], due=due, label=item["label"], source=item["source"].cite()
            )
        )
    return sorted(visits, key=lambda visit: visit.due)


def _pairs(scores: list[PainScore]) -> list[Score]:
    return [(score.on, score.nrs) for score in scores]


def relief_duration(
    *,
    baseline_nrs: int,
    procedure_date: date,
    scores: list[PainScore],
    threshold_percent: float = 50.0,
    inclusive: bool = True,
) -> ReliefDuration:
    """Duration of relief >= ``threshold_percent`` from a series of scores.

    :func:`rhizo.pathway.course.course_of` in this module's model: ``inclusive=False``
    makes the threshold strict (relief must exceed it), as in the cervical
    guideline's "> 30 %". Scores on or before the procedure day are ignored.
    ``duration_days`` runs to the first score out of relief (or the last score,
    censored); ``confirmed_days`` to the last score in relief.
    """
    threshold = Threshold(value=threshold_percent, inclusive=inclusive)
    pairs = _pairs(scores)
    course = course_of(
        day=procedure_date, baseline_nrs=baseline_nrs, scores=pairs, threshold=threshold
    )
    reliefs = [percent_relief(baseline_nrs, nrs) for on, nrs in pairs if on > procedure_date]
    known = [relief for relief in reliefs if relief is not None]
    peak = max(known) if known else None
    if course is None or course.onset_on is None:
        return ReliefDuration(
            threshold_percent=threshold_percent,
            onset=None,
            last_confirmed=None,
            ended=None,
            duration_days=0,
            duration_weeks=0.0,
            confirmed_days=0,
            confirmed_weeks=0.0,
            censored=False,
            peak_relief_percent=peak,
        )
    return ReliefDuration(
        threshold_percent=threshold_percent,
        onset=course.onset_on,
        last_confirmed=course.last_relieved_on,
        ended=course.lost_on,
        duration_days=course.event_days,
        duration_weeks=round(course.event_days / 7, 1),
        confirmed_days=course.relief_days,
        confirmed_weeks=round(course.relief_days / 7, 1),
        censored=course.relief_censored,
        peak_relief_percent=peak,
    )


def _as_of(procedure_date: date, scores: list[PainScore], as_of: date | None) -> date:
    """The day the verdict is taken on: given, else the latest score (else the procedure day)."""
    if as_of is not None:
        return as_of
    return max((score.on for score in scores), default=procedure_date)


def _review_text(at: ResponderAt) -> str:
    return (
        f"the {at.months}-month review ({at.target.isoformat()}, "
        f"{at.window.start.isoformat()} to {at.window.end.isoformat()})"
    )


def is_responder(
    *,
    baseline_nrs: int,
    procedure_date: date,
    scores: list[PainScore],
    as_of: date | None = None,
) -> ResponderStatus:
    """Responder per Cohen 2010: >= 50 % relief at the 3-month review (calendar months).

    :func:`rhizo.pathway.responder.responder_at` at ``RESPONDER_MONTHS``.
    ``responder`` is ``None`` (not yet known) while the review window is still
    open on ``as_of`` (default: the latest score's day) with no score in it, or
    when the window closed without a score (lost to follow-up).
    """
    rule: dict[str, Any] = entry("outcomes", "responder")
    relief = relief_duration(
        baseline_nrs=baseline_nrs,
        procedure_date=procedure_date,
        scores=scores,
        threshold_percent=RESPONDER_THRESHOLD.value,
    )
    at = responder_at(
        day=procedure_date,
        baseline_nrs=baseline_nrs,
        scores=[(score.on, score.nrs, score.pgic) for score in scores],
        months=RESPONDER_MONTHS,
        as_of=_as_of(procedure_date, scores, as_of),
    )
    review = _review_text(at)
    wanted = f">= {RESPONDER_THRESHOLD.value:g} % relief"
    if at.criterion == "nrs_and_pgic":
        wanted += " and PGIC much or very much improved"
    if at.score_on is not None:
        verdict = "" if at.responder else "Not "
        found = f"{at.relief_percent:g} % on {at.score_on}"
        if at.score_pgic is not None:
            found += f", PGIC {at.score_pgic}"
        elif at.criterion == "nrs_only":
            found += ", no PGIC recorded (NRS alone)"
        message = f"{verdict}{wanted} at {review}: {found}."
    elif at.status == "pending":
        message = f"No score yet in {review}."
    elif at.status == "missing":
        message = f"No score in {review}: lost to follow-up at {at.months} months."
    else:
        message = "No baseline NRS above 0: relief cannot be judged."
    return ResponderStatus(
        responder=at.responder,
        status=at.status,
        criterion=at.criterion,
        message=message,
        relief=relief,
        source=rule["source"].cite(),
    )


def repeat_eligibility(
    *,
    baseline_nrs: int,
    procedure_date: date,
    scores: list[PainScore],
    policy: str = "asra-2020",
    as_of: date | None = None,
) -> RepeatAssessment:
    """Whether the last RF supports a repeat under ``policy`` now that pain is back.

    The previous RF must have given the policy's relief at the policy's
    N-month review (:func:`rhizo.pathway.responder.responder_at` with the
    policy's threshold and months: the same calendar rule as the responder
    check); pain has returned when relief was seen and the latest score no
    longer shows it. ``as_of`` defaults to the latest score's day.
    """
    rule = get_policy(policy).repeat
    if not float(rule.min_duration_months).is_integer():
        raise ValueError(
            f"policy {policy!r}: repeat min_duration_months {rule.min_duration_months!r} "
            "is not a whole number of calendar months"
        )
    threshold = Threshold(value=rule.min_relief_percent, inclusive=rule.inclusive)
    pairs = _pairs(scores)
    at = responder_at(
        day=procedure_date,
        baseline_nrs=baseline_nrs,
        scores=pairs,
        months=int(rule.min_duration_months),
        as_of=_as_of(procedure_date, scores, as_of),
        threshold=threshold,
    )
    met = at.responder is True
    after = sorted((score for score in pairs if score[0] > procedure_date), key=lambda s: s[0])
    course = course_of(
        day=procedure_date, baseline_nrs=baseline_nrs, scores=after, threshold=threshold
    )
    returned = (
        course is not None
        and course.relieved
        and pain_has_returned(
            baseline_nrs=baseline_nrs, day=procedure_date, scores=after, threshold=threshold
        )
        is True
    )
    sign = ">=" if rule.inclusive else ">"
    wanted = f"{sign} {rule.min_relief_percent:g} % relief at {_review_text(at)}"
    if not met:
        found = (
            f" ({at.relief_percent:g} % on {at.score_on})"
            if at.score_on is not None and at.relief_percent is not None
            else f" ({at.status.replace('_', ' ')})"
        )
        message = f"The last RF did not give {wanted}{found}; a repeat is not supported."
    elif not returned:
        message = "The last RF met the criterion and relief is still ongoing; no repeat yet."
    else:
        message = (
            f"The last RF gave {wanted} ({at.relief_percent:g} % on {at.score_on}) and pain has "
            "returned; a repeat is supported"
            + ("." if rule.repeat_block_needed else " without a repeat diagnostic block.")
        )
    return RepeatAssessment(
        policy=policy,
        eligible=met and returned,
        pain_returned=returned,
        message=message,
        source=rule.source.cite(),
        verified=rule.source.verified,
        evidence=rule.source.evidence,
    )
