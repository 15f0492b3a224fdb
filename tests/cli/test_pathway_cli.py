"""The pathway commands: exit codes, JSON names from issue 3, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rhizo import DISCLAIMER
from rhizo.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main([*args, "--json"]) == 0
    payload: dict[str, object] = json.loads(capsys.readouterr().out)
    assert payload["disclaimer"] == DISCLAIMER
    return payload


def assert_one_line_error(args: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_screen_example_json(capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(["screen", str(EXAMPLES / "patient_lumbar.yaml")], capsys)
    assert payload["verdict"] == "candidate"
    reasons = payload["reasons"]
    assert isinstance(reasons, list)
    assert reasons
    for reason in reasons:
        assert {"rule", "message", "source"} <= set(reason)


def test_screen_policies(capsys: pytest.CaptureFixture[str]) -> None:
    lumbar = str(EXAMPLES / "patient_lumbar.yaml")
    payload = run_json(["screen", lumbar, "--policy", "dual-block-80"], capsys)
    assert payload["verdict"] == "not_candidate"
    cervical = str(EXAMPLES / "patient_cervical_repeat.yaml")
    payload = run_json(["screen", cervical, "--policy", "cervical-2022"], capsys)
    assert payload["verdict"] == "candidate"
    assert payload["repeat_treatment"] is True


@pytest.mark.parametrize(
    ("example", "policy", "verdict"),
    [
        ("patient_lumbar.yaml", "asra-2020", "candidate"),
        ("patient_cervical_repeat.yaml", "cervical-2022", "candidate"),
        ("patient_cervical_new.yaml", "cervical-2022", "candidate"),
        ("patient_thoracic.yaml", None, "no_guideline"),
    ],
)
def test_screen_without_policy_uses_the_region(
    example: str, policy: str | None, verdict: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 14: lumbar -> Cohen 2020, cervical -> Hurley 2022, thoracic -> none (exit 0).
    payload = run_json(["screen", str(EXAMPLES / example)], capsys)
    assert (payload["policy"], payload["verdict"]) == (policy, verdict)


def test_screen_text_thoracic_says_no_guideline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(EXAMPLES / "patient_thoracic.yaml")]) == 0
    out = capsys.readouterr().out
    assert "policy: none (no guideline policy covers the thoracic region)" in out
    assert "verdict: no_guideline" in out
    assert "clinician decides" in out


def test_screen_text_shows_an_override(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(EXAMPLES / "patient_lumbar_override.yaml")]) == 0
    out = capsys.readouterr().out
    assert "[note] Conservative care for 4 weeks" in out
    assert "Override by clinician: incapacitating pain" in out


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        ("region: sacral\npain_duration_weeks: 20\n", ("region", "sacral")),
        (
            "region: lumbar\npain_duration_weeks: 20\npain_returned: maybe\n",
            ("pain_returned", "maybe"),
        ),
        (
            "region: lumbar\npain_duration_weeks: 20\n"
            "overrides: [{rule: conservative_care, reason: ''}]\n",
            ("overrides.0.reason", "reason"),
        ),
        (
            "region: lumbar\npain_duration_weeks: 20\n"
            "overrides: [{rule: active_infection, reason: urgent}]\n",
            ("overrides.0.rule", "contraindications"),
        ),
        (
            "region: cervical\npain_duration_weeks: 20\n"
            "overrides: [{rule: block_cutoff, reason: function improved}]\n",
            ("overrides", "block_cutoff", "cervical-2022"),
        ),
    ],
)
def test_screen_bad_facts_are_one_line(
    facts: str, words: tuple[str, ...], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    patient = tmp_path / "patient.yaml"
    patient.write_text(facts)
    assert_one_line_error(["screen", str(patient)], capsys, *words)


def test_screen_thoracic_with_a_lumbar_policy_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    thoracic = str(EXAMPLES / "patient_thoracic.yaml")
    assert_one_line_error(
        ["screen", thoracic, "--policy", "asra-2020"], capsys, "--policy", "dual-block-80"
    )


def test_screen_text_shows_disclaimer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(EXAMPLES / "patient_lumbar.yaml")]) == 0
    out = capsys.readouterr().out
    assert "verdict: candidate" in out
    assert DISCLAIMER in out


def test_screen_bad_inputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lumbar = str(EXAMPLES / "patient_lumbar.yaml")
    assert_one_line_error(["screen", lumbar, "--policy", "nice-2099"], capsys, "--policy")
    assert_one_line_error(["screen", str(tmp_path / "none.yaml")], capsys, "PATIENT.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("region: lumbar\npain_duration_weeks: -3\n")
    assert_one_line_error(["screen", str(bad)], capsys, "pain_duration_weeks", "-3")
    broken = tmp_path / "broken.yaml"
    broken.write_text("region: [lumbar\n")
    assert_one_line_error(["screen", str(broken)], capsys, "PATIENT.yaml")
    assert_one_line_error(
        ["screen", lumbar, "--policy", "cervical-2022"], capsys, "--policy", "asra-2020"
    )


def test_premed_json_names(capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(
        [
            "premed",
            "--procedure",
            "cervical-facet-rf",
            "--date",
            "2024-03-01",
            "--drug",
            "warfarin",
            "--drug",
            "clopidogrel",
        ],
        capsys,
    )
    assert payload["risk_category"] == "intermediate"
    holds = payload["holds"]
    assert isinstance(holds, list)
    for hold in holds:
        assert {
            "drug",
            "hold",
            "hold_days",
            "last_dose_date",
            "restart_after_hours",
            "note",
            "source",
        } <= set(hold)
    warfarin = holds[0]
    assert warfarin["hold_days"] == 5
    assert warfarin["last_dose_date"] == "2024-02-25"  # leap-year February


def test_premed_bad_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["premed", "--procedure", "lumbar-facet-rf", "--date"]
    assert_one_line_error([*base, "2024-02-30"], capsys, "--date", "YYYY-MM-DD")
    assert_one_line_error([*base, "2024-03-01", "--drug", "snake oil"], capsys, "--drug")
    assert_one_line_error(
        ["premed", "--procedure", "knee", "--date", "2024-03-01"], capsys, "--procedure"
    )
    assert_one_line_error([*base, "2024-03-01", "--risk-factor", "tall"], capsys, "--risk-factor")


def test_score_nrs(capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(["score", "nrs", "--baseline", "8", "--now", "3"], capsys)
    assert payload["percent_relief"] == 62.5
    assert payload["clinically_important"] is True
    assert_one_line_error(["score", "nrs", "--baseline", "11", "--now", "3"], capsys, "--baseline")


def test_score_odi_example(capsys: pytest.CaptureFixture[str]) -> None:
    # 21 points over nine answered items: 21/45 = 46.7 %.
    payload = run_json(["score", "odi", str(EXAMPLES / "odi_answers.json")], capsys)
    assert payload["score_percent"] == 46.7
    assert payload["missing_items"] == 1


def test_score_odi_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "odi.json"
    bad.write_text("[1, 2, 3]")
    assert_one_line_error(["score", "odi", str(bad)], capsys, "ANSWERS.json", "10 items")


def test_score_pgic(capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(["score", "pgic", "2"], capsys)
    assert payload["label"] == "much improved"
    assert_one_line_error(["score", "pgic", "9"], capsys, "N", "9")


def test_compare(capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(["compare"], capsys)
    assert payload["techniques"]
    assert payload["rhizotomy_vs_rfa"]
    assert main(["compare"]) == 0
    assert DISCLAIMER in capsys.readouterr().out


def test_aftercare_markdown_and_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["aftercare", "--sedation", "--date", "2024-01-31"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Aftercare plan")
    assert "2024-02-28" in out
    page = tmp_path / "plan.html"
    assert main(["aftercare", "--format", "html", "--output", str(page)]) == 0
    assert page.read_text().startswith("<!doctype html>")
    assert DISCLAIMER in capsys.readouterr().out
    payload = run_json(["aftercare"], capsys)
    assert payload["sections"]
    assert_one_line_error(["aftercare", "--format", "pdf"], capsys, "--format")
    assert_one_line_error(["aftercare", "--date", "31/01/2024"], capsys, "--date")


def test_faq(capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(["faq"], capsys)
    assert {"steps", "faq", "glossary"} <= set(payload)
    assert main(["faq", "--glossary"]) == 0
    out = capsys.readouterr().out
    assert "Glossary" in out
    assert "Q:" not in out
