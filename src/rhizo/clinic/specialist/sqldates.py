"""Date arithmetic in SQL that reads the same on SQLite and PostgreSQL.

The outcome queries compare follow-up dates with a window around each
procedure's date inside the database, so that no row has to be loaded into
Python. SQLite stores dates as ISO text (``date()``/``julianday()``),
PostgreSQL has a ``date`` type with integer day arithmetic; these constructs
render the right SQL for each. Day offsets are whole numbers fixed by the code
(never user input), rendered inline so PostgreSQL sees ``date + integer``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class utc_day(FunctionElement[date]):
    """The UTC calendar date of a timestamp column (stored in UTC by ``UTCDateTime``)."""

    type = sa.Date()
    name = "utc_day"
    inherit_cache = True


class add_days(FunctionElement[date]):
    """A date plus a fixed whole number of days (``add_days(column, 61)``)."""

    type = sa.Date()
    name = "add_days"
    inherit_cache = True

    def __init__(self, day: sa.ColumnElement[Any], days: int) -> None:
        super().__init__(day, sa.literal_column(str(int(days))))


class days_between(FunctionElement[int]):
    """Whole days from the second date to the first (``later - earlier``)."""

    type = sa.Integer()
    name = "days_between"
    inherit_cache = True


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    (timestamp,) = _args(element, compiler, **kw)
    return f"date({timestamp})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    (timestamp,) = _args(element, compiler, **kw)
    return f"CAST(({timestamp} AT TIME ZONE 'UTC') AS DATE)"


@compiles(add_days, "sqlite")
def _add_days_sqlite(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = _args(element, compiler, **kw)
    return f"date({day}, '{int(days):+d} days')"


@compiles(add_days, "postgresql")
def _add_days_postgresql(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = _args(element, compiler, **kw)
    return f"(CAST({day} AS DATE) + {int(days)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _args(element, compiler, **kw)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _args(element, compiler, **kw)
    return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"
