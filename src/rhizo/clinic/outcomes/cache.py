"""The latest outcome snapshot, shared by the pages and the API, refreshed in the background.

A snapshot is one pass over every completed procedure and its scores (seconds
at 100,000 patients; docs/performance.md), too slow for every page view and
pointless to repeat: rates over years of procedures do not move between two
page views. So the pages read the latest snapshot for today's date; once it
is older than ``max_age_s`` the next request still gets it immediately while
one background thread computes a fresh one (stale-while-revalidate); on a new
day the previous day's snapshot is served, with its own date, until today's
is ready. Only the first request after the process starts waits for a
computation. The page shows the date its figures are as of and when they
were computed.

Writes in other processes or in this one are seen at the next refresh, so a
figure is at most ``max_age_s`` plus one computation old.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, Protocol, TypeVar

_log = logging.getLogger("rhizo.clinic.outcomes")

#: Default age after which a snapshot is recomputed in the background (seconds).
MAX_AGE_S = 300.0


class Dated(Protocol):
    """A computed result that knows the day its figures are as of."""

    @property
    def as_of(self) -> date: ...


S = TypeVar("S", bound=Dated)


@dataclass
class _Entry(Generic[S]):
    snapshot: S
    taken: float


class SnapshotCache(Generic[S]):
    """Snapshots by as-of date (only the latest date is kept), thread-safe.

    Any result with an ``as_of`` date can be cached: the specialist outcome
    snapshot (:mod:`rhizo.clinic.outcomes.snapshot`) is one.

    ``compute(as_of)`` must open and close its own database session: it runs
    in a background thread for refreshes. ``background=False`` refreshes
    synchronously (tests).
    """

    def __init__(
        self,
        compute: Callable[[date], S],
        *,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
        background: bool = True,
    ) -> None:
        if max_age_s < 0:
            raise ValueError(f"max_age_s must be >= 0, got {max_age_s}")
        self._compute = compute
        self._max_age_s = max_age_s
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        self._entries: dict[date, _Entry[S]] = {}
        self._refreshing: set[date] = set()

    @property
    def max_age_s(self) -> float:
        """Age in seconds after which a snapshot is refreshed."""
        return self._max_age_s

    def clear(self) -> None:
        """Forget every snapshot (the next request computes)."""
        with self._lock:
            self._entries.clear()

    def get(self, as_of: date) -> S:
        """The snapshot for ``as_of``, or an older one while a refresh runs (check its
        ``as_of``), or one computed now when there is none at all."""
        with self._lock:
            entry = self._entries.get(as_of)
            if entry is None and self._entries and self._background:
                # A new day: yesterday's snapshot (labelled with its own date) until
                # today's is computed, so no request waits at midnight.
                entry = self._entries[max(self._entries)]
                if entry.snapshot.as_of > as_of:
                    entry = None
            if entry is not None:
                fresh = (
                    entry.snapshot.as_of == as_of and self._clock() - entry.taken <= self._max_age_s
                )
                if fresh or as_of in self._refreshing:
                    return entry.snapshot
                if self._background:
                    self._refreshing.add(as_of)
                    threading.Thread(
                        target=self._refresh, args=(as_of,), name="outcome-refresh", daemon=True
                    ).start()
                    return entry.snapshot
        # The first request of this process (or a synchronous refresh): compute now.
        return self._store(as_of, self._compute(as_of))

    def _store(self, as_of: date, snapshot: S) -> S:
        with self._lock:
            # Dates roll over daily; older dates are never asked for again.
            for old in [day for day in self._entries if day < as_of]:
                del self._entries[old]
            self._entries[as_of] = _Entry(snapshot, self._clock())
        return snapshot

    def _refresh(self, as_of: date) -> None:
        try:
            self._store(as_of, self._compute(as_of))
        except Exception:  # keep serving the stale snapshot; the next request retries
            _log.exception("outcome snapshot refresh failed for %s", as_of)
        finally:
            with self._lock:
                self._refreshing.discard(as_of)
