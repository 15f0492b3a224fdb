"""Per-lesion gates, each test naming the rule (and guideline row) it checks."""

from __future__ import annotations

import pytest

from rhizo.pathway.gates import (
    LesionCheck,
    MotorResponse,
    SensoryResponse,
    evaluate_lesion,
)

GOOD = {
    "target_nerve": "L4 medial branch",
    "sensory_threshold_v": 0.3,
    "sensory_response": SensoryResponse.CONCORDANT,
    "motor_response": MotorResponse.MULTIFIDUS,
    "motor_test_voltage_v": 2.0,
    "local_anaesthetic_given": True,
    "gauge": 18,
    "tip_length_mm": 10,
    "set_temperature_c": 80,
    "duration_s": 90,
    "placement": "parallel",
}


def _rules(**changes: object) -> set[str]:
    verdict = evaluate_lesion(LesionCheck.model_validate({**GOOD, **changes}))
    return {finding.rule for finding in verdict.findings}


def _proceed(**changes: object) -> bool:
    return evaluate_lesion(LesionCheck.model_validate({**GOOD, **changes})).proceed


def test_guideline_lesion_proceeds() -> None:
    # Cohen 2020 Table 11: large cannula, >= 1.5 min, motor tested; Koh 2017 multifidus twitch.
    assert _proceed()
    assert _rules() == {"motor-multifidus"}


def test_limb_motor_response_blocks() -> None:
    # Koh 2017 Discussion: limb/myotomal contraction at 2 Hz = ventral ramus, do not lesion.
    assert not _proceed(motor_response="limb")
    assert "motor-limb-contraction" in _rules(motor_response="limb")


def test_missing_motor_test_blocks() -> None:
    # Cohen 2020 Table 11, stimulation: motor strongly recommended in practice.
    assert not _proceed(motor_response=None)


def test_radicular_sensation_blocks() -> None:
    # Lee 2021 (ASPN LEARN, secondary): radicular sensation on 50 Hz testing = stop.
    assert not _proceed(sensory_response="radicular")


def test_no_local_anaesthetic_blocks() -> None:
    # Typical teaching (secondary, unverified): local anaesthetic before lesioning.
    assert not _proceed(local_anaesthetic_given=False)


def test_no_twitch_is_advisory() -> None:
    # Koh 2017: twitch often absent at L4/L5; anatomic placement may suffice.
    assert _proceed(motor_response="none")
    assert "motor-no-twitch" in _rules(motor_response="none")


@pytest.mark.parametrize(("threshold_v", "flagged"), [(0.49, False), (0.5, True), (0.51, True)])
def test_sensory_threshold_at_and_around_half_volt(threshold_v: float, flagged: bool) -> None:
    # Koh 2017 Introduction: concordant sensation below 0.5 V is the common cut-off.
    assert ("sensory-threshold" in _rules(sensory_threshold_v=threshold_v)) is flagged


@pytest.mark.parametrize(("duration_s", "flagged"), [(89.9, True), (90, False), (120, False)])
def test_lesion_duration_at_and_around_90_s(duration_s: float, flagged: bool) -> None:
    # Cohen 2020 Table 11, lesion duration: practice >= 1.5 min.
    assert ("lesion-duration" in _rules(duration_s=duration_s)) is flagged
    assert _proceed(duration_s=duration_s)  # a parameter deviation never blocks


@pytest.mark.parametrize(("gauge", "flagged"), [(16, False), (18, False), (20, True), (22, True)])
def test_cannula_size_at_and_around_18_gauge(gauge: int, flagged: bool) -> None:
    # Cohen 2020 Table 11, needle size: large (trials preferably >= 18-gauge).
    assert ("cannula-size" in _rules(gauge=gauge)) is flagged


@pytest.mark.parametrize(
    ("temperature_c", "flagged"),
    [(59.9, True), (60, False), (80, False), (85, False), (85.1, True)],
)
def test_temperature_range(temperature_c: float, flagged: bool) -> None:
    # Lee 2021 (LEARN, secondary): 60-80 C; typical teaching 80-85 C.
    assert ("lesion-temperature" in _rules(set_temperature_c=temperature_c)) is flagged


@pytest.mark.parametrize("placement", ["oblique", "perpendicular"])
def test_non_parallel_placement_is_advisory(placement: str) -> None:
    # Loh 2015: parallel technique gave longer relief (4 vs 1.5 months).
    assert "placement-parallel" in _rules(placement=placement)
    assert _proceed(placement=placement)


@pytest.mark.parametrize(
    ("voltage_v", "sensory_v", "flagged"),
    [(1.9, 0.3, True), (2.0, 0.3, False), (2.0, 1.2, True), (2.4, 1.2, False)],
)
def test_motor_test_voltage(voltage_v: float, sensory_v: float, flagged: bool) -> None:
    # Secondary teaching page (unverified): no limb twitch up to ~2 V or 2x sensory threshold.
    rules = _rules(motor_test_voltage_v=voltage_v, sensory_threshold_v=sensory_v)
    assert ("motor-test-voltage" in rules) is flagged


def test_secondary_sources_say_so() -> None:
    verdict = evaluate_lesion(
        LesionCheck.model_validate({**GOOD, "local_anaesthetic_given": False})
    )
    finding = next(f for f in verdict.findings if f.rule == "local-anaesthetic")
    assert finding.verified
    assert "[secondary source]" in finding.source


def test_lesion_check_is_strict() -> None:
    with pytest.raises(ValueError, match="extra"):
        LesionCheck.model_validate({**GOOD, "colour": "red"})
