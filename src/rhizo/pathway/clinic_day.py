"""The day a procedure counts from: the clinic's calendar day of its start time.

Follow-up windows, baselines and durations all count whole days from this day,
so it must be one day everywhere. It is the calendar date on the clinic's wall
clock (``RHIZO_CLINIC_TIMEZONE`` in the clinic's settings), not the UTC date:
a procedure at 00:30 in London summer time (23:30 UTC the day before) happened,
for the patient and the clinician, on the London date.

Evidence: definition (local protocol); no clinical source is needed to say a
procedure happened on the date the clinic saw it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def clinic_zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``ValueError`` naming the value when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"clinic time zone {name!r} is not an IANA time zone name (e.g. 'Europe/London')"
        ) from None


def procedure_day(performed_at: datetime, clinic_tz: tzinfo | str) -> date:
    """The clinic's calendar date of ``performed_at``.

    An aware time is converted to ``clinic_tz`` (a ``tzinfo`` or an IANA name).
    A naive time is a stored UTC time (the registry keeps UTC and SQLite hands
    it back without its zone), so it is read as UTC first. At the calendar's
    ends, where the clinic's date does not exist (9999-12-31 23:00 UTC east of
    UTC), the UTC date is returned.
    """
    zone = clinic_zone_named(clinic_tz) if isinstance(clinic_tz, str) else clinic_tz
    moment = performed_at if performed_at.tzinfo is not None else performed_at.replace(tzinfo=UTC)
    try:
        return moment.astimezone(zone).date()
    except OverflowError:
        return moment.astimezone(UTC).date()
