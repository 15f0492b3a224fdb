"""The clinic's wall clock: stored in UTC, entered and shown in the clinic's time zone.

The database keeps aware UTC timestamps (``rhizo.clinic.core.database``). People
read and type local times, so the pages convert at the edge: a
``datetime-local`` input (which carries no zone) is read in the clinic's zone
(``RHIZO_CLINIC_TIMEZONE``, an IANA name, default ``UTC``), and a stored time is
shown in that zone with its abbreviation. "Today" on a page (default dates,
portal plans still to come, the specialist snapshot's day) is the clinic's
today, not the server's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from jinja2 import pass_context

#: ``datetime-local`` wire format (minutes; the forms do not take seconds).
FORM_FORMAT = "%Y-%m-%dT%H:%M"


def clinic_zone(request: Request) -> ZoneInfo:
    """The zone from the app's settings."""
    zone: ZoneInfo = request.app.state.settings.clinic_zone
    return zone


def clinic_now(request: Request) -> datetime:
    """Now, on the clinic's wall clock (aware)."""
    return datetime.now(clinic_zone(request))


def clinic_today(request: Request) -> date:
    """Today's date where the clinic is."""
    return clinic_now(request).date()


def form_value(moment: datetime, zone: tzinfo) -> str:
    """An aware time as a ``datetime-local`` value in ``zone``."""
    return moment.astimezone(zone).strftime(FORM_FORMAT)


def from_form_value(value: str, zone: tzinfo) -> datetime | str:
    """A ``datetime-local`` value read in ``zone`` (an explicit offset is kept).

    A value that does not parse is returned unchanged, so the model's own
    validation names the field and the value.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def shown(moment: datetime, zone: tzinfo) -> str:
    """``2026-03-01 08:30 CET``: a stored (UTC) time on the clinic's clock."""
    local = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return local.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


@pass_context
def clinic_time_filter(context: Any, moment: datetime | None) -> str:
    """Jinja filter ``{{ when | clinic_time }}`` (empty for ``None``)."""
    if moment is None:
        return ""
    return shown(moment, clinic_zone(context["request"]))
