"""Per-lesion safety gates: stimulation tests and lesion parameters before each burn.

A gate never decides for the clinician. It lists findings, each citing its
rule; ``blocking`` findings (limb motor response, radicular sensation, no
motor test, no local anaesthetic) mean the lesion should not proceed until
resolved. Parameter deviations (cannula size, time, temperature, placement)
are reported but do not block, because they change efficacy, not the safety
of the neighbouring nerve root.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from rhizo.pathway.facts import entry

_KNOWLEDGE = "gates"


class SensoryResponse(StrEnum):
    """What the patient feels on 50 Hz sensory stimulation."""

    CONCORDANT = "concordant"
    DISCORDANT = "discordant"
    RADICULAR = "radicular"
    NONE = "none"


class MotorResponse(StrEnum):
    """What contracts on 2 Hz motor stimulation (LIMB = limb or myotomal contraction)."""

    NONE = "none"
    MULTIFIDUS = "multifidus"
    LIMB = "limb"


class LesionCheck(BaseModel):
    """What was observed and set for one lesion, before the burn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target_nerve: str
    sensory_threshold_v: float | None = None
    sensory_response: SensoryResponse | None = None
    motor_response: MotorResponse | None = None
    motor_test_voltage_v: float | None = None
    local_anaesthetic_given: bool = False
    gauge: int | None = None
    tip_length_mm: float | None = None
    set_temperature_c: float | None = None
    duration_s: float | None = None
    placement: Literal["parallel", "oblique", "perpendicular"] | None = None


class GateFinding(BaseModel):
    """One rule that applied to a lesion, with its citation."""

    rule: str
    message: str
    source: str
    blocking: bool
    verified: bool = True


class GateVerdict(BaseModel):
    """Proceed only when no finding is blocking."""

    proceed: bool
    findings: list[GateFinding]


def _finding(rule_id: str) -> GateFinding:
    rule: dict[str, Any] = entry(_KNOWLEDGE, rule_id)
    return GateFinding(
        rule=rule_id,
        message=rule["message"],
        source=rule["source"].cite(),
        blocking=bool(rule["blocking"]),
        verified=rule["source"].verified,
    )


def _threshold(rule_id: str, key: str) -> float:
    return float(entry(_KNOWLEDGE, rule_id)[key])


def _motor_findings(check: LesionCheck) -> list[str]:
    if check.motor_response is None:
        return ["motor-test-missing"]
    rules = {
        MotorResponse.LIMB: ["motor-limb-contraction"],
        MotorResponse.MULTIFIDUS: ["motor-multifidus"],
        MotorResponse.NONE: ["motor-no-twitch"],
    }[check.motor_response]
    voltage = check.motor_test_voltage_v
    # A "no limb twitch" result only reassures if the test went high enough.
    if voltage is not None and check.motor_response is not MotorResponse.LIMB:
        floor = _threshold("motor-test-voltage", "value_v")
        if check.sensory_threshold_v is not None:
            multiple = _threshold("motor-test-voltage", "sensory_multiple")
            floor = max(floor, multiple * check.sensory_threshold_v)
        if voltage < floor:
            rules.append("motor-test-voltage")
    return rules


def _sensory_findings(check: LesionCheck) -> list[str]:
    response = check.sensory_response
    if response is None and check.sensory_threshold_v is None:
        return ["sensory-at-discretion"]
    rules: list[str] = []
    if response is SensoryResponse.RADICULAR:
        rules.append("sensory-radicular")
    elif response in (SensoryResponse.DISCORDANT, SensoryResponse.NONE):
        rules.append("sensory-discordant")
    threshold = check.sensory_threshold_v
    if threshold is not None and threshold >= _threshold("sensory-threshold", "value_v"):
        rules.append("sensory-threshold")
    return rules


def _parameter_findings(check: LesionCheck) -> list[str]:
    rules: list[str] = []
    if check.gauge is not None and check.gauge > _threshold("cannula-size", "max_gauge"):
        rules.append("cannula-size")
    if check.duration_s is not None and check.duration_s < _threshold(
        "lesion-duration", "min_duration_s"
    ):
        rules.append("lesion-duration")
    temperature = check.set_temperature_c
    if temperature is not None and not (
        _threshold("lesion-temperature", "min_temperature_c")
        <= temperature
        <= _threshold("lesion-temperature", "max_temperature_c")
    ):
        rules.append("lesion-temperature")
    if check.placement is not None and check.placement != "parallel":
        rules.append("placement-parallel")
    return rules


def evaluate_lesion(check: LesionCheck) -> GateVerdict:
    """Check one lesion against the stimulation and parameter rules.

    Returns every finding that applied; ``proceed`` is False when any is blocking.
    """
    rule_ids = [*_motor_findings(check), *_sensory_findings(check)]
    if not check.local_anaesthetic_given:
        rule_ids.append("local-anaesthetic")
    rule_ids.extend(_parameter_findings(check))
    findings = [_finding(rule_id) for rule_id in rule_ids]
    return GateVerdict(proceed=not any(f.blocking for f in findings), findings=findings)
