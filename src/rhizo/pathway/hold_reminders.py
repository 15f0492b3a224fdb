"""When the RF day's preparation reminders go, and what each carries.

From the plan's patient list (:func:`rhizo.pathway.patient_plan.patient_plan`:
each medicine's step with its last dose day, and the preparation instructions,
fasting only with sedation):

- one *hold reminder* per distinct last-dose day of the medicines to pause,
  sent ``days_before_last_dose`` (2) days before that day at
  ``send_hour_local`` (09:00) on the clinic's clock, carrying those medicines
  (last dose, restart after N hours) and the preparation (fasting, transport);
- one *preparation reminder* ``days_before_procedure`` (2) days before the RF
  day at 09:00, carrying every medicine step and the preparation.

The lead times are ``knowledge/calendar.yaml`` ``hold-reminder-lead`` and
``preparation-reminder-lead`` (local protocol: no source read sets when to
remind). The last-dose days themselves are the pathway's holds (Narouze 2018 as
read in rhizo's drug table), never re-derived here. A reminder whose time has
passed when the RF day is booked is sent at once (the caller clamps to now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from rhizo.pathway.facts import entry
from rhizo.pathway.patient_plan import MedicineStep, PatientPlan
from rhizo.pathway.premed_models import Instruction


def _lead(entry_id: str, days_key: str) -> tuple[int, time]:
    item: dict[str, Any] = entry("calendar", entry_id)
    return int(item[days_key]), time(int(item["send_hour_local"]), 0)


#: (days before the last dose, wall time) of a hold reminder.
HOLD_LEAD = _lead("hold-reminder-lead", "days_before_last_dose")
#: (days before the RF day, wall time) of the preparation reminder.
PREPARATION_LEAD = _lead("preparation-reminder-lead", "days_before_procedure")


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder: a stable key (for the outbox's dedupe key), when, and what it says."""

    key: str
    send_on: date
    send_at_local: time
    medicines: tuple[MedicineStep, ...]
    preparation: tuple[Instruction, ...]


def planned_reminders(*, plan: PatientPlan, procedure_on: date) -> list[PlannedReminder]:
    """The RF day's reminders (rule in the module docstring), earliest first."""
    preparation = tuple(plan.preparation)
    by_day: dict[date, list[MedicineStep]] = {}
    for step in plan.medicines:
        if step.action == "pause" and step.last_dose_date is not None:
            by_day.setdefault(step.last_dose_date, []).append(step)
    days, wall = HOLD_LEAD
    reminders = [
        PlannedReminder(
            key=f"last-dose-{day.isoformat()}",
            send_on=day - timedelta(days=days),
            send_at_local=wall,
            medicines=tuple(steps),
            preparation=preparation,
        )
        for day, steps in sorted(by_day.items())
    ]
    days, wall = PREPARATION_LEAD
    reminders.append(
        PlannedReminder(
            key="preparation",
            send_on=procedure_on - timedelta(days=days),
            send_at_local=wall,
            medicines=tuple(plan.medicines),
            preparation=preparation,
        )
    )
    return sorted(reminders, key=lambda r: (r.send_on, r.key))
