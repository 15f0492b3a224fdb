"""The app's one outcome snapshot cache, the values derived from it, and performer names.

Reading the registry and computing every course takes seconds at 100,000
patients (docs/performance.md), so the specialist pages, the Outcomes page and
``GET /api/v1/analytics/durability`` share ONE
:class:`~rhizo.clinic.outcomes.cache.SnapshotCache` of
:class:`~rhizo.clinic.outcomes.snapshot.OutcomeSnapshot` per app: every
figure they show comes from the same snapshot, so one question has one answer
on every page. Each page says the day its figures are as of.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.outcomes.cache import SnapshotCache
from rhizo.clinic.outcomes.durability import DurabilityReport, Grouping, analyse
from rhizo.clinic.outcomes.snapshot import OutcomeSnapshot, compute_snapshot
from rhizo.clinic.specialist.models import Specialist

_lock = threading.Lock()
T = TypeVar("T")


def snapshot_cache(state: Any) -> SnapshotCache[OutcomeSnapshot]:
    """The app's snapshot cache (``app.state.outcome_cache``), made on first use.

    It computes with its own sessions (``state.session_factory``) in the clinic's
    zone (``state.settings.clinic_zone``): the clinic day of every procedure.
    """
    with _lock:
        cache: SnapshotCache[OutcomeSnapshot] | None = getattr(state, "outcome_cache", None)
        if cache is None:
            factory = state.session_factory
            zone = state.settings.clinic_zone

            def compute(as_of: date) -> OutcomeSnapshot:
                session = factory()
                try:
                    return compute_snapshot(session=session, as_of=as_of, zone=zone)
                finally:
                    session.close()

            cache = SnapshotCache(compute)
            state.outcome_cache = cache
    return cache


def performer_names(session: Session) -> dict[int, str]:
    """Specialist id -> display name (a handful of rows)."""
    rows = session.execute(sa.select(Specialist.id, Specialist.display_name)).all()
    return {int(row[0]): str(row[1]) for row in rows}


class DerivedFromSnapshot:
    """Values computed from the latest snapshot (analyses, plots), kept until a new one
    arrives. A snapshot only changes when the cache hands out a new object, so identity
    is the freshness test, and holding that object means its id is never reused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: OutcomeSnapshot | None = None
        self._values: dict[Hashable, Any] = {}

    def get(self, snapshot: OutcomeSnapshot, key: Hashable, compute: Callable[[], T]) -> T:
        """The value under ``key`` for ``snapshot``, computed on first use."""
        with self._lock:
            if snapshot is not self._snapshot:
                self._snapshot, self._values = snapshot, {}
            if key in self._values:
                return cast(T, self._values[key])
        value = compute()
        with self._lock:
            if snapshot is self._snapshot:
                self._values[key] = value
        return value


def derived(state: Any) -> DerivedFromSnapshot:
    """The app's store of values derived from the latest snapshot (made on first use)."""
    with _lock:
        store: DerivedFromSnapshot | None = getattr(state, "outcome_derived", None)
        if store is None:
            store = DerivedFromSnapshot()
            state.outcome_derived = store
    return store


def analysis(
    state: Any, snapshot: OutcomeSnapshot, grouping: Grouping, names: dict[int, str]
) -> DurabilityReport | None:
    """The analysis of ``snapshot`` split by ``grouping``, computed once per snapshot
    (fitting a dozen curves over 100,000 courses is not free; docs/performance.md)."""
    return derived(state).get(
        snapshot,
        ("analysis", grouping, tuple(sorted(names.items()))),
        lambda: analyse(snapshot, grouping=grouping, performer_names=names),
    )
