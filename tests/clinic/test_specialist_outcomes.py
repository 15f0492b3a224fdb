"""Specialist outcome statistics against a hand-made cohort counted by hand.

The cohort is built through the clinic services on SQLite and PostgreSQL. Each
patient below exercises one rule (window edges, nearest follow-up, ties,
unlinked diary scores, baselines from a block, from an earlier score, none, 0);
the expected counts are worked out by hand in the comments, and every
interval is compared with scipy's Wilson interval, computed independently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from scipy.stats import binomtest
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of, count
from tests.clinic.factories import good_lesion, make_patient, make_specialist, make_user

from rhizo.clinic.block import service as block_service
from rhizo.clinic.block.models import BlockAgent, BlockCreate
from rhizo.clinic.complication import service as complication_service
from rhizo.clinic.complication.models import ComplicationCreate, ComplicationType, Severity
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import NotFoundError, Side
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import FollowUpCreate, FollowUpSource
from rhizo.clinic.outcomes import figures as outcomes
from rhizo.clinic.outcomes.cache import SnapshotCache
from rhizo.clinic.outcomes.proportion import MIN_DENOMINATOR, Proportion, wilson_interval
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import ProcedureCreate, ProcedureStatus
from rhizo.pathway.facts import entry
from rhizo.pathway.windows import window_for

D = date(2025, 1, 10)  # the procedure day of the cohort
AS_OF = date(2026, 1, 1)  # every window has closed by then, except patient 9's


def scipy_wilson(events: int, total: int) -> tuple[float, float]:
    interval = binomtest(events, total).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


# --- the Wilson interval -------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "total", "low", "high"),
    [
        # Newcombe 1998, Stat Med 17:857, Table I, method 3 (score interval without
        # continuity correction), examples (a)-(d).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_table_and_scipy(
    events: int, total: int, low: float, high: float
) -> None:
    ours = wilson_interval(events, total)
    assert ours == pytest.approx((low, high), abs=5e-5)
    assert ours == pytest.approx(scipy_wilson(events, total), abs=1e-12)


@pytest.mark.parametrize(("events", "total"), [(0, 1), (1, 1), (5, 10), (10, 10), (3, 7)])
def test_wilson_edges_match_scipy(events: int, total: int) -> None:
    assert wilson_interval(events, total) == pytest.approx(scipy_wilson(events, total), abs=1e-12)


def test_wilson_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="total"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="events"):
        wilson_interval(4, 3)


def test_proportion_labels_small_denominators() -> None:
    assert Proportion(3, MIN_DENOMINATOR - 1).too_few
    assert not Proportion(3, MIN_DENOMINATOR).too_few
    assert Proportion(0, 0).estimate is None
    assert Proportion(0, 0).interval is None
    assert Proportion(81, 263).percent_text() == "30.8 % (95 % CI 25.5-36.6 %), 81/263"


# --- the cohort --------------------------------------------------------------------------


@dataclass
class Cohort:
    specialist_a: int
    specialist_b: int
    actor: Actor
    procedure_of: dict[str, int]


def _on(day: int) -> date:
    return D + timedelta(days=day)


def _procedure(
    session: Session,
    actor: Actor,
    patient_id: int,
    performer_id: int,
    when: date,
    status: ProcedureStatus = ProcedureStatus.COMPLETED,
) -> int:
    data = ProcedureCreate.model_validate(
        {
            "performer_id": performer_id,
            "performed_at": datetime(when.year, when.month, when.day, 9, 30, tzinfo=UTC),
            "region": "lumbar",
            "side": "right",
            "levels": ["L4-L5"],
            "status": status,
            # Two performed lesions and one position the gates stopped (not performed).
            "lesions": [
                good_lesion(),
                good_lesion(target_nerve="L3 medial branch"),
                good_lesion(performed=False, motor_response="limb"),
            ],
        }
    )
    return procedure_service.create(
        session=session, actor=actor, patient_id=patient_id, data=data
    ).id


def _block(session: Session, actor: Actor, patient_id: int, baseline: int | None) -> None:
    block_service.create(
        session=session,
        actor=actor,
        patient_id=patient_id,
        data=BlockCreate(
            performed_on=D - timedelta(days=30),
            levels=["L4-L5"],
            side=Side.RIGHT,
            agent=BlockAgent.LIDOCAINE,
            volume_ml=0.5,
            baseline_nrs=baseline,
            relief_percent=90,
        ),
    )


def _score(
    session: Session,
    actor: Actor,
    patient_id: int,
    day: int,
    nrs: int,
    procedure_id: int | None,
    pgic: int | None = None,
) -> None:
    followup_service.create(
        session=session,
        actor=actor,
        patient_id=patient_id,
        data=FollowUpCreate(
            followed_on=_on(day),
            nrs=nrs,
            pgic=pgic,
            procedure_id=procedure_id,
            source=FollowUpSource.CLINIC if procedure_id else FollowUpSource.DIARY,
        ),
    )


def _complication(
    session: Session, actor: Actor, patient_id: int, procedure_id: int, kind: str, severity: str
) -> None:
    complication_service.create(
        session=session,
        actor=actor,
        patient_id=patient_id,
        data=ComplicationCreate(
            type=ComplicationType(kind),
            severity=Severity(severity),
            onset_date=_on(3),
            procedure_id=procedure_id,
        ),
    )


@pytest.fixture
def cohort(session: Session) -> Cohort:
    """Specialist A: 8 completed procedures (+1 abandoned); specialist B: 2."""
    actor = actor_of(make_user(session, Role.CLINICIAN))
    a = make_specialist(session).id
    b = make_specialist(session).id
    ids: dict[str, int] = {}

    def patient(baseline: int | None) -> int:
        pid = make_patient(session).id
        if baseline is not None:
            _block(session, actor, pid, baseline)
        return pid

    # Three calendar months after D (10 Jan 2025) is 10 April, day 90 (window 60-120);
    # six months is 10 July, day 181 (window 151-211).
    # P1, baseline 8: day 90 NRS 4 = exactly 50 % -> responder (inclusive);
    # day 181 NRS 5 = 37.5 % -> not. Two complications on one procedure.
    p1 = patient(8)
    ids["p1"] = _procedure(session, actor, p1, a, D)
    _score(session, actor, p1, 90, 4, ids["p1"], pgic=2)
    _score(session, actor, p1, 181, 5, ids["p1"], pgic=4)
    _complication(session, actor, p1, ids["p1"], "neuritis", "mild")
    _complication(session, actor, p1, ids["p1"], "numbness", "mild")
    # P2, baseline 6: day 59 and 121 NRS 0 lie just outside the 3-month window;
    # day 120 NRS 5 (16.7 %) is inside -> assessable, not a responder.
    # 6 months: day 211 NRS 3 (50 %) inside -> responder; day 212 NRS 6 outside.
    p2 = patient(6)
    ids["p2"] = _procedure(session, actor, p2, a, D)
    _score(session, actor, p2, 59, 0, ids["p2"])
    _score(session, actor, p2, 121, 0, ids["p2"])
    _score(session, actor, p2, 120, 5, ids["p2"], pgic=3)
    _score(session, actor, p2, 211, 3, ids["p2"], pgic=2)
    _score(session, actor, p2, 212, 6, ids["p2"])
    # P3, baseline 7: day 79 NRS 2 (11 days off) vs day 94 NRS 6 (4 days off):
    # the nearest is day 94 -> 14 % -> not a responder.
    # 6 months: day 169 NRS 3 and day 193 NRS 7, both 12 days off: the earlier
    # wins -> 57 % -> responder. One moderate neuritis.
    p3 = patient(7)
    ids["p3"] = _procedure(session, actor, p3, a, D)
    _score(session, actor, p3, 79, 2, ids["p3"], pgic=3)
    _score(session, actor, p3, 94, 6, ids["p3"], pgic=1)
    _score(session, actor, p3, 169, 3, ids["p3"])
    _score(session, actor, p3, 193, 7, ids["p3"], pgic=6)
    _complication(session, actor, p3, ids["p3"], "neuritis", "moderate")
    # P4: no block, no earlier score -> no baseline, not assessable; its PGIC
    # still counts (PGIC needs no baseline).
    p4 = patient(None)
    ids["p4"] = _procedure(session, actor, p4, a, D)
    _score(session, actor, p4, 90, 1, ids["p4"], pgic=1)
    _score(session, actor, p4, 181, 1, ids["p4"])
    # P5: no block; baseline from the last score before the procedure (NRS 8,
    # an unlinked diary entry 10 days before). Day 89 NRS 3 = 62.5 % -> responder.
    # No 6-month follow-up -> missing.
    p5 = patient(None)
    _score(session, actor, p5, -10, 8, None)
    ids["p5"] = _procedure(session, actor, p5, a, D)
    _score(session, actor, p5, 89, 3, ids["p5"])
    # P6, baseline 5: an unlinked diary score at day 90 (NRS 1, 80 %) counts ->
    # responder. B repeats the procedure on day 150, so the unlinked day-181
    # score belongs to B's procedure, not A's -> A's 6 months missing.
    p6 = patient(5)
    ids["p6"] = _procedure(session, actor, p6, a, D)
    _score(session, actor, p6, 90, 1, None)
    ids["p6b"] = _procedure(session, actor, p6, b, _on(150))
    _score(session, actor, p6, 181, 1, None)
    # P8, baseline 0 (relief undefined) -> not assessable; done 2024-06-01, so
    # outside the last 12 months.
    p8 = patient(0)
    ids["p8"] = _procedure(session, actor, p8, a, date(2024, 6, 1))
    # P9, baseline 6, done 20 days before AS_OF: both windows still open.
    p9 = patient(6)
    ids["p9"] = _procedure(session, actor, p9, a, AS_OF - timedelta(days=20))
    # An abandoned procedure of A's: not counted anywhere.
    p_abandoned = patient(9)
    _procedure(session, actor, p_abandoned, a, D, status=ProcedureStatus.ABANDONED)
    # P10 (B), baseline 10: day 90 NRS 0 -> responder; B's only other patient.
    p10 = patient(10)
    ids["p10"] = _procedure(session, actor, p10, b, D)
    _score(session, actor, p10, 90, 0, ids["p10"], pgic=1)
    return Cohort(a, b, actor, ids)


def _check_interval(proportion: Proportion, events: int, total: int) -> None:
    assert (proportion.events, proportion.total) == (events, total)
    assert proportion.interval == pytest.approx(scipy_wilson(events, total), abs=1e-12)


def test_responder_definition_comes_from_the_knowledge_base() -> None:
    defs = outcomes.definitions()
    assert defs.relief_percent == entry("outcomes", "responder")["min_relief_percent"]
    assert [c.months for c in defs.checkpoints] == [
        entry("outcomes", "follow-up-3-months")["months"],
        entry("outcomes", "follow-up-6-months")["months"],
    ]
    # 3 and 6 calendar months after D (10 January 2025): 10 April and 10 July, +-30 days.
    assert [c.window_days for c in defs.checkpoints] == [30, 30]
    assert [window_for(D, c.months) for c in defs.checkpoints] == [
        (_on(60), _on(120)),
        (_on(151), _on(211)),
    ]
    assert defs.pgic_improved_labels == ("very much improved", "much improved")
    assert "Cohen" in defs.responder_source
    assert "Farrar" in defs.pgic_source


def test_specialist_counts_equal_the_hand_count(session: Session, cohort: Cohort) -> None:
    own = outcomes.specialist_summary(
        session=session, specialist_id=cohort.specialist_a, as_of=AS_OF, zone=UTC
    )
    # Completed: P1 P2 P3 P4 P5 P6 P8 P9 = 8 (abandoned excluded); P8 is older than 12 months.
    assert own.procedures == 8
    assert own.procedures_last_12_months == 7
    assert own.no_baseline == 2  # P4 (none), P8 (0)
    three, six = own.at(3), own.at(6)
    # 3 months: responders P1 (50 %), P5, P6; not P2 (16.7 %), P3 (nearest 14 %); P9 open.
    _check_interval(three.responders, 3, 5)
    assert (three.pending, three.missing) == (1, 0)
    # 6 months: responders P2 (50 % at the edge), P3 (tie -> earlier); not P1; P5, P6 missing.
    _check_interval(six.responders, 2, 3)
    assert (six.pending, six.missing) == (1, 2)
    for at in (three, six):
        assert at.responders.total + at.pending + at.missing + own.no_baseline == own.procedures
    # PGIC at the nearest follow-up: 3 months P1 2, P2 3, P3 1, P4 1 -> 3 of 4;
    # 6 months P1 4, P2 2 (P3's nearest has none) -> 1 of 2.
    _check_interval(three.satisfied, 3, 4)
    _check_interval(six.satisfied, 1, 2)
    # Complications: P1 (two) and P3 -> 2 procedures of 8.
    _check_interval(own.complications, 2, 8)
    assert three.responders.too_few


def test_clinic_is_the_sum_of_the_specialists(session: Session, cohort: Cohort) -> None:
    clinic = outcomes.clinic_summary(session=session, as_of=AS_OF, zone=UTC)
    # B adds P6's repeat (day 150: no score in either window, both closed) and P10.
    assert clinic.procedures == 10
    _check_interval(clinic.at(3).responders, 4, 6)
    assert clinic.at(3).missing == 1
    _check_interval(clinic.at(6).responders, 2, 3)
    # P6's repeat (day 150) is still open at 6 months (closes day 363, AS_OF is day 356).
    assert (clinic.at(6).pending, clinic.at(6).missing) == (2, 3)  # P9, repeat; P5, P6, P10
    _check_interval(clinic.at(3).satisfied, 4, 5)
    _check_interval(clinic.complications, 2, 10)


def test_as_of_hides_later_records(session: Session, cohort: Cohort) -> None:
    # As of day 100 only the 3-month scores up to day 100 exist; P9 is in the future.
    early = outcomes.specialist_summary(
        session=session, specialist_id=cohort.specialist_a, as_of=_on(100), zone=UTC
    )
    assert early.procedures == 7
    # P1 (90), P3 (79/94: 94 nearest), P5 (89), P6 (90) seen; P2's day-120 score not yet.
    _check_interval(early.at(3).responders, 3, 4)
    assert early.at(3).pending == 1  # P2's window closes on day 120


def test_page_figures_lesions_complications_and_audit(session: Session, cohort: Cohort) -> None:
    result = outcomes.specialist_outcomes(
        session=session,
        actor=cohort.actor,
        specialist_id=cohort.specialist_a,
        as_of=AS_OF,
        zone=UTC,
    )
    assert result.own == outcomes.specialist_summary(
        session=session, specialist_id=cohort.specialist_a, as_of=AS_OF, zone=UTC
    )
    assert result.clinic == outcomes.clinic_summary(session=session, as_of=AS_OF, zone=UTC)
    # 8 completed procedures x 2 performed lesions (the gated position is not performed).
    assert result.lesions_performed == 16
    assert [
        (c.type, c.severity, c.complications, c.procedures) for c in result.complication_counts
    ] == [
        ("neuritis", "mild", 1, 1),
        ("neuritis", "moderate", 1, 1),
        ("numbness", "mild", 1, 1),
    ]
    assert (
        count(
            session,
            AuditEvent,
            AuditEvent.action == AuditAction.READ,
            AuditEvent.entity_type == outcomes.ENTITY,
            AuditEvent.entity_id == str(cohort.specialist_a),
            AuditEvent.patient_id.is_(None),
        )
        == 1
    )


def test_overview_lists_every_specialist(session: Session, cohort: Cohort) -> None:
    overview = outcomes.specialists_overview(
        session=session, actor=cohort.actor, as_of=AS_OF, zone=UTC
    )
    by_id = {row.specialist.id: row.summary for row in overview.rows}
    assert by_id[cohort.specialist_a].procedures == 8
    assert by_id[cohort.specialist_b].procedures == 2
    _check_interval(by_id[cohort.specialist_b].at(3).responders, 1, 1)
    assert overview.clinic.procedures == 10
    assert (
        count(
            session,
            AuditEvent,
            AuditEvent.entity_type == outcomes.ENTITY,
            AuditEvent.entity_id.is_(None),
        )
        == 1
    )


def test_unknown_specialist_is_404(session: Session, cohort: Cohort) -> None:
    with pytest.raises(NotFoundError):
        outcomes.specialist_outcomes(
            session=session, actor=cohort.actor, specialist_id=999_999, as_of=AS_OF, zone=UTC
        )


def test_stale_snapshot_is_a_mismatch(session: Session, cohort: Cohort) -> None:
    snapshot = outcomes.compute_snapshot(session=session, as_of=AS_OF, zone=UTC)
    with pytest.raises(ValueError, match="as of"):
        outcomes.specialist_outcomes(
            session=session,
            actor=cohort.actor,
            specialist_id=cohort.specialist_a,
            as_of=_on(100),
            zone=UTC,
            snapshot=snapshot,
        )


# --- the cache ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fake:
    """A dated result standing in for a snapshot (the cache needs only ``as_of``)."""

    as_of: date
    computed_at: datetime
    lesions: dict[int, int]


def _fake_snapshot(as_of: date, n: int) -> _Fake:
    return _Fake(as_of=as_of, computed_at=datetime.now(UTC), lesions={n: n})


def test_cache_serves_fresh_then_refreshes_when_stale() -> None:
    now = [0.0]
    calls: list[date] = []

    def compute(as_of: date) -> _Fake:
        calls.append(as_of)
        return _fake_snapshot(as_of, len(calls))

    cache = SnapshotCache(compute, max_age_s=60, clock=lambda: now[0], background=False)
    day = date(2026, 1, 1)
    assert cache.get(day).lesions == {1: 1}
    now[0] = 59.0
    assert cache.get(day).lesions == {1: 1}  # still fresh: no recomputation
    now[0] = 61.0
    assert cache.get(day).lesions == {2: 2}  # stale: recomputed
    assert cache.get(day + timedelta(days=1)).lesions == {3: 3}  # a new day: computed
    assert len(calls) == 3
    cache.clear()
    assert cache.get(day).lesions == {4: 4}


def test_cache_returns_stale_while_refreshing_in_background() -> None:
    import threading

    release = threading.Event()
    now = [0.0]
    calls: list[int] = []

    def compute(as_of: date) -> _Fake:
        calls.append(1)
        if len(calls) > 1:
            release.wait(5)
        return _fake_snapshot(as_of, len(calls))

    cache = SnapshotCache(compute, max_age_s=10, clock=lambda: now[0])
    day = date(2026, 1, 1)
    assert cache.get(day).lesions == {1: 1}
    now[0] = 11.0
    assert cache.get(day).lesions == {1: 1}  # stale, refresh started
    assert cache.get(day).lesions == {1: 1}  # refresh still running: no second thread
    release.set()
    for _ in range(100):
        if cache.get(day).lesions == {2: 2}:
            break
        threading.Event().wait(0.02)
    assert cache.get(day).lesions == {2: 2}
    assert len(calls) == 2


def test_cache_serves_yesterday_while_computing_today() -> None:
    import threading

    computed: list[date] = []
    done = threading.Event()

    def compute(as_of: date) -> _Fake:
        computed.append(as_of)
        if len(computed) > 1:
            done.set()
        return _fake_snapshot(as_of, len(computed))

    cache = SnapshotCache(compute, max_age_s=300, clock=lambda: 0.0)
    day = date(2026, 1, 1)
    assert cache.get(day).as_of == day  # first request of the process: computed now
    served = cache.get(day + timedelta(days=1))
    assert served.as_of == day  # yesterday's, labelled as such, while today's computes
    assert done.wait(5)
    for _ in range(100):
        if cache.get(day + timedelta(days=1)).as_of == day + timedelta(days=1):
            break
        threading.Event().wait(0.02)
    assert cache.get(day + timedelta(days=1)).as_of == day + timedelta(days=1)
    assert computed == [day, day + timedelta(days=1)]


def test_cache_refuses_negative_age() -> None:
    with pytest.raises(ValueError, match="max_age_s"):
        SnapshotCache(lambda day: _fake_snapshot(day, 0), max_age_s=-1)


def test_percent_text_uses_the_interval() -> None:
    low, high = scipy_wilson(3, 5)
    text = Proportion(3, 5).percent_text()
    assert text == f"60.0 % (95 % CI {100 * low:.1f}-{100 * high:.1f} %), 3/5"
    assert math.isclose(Proportion(3, 5).estimate or 0.0, 0.6)
