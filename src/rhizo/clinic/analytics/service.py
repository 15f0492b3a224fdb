"""The shared course cache (one registry pass, refreshed in the background) and names.

Reading every completed procedure's scores takes seconds at 100,000 patients
(docs/performance.md), so the API and the page share one
:class:`~rhizo.clinic.specialist.outcome_cache.SnapshotCache` of
:class:`~rhizo.clinic.analytics.courses.Courses` per app, as the specialist
pages do; the report says the day its figures are as of.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.analytics.courses import Courses, load_courses
from rhizo.clinic.analytics.durability import DurabilityReport, Grouping, analyse
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.specialist.outcome_cache import SnapshotCache

_lock = threading.Lock()
#: Analyses kept per app: one per grouping of the latest courses is enough.
_KEEP = 8


def courses_cache(state: Any) -> SnapshotCache[Courses]:
    """The app's course cache (``app.state``), made on first use with its own sessions."""
    with _lock:
        cache: SnapshotCache[Courses] | None = getattr(state, "courses_cache", None)
        if cache is None:
            factory = state.session_factory

            def compute(as_of: date) -> Courses:
                session = factory()
                try:
                    return load_courses(session, as_of=as_of)
                finally:
                    session.close()

            cache = SnapshotCache(compute)
            state.courses_cache = cache
    return cache


def performer_names(session: Session) -> dict[int, str]:
    """Specialist id -> display name (a handful of rows)."""
    rows = session.execute(sa.select(Specialist.id, Specialist.display_name)).all()
    return {int(row[0]): str(row[1]) for row in rows}


def analysis(
    state: Any, courses: Courses, grouping: Grouping, names: dict[int, str]
) -> DurabilityReport | None:
    """The analysis of ``courses`` split by ``grouping``, computed once per courses object.

    The curves only change when the cache hands out new courses, so every view
    in between reuses them (fitting a dozen curves over 150,000 courses is
    not free; docs/performance.md). Keyed by the courses object itself, held
    here, so an id is never reused while its entry lives.
    """
    key = (id(courses), grouping, tuple(sorted(names.items())))
    with _lock:
        memo: dict[Any, tuple[Courses, DurabilityReport | None]] = (
            getattr(state, "durability_memo", None) or {}
        )
        state.durability_memo = memo
        hit = memo.get(key)
        if hit is not None and hit[0] is courses:
            return hit[1]
    report = analyse(courses, grouping=grouping, performer_names=names)
    with _lock:
        if len(memo) >= _KEEP:
            memo.clear()
        memo[key] = (courses, report)
    return report
