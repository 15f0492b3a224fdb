"""Lesion tables for the planner page, built in a background thread, never in a request.

A lesion table (:mod:`rhizo.physics.surrogate`: 448 engine runs over tip x set
temperature x time for one cannula and tissue, about a CPU-minute) answers the
planner in microseconds once built. The page asks :class:`TableBuilds` to build
the table of the clinical tissue (:data:`rhizo.physics.CLINICAL_TISSUE`) for the
gauge it is asked about; the build runs in one daemon thread, one table at a time,
saved by :class:`rhizo.physics.surrogate_cache.LesionTables` to the user's cache
(so a restart finds it), while the page answers from the engine and says how far
the build has come (``done`` of ``total`` runs). ``rhizo lesion-table build`` does the
same ahead of time.

Builds are off in ``RHIZO_ENV=test`` (:func:`builds_enabled`): a test must not start
a CPU-minute of work behind another test's back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from rhizo.physics import CLINICAL_TISSUE
from rhizo.physics.surrogate import TableSpec
from rhizo.physics.surrogate_cache import LesionTables, default_tables

logger = logging.getLogger(__name__)


@dataclass
class BuildState:
    """Where one table's build stands: runs done of total, finished, or the error."""

    label: str
    done: int = 0
    total: int = 0
    finished: bool = False
    error: str = ""

    def describe(self) -> str:
        """One line for the page, e.g. 'being built in the background: 120 of 464 runs'."""
        if self.error:
            return f"the background build failed ({self.error})"
        if self.finished:
            return "built"
        if self.total:
            return f"being built in the background: {self.done} of {self.total} engine runs"
        return "queued for a background build"


class TableBuilds:
    """One background builder of lesion tables; at most one build runs at a time.

    ``tables`` gives the :class:`LesionTables` to build in (default: the process's).
    """

    def __init__(self, *, tables: Callable[[], LesionTables] = default_tables) -> None:
        self.tables = tables
        self._states: dict[str, BuildState] = {}
        self._queue: list[TableSpec] = []
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def state(self, spec: TableSpec) -> BuildState | None:
        """The build of ``spec`` asked for in this process, if any."""
        with self._lock:
            return self._states.get(spec.label)

    def request(self, spec: TableSpec) -> BuildState:
        """Queue the build of ``spec`` (once) and return its state; returns at once."""
        with self._lock:
            state = self._states.get(spec.label)
            if state is not None:
                return state
            state = BuildState(label=spec.label)
            self._states[spec.label] = state
            self._queue.append(spec)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._run, name="rhizo-lesion-tables", daemon=True
                )
                self._worker.start()
            return state

    def join(self, timeout_s: float | None = None) -> None:
        """Wait for the queued builds (tests and the benchmark)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                spec = self._queue.pop(0)
                state = self._states[spec.label]

            def progress(done: int, total: int, state: BuildState = state) -> None:
                state.done, state.total = done, total

            try:
                self.tables().table(spec, build=True, progress=progress)
                state.finished = True
            except Exception as error:  # a failed build must not kill the page
                logger.exception("lesion table %s: background build failed", spec.label)
                state.error = f"{type(error).__name__}: {error}"


def clinical_spec(tables: LesionTables, gauge: int, tip_kind: str = "blunt") -> TableSpec:
    """The table the planner builds: one cannula in :data:`CLINICAL_TISSUE`."""
    return tables.spec(gauge=gauge, tip_kind=tip_kind, tissue=CLINICAL_TISSUE)


def builds_enabled(env: str) -> bool:
    """Background builds run everywhere but in ``RHIZO_ENV=test``."""
    return env != "test"


BUILDS = TableBuilds()
