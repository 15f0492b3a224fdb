"""``rhizo premed`` takes the patient inputs; every bad one is one line, exit 2, naming it."""

from __future__ import annotations

import json

import pytest

from rhizo.cli import main

BASE = ["premed", "--procedure", "spinal-cord-stimulator", "--date", "2026-03-10"]


def _one_line_error(args: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--egfr", "-3", "0 to 250"),
        ("--egfr", "abc", "0 to 250"),
        ("--egfr", "inf", "0 to 250"),
        ("--inr", "nan", "0.5 to 20"),
        ("--inr", "0.4", "0.5 to 20"),
        ("--stent-months", "1e9", "0 to 600"),
        ("--stent-months", "-1", "0 to 600"),
        ("--aspirin-indication", "tertiary", "primary, secondary"),
    ],
)
def test_bad_inputs_are_one_line(
    option: str, value: str, allowed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _one_line_error([*BASE, option, value], capsys, option, repr(value), allowed)


def test_severe_kidney_factor_against_the_egfr_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # KDIGO 2012 Table 5: eGFR 45 is G3a/G3b territory, not severe (G4 is 15-29).
    args = [*BASE, "--risk-factor", "severe_kidney_disease", "--egfr", "45"]
    _one_line_error(args, capsys, "--risk-factor", "severe_kidney_disease", "below 30")


def test_inputs_change_the_answer_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    # UpToDate/Narouze 2018: aspirin, high risk, primary prophylaxis 6 days; dabigatran
    # 6 days with renal impairment (recalled, CrCl below 50); warfarin 5 days, INR checked.
    args = [
        *BASE,
        "--drug",
        "aspirin",
        "--drug",
        "dabigatran",
        "--drug",
        "warfarin",
        "--aspirin-indication",
        "primary",
        "--egfr",
        "40",
        "--inr",
        "1.2",
        "--json",
    ]
    assert main(args) == 0
    payload = json.loads(capsys.readouterr().out)
    holds = {hold["drug"]: hold for hold in payload["holds"]}
    assert (holds["aspirin"]["hold_days"], holds["aspirin"]["last_dose_date"]) == (
        6,
        "2026-03-04",
    )
    assert (holds["dabigatran"]["hold_days"], holds["dabigatran"]["last_dose_date"]) == (
        6,
        "2026-03-04",
    )
    assert holds["warfarin"]["inr_normal"] is True
    assert payload["inputs"] == {
        "aspirin_indication": "primary",
        "egfr_ml_per_min": 40.0,
        "inr": 1.2,
        "stent_months": None,
        "dual_antiplatelet": False,
    }


def test_text_output_shows_the_warnings_and_the_input_sources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [*BASE, "--drug", "clopidogrel", "--drug", "warfarin", "--stent-months", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "! antiplatelets: " in out
    assert "decide with the cardiologist before stopping any antiplatelet" in out
    assert "- clopidogrel: hold individualise" in out
    assert "Check the INR before the procedure" in out
    assert "[local protocol]" in out  # the INR cut-off's level, shown
    assert "recalled, NOT verified" in out
