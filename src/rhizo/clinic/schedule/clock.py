"""The clinic's clock: wall times of a zone <-> instants (UTC), per date, DST-correct.

The one place the schedule converts between a wall clock and an instant; every
other module (slots, booking, reminders, pages, FHIR) calls these.

* :func:`instant` ``(day, wall_time, zone) -> UTC instant``. A wall time that
  does not exist on ``day`` (the spring-forward gap: 01:30 in Europe/London on
  2026-03-29, 02:30 in America/New_York on 2026-03-08) raises
  :class:`NonexistentWallTimeError`; an ambiguous one (the autumn repeat:
  01:30 in London on 2026-10-25 happens twice) is the **first** occurrence
  (``fold=0``, the summer-time offset), as the design states.
* :func:`local` ``(moment, zone)`` is the aware wall-clock datetime of an instant.
* :func:`clinic_date` is the clinic's calendar date of an instant: it is
  :func:`rhizo.pathway.clinic_day.procedure_day` (one definition of "the clinic's day").
* :func:`day_bounds` is the half-open UTC span ``[start, end)`` of one calendar
  date in a zone (23 or 25 hours long on a change day).

A weekly 09:00 session in London is therefore 09:00 UTC on Monday 2026-03-23
(GMT) and 08:00 UTC on Monday 2026-03-30 (BST): the wall time is kept, the
instant moves.

Evidence: definitions (local protocol); time-zone rules from the IANA tz
database through :mod:`zoneinfo`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.pathway.clinic_day import clinic_zone_named, procedure_day


class NonexistentWallTimeError(ValueError):
    """A wall time skipped by a daylight-saving change on that date in that zone."""

    def __init__(self, day: date, wall_time: time, zone: tzinfo) -> None:
        self.day = day
        self.wall_time = wall_time
        self.zone = zone
        super().__init__(
            f"{day.isoformat()} {wall_time.strftime('%H:%M')} does not exist in {zone_name(zone)} "
            "(the clocks go forward over it)"
        )


def zone_name(zone: tzinfo) -> str:
    """The IANA name of ``zone`` (its ``key``), else its ``str``."""
    return str(getattr(zone, "key", zone))


def zone_of(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone ``name``; 422 on ``field`` naming the value when it does not exist."""
    try:
        return clinic_zone_named(name)
    except ValueError:
        raise InvalidInputError(
            [
                FieldProblem(
                    field,
                    name,
                    "unknown_timezone",
                    f"{name!r} is not an IANA time zone name "
                    "(such as 'Europe/London' or 'America/New_York')",
                )
            ]
        ) from None


def _zone(zone: tzinfo | str) -> tzinfo:
    return clinic_zone_named(zone) if isinstance(zone, str) else zone


def exists(day: date, wall_time: time, zone: tzinfo | str) -> bool:
    """Whether ``wall_time`` happens on ``day`` in ``zone`` (False in a spring-forward gap).

    A wall time exists when converting it to UTC and back gives it again.
    """
    tz = _zone(zone)
    wall = datetime.combine(day, wall_time.replace(tzinfo=None, fold=0), tzinfo=tz)
    back = wall.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == wall.replace(tzinfo=None)


def instant(day: date, wall_time: time, zone: tzinfo | str) -> datetime:
    """The UTC instant of ``wall_time`` on ``day`` in ``zone``.

    Raises :class:`NonexistentWallTimeError` in a spring-forward gap; an
    ambiguous (repeated) wall time is its first occurrence (``fold=0``).
    """
    tz = _zone(zone)
    if not exists(day, wall_time, tz):
        raise NonexistentWallTimeError(day, wall_time, tz)
    wall = datetime.combine(day, wall_time.replace(tzinfo=None, fold=0), tzinfo=tz)
    return wall.astimezone(UTC)


def local(moment: datetime, zone: tzinfo | str) -> datetime:
    """The aware wall-clock time of the instant ``moment`` in ``zone`` (naive = UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(_zone(zone))


def clinic_date(moment: datetime, zone: tzinfo | str) -> date:
    """The calendar date of ``moment`` on ``zone``'s clock (the clinic's day)."""
    return procedure_day(moment, zone)


def day_bounds(day: date, zone: tzinfo | str) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC of the calendar date ``day`` in ``zone``.

    Midnight exists everywhere rhizo is used; where a zone skips midnight itself
    (a few historical changes), the first instant after the gap is used.
    """
    tz = _zone(zone)
    return _midnight(day, tz), _midnight(day + timedelta(days=1), tz)


def _midnight(day: date, tz: tzinfo) -> datetime:
    wall = time(0, 0)
    while not exists(day, wall, tz):
        wall = (datetime.combine(day, wall) + timedelta(minutes=30)).time()
    return instant(day, wall, tz)


def now_utc() -> datetime:
    """The current instant (aware UTC): the one clock booking checks "in the past" against."""
    return datetime.now(UTC)
