"""A plan's lifecycle: the statuses and the transitions allowed between them.

==========  ==========  ==================================================
from        to          when
==========  ==========  ==================================================
draft       scheduled   the clinician books the day ("schedule")
draft       done        a procedure is recorded from the plan
draft       cancelled   with a reason (who and when are stored)
scheduled   done        a procedure is recorded from the plan
scheduled   cancelled   with a reason (who and when are stored)
==========  ==========  ==================================================

``done`` and ``cancelled`` are final: nothing leaves them, and a plan is edited
only while it is ``draft`` or ``scheduled``. A plan becomes ``done`` only when a
completed procedure is recorded "from plan" (the plan then names that
procedure, in the same write transaction); a status equal to the current one is
no move. One correction sits outside the table: deleting the procedure that
carried a plan out (recorded in error) puts the plan back to ``scheduled``.
rhizo is decision support: the statuses record what the clinic decided, they
decide nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from rhizo.clinic.core.common import ConflictError


class PlanStatus(StrEnum):
    """Where a plan stands (the table above)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


#: The allowed transitions, ``{from: {to, ...}}`` (the table of the module docstring).
TRANSITIONS: Final[dict[PlanStatus, frozenset[PlanStatus]]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.SCHEDULED, PlanStatus.DONE, PlanStatus.CANCELLED}),
    PlanStatus.SCHEDULED: frozenset({PlanStatus.DONE, PlanStatus.CANCELLED}),
    PlanStatus.DONE: frozenset(),
    PlanStatus.CANCELLED: frozenset(),
}

#: The statuses in which a plan may still be edited.
EDITABLE: Final[frozenset[PlanStatus]] = frozenset({PlanStatus.DRAFT, PlanStatus.SCHEDULED})

#: Shortest and longest cancellation reason, in characters.
REASON_MIN_CHARS: Final = 5
REASON_MAX_CHARS: Final = 500


class PlanTransitionError(ConflictError):
    """A move the lifecycle table does not allow (HTTP 409: the plan's state conflicts)."""

    def __init__(self, current: PlanStatus, wanted: PlanStatus, why: str = "") -> None:
        self.current = current
        self.wanted = wanted
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final)"
        self.detail = why or (
            f"a {current.value} plan cannot become {wanted.value}; "
            f"allowed from {current.value}: {allowed}"
        )
        super().__init__(self.detail)


class PlanNotEditableError(ConflictError):
    """An edit to a plan that is done or cancelled (HTTP 409)."""

    def __init__(self, current: PlanStatus) -> None:
        self.current = current
        self.detail = f"a {current.value} plan cannot be edited; only draft or scheduled plans can"
        super().__init__(self.detail)


def allowed(current: PlanStatus, wanted: PlanStatus) -> bool:
    """Whether the table allows ``current -> wanted``."""
    return wanted in TRANSITIONS[current]


def check_transition(current: PlanStatus, wanted: PlanStatus) -> None:
    """Raise :class:`PlanTransitionError` unless the table allows ``current -> wanted``."""
    if not allowed(current, wanted):
        raise PlanTransitionError(current, wanted)


def check_editable(current: PlanStatus) -> None:
    """Raise :class:`PlanNotEditableError` unless the plan is draft or scheduled."""
    if current not in EDITABLE:
        raise PlanNotEditableError(current)
