"""Follow-up after RF: the review schedule, responder status, duration of relief, repeats.

A pain series is a list of dated NRS scores after the procedure. Relief is
measured against the pre-procedure baseline. Relief is *confirmed* up to the
last score that still meets the threshold and *lost* at the first score below
it after relief began, so the true end lies between the two (interval
censoring). Responder and repeat rules use the confirmed duration, which never
credits relief that no score showed; if the last score still meets the
threshold, the duration is censored there.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rhizo.pathway.dates import add_months
from rhizo.pathway.facts import entries, entry
from rhizo.pathway.outcomes import percent_relief
from rhizo.pathway.policies import WEEKS_PER_MONTH, get_policy


class PainScore(BaseModel):
    """One dated NRS pain score (0-10)."""

    model_config = ConfigDict(frozen=True)

    on: date
    nrs: int = Field(ge=0, le=10)


class ScheduledReview(BaseModel):
    """One planned review."""

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
    """Responder: relief of at least 50 % lasting at least 3 months (Cohen 2010)."""

    responder: bool | None
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


def follow_up_schedule(procedure_date: date) -> list[ScheduledReview]:
    """Review dates after an RF procedure, each with the reason for it."""
    visits = []
    for item in entries("outcomes"):
        if not item["id"].startswith("follow-up-"):
            continue
        due = add_months(procedure_date, int(item["months"]))
        due += timedelta(weeks=int(item.get("weeks", 0)))
        visits.append(ScheduledReview(due=due, label=item["label"], source=item["source"].cite()))
    return sorted(visits, key=lambda visit: visit.due)


def relief_duration(
    *,
    baseline_nrs: int,
    procedure_date: date,
    scores: list[PainScore],
    threshold_percent: float = 50.0,
    inclusive: bool = True,
) -> ReliefDuration:
    """Duration of relief >= ``threshold_percent`` from a series of scores.

    ``inclusive=False`` makes the threshold strict (relief must exceed it), as
    in the cervical guideline's "> 30 %". Scores before the procedure are ignored.
    ``duration_days`` runs to the first score below the threshold (or the last
    score, censored); ``confirmed_days`` to the last score that met it.
    """
    after = sorted((s for s in scores if s.on > procedure_date), key=lambda s: s.on)
    reliefs = [(s.on, percent_relief(baseline_nrs, s.nrs)) for s in after]
    known = [r for _, r in reliefs if r is not None]
    peak = max(known) if known else None
    onset: date | None = None
    last_confirmed: date | None = None
    ended: date | None = None
    for on, relief in reliefs:
        meets = relief is not None and (
            relief >= threshold_percent if inclusive else relief > threshold_percent
        )
        if meets:
            onset = onset or on
            last_confirmed = on
        elif onset is not None:
            ended = on
            break
    if onset is None:
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
    last = ended if ended is not None else reliefs[-1][0]
    days = (last - procedure_date).days
    confirmed = ((last_confirmed or onset) - procedure_date).days
    return ReliefDuration(
        threshold_percent=threshold_percent,
        onset=onset,
        last_confirmed=last_confirmed,
        ended=ended,
        duration_days=days,
        duration_weeks=round(days / 7, 1),
        confirmed_days=confirmed,
        confirmed_weeks=round(confirmed / 7, 1),
        censored=ended is None,
        peak_relief_percent=peak,
    )


def is_responder(
    *, baseline_nrs: int, procedure_date: date, scores: list[PainScore]
) -> ResponderStatus:
    """Responder per Cohen 2010: >= 50 % relief lasting >= 3 calendar months.

    ``responder`` is ``None`` (not yet known) while relief continues but follow-up
    has not reached 3 months.
    """
    rule: dict[str, Any] = entry("outcomes", "responder")
    relief = relief_duration(
        baseline_nrs=baseline_nrs,
        procedure_date=procedure_date,
        scores=scores,
        threshold_percent=float(rule["min_relief_percent"]),
    )
    needed_until = add_months(procedure_date, int(rule["min_duration_months"]))
    if relief.last_confirmed is not None and relief.last_confirmed >= needed_until:
        responder: bool | None = True
        message = f"Relief >= {rule['min_relief_percent']} % through {needed_until.isoformat()}."
    elif relief.censored:
        responder = None
        message = f"Relief continues but follow-up has not reached {needed_until.isoformat()} yet."
    else:
        responder = False
        message = f"Relief >= {rule['min_relief_percent']} % did not last to {needed_until}."
    return ResponderStatus(
        responder=responder, message=message, relief=relief, source=rule["source"].cite()
    )


def repeat_eligibility(
    *,
    baseline_nrs: int,
    procedure_date: date,
    scores: list[PainScore],
    policy: str = "asra-2020",
) -> RepeatAssessment:
    """Whether the last RF supports a repeat under ``policy`` now that pain is back.

    The previous RF must have met the policy's relief and duration; pain has
    returned when the latest score no longer meets the relief threshold.
    """
    rule = get_policy(policy).repeat
    relief = relief_duration(
        baseline_nrs=baseline_nrs,
        procedure_date=procedure_date,
        scores=scores,
        threshold_percent=rule.min_relief_percent,
        inclusive=rule.inclusive,
    )
    need_weeks = rule.min_duration_months * WEEKS_PER_MONTH
    met = relief.onset is not None and relief.confirmed_days / 7 >= need_weeks
    returned = not relief.censored and relief.onset is not None
    sign = ">=" if rule.inclusive else ">"
    wanted = f"{sign} {rule.min_relief_percent:g} % relief for {need_weeks:.1f} weeks"
    if not met:
        message = f"The last RF did not give {wanted}; a repeat is not supported."
    elif not returned:
        message = "The last RF met the criterion and relief is still ongoing; no repeat yet."
    else:
        message = (
            f"The last RF gave {wanted} ({relief.confirmed_weeks:g} weeks confirmed) and pain has "
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
    )
