"""The shared course cache (one registry pass, refreshed in the background) and names.

Reading every completed procedure's scores takes seconds at 100,000 patients
(docs/performance.md), so the API and the page share one
:class:`~rhizo.clinic.specialist.outcome_cache.SnapshotCache` of
:class:`~rhizo.clinic.analytics.courses.Courses` per app, as the specialist
pages do; the report says the day its figures are as of.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.analytics.courses import Courses, load_courses
from rhizo.clinic.analytics.durability import DurabilityReport, Grouping, analyse
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.specialist.outcome_cache import SnapshotCache

_lock = threading.Lock()
T = TypeVar("T")


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


class DerivedFromCourses:
    """Values computed from the latest courses (analyses, plots), kept until new courses
    arrive. The courses only change when the cache hands out a new object, so identity
    is the freshness test, and holding that object means its id is never reused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._courses: Courses | None = None
        self._values: dict[Hashable, Any] = {}

    def get(self, courses: Courses, key: Hashable, compute: Callable[[], T]) -> T:
        """The value under ``key`` for ``courses``, computed on first use."""
        with self._lock:
            if courses is not self._courses:
                self._courses, self._values = courses, {}
            if key in self._values:
                return cast(T, self._values[key])
        value = compute()
        with self._lock:
            if courses is self._courses:
                self._values[key] = value
        return value


def derived(state: Any) -> DerivedFromCourses:
    """The app's store of values derived from the latest courses (made on first use)."""
    with _lock:
        store: DerivedFromCourses | None = getattr(state, "durability_derived", None)
        if store is None:
            store = DerivedFromCourses()
            state.durability_derived = store
    return store


def analysis(
    state: Any, courses: Courses, grouping: Grouping, names: dict[int, str]
) -> DurabilityReport | None:
    """The analysis of ``courses`` split by ``grouping``, computed once per courses object
    (fitting a dozen curves over 100,000 courses is not free; docs/performance.md)."""
    return derived(state).get(
        courses,
        ("analysis", grouping, tuple(sorted(names.items()))),
        lambda: analyse(courses, grouping=grouping, performer_names=names),
    )
