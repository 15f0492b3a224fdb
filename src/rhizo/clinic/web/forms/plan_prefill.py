""" "From plan" on the procedure form: the plan's side, levels, sedation and day, and a
lesion row for each nerve each planned joint needs, on each planned side.

A facet joint is denervated by coagulating the nerves that supply it: the
medial branches of the level above and of its own level (L5-S1: the L4 medial
branch and the L5 dorsal ramus; C2-C3: the third occipital nerve). Source:
Bogduk N, Long DM, J Neurosurg 1979;51:172-177 (abstract read; evidence
secondary): each L1-L4 medial branch supplies the joint beside it and the next
lower one, the L5 dorsal ramus's medial branch supplies L5-S1. The nerves
come from the capture planner's anatomy (:data:`rhizo.planning.anatomy.JOINTS`,
with its sources), the one list of them in rhizo; a nerve shared by two
adjacent planned joints gets one row per side. A joint the planner does not
model gets one row per side with the nerve left for the clinician to type. The
planner is imported on first use (as the procedure service's capture
prediction does), so loading the form does not load it.

Rows carry only the side and the nerve: every measured value (thresholds,
impedance, temperature) is typed by the clinician, and a row not completed is
refused by the gates as any other.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import LesionSide
from rhizo.clinic.web.clinic_time import form_value
from rhizo.clinic.web.forms.common import Values
from rhizo.clinic.web.forms.lesions import new_row
from rhizo.pathway.education import planned_region


def sides_of(side: Side) -> tuple[LesionSide, ...]:
    """The lesion sides a procedure side covers (bilateral: left, then right)."""
    if side is Side.BILATERAL:
        return (LesionSide.LEFT, LesionSide.RIGHT)
    return (LesionSide(side.value),)


def joint_nerves(level: str) -> tuple[str, ...]:
    """The planner's nerves supplying joint ``level`` (upper level first); () if unknown."""
    from rhizo.planning.anatomy import JOINTS

    joint = JOINTS.get(level)
    return () if joint is None else tuple(nerve.name for nerve in joint.nerves)


def plan_rows(plan: Plan) -> list[Values]:
    """One row per side and nerve the planned joints need (a shared nerve once per side)."""
    rows: list[Values] = []
    for side in sides_of(plan.side):
        seen: list[str] = []
        for level in plan.levels:
            nerves = joint_nerves(level)
            if not nerves:
                rows.append(new_row() | {"side": side.value})
                continue
            for nerve in nerves:
                if nerve not in seen:
                    seen.append(nerve)
                    rows.append(new_row() | {"side": side.value, "target_nerve": nerve})
    return rows


def plan_values(plan: Plan, now: datetime, zone: tzinfo) -> Values:
    """The procedure fields the plan fixes: plan id, side, levels, sedation, region, and
    the planned day at the clinic's current time of day (``now``, aware)."""
    local = now.astimezone(zone)
    day = plan.planned_date
    moment = local.replace(year=day.year, month=day.month, day=day.day, second=0, microsecond=0)
    values = {
        "plan_id": str(plan.id),
        "side": plan.side.value,
        "levels": ", ".join(plan.levels),
        "sedation": plan.sedation.value,
        "performed_at": form_value(moment, zone),
    }
    region = planned_region(plan.procedure, plan.levels)
    if region is not None and region.value in {member.value for member in Region}:
        values["region"] = region.value
    return values
