"""Examples are tests (scikit-fem's idiom): each runs, and its number is checked."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml

from rhizo.cli import main
from rhizo.pathway.candidacy import CandidacyInput, Verdict, screen_candidacy
from rhizo.physics import LesionProtocol, simulate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_lesion_example(capsys: pytest.CaptureFixture[str]) -> None:
    """The example's width is the grid-converged width of its setting.

    Reference: the same protocol on a grid refined 2x in space and time; the
    engine's default grid is within 1 % of a 4x refined one (docs/performance.md),
    so a 2 % gap would mean the example no longer runs the engine's converged model.
    """
    namespace = runpy.run_path(str(EXAMPLES / "lesion_20G_10mm_80C_90s.py"))
    assert "width" in capsys.readouterr().out
    protocol = LesionProtocol(gauge=20, tip_length_mm=10, set_temperature_c=80, duration_s=90)
    refined = simulate(protocol.model_copy(update={"grid": protocol.grid.refined(2.0)}))
    assert namespace["lesion"].width_mm == pytest.approx(refined.lesion.width_mm, rel=0.02)


PATIENTS = sorted(EXAMPLES.glob("patient_*.yaml"))

#: Each example's verdict under its region's guideline, from the guideline's rules:
#: lumbar 30 weeks of pain, 16 weeks of care, a 70 % block (Cohen 2020 Table 11, >= 50 %);
#: cervical 20 weeks, 8 weeks of care (Table 23, 6 weeks), 60 % (> 50 %); the repeat
#: 70 % for 40 weeks (> 30 % for 3 months, Hurley 2022 Table 22), pain returned; the
#: override 4 weeks of care under the clinician's exception (Table 11, "may be less");
#: thoracic: no guideline covers it.
EXPECTED = {
    "patient_lumbar.yaml": ("asra-2020", Verdict.CANDIDATE),
    "patient_lumbar_override.yaml": ("asra-2020", Verdict.CANDIDATE),
    "patient_cervical_new.yaml": ("cervical-2022", Verdict.CANDIDATE),
    "patient_cervical_repeat.yaml": ("cervical-2022", Verdict.CANDIDATE),
    "patient_thoracic.yaml": (None, Verdict.NO_GUIDELINE),
}


def test_every_patient_example_is_listed() -> None:
    assert {path.name for path in PATIENTS} == set(EXPECTED)


@pytest.mark.parametrize("path", PATIENTS, ids=[path.name for path in PATIENTS])
def test_patient_example_screens_without_a_policy(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["screen", str(path)]) == 0
    assert "verdict:" in capsys.readouterr().out
    patient = CandidacyInput.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    result = screen_candidacy(patient)
    assert (result.policy, result.verdict) == EXPECTED[path.name]
