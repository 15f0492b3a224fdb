"""Outcome statistics per specialist and for the whole clinic, computed from the registry.

Definitions (each number read from ``rhizo.pathway`` knowledge, not retyped):

- **Responder** at a checkpoint (3 and 6 months, knowledge ``outcomes``
  ``follow-up-3-months`` / ``follow-up-6-months``): the follow-up nearest to the
  checkpoint shows at least ``responder.min_relief_percent`` (50 %) NRS
  reduction from the patient's baseline NRS (Cohen 2010, Anesthesiology
  113:395, Methods: ">= 50 % pain relief ... persisting for 3 months"). The unit
  is the procedure: ``n responders / n assessable procedures``.
- **Checkpoint window**: the checkpoint is ``round(months x 365.25 / 12)`` days
  after the procedure (91 and 183 days) and the follow-up must fall within
  +-30 days of it. Why 30 days: scheduled reviews slip by days to weeks, and
  +-30 days keeps the 3- and 6-month windows (61-121, 153-213 days) apart, so
  one visit never counts twice, and away from the 1-month and 12-month reviews.
  Days rather than calendar months because the same integer day arithmetic
  runs on SQLite and PostgreSQL; the two differ by at most 2 days, well inside
  the window.
- **Assessable**: a baseline NRS above 0 (relief is undefined from 0) and a
  follow-up in the window. Not assessable procedures are counted by reason:
  no baseline, window still open (``pending``), window closed without a
  follow-up (``missing``, lost to follow-up).
- **Complication rate**: completed procedures with at least one linked
  complication / completed procedures.
- **Satisfaction**: PGIC "much improved" or "very much improved" (knowledge
  ``outcomes/pgic``, Farrar 2001, Pain 94:149) at the same nearest follow-up,
  per procedure whose follow-up recorded a PGIC. Per procedure, not per
  follow-up: one patient's repeated answers are not independent, and the
  Wilson interval assumes independent trials.

Every rate carries a 95 % Wilson score interval
(:mod:`rhizo.clinic.specialist.proportion`) and is labelled "too few to judge"
under 10 cases. Aggregates name no patient, but reading them is still
audited (``read`` of ``specialist_outcomes``), like the specialist changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.specialist import outcome_query
from rhizo.clinic.specialist import service as specialist_service
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.specialist.outcome_query import ComplicationRow, OutcomeCounts, Window, end_of
from rhizo.clinic.specialist.proportion import Proportion
from rhizo.pathway.dates import add_months
from rhizo.pathway.facts import entry

ENTITY = "specialist_outcomes"

#: Half-width of each checkpoint window in days (reason in the module docstring).
WINDOW_DAYS = 30
#: Mean Gregorian month, to turn a checkpoint in months into days.
DAYS_PER_MONTH = 365.25 / 12
#: Knowledge ids of the checkpoints reported (3 and 6 months).
CHECKPOINT_IDS = ("follow-up-3-months", "follow-up-6-months")


@dataclass(frozen=True)
class Checkpoint:
    """One follow-up checkpoint and where it comes from."""

    months: int
    target_days: int
    window_days: int
    label: str
    source: str

    @property
    def window(self) -> Window:
        """The query's view of it."""
        return Window(self.months, self.target_days, self.window_days)

    @property
    def first_day(self) -> int:
        """First day after the procedure that counts."""
        return self.target_days - self.window_days

    @property
    def last_day(self) -> int:
        """Last day after the procedure that counts."""
        return self.target_days + self.window_days


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
    """Read the responder, checkpoint and PGIC rules from the pathway knowledge."""
    responder = entry("outcomes", "responder")
    pgic = entry("outcomes", "pgic")
    checkpoints = []
    for checkpoint_id in CHECKPOINT_IDS:
        fact = entry("outcomes", checkpoint_id)
        months = int(fact["months"])
        checkpoints.append(
            Checkpoint(
                months=months,
                target_days=round(months * DAYS_PER_MONTH),
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
    """Responders and PGIC satisfaction at one checkpoint."""

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
        """The checkpoint at ``months``."""
        for outcome in self.checkpoints:
            if outcome.checkpoint.months == months:
                return outcome
        raise KeyError(f"no {months}-month checkpoint")


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


def _summary(counts: OutcomeCounts, defs: Definitions) -> OutcomeSummary:
    outcomes = []
    for checkpoint in defs.checkpoints:
        at = counts.checkpoints.get(checkpoint.months, outcome_query.CheckpointCounts())
        outcomes.append(
            CheckpointOutcome(
                checkpoint=checkpoint,
                responders=Proportion(at.responders, at.assessable),
                pending=at.pending,
                missing=at.missing,
                satisfied=Proportion(at.pgic_improved, at.pgic_answered),
            )
        )
    return OutcomeSummary(
        procedures=counts.procedures,
        procedures_last_12_months=counts.last_12_months,
        no_baseline=counts.no_baseline,
        complications=Proportion(counts.complicated, counts.procedures),
        checkpoints=tuple(outcomes),
    )


@dataclass(frozen=True)
class OutcomeSnapshot:
    """The counts of every performer as of a date, from one pass over the registry.

    Computing it is a full pass (2.6 s on SQLite, 1.1 s on PostgreSQL at 100,000
    patients, docs/performance.md), so the pages share one through
    :class:`rhizo.clinic.specialist.outcome_cache.SnapshotCache`.
    """

    as_of: date
    computed_at: datetime
    counts: dict[int, OutcomeCounts]
    lesions: dict[int, int]
    complications: dict[int, list[ComplicationRow]]

    def clinic(self) -> OutcomeCounts:
        """Clinic-wide counts: the sum over performers."""
        total = OutcomeCounts()
        for counts in self.counts.values():
            total.add(counts)
        return total


def compute_snapshot(
    *, session: Session, as_of: date, performer_id: int | None = None
) -> OutcomeSnapshot:
    """Count every performer's outcomes (or one performer's) as of ``as_of``."""
    defs = definitions()
    counts = outcome_query.outcome_counts(
        session,
        windows=tuple(c.window for c in defs.checkpoints),
        relief_percent=defs.relief_percent,
        pgic_improved_up_to=defs.pgic_improved_up_to,
        as_of=as_of,
        since=end_of(add_months(as_of, -12)),
        performer_id=performer_id,
    )
    return OutcomeSnapshot(
        as_of=as_of,
        computed_at=utcnow(),
        counts=counts,
        lesions=outcome_query.lesions_performed(session, as_of=as_of, performer_id=performer_id),
        complications=outcome_query.complication_counts(
            session, as_of=as_of, performer_id=performer_id
        ),
    )


def clinic_summary(*, session: Session, as_of: date) -> OutcomeSummary:
    """The whole clinic's figures (every performer's procedures)."""
    return _summary(compute_snapshot(session=session, as_of=as_of).clinic(), definitions())


def specialist_summary(*, session: Session, specialist_id: int, as_of: date) -> OutcomeSummary:
    """One specialist's figures (procedures where they are the performer)."""
    snapshot = compute_snapshot(session=session, as_of=as_of, performer_id=specialist_id)
    return _summary(snapshot.counts.get(specialist_id, OutcomeCounts()), definitions())


def _snapshot_for(session: Session, as_of: date, given: OutcomeSnapshot | None) -> OutcomeSnapshot:
    if given is None:
        return compute_snapshot(session=session, as_of=as_of)
    if given.as_of != as_of:
        raise ValueError(f"snapshot is as of {given.as_of}, not {as_of}")
    return given


def specialist_outcomes(
    *,
    session: Session,
    actor: Actor,
    specialist_id: int,
    as_of: date,
    snapshot: OutcomeSnapshot | None = None,
) -> SpecialistOutcomes:
    """The specialist page's figures beside the clinic's (the read is audited).

    ``snapshot``: counts already computed for ``as_of`` (the pages' cache);
    computed here when not given.
    """
    defs = definitions()
    with transactions.transaction(session):
        specialist = specialist_service.get(session=session, specialist_id=specialist_id)
        counts = _snapshot_for(session, as_of, snapshot)
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
        computed_at=counts.computed_at,
        own=_summary(counts.counts.get(specialist_id, OutcomeCounts()), defs),
        clinic=_summary(counts.clinic(), defs),
        lesions_performed=counts.lesions.get(specialist_id, 0),
        complication_counts=tuple(counts.complications.get(specialist_id, [])),
        definitions=defs,
    )


def specialists_overview(
    *,
    session: Session,
    actor: Actor,
    as_of: date,
    snapshot: OutcomeSnapshot | None = None,
    active_only: bool = False,
) -> SpecialistsOverview:
    """Every specialist's volume and rates, and the clinic's (the read is audited)."""
    defs = definitions()
    with transactions.transaction(session):
        specialists: Sequence[Specialist]
        specialists, _ = specialist_service.get_all(
            session=session, limit=10_000, offset=0, active_only=active_only
        )
        counts = _snapshot_for(session, as_of, snapshot)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            details={"specialist_ids": [s.id for s in specialists], "as_of": as_of.isoformat()},
        )
    rows = tuple(
        SpecialistRow(s, _summary(counts.counts.get(s.id, OutcomeCounts()), defs))
        for s in specialists
    )
    return SpecialistsOverview(
        as_of=as_of,
        computed_at=counts.computed_at,
        rows=rows,
        clinic=_summary(counts.clinic(), defs),
        definitions=defs,
    )
