"""The planner page's form: tissue, cannula, generator, joint and placement, read and checked.

Every field is checked by the model that owns it (never restated here): the tissue
and the cannula by :class:`rhizo.physics.LesionProtocol` (its ``ge``/``le`` bounds and
its gauge catalogue, :data:`rhizo.physics.GAUGE_OUTER_DIAMETER_MM`), the joint by
:data:`rhizo.planning.JOINTS`, the angle and offset by
:class:`rhizo.planning.CannulaPlacement`. Errors come back per field, in words, for
the page to show beside the field (HTTP 422). The hints under the fields ("2 to 20")
are read from the same models' bounds.

A tissue is *living* when it is perfused (Pennes ``perfusion_rate_per_s`` > 0): the
catalogue's in-vivo tissues; the bench tissues (ex-vivo muscle, chicken, liver, egg
white) have no blood flow and are not a patient's tissue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from rhizo.physics import CLINICAL_TISSUE, GAUGE_OUTER_DIAMETER_MM, LesionProtocol
from rhizo.physics.tissue import TISSUES, Tissue
from rhizo.planning import JOINTS, CannulaPlacement, Joint

#: The protocol fields of the form (LesionProtocol's names) and the placement fields.
LESION_FIELDS = ("tissue", "gauge", "tip_length_mm", "set_temperature_c", "duration_s")
PLACEMENT_FIELDS = ("angle_deg", "offset_mm")
CAPTURE_FIELDS = ("joint", *PLACEMENT_FIELDS)
#: Characters kept of a submitted value (longer input is cut, then checked).
MAX_VALUE_CHARS = 40


def _model_default(model: type[BaseModel], name: str) -> str:
    return f"{model.model_fields[name].default:g}"


#: What the empty form shows: the models' own defaults, the clinical tissue, L4-L5.
DEFAULTS: dict[str, str] = {
    "tissue": CLINICAL_TISSUE,
    "gauge": str(LesionProtocol.model_fields["gauge"].default),
    **{name: _model_default(LesionProtocol, name) for name in LESION_FIELDS[2:]},
    "joint": "L4-L5",
    **{name: _model_default(CannulaPlacement, name) for name in PLACEMENT_FIELDS},
}
GAUGES = tuple(str(gauge) for gauge in GAUGE_OUTER_DIAMETER_MM)


def is_living(tissue: Tissue) -> bool:
    """True for a perfused (in-vivo) tissue: blood flow is what a bench sample lacks."""
    return tissue.perfusion_rate_per_s > 0


@dataclass(frozen=True)
class TissueOption:
    """One choice of the tissue select: name, living or not, where its numbers come from."""

    name: str
    living: bool
    description: str
    lesion_edge: str
    sources: tuple[tuple[str, str], ...]
    recalled: tuple[str, ...]

    @property
    def evidence(self) -> str:
        """How its numbers are sourced, e.g. "7 properties cited; 5 recalled, not read"."""
        recalled = f"; {len(self.recalled)} recalled, not read" if self.recalled else ""
        return f"{len(self.sources)} properties cited{recalled}"

    @property
    def label(self) -> str:
        """The option's text, e.g. 'muscle-in-vivo: living tissue (perfused), the clinical
        default; 10 properties cited'."""
        kind = "living tissue (perfused)" if self.living else "ex-vivo bench sample, not living"
        default = ", the clinical default" if self.name == CLINICAL_TISSUE else ""
        return f"{self.name}: {kind}{default}; {self.evidence}"


def tissue_options() -> list[TissueOption]:
    """Every catalogue tissue, the clinical one first, then in catalogue order."""
    options = [
        TissueOption(
            name=tissue.name,
            living=is_living(tissue),
            description=tissue.description,
            lesion_edge=tissue.lesion_boundary_definition,
            sources=tuple(sorted(tissue.sources.items())),
            recalled=tissue.unverified,
        )
        for tissue in TISSUES.values()
    ]
    return sorted(options, key=lambda option: option.name != CLINICAL_TISSUE)


def field_bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    """The ``ge``/``le`` bounds of a model's field (the model's rule, read, not restated)."""
    low, high = -math.inf, math.inf
    for rule in model.model_fields[name].metadata:
        low = float(getattr(rule, "ge", low))
        high = float(getattr(rule, "le", high))
    return low, high


def hints() -> dict[str, str]:
    """Allowed values under each numeric field, from the models' bounds."""
    spans = {
        **{name: field_bounds(LesionProtocol, name) for name in LESION_FIELDS[2:]},
        **{name: field_bounds(CannulaPlacement, name) for name in PLACEMENT_FIELDS},
    }
    return {name: f"{low:g} to {high:g}" for name, (low, high) in spans.items()}


def read_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields as stripped strings; a missing field takes its default."""
    values: dict[str, str] = {}
    for name, default in DEFAULTS.items():
        raw = form.get(name)
        text = str(raw).strip()[:MAX_VALUE_CHARS] if raw is not None else default
        values[name] = text
    return values


def _errors_of(error: ValidationError, fields: tuple[str, ...]) -> dict[str, str]:
    """The model's message per field, with the allowed range where the field has one."""
    allowed = hints()
    errors: dict[str, str] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "form"
        message = str(item["msg"])
        if name in allowed:
            message = f"{message} (allowed: {allowed[name]})"
        errors.setdefault(name if name in fields else "form", message)
    return errors


def _non_finite(values: Mapping[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """'nan', 'inf' and the like, refused in words before the models see them."""
    allowed = hints()
    errors: dict[str, str] = {}
    for name in fields:
        if name not in allowed:
            continue
        try:
            number = float(values[name])
        except ValueError:
            continue  # not a number: the model says so
        if not math.isfinite(number):
            errors[name] = f"{values[name]!r} is not a finite number (allowed: {allowed[name]})"
    return errors


def _numbers(values: Mapping[str, str], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields given (blank ones are reported as required)."""
    return {name: values[name] for name in fields if values[name] != ""}


def read_protocol(values: Mapping[str, str]) -> LesionProtocol | dict[str, str]:
    """The lesion protocol of the form, or the errors per field."""
    data = _numbers(values, LESION_FIELDS)
    if values["tissue"] not in TISSUES:
        return {"tissue": f"unknown tissue {values['tissue']!r}; allowed: {', '.join(TISSUES)}"}
    missing = [name for name in LESION_FIELDS if name not in data]
    if missing:
        return dict.fromkeys(missing, "a value is required")
    non_finite = _non_finite(values, LESION_FIELDS)
    if non_finite:
        return non_finite
    try:
        return LesionProtocol.model_validate(data)
    except ValidationError as error:
        return _errors_of(error, LESION_FIELDS)


def read_placement(values: Mapping[str, str]) -> tuple[Joint, CannulaPlacement] | dict[str, str]:
    """The joint and the planned placement of the form, or the errors per field."""
    errors: dict[str, str] = {}
    joint = JOINTS.get(values["joint"])
    if joint is None:
        errors["joint"] = f"unknown joint {values['joint']!r}; allowed: {', '.join(JOINTS)}"
    data = _numbers(values, PLACEMENT_FIELDS)
    for name in PLACEMENT_FIELDS:
        if name not in data:
            errors[name] = "a value is required"
    errors.update(_non_finite(values, PLACEMENT_FIELDS))
    placement: CannulaPlacement | None = None
    if not errors.keys() & set(PLACEMENT_FIELDS):
        try:
            placement = CannulaPlacement.model_validate(data)
        except ValidationError as error:
            errors.update(_errors_of(error, PLACEMENT_FIELDS))
    if errors or joint is None or placement is None:
        return errors
    return joint, placement
