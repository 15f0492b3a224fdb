"""Parse the patient inputs of ``rhizo premed`` (aspirin indication, eGFR, INR, stent).

Each number is read as text and checked against the one definition of its
range in :mod:`rhizo.pathway.premed_inputs`, so ``--egfr -3``, ``--inr nan``
or ``--stent-months 1e9`` exit with code 2 and a line naming the option.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from rhizo.cli._errors import fail
from rhizo.pathway.premed_inputs import (
    EGFR_MAX_ML_PER_MIN,
    EGFR_MIN_ML_PER_MIN,
    INR_MAX,
    INR_MIN,
    STENT_MONTHS_MAX,
    STENT_MONTHS_MIN,
    AspirinIndication,
    EgfrMlPerMin,
    Inr,
    StentMonths,
)

_NUMBERS: dict[str, tuple[Any, str]] = {
    "--egfr": (
        EgfrMlPerMin,
        f"a finite number from {EGFR_MIN_ML_PER_MIN:g} to {EGFR_MAX_ML_PER_MIN:g} "
        "(eGFR, mL/min/1.73 m2)",
    ),
    "--inr": (Inr, f"a finite number from {INR_MIN:g} to {INR_MAX:g} (INR)"),
    "--stent-months": (
        StentMonths,
        f"a finite number from {STENT_MONTHS_MIN:g} to {STENT_MONTHS_MAX:g} "
        "(months since the coronary stent)",
    ),
}


def parse_number(option: str, value: str | None) -> float | None:
    """``value`` as a float within the option's range, or ``None`` when not given."""
    if value is None:
        return None
    kind, allowed = _NUMBERS[option]
    try:
        number = float(value)
    except ValueError:
        fail(option, value, allowed)
    try:
        checked: float = TypeAdapter(kind).validate_python(number)
    except ValidationError:
        fail(option, value, allowed)
    return checked


def parse_indication(value: str | None) -> AspirinIndication | None:
    """The aspirin indication, or ``None`` when not given."""
    if value is None:
        return None
    try:
        return AspirinIndication(value.strip().lower())
    except ValueError:
        fail(
            "--aspirin-indication",
            value,
            f"one of: {', '.join(member.value for member in AspirinIndication)}",
        )
