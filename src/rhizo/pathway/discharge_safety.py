"""Red flags at discharge: the findings that refuse a routine discharge home.

The rule (``knowledge/discharge_safety.yaml``, rhizo's local protocol built on
the discharge criteria of ``knowledge/aftercare.yaml``): a discharge home is
refused while any of these is found, unless a clinician records an escalation
with a reason:

- a new deficit (new weakness or numbness in a limb);
- uncontrolled pain: NRS >= ``min_nrs`` (7 of 0-10) at discharge;
- no escort (responsible adult) after sedation;
- aftercare instructions not given.

A pain score not asked (``None``) is not a red flag here: the discharge criteria
ask for the check, the form records whether it was done.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rhizo.pathway.cited import Cited
from rhizo.pathway.facts import entries

KNOWLEDGE = "discharge_safety"


class DischargeRedFlag(Cited):
    """One red-flag finding, cited; ``field`` names the discharge record's field."""

    id: str
    field: str


def _flag(item: dict[str, Any]) -> DischargeRedFlag:
    cited = Cited.from_entry(item)
    return DischargeRedFlag(
        id=str(item["id"]),
        field=str(item["field"]),
        text=cited.text,
        source=cited.source,
        evidence=cited.evidence,
    )


@cache
def red_flag_rules() -> tuple[DischargeRedFlag, ...]:
    """Every red flag the rule knows, in the knowledge file's order."""
    return tuple(_flag(item) for item in entries(KNOWLEDGE))


def uncontrolled_pain_nrs() -> int:
    """The lowest NRS (0-10) counted as uncontrolled pain at discharge."""
    item = next(i for i in entries(KNOWLEDGE) if i["id"] == "uncontrolled-pain")
    return int(item["min_nrs"])


def red_flags(
    *,
    new_deficit: bool,
    nrs: int | None,
    escort_present: bool,
    instructions_given: bool,
    sedation: bool,
) -> list[DischargeRedFlag]:
    """The red flags found at a discharge (empty: none), in the rule's order."""
    found = {
        "new-deficit": new_deficit,
        "uncontrolled-pain": nrs is not None and nrs >= uncontrolled_pain_nrs(),
        "no-escort-after-sedation": sedation and not escort_present,
        "instructions-not-given": not instructions_given,
    }
    rules = red_flag_rules()
    if set(found) != {rule.id for rule in rules}:
        raise ValueError(f"{KNOWLEDGE}.yaml and red_flags() disagree on the red flags")
    return [rule for rule in rules if found[rule.id]]
