"""Per-lesion gates, each test naming the rule (and guideline row) it checks."""

from __future__ import annotations

import pytest

from rhizo.pathway.gates import (
    GateFinding,
    LesionCheck,
    MotorResponse,
    SensoryResponse,
    evaluate_lesion,
    motor_floor_v,
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
    # Cohen 2020 Table 11: large cannula, >= 1.5 min, motor tested to 2 V; Koh 2017 twitch.
    assert _proceed()
    assert _rules() == {"motor-multifidus"}


def test_limb_motor_response_blocks() -> None:
    # LEARN (Medscape summary): test to avoid lesioning the ventral ramus; limb twitch = stop.
    assert not _proceed(motor_response="limb")
    assert "motor-limb-contraction" in _rules(motor_response="limb")


def test_missing_motor_test_blocks() -> None:
    # Cohen 2020 Table 11, stimulation: motor strongly recommended in practice.
    assert not _proceed(motor_response=None)


def test_radicular_sensation_blocks() -> None:
    # Clinically standard (LEARN summary not reachable in the audit: recalled).
    assert not _proceed(sensory_response="radicular")


def test_no_local_anaesthetic_blocks() -> None:
    # Typical teaching (recalled): local anaesthetic before lesioning.
    assert not _proceed(local_anaesthetic_given=False)


def test_no_twitch_is_advisory() -> None:
    # Cohen 2011 Introduction: diminished twitch at the lower lumbar levels (e.g. L5).
    assert _proceed(motor_response="none")
    assert "motor-no-twitch" in _rules(motor_response="none")


@pytest.mark.parametrize(("threshold_v", "flagged"), [(0.49, False), (0.5, True), (0.51, True)])
def test_sensory_threshold_at_and_around_half_volt(threshold_v: float, flagged: bool) -> None:
    # Koh 2017 Methods: sensory stimulation at 50 Hz with a 0.5 V cut-off value.
    assert ("sensory-threshold" in _rules(sensory_threshold_v=threshold_v)) is flagged


@pytest.mark.parametrize(
    ("duration_s", "flagged"), [(89.9, True), (90, False), (90.1, False), (120, False)]
)
def test_lesion_duration_at_and_around_90_s(duration_s: float, flagged: bool) -> None:
    # Cohen 2020 Table 11, lesion duration: practice >= 1.5 min.
    assert ("lesion-duration" in _rules(duration_s=duration_s)) is flagged
    assert _proceed(duration_s=duration_s)  # a parameter deviation never blocks


@pytest.mark.parametrize(
    ("gauge", "flagged"), [(16, False), (17, False), (18, False), (19, True), (22, True)]
)
def test_cannula_size_at_and_around_18_gauge(gauge: int, flagged: bool) -> None:
    # Cohen 2020 Table 11, needle size: large (trials preferably >= 18-gauge).
    assert ("cannula-size" in _rules(gauge=gauge)) is flagged


@pytest.mark.parametrize(
    ("temperature_c", "flagged"),
    [(59.9, True), (60, False), (80, False), (85, False), (85.1, True)],
)
def test_temperature_range(temperature_c: float, flagged: bool) -> None:
    # Lee 2021 (LEARN via Medscape, not reachable: recalled): 60-80 C; teaching 80-85 C.
    assert ("lesion-temperature" in _rules(set_temperature_c=temperature_c)) is flagged


@pytest.mark.parametrize("placement", ["oblique", "perpendicular"])
def test_non_parallel_placement_is_advisory(placement: str) -> None:
    # Loh 2015: parallel technique gave longer relief (4 vs 1.5 months).
    assert "placement-parallel" in _rules(placement=placement)
    assert _proceed(placement=placement)


# Audit W4: the floor is max(2 V, 2 x sensory threshold) (common teaching, recalled; no
# guideline number). Literals: 0.3 V sensory -> 2.0 V floor; 1.5 V sensory -> 3.0 V floor.
@pytest.mark.parametrize(
    ("voltage_v", "sensory_v", "insufficient"),
    [
        (1.99, 0.3, True),  # just below 2 V
        (2.0, 0.3, False),  # exactly at 2 V
        (2.01, 0.3, False),  # just above
        (2.99, 1.5, True),  # just below 2 x 1.5 V
        (3.0, 1.5, False),  # exactly at 2 x 1.5 V
        (3.01, 1.5, False),  # just above
        (2.0, 1.5, True),  # 2 V is not enough after a 1.5 V sensory threshold
    ],
)
@pytest.mark.parametrize("response", ["none", "multifidus"])
def test_motor_test_below_the_floor_blocks(
    voltage_v: float, sensory_v: float, insufficient: bool, response: str
) -> None:
    changes = {
        "motor_response": response,
        "motor_test_voltage_v": voltage_v,
        "sensory_threshold_v": sensory_v,
    }
    assert ("motor-test-voltage" in _rules(**changes)) is insufficient
    assert _proceed(**changes) is not insufficient


def test_audit_case_g4_low_voltage_negative_test_does_not_reassure() -> None:
    # Audit case G4: no twitch at 0.6 V gave proceed=True while a missing test blocked.
    low = _rules(motor_response="none", motor_test_voltage_v=0.6)
    assert not _proceed(motor_response="none", motor_test_voltage_v=0.6)
    assert not _proceed(motor_response=None)
    assert "motor-test-voltage" in low


def test_insufficient_test_says_how_high_to_repeat_it() -> None:
    verdict = evaluate_lesion(
        LesionCheck.model_validate(
            {
                **GOOD,
                "motor_response": "none",
                "motor_test_voltage_v": 1.0,
                "sensory_threshold_v": 1.2,
            }
        )
    )
    finding = next(f for f in verdict.findings if f.rule == "motor-test-voltage")
    assert finding.blocking
    assert "repeat the motor test up to 2.4 V" in finding.message
    # The value is common teaching, not a guideline number: shown as recalled.
    assert not finding.verified
    assert "[recalled, NOT verified in a source]" in finding.source


def test_motor_voltage_not_recorded_blocks() -> None:
    rules = _rules(motor_response="none", motor_test_voltage_v=None)
    assert "motor-test-voltage-missing" in rules
    assert not _proceed(motor_response="none", motor_test_voltage_v=None)


def test_limb_twitch_blocks_at_any_voltage() -> None:
    # A limb twitch is the no-go result; the voltage rule does not add to or soften it.
    rules = _rules(motor_response="limb", motor_test_voltage_v=0.4)
    assert rules >= {"motor-limb-contraction"}
    assert "motor-test-voltage" not in rules


@pytest.mark.parametrize(
    ("sensory_v", "floor_v"), [(None, 2.0), (0.3, 2.0), (1.0, 2.0), (1.5, 3.0)]
)
def test_motor_floor_literals(sensory_v: float | None, floor_v: float) -> None:
    assert motor_floor_v(sensory_v) == pytest.approx(floor_v)


def test_multifidus_twitch_is_not_called_support() -> None:
    # Koh 2017 abstract: 4.6 / 5.8 / 7.0 months, P = 0.47 (not significant).
    finding = next(
        f
        for f in evaluate_lesion(LesionCheck.model_validate(GOOD)).findings
        if f.rule == "motor-multifidus"
    )
    assert "P = 0.47 (not significant)" in finding.message
    assert "supports" not in finding.message


def test_no_twitch_cites_cohen_2011() -> None:
    finding = next(
        f
        for f in evaluate_lesion(
            LesionCheck.model_validate({**GOOD, "motor_response": "none"})
        ).findings
        if f.rule == "motor-no-twitch"
    )
    assert finding.source.startswith("Cohen SP et al. 2011")


def test_recalled_sources_say_so() -> None:
    verdict = evaluate_lesion(
        LesionCheck.model_validate({**GOOD, "local_anaesthetic_given": False})
    )
    finding = next(f for f in verdict.findings if f.rule == "local-anaesthetic")
    assert not finding.verified
    assert "[recalled, NOT verified in a source]" in finding.source


def test_lesion_check_is_strict() -> None:
    with pytest.raises(ValueError, match="extra"):
        LesionCheck.model_validate({**GOOD, "colour": "red"})


def test_a_stored_finding_without_a_level_reads_as_recalled() -> None:
    # Findings stored before evidence levels existed carry no level: never shown as verified.
    old = GateFinding.model_validate(
        {"rule": "motor-test-missing", "message": "m", "source": "s", "blocking": True}
    )
    assert (old.evidence, old.verified) == ("recalled", False)


def test_every_finding_carries_its_entry_level() -> None:
    verdict = evaluate_lesion(
        LesionCheck.model_validate({**GOOD, "motor_response": None, "gauge": 22})
    )
    levels = {f.rule: (f.evidence, f.verified) for f in verdict.findings}
    assert levels["motor-test-missing"] == ("primary", True)  # Cohen 2020 Table 11
    assert levels["cannula-size"] == ("primary", True)
