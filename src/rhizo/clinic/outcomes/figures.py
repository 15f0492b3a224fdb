"""Outcome figures per specialist and for the whole clinic, from one outcome snapshot.

Each figure counts procedures (the unit is the completed procedure) with the
pathway's definitions, none restated here (docs/measures.md):

- **Responder at N months** (3 and 6, knowledge ``outcomes``
  ``follow-up-3-months`` / ``follow-up-6-months``):
  :func:`rhizo.pathway.responder.responder_at`: the score nearest N calendar
  months after the procedure's clinic day, within +-30 days
  (:func:`rhizo.pathway.windows.window_for`), shows at least 50 % NRS
  reduction from the procedure's baseline
  (:func:`rhizo.pathway.baseline.baseline_for_procedure`; Cohen 2010,
  Anesthesiology 113:395) and, when that follow-up recorded a PGIC, a positive
  global effect (PGIC 1-2; none recorded: the NRS alone decides).
  ``n responders / n assessable procedures``.
- **Not assessable**, counted by reason: no baseline, window still open
  (``pending``), window closed without a score (``missing``).
- **Complication rate**: completed procedures with at least one linked
  complication / completed procedures.
- **Satisfaction**: PGIC "much improved" or "very much improved" (knowledge
  ``outcomes/pgic``, Farrar 2001, Pain 94:149) at the same review score, per
  procedure whose review score recorded a PGIC (one patient's repeated
  answers are not independent; the Wilson interval assumes independent trials).

Every rate carries a 95 % Wilson score interval
(:mod:`rhizo.clinic.outcomes.proportion`) and is labelled "too few to judge"
under 10 cases. Aggregates name no patient, but reading them is still
audited (``read`` of ``specialist_outcomes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.outcomes import arrays
from rhizo.clinic.outcomes.calendar_arrays import months_after
from rhizo.clinic.outcomes.proportion import Proportion
from rhizo.clinic.outcomes.queries import ComplicationRow
from rhizo.clinic.outcomes.snapshot import REVIEW_MONTHS, OutcomeSnapshot, compute_snapshot
from rhizo.clinic.specialist import service as specialist_service
from rhizo.clinic.specialist.models import Specialist
from rhizo.pathway.facts import entry
from rhizo.pathway.windows import WINDOW_DAYS

ENTITY = "specialist_outcomes"


@dataclass(frozen=True)
class Checkpoint:
    """One review (N calendar months after the procedure day) and where it comes from."""

    months: int
    window_days: int
    label: str
    source: str


@dataclass(frozen=True)
class Definitions:
    """The rules the figures follow, with their sources, for the page to show."""

    relief_percent: float
    responder_text: str
    responder_source: str
    checkpoints: tuple[Checkpoint, ...]
    pgic_improved_up_to: int
    pgic_improved_labels: tuple[str, ...]
    pgic_source: str


@cache
def definitions() -> Definitions:
    """Read the responder, review and PGIC rules from the pathway knowledge."""
    responder = entry("outcomes", "responder")
    pgic = entry("outcomes", "pgic")
    checkpoints = []
    for months in REVIEW_MONTHS:
        fact = entry("outcomes", f"follow-up-{months}-months")
        checkpoints.append(
            Checkpoint(
                months=int(fact["months"]),
                window_days=WINDOW_DAYS,
                label=str(fact["label"]),
                source=fact["source"].cite(),
            )
        )
    improved_up_to = int(pgic["important_up_to"])
    return Definitions(
        relief_percent=float(responder["min_relief_percent"]),
        responder_text=str(responder["text"]),
        responder_source=responder["source"].cite(),
        checkpoints=tuple(checkpoints),
        pgic_improved_up_to=improved_up_to,
        pgic_improved_labels=tuple(pgic["labels"][:improved_up_to]),
        pgic_source=pgic["source"].cite(),
    )


@dataclass(frozen=True)
class CheckpointOutcome:
    """Responders and PGIC satisfaction at one review."""

    checkpoint: Checkpoint
    responders: Proportion
    pending: int
    missing: int
    satisfied: Proportion


@dataclass(frozen=True)
class OutcomeSummary:
    """Volume and rates of one specialist, or of the clinic."""

    procedures: int
    procedures_last_12_months: int
    no_baseline: int
    complications: Proportion
    checkpoints: tuple[CheckpointOutcome, ...]

    def at(self, months: int) -> CheckpointOutcome:
        """The review at ``months``."""
        for outcome in self.checkpoints:
            if outcome.checkpoint.months == months:
                return outcome
        raise KeyError(f"no {months}-month checkpoint")


def _count(mask: NDArray[np.bool_]) -> int:
    return int(np.count_nonzero(mask))


def review_outcome(
    snapshot: OutcomeSnapshot, months: int, chosen: NDArray[np.bool_]
) -> CheckpointOutcome:
    """Responders, open and missing windows and PGIC at ``months`` among the ``chosen`` rows."""
    defs = definitions()
    checkpoint = next(c for c in defs.checkpoints if c.months == months)
    review = snapshot.review(months)
    status = review.status[chosen]
    score = review.score[chosen]
    pgic = np.where(score >= 0, snapshot.rows.pgic[np.maximum(score, 0)], 0)
    if not snapshot.rows.pgic.size:
        pgic = np.zeros(score.size, dtype=np.int64)
    assessable = (status == arrays.RESPONDER) | (status == arrays.NON_RESPONDER)
    return CheckpointOutcome(
        checkpoint=checkpoint,
        responders=Proportion(_count(status == arrays.RESPONDER), _count(assessable)),
        pending=_count(status == arrays.PENDING),
        missing=_count(status == arrays.MISSING),
        satisfied=Proportion(
            _count((pgic >= 1) & (pgic <= defs.pgic_improved_up_to)), _count(pgic >= 1)
        ),
    )


def summary_of(snapshot: OutcomeSnapshot, chosen: NDArray[np.bool_]) -> OutcomeSummary:
    """The figures of the procedure rows ``chosen`` (a boolean mask over the snapshot's rows)."""
    rows = snapshot.rows
    a_year_ago = int(months_after(np.asarray([snapshot.as_of.toordinal()]), -12)[0])
    procedures = _count(chosen)
    return OutcomeSummary(
        procedures=procedures,
        procedures_last_12_months=_count(chosen & (rows.day > a_year_ago)),
        no_baseline=_count(chosen & (rows.baseline <= 0)),
        complications=Proportion(_count(chosen & rows.complicated), procedures),
        checkpoints=tuple(review_outcome(snapshot, m, chosen) for m in REVIEW_MONTHS),
    )


def performer_summary(snapshot: OutcomeSnapshot, performer_id: int) -> OutcomeSummary:
    """One specialist's figures (procedures where they are the performer)."""
    return summary_of(snapshot, snapshot.rows.performer_id == performer_id)


def clinic_summary_of(snapshot: OutcomeSnapshot) -> OutcomeSummary:
    """The whole clinic's figures (every performer's procedures)."""
    return summary_of(snapshot, np.ones(snapshot.rows.size, dtype=bool))


@dataclass(frozen=True)
class SpecialistOutcomes:
    """Everything the specialist page shows."""

    specialist: Specialist
    as_of: date
    computed_at: datetime
    own: OutcomeSummary
    clinic: OutcomeSummary
    lesions_performed: int
    complication_counts: tuple[ComplicationRow, ...]
    definitions: Definitions


@dataclass(frozen=True)
class SpecialistRow:
    """One line of the specialists list."""

    specialist: Specialist
    summary: OutcomeSummary


@dataclass(frozen=True)
class SpecialistsOverview:
    """The specialists list with the clinic-wide figures."""

    as_of: date
    computed_at: datetime
    rows: tuple[SpecialistRow, ...]
    clinic: OutcomeSummary
    definitions: Definitions


def _snapshot_for(
    session: Session, as_of: date, zone: tzinfo, given: OutcomeSnapshot | None
) -> OutcomeSnapshot:
    if given is None:
        return compute_snapshot(session=session, as_of=as_of, zone=zone)
    if given.as_of != as_of:
        raise ValueError(f"snapshot is as of {given.as_of}, not {as_of}")
    return given


def specialist_summary(
    *, session: Session, specialist_id: int, as_of: date, zone: tzinfo
) -> OutcomeSummary:
    """One specialist's figures as of the clinic day ``as_of`` (a fresh snapshot)."""
    snapshot = compute_snapshot(session=session, as_of=as_of, zone=zone)
    return performer_summary(snapshot, specialist_id)


def clinic_summary(*, session: Session, as_of: date, zone: tzinfo) -> OutcomeSummary:
    """The whole clinic's figures as of the clinic day ``as_of`` (a fresh snapshot)."""
    return clinic_summary_of(compute_snapshot(session=session, as_of=as_of, zone=zone))


def specialist_outcomes(
    *,
    session: Session,
    actor: Actor,
    specialist_id: int,
    as_of: date,
    zone: tzinfo,
    snapshot: OutcomeSnapshot | None = None,
) -> SpecialistOutcomes:
    """The specialist page's figures beside the clinic's (the read is audited).

    ``snapshot``: the one computed for ``as_of`` (the pages' cache); computed here
    when not given.
    """
    with transactions.transaction(session):
        specialist = specialist_service.get(session=session, specialist_id=specialist_id)
        taken = _snapshot_for(session, as_of, zone, snapshot)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            entity_id=specialist_id,
            details={"as_of": as_of.isoformat()},
        )
    return SpecialistOutcomes(
        specialist=specialist,
        as_of=as_of,
        computed_at=taken.computed_at,
        own=performer_summary(taken, specialist_id),
        clinic=clinic_summary_of(taken),
        lesions_performed=taken.lesions.get(specialist_id, 0),
        complication_counts=tuple(taken.complications.get(specialist_id, [])),
        definitions=definitions(),
    )


def specialists_overview(
    *,
    session: Session,
    actor: Actor,
    as_of: date,
    zone: tzinfo,
    snapshot: OutcomeSnapshot | None = None,
    active_only: bool = False,
) -> SpecialistsOverview:
    """Every specialist's volume and rates, and the clinic's (the read is audited)."""
    with transactions.transaction(session):
        specialists: Sequence[Specialist]
        specialists, _ = specialist_service.get_all(
            session=session, limit=10_000, offset=0, active_only=active_only
        )
        taken = _snapshot_for(session, as_of, zone, snapshot)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            details={"specialist_ids": [s.id for s in specialists], "as_of": as_of.isoformat()},
        )
    return SpecialistsOverview(
        as_of=as_of,
        computed_at=taken.computed_at,
        rows=tuple(SpecialistRow(s, performer_summary(taken, s.id)) for s in specialists),
        clinic=clinic_summary_of(taken),
        definitions=definitions(),
    )
