"""An appointment's lifecycle: the statuses and the moves allowed between them.

==========  ==========  ===========================================================
from        to          when
==========  ==========  ===========================================================
booked      arrived     the patient is here (at or after the day's start)
booked      completed   done without arriving at the desk (a phone review), at or
                        after its start
booked      no_show     the patient did not come (at or after its start); the time
                        stays held
booked      cancelled   with a reason (5-500 characters; who and when are stored);
                        a reschedule cancels with the reason "rescheduled"
arrived     completed   at or after its start
==========  ==========  ===========================================================

``completed``, ``cancelled`` and ``no_show`` are final. rhizo is decision
support: the statuses record what happened, they decide nothing.

Evidence: definitions (local protocol).
"""

from __future__ import annotations

from typing import Final

from rhizo.clinic.core.common import ConflictError
from rhizo.clinic.schedule.models import AppointmentStatus

#: The allowed moves, ``{from: {to, ...}}`` (the table of the module docstring).
TRANSITIONS: Final[dict[AppointmentStatus, frozenset[AppointmentStatus]]] = {
    AppointmentStatus.BOOKED: frozenset(
        {
            AppointmentStatus.ARRIVED,
            AppointmentStatus.COMPLETED,
            AppointmentStatus.NO_SHOW,
            AppointmentStatus.CANCELLED,
        }
    ),
    AppointmentStatus.ARRIVED: frozenset({AppointmentStatus.COMPLETED}),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}

#: The reason a reschedule writes on the appointment it replaces.
RESCHEDULED_REASON: Final = "rescheduled"


class AppointmentTransitionError(ConflictError):
    """A move the lifecycle table does not allow (HTTP 409)."""

    def __init__(self, current: AppointmentStatus, wanted: AppointmentStatus) -> None:
        self.current = current
        self.wanted = wanted
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final)"
        self.detail = (
            f"a {current.value} appointment cannot become {wanted.value}; "
            f"allowed from {current.value}: {allowed}"
        )
        super().__init__(self.detail)


def allowed(current: AppointmentStatus, wanted: AppointmentStatus) -> bool:
    """Whether the table allows ``current -> wanted``."""
    return wanted in TRANSITIONS[current]


def check_transition(current: AppointmentStatus, wanted: AppointmentStatus) -> None:
    """Raise :class:`AppointmentTransitionError` unless the table allows the move."""
    if not allowed(current, wanted):
        raise AppointmentTransitionError(current, wanted)
