"""Procedure protocol: which nerves to treat for a painful facet joint."""

from __future__ import annotations

import re

from pydantic import BaseModel

from rhizo.pathway.cited import Cited
from rhizo.pathway.facts import entry

_JOINT = re.compile(r"^(?P<region>[CL])(?P<upper>\d)-(?:[CLS])?(?P<lower>\d)$")


class JointTargets(BaseModel):
    """The nerves to lesion for one joint, with the anatomy behind them."""

    joint: str
    nerves: list[str]
    basis: list[Cited]


def nerves_for_joint(joint: str) -> JointTargets:
    """Targets for a joint written like ``L4-L5``, ``L5-S1``, ``C2-C3`` or ``C5-6``.

    Raises ``ValueError`` for joints outside C2-C3..C6-C7 and L1-L2..L5-S1.
    """
    match = _JOINT.match(joint.strip().upper())
    if match is None:
        raise ValueError(f"joint {joint!r} is not like L4-L5, L5-S1 or C3-C4")
    region, upper, lower = match["region"], int(match["upper"]), int(match["lower"])
    if region == "L" and upper == 5 and lower == 1 and "S" in joint.upper():
        nerves = ["L4 medial branch", "L5 dorsal ramus"]
        basis = ["two-nerves-per-joint", "lumbar-levels"]
    elif region == "L" and 1 <= upper <= 4 and lower == upper + 1:
        # A lumbar joint is supplied by the medial branches from its own level and the one above.
        above = f"L{upper - 1}" if upper > 1 else "T12"
        nerves = [f"{above} medial branch", f"L{upper} medial branch"]
        basis = ["two-nerves-per-joint", "lumbar-levels"]
    elif region == "C" and upper == 2 and lower == 3:
        nerves = ["third occipital nerve"]
        basis = ["cervical-levels"]
    elif region == "C" and 3 <= upper <= 6 and lower == upper + 1:
        nerves = [f"C{upper} medial branch", f"C{lower} medial branch"]
        basis = ["two-nerves-per-joint", "cervical-levels"]
    else:
        raise ValueError(f"joint {joint!r} is outside C2-C3..C6-C7 and L1-L2..L5-S1")
    label = f"{region}{upper}-{'S' if region == 'L' and lower == 1 else region}{lower}"
    return JointTargets(
        joint=label,
        nerves=nerves,
        basis=[Cited.from_entry(entry("protocol", rule)) for rule in basis],
    )
