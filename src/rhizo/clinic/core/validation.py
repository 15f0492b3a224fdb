"""Plausible values: the one definition of each rule every clinic input obeys.

The API schemas (:class:`rhizo.clinic.core.common.Schema` and its field types), the
web forms (which validate through the same schemas), the path and query
parameters, the services' cross-field checks and the pages that flag stored
rows all call the rules here, so a value is judged the same way everywhere.

* **Ids** are ``1 .. 2**31 - 1``: PostgreSQL ``INTEGER`` holds no more, SQLite's
  64-bit integers would, so both databases agree on the smaller range
  (:data:`MAX_ID`). A larger id names no row: 422, never an overflow.
* **Numbers** are finite: ``NaN`` and ``Infinity`` (which Python's JSON reader
  accepts) are refused by the schemas' ``allow_inf_nan=False``; echoed back in
  an error they are spelled as strings (:func:`json_safe`), never as invalid JSON.
* **Text** holds no NUL (U+0000: PostgreSQL text cannot store it) and no lone
  surrogate (U+D800..U+DFFF: not Unicode scalar values, not encodable as UTF-8).
* **Dates** lie in a clinical window: on or after :data:`EARLIEST_DATE`
  (1900-01-01) and on or before today, or today plus :data:`PLANNING_HORIZON`
  (731 days, two years) for what may be booked ahead (plans, scheduled
  procedures, a planned stop). A clinical event is also on or after the
  patient's birth date (:func:`before_birth`, checked by the services).
* **Date-times** carry a time zone (a naive one is ambiguous by the clinic's
  offset, and the database stores UTC) and fall in the same window by their own
  calendar date; one that has happened is not after now (plus
  :data:`CLOCK_SKEW`).

"Today" is the server's local day (:func:`date.today`), as for the earlier
future-date rule; the window is wide enough that a zone difference of a day
never refuses a real value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import AfterValidator

#: The largest id a path, query or body may name (PostgreSQL ``INTEGER``: 2**31 - 1).
MAX_ID = 2**31 - 1
#: The earliest plausible date of anything in the registry (a birth date included).
EARLIEST_DATE = date(1900, 1, 1)
#: How far ahead a plan or a booking may be dated (two years).
PLANNING_HORIZON = timedelta(days=731)
#: How far a moment that "has happened" may lie ahead of the server's clock.
CLOCK_SKEW = timedelta(minutes=5)

#: A row id in a path, a query or a body: ``1 .. MAX_ID``.
DbId = Annotated[int, Interval(ge=1, le=MAX_ID)]


# --- text -------------------------------------------------------------------------


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (NUL or a lone surrogate), else None."""
    position = value.find("\x00")
    if position >= 0:
        return f"contains a NUL character (U+0000) at position {position}; text may not contain NUL"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(value[error.start])
        return (
            f"contains a lone surrogate U+{code:04X} at position {error.start}, which is not "
            "valid Unicode; send UTF-8 text (surrogates only in pairs)"
        )
    return None


def check_text(value: str) -> str:
    """``value``, or ``ValueError`` naming the NUL or lone surrogate it holds."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def check_texts(value: Any) -> Any:
    """:func:`check_text` on every string in ``value`` (lists, tuples, dict keys and values)."""
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_texts(item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_texts(key)
            check_texts(item)
    return value


#: Free text in a query parameter (a search box): no NUL, no lone surrogate.
QueryText = Annotated[str, AfterValidator(check_text)]


def json_safe(value: Any) -> Any:
    """``value`` with what JSON cannot carry spelled out: non-finite floats as
    ``"NaN"``/``"Infinity"``/``"-Infinity"``, lone surrogates as ``\\udXXX`` escapes.

    For echoing a refused input back in an error body, which must itself be JSON.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return value if text_problem(value) is None else _escaped(value)
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    return value


def _escaped(value: str) -> str:
    return value.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


# --- dates ------------------------------------------------------------------------


@dataclass(frozen=True)
class DateWindow:
    """The plausible days of one kind of date: :data:`EARLIEST_DATE` to today + ``ahead``."""

    #: What the date is, for messages: "a birth date", "a day that has happened".
    kind: str
    #: How far after today the window reaches.
    ahead: timedelta = timedelta(0)

    def latest(self, today: date) -> date:
        """The last plausible day."""
        return today + self.ahead

    def describe(self, today: date) -> str:
        """The window in words, e.g. ``1900-01-01 to 2026-12-01 (today)``."""
        reach = "today" if not self.ahead else f"today + {self.ahead.days} days"
        return f"{EARLIEST_DATE.isoformat()} to {self.latest(today).isoformat()} ({reach})"

    def problem(self, value: date, *, today: date | None = None) -> str | None:
        """Why ``value`` is outside the window, else None."""
        today = today or date.today()
        if EARLIEST_DATE <= value <= self.latest(today):
            return None
        window = f"the plausible window for {self.kind}: {self.describe(today)}"
        if value > today and not self.ahead:
            return f"{value.isoformat()} is in the future; give the day it happened ({window})"
        if value > today:
            return f"{value.isoformat()} is outside {window}; nothing is planned further ahead"
        return f"{value.isoformat()} is outside {window}; check the year"

    def check(self, value: date) -> date:
        """``value``, or ``ValueError`` with :meth:`problem`."""
        problem = self.problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


BIRTH = DateWindow("a birth date")
HAPPENED = DateWindow("a day that has happened")
PLANNED = DateWindow("a day that may be planned ahead", PLANNING_HORIZON)
#: Any day the registry may hold (the widest window: what a stored row is judged by).
CLINICAL = PLANNED

#: A birth date: 1900-01-01 to today.
BirthDate = Annotated[date, AfterValidator(BIRTH.check)]
#: The day something happened (a block, a follow-up, a complication): 1900 to today.
HappenedOn = Annotated[date, AfterValidator(HAPPENED.check)]
#: A day that may lie ahead (a plan, a planned stop): 1900 to today + two years.
PlannedOn = Annotated[date, AfterValidator(PLANNED.check)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{value.isoformat()} has no time zone; a time zone is required "
            "(e.g. 2026-01-31T09:30:00Z or 2026-01-31T10:30:00+01:00)"
        )
    return value


def moment_problem(
    value: datetime, window: DateWindow, *, now: datetime | None = None
) -> str | None:
    """Why the aware ``value`` is implausible for ``window``, else None.

    The calendar date is judged in the value's own offset before any conversion,
    so ``0001-01-01T00:00+14:00`` (which has no UTC equivalent) is refused here,
    not by an overflow later. A moment that has happened is not after ``now``.
    """
    now = now or datetime.now(UTC)
    problem = window.problem(value.date(), today=now.date())
    if problem is not None:
        return problem
    if not window.ahead and value > now + CLOCK_SKEW:
        return f"{value.isoformat()} is in the future; give the time it happened"
    return None


def _moment_check(window: DateWindow) -> Any:
    def check(value: datetime) -> datetime:
        problem = moment_problem(_aware(value), window)
        if problem is not None:
            raise ValueError(problem)
        return value

    return check


#: A moment that has happened (a discharge): time zone required, 1900 to now.
HappenedAt = Annotated[datetime, AfterValidator(_moment_check(HAPPENED))]
#: A moment that may lie ahead (a procedure, a query bound): zone required, 1900 to +2 years.
PlannedAt = Annotated[datetime, AfterValidator(_moment_check(PLANNED))]


def before_birth(birth_date: date, values: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """``(field, value, message)`` for each date or date-time in ``values`` before birth.

    A date-time is judged by its own calendar date. No event of a patient's
    record precedes their birth.
    """
    problems = []
    for name, value in values.items():
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and day < birth_date:
            given = value.isoformat()
            message = f"{given} is before the patient's birth date {birth_date.isoformat()}"
            problems.append((name, given, message))
    return problems


def stored_date_problem(value: date | datetime | None, *, today: date) -> str | None:
    """Why a stored date (or date-time) is implausible: for flagging rows on pages.

    Rows written before these checks, or directly in the database, are shown
    flagged rather than breaking the page that lists them.
    """
    if value is None:
        return None
    day = value.date() if isinstance(value, datetime) else value
    return CLINICAL.problem(day, today=today)
