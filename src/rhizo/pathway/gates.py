"""Per-lesion safety gates: stimulation tests and lesion parameters before each burn.

A gate never decides for the clinician. It lists findings, each citing its
rule; ``blocking`` findings (limb motor response, radicular sensation, no
motor test, a motor test that did not go high enough, no local anaesthetic)
mean the lesion should not proceed until resolved. Parameter deviations
(cannula size, time, temperature, placement) are reported but do not block,
because they change efficacy, not the safety of the neighbouring nerve root.

An insufficient motor test must not reassure (audit W4): a negative 2 Hz
test (no limb twitch, with or without a multifidus twitch) counts only when
it reached the floor

    floor_v = max(value_v, sensory_multiple * sensory_threshold_v)

(knowledge ``gates/motor-test-voltage``: 2 V and 2 x the sensory threshold;
common teaching, evidence ``recalled``: no guideline number was found).
Below the floor, or with no voltage recorded, the finding is blocking, as a
missing test is: "repeat the motor test up to ``floor_v`` V". Exactly at the
floor passes. :func:`evaluate_lesion` is the one function the procedure
service (API and web form) and ``rhizo gate`` call.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from rhizo.pathway.facts import Evidence, entry

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
    """One rule that applied to a lesion, with its citation and evidence level.

    ``verified`` is the level's (primary or secondary) when the finding is made.
    A finding stored before levels were recorded reads as ``recalled`` and not
    verified: its level is unknown, so it is never shown as confirmed.
    """

    rule: str
    message: str
    source: str
    blocking: bool
    verified: bool = False
    evidence: Evidence = "recalled"


class GateVerdict(BaseModel):
    """Proceed only when no finding is blocking."""

    proceed: bool
    findings: list[GateFinding]


def _finding(rule_id: str, floor_v: float) -> GateFinding:
    rule: dict[str, Any] = entry(_KNOWLEDGE, rule_id)
    return GateFinding(
        rule=rule_id,
        message=str(rule["message"]).format(floor_v=floor_v),
        source=rule["source"].cite(),
        blocking=bool(rule["blocking"]),
        verified=rule["source"].verified,
        evidence=rule["source"].evidence,
    )


def _threshold(rule_id: str, key: str) -> float:
    return float(entry(_KNOWLEDGE, rule_id)[key])


def motor_floor_v(sensory_threshold_v: float | None) -> float:
    """The voltage a negative 2 Hz motor test must reach, in volts.

    ``max(value_v, sensory_multiple * sensory_threshold_v)`` (knowledge
    ``gates/motor-test-voltage``); ``value_v`` alone when no sensory threshold
    was recorded. 0.3 V sensory gives 2.0 V; 1.5 V sensory gives 3.0 V.
    """
    floor_v = _threshold("motor-test-voltage", "value_v")
    if sensory_threshold_v is not None:
        multiple = _threshold("motor-test-voltage", "sensory_multiple")
        floor_v = max(floor_v, multiple * sensory_threshold_v)
    return floor_v


def _motor_findings(check: LesionCheck) -> list[str]:
    if check.motor_response is None:
        return ["motor-test-missing"]
    if check.motor_response is MotorResponse.LIMB:
        # A limb twitch at any voltage is the no-go result; the voltage cannot soften it.
        return ["motor-limb-contraction"]
    rules = {
        MotorResponse.MULTIFIDUS: ["motor-multifidus"],
        MotorResponse.NONE: ["motor-no-twitch"],
    }[check.motor_response]
    # No limb twitch reassures only if the test went high enough (audit W4).
    voltage_v = check.motor_test_voltage_v
    if voltage_v is None:
        rules.append("motor-test-voltage-missing")
    elif voltage_v < motor_floor_v(check.sensory_threshold_v):
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
    floor_v = round(motor_floor_v(check.sensory_threshold_v), 2)
    findings = [_finding(rule_id, floor_v) for rule_id in rule_ids]
    return GateVerdict(proceed=not any(f.blocking for f in findings), findings=findings)
