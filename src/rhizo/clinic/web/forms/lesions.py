"""Lesion rows of the procedure form: parsing, new rows, and each row's gate verdict.

A row's inputs are named ``lesions-<i>-<field>`` (``<i>`` from 0). The verdict
comes from :func:`rhizo.clinic.procedure.service.evaluate`, the code the
service runs before it stores a lesion and the API's ``POST /gates/lesion``
runs, so the live check, the no-JavaScript re-render and the write agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import LesionCreate
from rhizo.clinic.web.form_errors import validation_errors
from rhizo.clinic.web.forms.common import (
    MAX_FIELD_CHARS,
    Errors,
    Values,
)
from rhizo.pathway.facts import Evidence

#: ProcedureCreate accepts at most 60 lesions.
MAX_ROWS = 60

TEXT_FIELDS = (
    "target_nerve",
    "side",
    "gauge",
    "tip_length_mm",
    "set_temperature_c",
    "duration_s",
    "placement",
    "sensory_threshold_v",
    "sensory_response",
    "motor_response",
    "motor_test_voltage_v",
    "impedance_ohm",
    "power_w",
    "override_reason",
)
CHECKBOXES = ("performed", "local_anaesthetic_given", "override")
#: Copied from the row above into a new row: the same cannula and generator setting.
_CARRIED = ("side", "gauge", "tip_length_mm", "set_temperature_c", "duration_s", "placement")
#: What the user must have typed for a row to count (a blank new row is ignored).
_CONTENT = tuple(name for name in TEXT_FIELDS if name not in _CARRIED)

GateState = Literal["ok", "blocked", "overridden", "not-performed", "incomplete"]


def input_name(index: int, name: str) -> str:
    """The form name of one lesion field."""
    return f"lesions-{index}-{name}"


def row_values(form: Mapping[str, str], index: int) -> Values:
    """Row ``index`` as typed; a ticked checkbox is ``"1"``, an unticked one ``""``."""
    values = {
        name: form.get(input_name(index, name), "").strip()[:MAX_FIELD_CHARS]
        for name in TEXT_FIELDS
    }
    for name in CHECKBOXES:
        values[name] = "1" if input_name(index, name) in form else ""
    return values


def new_row(previous: Values | None = None) -> Values:
    """An empty row (performed ticked), with the cannula and setting of the row above."""
    values = dict.fromkeys(TEXT_FIELDS, "") | dict.fromkeys(CHECKBOXES, "")
    values["performed"] = "1"
    if previous is not None:
        values.update({name: previous.get(name, "") for name in _CARRIED})
    return values


def is_blank(values: Values) -> bool:
    """Nothing typed beyond what a new row carries over."""
    return not any(values.get(name) for name in _CONTENT)


def lesion_payload(values: Values, *, with_override: bool = True) -> dict[str, Any]:
    """The row as :class:`LesionCreate` input; the reason counts only when override is ticked."""
    payload: dict[str, Any] = {
        name: values[name] for name in TEXT_FIELDS if name != "override_reason" and values[name]
    }
    payload["performed"] = bool(values["performed"])
    payload["local_anaesthetic_given"] = bool(values["local_anaesthetic_given"])
    # A ticked override with no reason is sent as "" so the model names the rule (10+ chars).
    payload["override_reason"] = (
        values["override_reason"] if with_override and values["override"] else None
    )
    return payload


@dataclass(frozen=True)
class FindingView:
    """One gate finding on a row, with the field and the value it is about."""

    rule: str
    message: str
    source: str
    blocking: bool
    verified: bool
    evidence: Evidence
    field: str
    value: str


@dataclass(frozen=True)
class GateView:
    """What the row's verdict box shows."""

    state: GateState
    findings: list[FindingView] = field(default_factory=list)
    missing: Errors = field(default_factory=dict)

    @property
    def blocking(self) -> list[FindingView]:
        """The findings that stop the lesion."""
        return [finding for finding in self.findings if finding.blocking]

    @property
    def advisory(self) -> list[FindingView]:
        """The findings that are reported but do not stop it."""
        return [finding for finding in self.findings if not finding.blocking]


def _field_of(rule: str) -> str:
    # The service's own rule -> input field table, so the form names the same
    # field as the API's 422 does; a rule about the nerve itself has none.
    return procedure_service.GATE_RULE_FIELDS.get(rule, "target_nerve")


def _shown(values: Values, name: str) -> str:
    if name in CHECKBOXES or name == "local_anaesthetic_given":
        return "ticked" if values.get(name) else "not ticked"
    return values.get(name) or "not recorded"


def gate_view(values: Values) -> GateView:
    """The stimulation gates' verdict on a row, or which values it still needs."""
    try:
        lesion = LesionCreate.model_validate(lesion_payload(values, with_override=False))
    except ValidationError as error:
        return GateView(state="incomplete", missing=validation_errors(error))
    verdict = procedure_service.evaluate(lesion)
    findings = [
        FindingView(
            rule=finding.rule,
            message=finding.message,
            source=finding.source,
            blocking=finding.blocking,
            verified=finding.verified,
            evidence=finding.evidence,
            field=_field_of(finding.rule),
            value=_shown(values, _field_of(finding.rule)),
        )
        for finding in verdict.findings
    ]
    state: GateState
    if not lesion.performed:
        state = "not-performed"
    elif verdict.proceed:
        state = "ok"
    elif values["override"] and values["override_reason"]:
        state = "overridden"
    else:
        state = "blocked"
    return GateView(state=state, findings=findings)
