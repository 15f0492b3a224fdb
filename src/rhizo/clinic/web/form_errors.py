"""Validation failures as inline form errors: ``{form field name: message}``.

Shared by the clinician forms (:mod:`rhizo.clinic.web.forms`) and the patient
portal's diary, so both name a field and its typed value the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from rhizo.clinic.core.common import InvalidInputError

Errors = dict[str, str]


def _name(loc: tuple[int | str, ...]) -> str:
    # ("lesions", 0, "gauge") -> "lesions-0-gauge"; ("levels", 1) -> "levels".
    if not loc:
        return "form"
    if loc[0] == "lesions" and len(loc) >= 3:
        return f"lesions-{loc[1]}-{loc[2]}"
    return str(loc[0])


def _message(item: Mapping[str, Any]) -> str:
    if item.get("type") == "missing":
        return "required: enter or choose a value"
    message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
    given = item.get("input")
    loc = tuple(item.get("loc", ()))
    # A list item (one joint level of several) is named, so the user sees which.
    if len(loc) == 2 and isinstance(loc[1], int) and isinstance(given, str):
        return f"{given!r}: {message}"
    if isinstance(given, str) and given and given not in message:
        return f"{message} (entered {given[:40]!r})"
    return message


def validation_errors(error: ValidationError, *, model_field: str = "form") -> Errors:
    """Pydantic's errors by form field name; whole-model errors go to ``model_field``."""
    errors: Errors = {}
    for item in error.errors():
        name = _name(tuple(item["loc"])) if item["loc"] else model_field
        errors.setdefault(name, _message(item))
    return errors


def problem_errors(error: InvalidInputError) -> Errors:
    """A service's refusal (``lesions[0].motor_response``) by form field name."""
    errors: Errors = {}
    for problem in error.problems:
        name = problem.field.replace("[", "-").replace("].", "-").replace("]", "")
        errors.setdefault(name, problem.message)
    return errors
